import XCTest
@testable import PourCore

/// `PosixFS.normalize` and `relative` work on the bytes of ASCII paths; they must give exactly the
/// text of the component versions they replaced, on any path (seeded random ones included).
final class PosixFSPathTextTests: XCTestCase {
    private let pieces = ["a", "bc", "/", "/", "/", ".", "..", "//", "x.y", "...", ".a", "\r\n", "-", "é", "a\u{301}"]

    private func randomPath(_ random: inout SplitMix64, asciiOnly: Bool) -> String {
        let usable = asciiOnly ? pieces.filter { $0.utf8.allSatisfy { $0 < 0x80 } } : pieces
        return (0..<random.below(12)).map { _ in usable[random.below(usable.count)] }.joined()
    }

    func testNormalizeMatchesTheComponentVersion() {
        for path in ["", "/", "//", ".", "..", "/..", "/a/./b//../c/", "a/b", "/a/b/..", "/a/../..", "/./", "/a/.../b",
                     "/p/Cellar/x/1.0/bin/../lib/./libx.so", "caf\u{E9}/../x"] {
            XCTAssertEqual(PosixFS.normalize(path), PosixFS.normalizeByComponents(path), path.debugDescription)
        }
        var random = SplitMix64(state: 0xA5C1_1000)
        for index in 0..<3000 {
            let path = randomPath(&random, asciiOnly: index % 3 != 0)
            XCTAssertEqual(PosixFS.normalize(path), PosixFS.normalizeByComponents(path), path.debugDescription)
        }
    }

    func testRelativeMatchesTheComponentVersion() {
        let pairs = [("/p/share/man/man1", "/p/Cellar/x/1.0/share/man/man1/x.1"), ("/", "/"), ("/a", "/a"), ("/a/b", "/a"),
                     ("/a", "/a/b/c"), ("", ""), ("/", "/x"), ("/x/y", "/"), ("//a//b", "/a/c//"), ("/a/b", "/ab/b")]
        for (from, to) in pairs {
            XCTAssertEqual(PosixFS.relative(from: from, to: to), PosixFS.relativeByComponents(from: from, to: to), "\(from) → \(to)")
        }
        var random = SplitMix64(state: 0xA5C1_2000)
        for index in 0..<3000 {
            let from = randomPath(&random, asciiOnly: index % 4 != 0)
            // Often a shared beginning, as a link and its target have.
            let to = random.below(2) == 0 ? from + randomPath(&random, asciiOnly: true) : randomPath(&random, asciiOnly: index % 3 != 0)
            XCTAssertEqual(PosixFS.relative(from: from, to: to), PosixFS.relativeByComponents(from: from, to: to),
                           "\(from.debugDescription) → \(to.debugDescription)")
        }
    }
}
