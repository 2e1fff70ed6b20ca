import Foundation
import XCTest
@testable import PourCore

/// `BottleExtractor.extract(growing:)` over a `GrowingFile` a writer thread fills as a download
/// would (pwrite at explicit offsets, then `advance`): the reader follows the frontier, sees the end
/// only once the writer verifies, and fails at once when the generation is abandoned or cancelled.
final class GrowingFileExtractionTests: XCTestCase {
    typealias E = TestArchive.Entry

    /// Random (incompressible) bytes, so the archive is large enough to arrive in many chunks.
    private func noise(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    private func entries() -> [E] {
        [E.dir("foo/1.2_1/"), E.file("foo/1.2_1/README", "first entry\n"),
         E("foo/1.2_1/lib/big.bin", .file(noise(3 << 20, seed: 7))),
         E("foo/1.2_1/share/tail.bin", .file(noise(1 << 20, seed: 9)))]
    }

    /// Opens a fresh `.incomplete` in the sandbox and begins a generation on it.
    private func growing(_ box: UnpackSandbox) throws -> (GrowingFile, Int32) {
        let fd = open(box.bottle("bottle.incomplete"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TestArchive.BuildError(description: "open failed") }
        let file = GrowingFile { _, _ in }
        XCTAssertTrue(file.begin(fileDescriptor: fd, declaredLength: nil))
        return (file, fd)
    }

    /// Writes `bytes[range]` in 64 KiB pieces, advancing the frontier after each.
    private static func write(_ bytes: [UInt8], _ range: Range<Int>, to fd: Int32, file: GrowingFile) {
        var offset = range.lowerBound
        while offset < range.upperBound {
            let count = min(64 << 10, range.upperBound - offset)
            let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + offset, count, off_t(offset)) }
            XCTAssertEqual(written, count)
            offset += count
            file.advance(to: Int64(offset))
        }
    }

    private static func waitFor(_ path: String) -> Bool {
        let deadline = Date().addingTimeInterval(60)
        while access(path, F_OK) != 0 {
            if Date() >= deadline { return false }
            usleep(1_000)
        }
        return true
    }

    /// The writer sends the first half, waits until the extractor has written the first entry, then
    /// sends the rest and verifies: the keg is complete and equal to the archive's contents.
    func testExtractionFollowsTheWriterAndEndsWhenVerified() throws {
        for compression in [TestArchive.Compression.gzip, .zstd, .none] {
            let box = try UnpackSandbox()
            try TestArchive.build(box.bottle(), compression: compression, entries: entries())
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: box.bottle())))
            let (file, fd) = try growing(box)
            defer { close(fd) }
            let half = bytes.count / 2
            let first = box.staging + "/foo/1.2_1/README"
            let writer = DispatchSemaphore(value: 0)
            let sawFirstEntryEarly = Locked(false)
            DispatchQueue.global().async {
                Self.write(bytes, 0..<half, to: fd, file: file)
                sawFirstEntryEarly.withLock { $0 = Self.waitFor(first) }
                Self.write(bytes, half..<bytes.count, to: fd, file: file)
                file.verify(length: Int64(bytes.count))
                writer.signal()
            }
            let keg = try BottleExtractor.extract(growing: file, path: box.bottle("bottle.incomplete"), name: "foo",
                                                  pkgVersion: "1.2_1", into: box.staging)
            writer.wait()
            XCTAssertTrue(sawFirstEntryEarly.current, "\(compression): nothing extracted before the second half")
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: keg.kegPath + "/lib/big.bin")), Data(noise(3 << 20, seed: 7)))
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: keg.kegPath + "/share/tail.bin")), Data(noise(1 << 20, seed: 9)))
            XCTAssertEqual(try String(contentsOfFile: first, encoding: .utf8), "first entry\n")
        }
    }

    /// A generation abandoned mid-way (a restart, a failed download) ends the blocked reader with
    /// the reason, and the staging directory is left empty.
    func testAbandonWakesTheReaderAndLeavesNoStaging() throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), entries: entries())
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: box.bottle())))
        let (file, fd) = try growing(box)
        defer { close(fd) }
        let writer = DispatchSemaphore(value: 0)
        defer { writer.wait() }  // before the descriptor closes
        DispatchQueue.global().async {
            Self.write(bytes, 0..<bytes.count / 2, to: fd, file: file)
            _ = Self.waitFor(box.staging + "/foo/1.2_1/README")
            file.abandon("the download restarted from byte 0")
            // The next attempt rewrites the file: none of it may reach the reader.
            _ = ftruncate(fd, 0)
            Self.write([UInt8](repeating: 0x41, count: bytes.count), 0..<bytes.count, to: fd, file: file)
            writer.signal()
        }
        XCTAssertThrowsError(try BottleExtractor.extract(growing: file, path: box.bottle("bottle.incomplete"), name: "foo",
                                                         pkgVersion: "1.2_1", into: box.staging)) { error in
            guard case UnpackError.corruptArchive(_, _, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("restarted"), reason)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: box.staging), [])
        XCTAssertEqual(file.currentState, .abandoned("the download restarted from byte 0"))
    }

    /// A reader waiting for bytes that never come stops when the run's cancellation flag is set,
    /// even if nobody abandons the generation (the safety net).
    func testCancellationFlagEndsAWaitingReader() throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), entries: entries())
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: box.bottle())))
        let (file, fd) = try growing(box)
        defer { close(fd) }
        let cancellation = CancellationFlag()
        let writer = DispatchSemaphore(value: 0)
        defer { writer.wait() }  // before the descriptor closes
        DispatchQueue.global().async {
            Self.write(bytes, 0..<bytes.count / 2, to: fd, file: file)
            _ = Self.waitFor(box.staging + "/foo/1.2_1/README")
            cancellation.cancel()
            writer.signal()
        }
        XCTAssertThrowsError(try BottleExtractor.extract(growing: file, path: box.bottle("bottle.incomplete"), name: "foo",
                                                         pkgVersion: "1.2_1", into: box.staging,
                                                         cancellation: cancellation)) { error in
            guard case UnpackError.cancelled = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: box.staging), [])
    }
}
