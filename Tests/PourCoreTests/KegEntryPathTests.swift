import XCTest
@testable import PourCore

/// `KegEntryPath.components` splits at every `/` byte, as the kernel does (also where a combining
/// mark follows the slash, which the `Character` split would not split at), dropping `.`.
final class KegEntryPathTests: XCTestCase {
    /// The reference: the bytes split at 0x2F, `.` dropped, compared as bytes.
    private func reference(_ path: String) -> [[UInt8]] {
        Array(path.utf8).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map(Array.init)
            .filter { $0 != [UInt8(ascii: ".")] }
    }

    private func components(_ path: String) -> [[UInt8]] {
        KegEntryPath.components(Substring(path)).map { Array($0.utf8) }
    }

    func testComponentsAreTheKernelsByteSplit() {
        let fixed = ["", "/", "//", ".", "./", "./a//b/", "a/./b/.", "/abs/x", "..", "a/../b", "...", "a/.b/..c",
                     "name/1.0/bin/tool", "a\r\n/b", "name/1.0/\u{301}x", "caf\u{E9}/1.0", "cafe\u{301}/1.0//x",
                     "a/\u{301}/b", "\u{212A}elvin/1.0"]
        for path in fixed {
            XCTAssertEqual(components(path), reference(path), path.debugDescription)
        }
        XCTAssertEqual(components("name/1.0/\u{301}x").count, 3, "the slash before a combining mark separates")
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
            XCTAssertEqual(components(path), reference(path), path.debugDescription)
        }
    }

    func testPathComponentsAreTheKernelsByteSplit() {
        // Where no `/` is followed by a combining mark the byte split equals the `Character`
        // split; `a/\u{301}/b` is where they differ, and the kernel's answer is the byte split.
        for path in ["", "/", "a//b/", "/x/./../y", "a\r\n/b", "caf\u{E9}/x", "a/\u{301}/b", "./.."] {
            let bytes = Array(path.utf8).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map(Array.init)
            XCTAssertEqual(PathComponents.split(path).map { Array($0.utf8) }, bytes, path.debugDescription)
        }
        XCTAssertEqual(PathComponents.split("a/\u{301}/b").count, 3)
        XCTAssertEqual("a/\u{301}/b".split(separator: "/").count, 2, "the Character split sees one slash fewer")
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
