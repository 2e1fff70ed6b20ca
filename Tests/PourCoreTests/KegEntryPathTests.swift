import XCTest
@testable import PourCore

/// `KegEntryPath.components` splits ASCII paths on bytes and others by `Character`; both must
/// give what the `Character` split gives.
final class KegEntryPathTests: XCTestCase {
    private func reference(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }.map(String.init)
    }

    func testComponentsMatchTheCharacterSplit() {
        let fixed = ["", "/", "//", ".", "./", "./a//b/", "a/./b/.", "/abs/x", "..", "a/../b", "...", "a/.b/..c",
                     "name/1.0/bin/tool", "a\r\n/b", "name/1.0/\u{301}x", "caf\u{E9}/1.0", "cafe\u{301}/1.0//x",
                     "a/\u{301}/b", "\u{212A}elvin/1.0"]
        for path in fixed {
            XCTAssertEqual(KegEntryPath.components(Substring(path)).map(String.init), reference(path), path.debugDescription)
        }
        // Random ASCII paths over the characters that matter.
        var state: UInt64 = 16
        let alphabet = Array("/./a.b/c\r\n".utf8)
        for _ in 0..<2_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int(state % 12) {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                bytes.append(alphabet[Int((state >> 33) % UInt64(alphabet.count))])
            }
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let path = String(decoding: bytes, as: UTF8.self)
            XCTAssertEqual(KegEntryPath.components(Substring(path)).map(String.init), reference(path), path.debugDescription)
        }
    }

    func testPathComponentsMatchTheCharacterSplit() {
        for path in ["", "/", "a//b/", "/x/./../y", "a\r\n/b", "caf\u{E9}/x", "a/\u{301}/b", "./.."] {
            XCTAssertEqual(PathComponents.split(path).map(String.init),
                           path.split(separator: "/", omittingEmptySubsequences: true).map(String.init), path.debugDescription)
        }
        XCTAssertEqual(PosixFS.normalize("/a/./b//../c/"), "/a/c")
        XCTAssertEqual(PosixFS.relative(from: "/p/share/man/man1", to: "/p/Cellar/x/1.0/share/man/man1/x.1"),
                       "../../../Cellar/x/1.0/share/man/man1/x.1")
    }

    func testLocateStillRefusesWhatItRefused() throws {
        XCTAssertEqual(try KegEntryPath.locate("tool/1.0/./bin//x", name: "tool", pkgVersion: "1.0", package: "tool",
                                               maxLength: 1024), .inKeg(relative: "bin/x"))
        XCTAssertEqual(try KegEntryPath.locate("tool/", name: "tool", pkgVersion: "1.0", package: "tool", maxLength: 1024),
                       .kegParent)
        for bad in ["/tool/1.0/x", "tool/1.0/../../x", "other/1.0/x", "tool/2.0/x", "tool/1.0/" + String(repeating: "a", count: 256)] {
            XCTAssertThrowsError(try KegEntryPath.locate(bad, name: "tool", pkgVersion: "1.0", package: "tool", maxLength: 1024), bad)
        }
    }
}
