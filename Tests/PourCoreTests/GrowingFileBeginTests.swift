import Foundation
@testable import PourCore
import XCTest

/// `GrowingFile.begin` with a minimum declared length: a body too small to be worth following is
/// abandoned by the file itself (no descriptor kept, no `onBegin`, so the install's run queue is
/// not woken for it); a large one or one of unknown length begins as before.
final class GrowingFileBeginTests: XCTestCase {
    private func withDescriptor(_ body: (Int32) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("growing-\(UUID().uuidString)").path
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer {
            close(fd)
            unlink(path)
        }
        try body(fd)
    }

    func testABodyDeclaringLessThanTheMinimumIsAbandonedWithoutOnBegin() throws {
        try withDescriptor { fd in
            let begun = Locked(0)
            let file = GrowingFile(minimumDeclaredLength: 4 << 20) { _, _ in begun.withLock { $0 += 1 } }
            XCTAssertFalse(file.begin(fileDescriptor: fd, declaredLength: (4 << 20) - 1))
            XCTAssertEqual(file.currentState, .abandoned("not streamed"))
            XCTAssertEqual(begun.current, 0, "the run is not told about a body it would not stream")
            file.advance(to: 10)
            XCTAssertEqual(file.writtenBytes, 0, "an abandoned generation does not grow")
        }
    }

    func testABodyAtTheMinimumOrOfUnknownLengthBegins() throws {
        for declared in [Int64(4 << 20), nil] {
            try withDescriptor { fd in
                let begun = Locked<[Int64?]>([])
                let file = GrowingFile(minimumDeclaredLength: 4 << 20) { _, length in begun.withLock { $0.append(length) } }
                XCTAssertTrue(file.begin(fileDescriptor: fd, declaredLength: declared))
                XCTAssertEqual(file.currentState, .growing)
                XCTAssertEqual(begun.current, [declared])
            }
        }
    }
}
