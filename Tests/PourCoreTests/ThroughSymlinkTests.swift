import XCTest
@testable import PourCore

/// `BottleExtractor.throughSymlink` answers as a lookup of every ancestor by its bytes does — the
/// kernel's view: a `/` byte separates even when a combining mark follows it, and `é` spelt
/// precomposed or decomposed, `;` or U+037E, are different names — on seeded random kegs and paths.
final class ThroughSymlinkTests: XCTestCase {
    /// The reference: every prefix of `relative` that ends before a `/` byte, looked up by bytes.
    private func byteAncestorLookup(_ relative: String, _ kinds: [[UInt8]: ExtractedKeg.Entry.Kind]) -> String? {
        let bytes = Array(relative.utf8)
        for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: "/") {
            let ancestor = Array(bytes[..<offset])
            if kinds[ancestor] == .symlink { return String(decoding: ancestor, as: UTF8.self) }
        }
        return nil
    }

    func testTheLinkSetAnswersAsTheByteAncestorLookup() {
        let pieces = ["a", "b", "bin", "lib", "x;", "x\u{037E}", "\u{E9}", "e\u{301}", "\u{301}t", "link"]
        let kindsPool: [ExtractedKeg.Entry.Kind] = [.directory, .file, .symlink, .hardlink]
        var random = SplitMix64(state: 0x5711_0001)
        var found = 0
        var foundAfterCombining = 0
        for _ in 0..<3000 {
            func path() -> String {
                (0..<(1 + random.below(4))).map { _ in pieces[random.below(pieces.count)] }.joined(separator: "/")
            }
            var kinds: [[UInt8]: ExtractedKeg.Entry.Kind] = [[]: .directory]
            var symlinks = Set<ExactPath>()
            for _ in 0..<random.below(6) {
                let entry = path(), kind = kindsPool[random.below(kindsPool.count)]
                kinds[Array(entry.utf8)] = kind
                if kind == .symlink { symlinks.insert(ExactPath(entry)) } else { symlinks.remove(ExactPath(entry)) }
            }
            for _ in 0..<5 {
                let relative = path()
                let reference = byteAncestorLookup(relative, kinds)
                let answer = BottleExtractor.throughSymlink(relative, symlinks: symlinks)
                XCTAssertEqual(answer.map { Array($0.utf8) }, reference.map { Array($0.utf8) },
                               "\(relative.debugDescription) in \(kinds.keys.map { String(decoding: $0, as: UTF8.self) })")
                if reference != nil { found += 1 }
                if reference != nil, relative.utf8.count > (reference?.utf8.count ?? 0) + 1,
                   relative.contains("\u{301}t") { foundAfterCombining += 1 }
            }
        }
        XCTAssertGreaterThan(found, 100, "the cases include paths below links")
        XCTAssertGreaterThan(foundAfterCombining, 10, "…and below links whose next component starts with a combining mark")
    }

    func testSplittingIsByBytes() {
        XCTAssertEqual(PathComponents.split("s/\u{301}t//x/").map { Array($0.utf8) },
                       [Array("s".utf8), Array("\u{301}t".utf8), Array("x".utf8)])
        XCTAssertTrue(PathComponents.isAbsolute("/\u{301}etc"))
        XCTAssertFalse("/\u{301}etc".hasPrefix("/"), "what a Character-wise check would have missed")
        XCTAssertTrue(PathComponents.hasSlash("a/\u{301}b"))
        XCTAssertNotNil(PathNames.componentProblem("openssl@3/\u{301}x"))
        XCTAssertNotNil(PathNames.relativePathProblem("/\u{301}etc"))
        // A leading `.` or `-` byte, whatever mark follows it (the `Character` would be `.\u{301}`).
        XCTAssertNotNil(PathNames.componentProblem(".\u{301}hidden"))
        XCTAssertNotNil(PathNames.componentProblem("-\u{301}rf"))
        XCTAssertFalse(KegEntryPath.isSafeComponent("1.0/\u{301}x"))
        XCTAssertFalse(KegEntryPath.symlinkStaysInKeg(linkPath: "bin/x", target: "/\u{301}etc"))
        // `s/\u{301}t` is two components: the link's directory is `d/s`, two levels deep.
        XCTAssertFalse(KegEntryPath.symlinkStaysInKeg(linkPath: "d/s/\u{301}t", target: "../../.."))
        XCTAssertTrue(KegEntryPath.symlinkStaysInKeg(linkPath: "d/s/\u{301}t", target: "../.."))
    }

    func testBelowARootIsDecidedOnBytes() {
        // KELVIN SIGN is canonically equivalent to K: `hasPrefix` says yes, the kernel's bytes no.
        XCTAssertTrue("/opt/\u{212A}it/x".hasPrefix("/opt/Kit/"), "what a Character-wise check would have let through")
        XCTAssertFalse(PathComponents.isBelow("/opt/\u{212A}it/x", "/opt/Kit"))
        XCTAssertTrue(PathComponents.isBelow("/opt/Kit/x", "/opt/Kit"))
        XCTAssertFalse(PathComponents.isBelow("/opt/Kit", "/opt/Kit"))
        XCTAssertFalse(PathComponents.isBelow("/opt/Kitten/x", "/opt/Kit"))
        XCTAssertTrue(PathComponents.isBelow("/opt/Kit/\u{301}x", "/opt/Kit"), "a `/` byte is a separator")
        XCTAssertTrue(PathComponents.isAtOrBelow("/opt/Kit", "/opt/Kit"))
        XCTAssertFalse(PathComponents.isAtOrBelow("/opt/\u{212A}it", "/opt/Kit"))
    }
}
