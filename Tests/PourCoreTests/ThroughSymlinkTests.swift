import XCTest
@testable import PourCore

/// `BottleExtractor.throughSymlink` with the set of links (the extractor's fast path) answers as
/// the lookup of every ancestor in `kinds` does, on seeded random kegs and paths, ASCII or not.
final class ThroughSymlinkTests: XCTestCase {
    func testTheLinkSetAnswersAsTheAncestorLookup() {
        let pieces = ["a", "b", "bin", "lib", "x;", "x\u{037E}", "é", "e\u{301}", "link"]
        let kindsPool: [ExtractedKeg.Entry.Kind] = [.directory, .file, .symlink, .hardlink]
        var random = SplitMix64(state: 0x5711_0001)
        var found = 0
        for _ in 0..<2000 {
            func path() -> String {
                (0..<(1 + random.below(4))).map { _ in pieces[random.below(pieces.count)] }.joined(separator: "/")
            }
            var kinds: [String: ExtractedKeg.Entry.Kind] = ["": .directory]
            var symlinks = Set<String>()
            for _ in 0..<random.below(6) {
                let entry = path(), kind = kindsPool[random.below(kindsPool.count)]
                kinds[entry] = kind
                if kind == .symlink { symlinks.insert(entry) } else { symlinks.remove(entry) }
            }
            for _ in 0..<5 {
                let relative = path()
                let reference = BottleExtractor.throughSymlink(relative, kinds)
                XCTAssertEqual(BottleExtractor.throughSymlink(relative, kinds, symlinks: symlinks), reference,
                               "\(relative.debugDescription) in \(kinds)")
                if reference != nil { found += 1 }
            }
        }
        XCTAssertGreaterThan(found, 100, "the cases include paths below links")
    }
}
