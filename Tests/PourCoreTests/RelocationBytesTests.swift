import Foundation
import XCTest
@testable import PourCore

/// The RUNPATH filter keeps only entries inside the prefix, decided on bytes as the dynamic loader
/// reads them (Docs/Design.md, "Bytes, not characters"): a canonically equivalent spelling of
/// the prefix is another directory on disk, one a bottle's binary must not search.
final class RelocationBytesTests: XCTestCase {
    private func searchPath(_ old: String, prefix: String) -> String {
        ElfRelocationRules.searchPath(old, placeholders: Placeholders(layout: PrefixLayout(prefix: prefix, cache: "/c")), prefix: prefix)
    }

    func testACanonicallyEquivalentSpellingOfThePrefixIsNotInsideIt() {
        let prefix = "/opt/caf\u{E9}"  // é precomposed
        XCTAssertEqual(searchPath("/opt/cafe\u{301}/lib:\(prefix)/opt/x/lib", prefix: prefix), "\(prefix)/opt/x/lib:\(prefix)/lib",
                       "the decomposed spelling (another directory) is dropped")
        XCTAssertEqual(searchPath("/opt/cafe\u{301}", prefix: prefix), "\(prefix)/lib", "the prefix's equivalent itself too")
        XCTAssertEqual(searchPath("/opt/\u{212A}brew/lib", prefix: "/opt/Kbrew"), "/opt/Kbrew/lib", "KELVIN SIGN is not K on disk")
    }

    func testEntriesInsideAPrefixWithCombiningMarksAreKept() {
        let prefix = "/opt/cafe\u{301}/brew"
        XCTAssertEqual(searchPath("\(prefix)/Cellar/x/1/lib:$ORIGIN/../lib", prefix: prefix), "\(prefix)/Cellar/x/1/lib:$ORIGIN/../lib:\(prefix)/lib")
        XCTAssertEqual(searchPath("\(prefix)/\u{301}x/lib", prefix: prefix), "\(prefix)/\u{301}x/lib:\(prefix)/lib",
                       "a component after the prefix that starts with a mark is inside it")
    }
}
