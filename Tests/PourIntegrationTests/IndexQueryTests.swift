import Foundation
@testable import PourCore
import PourTestSupport
import XCTest

/// Name resolution, search ranking, dependency closures and reverse dependencies.
final class IndexQueryTests: XCTestCase {
    private static let shared = Locked<IndexFixture?>(nil)

    private func index() throws -> FormulaIndex {
        let fixture = try IndexQueryTests.shared.withLock { box -> IndexFixture in
            if let existing = box { return existing }
            let created = try IndexFixture(count: 400)
            _ = try runUpdate(created.configuration()).get()
            box = created
            return created
        }
        return try fixture.index()
    }

    func testAliasesOldnamesFullNamesAndCaseResolve() throws {
        let index = try index()
        XCTAssertEqual(try index.canonicalName(for: "openssl"), "openssl@3")
        XCTAssertEqual(try index.canonicalName(for: "openssl@3.5"), "openssl@3")
        XCTAssertEqual(try index.canonicalName(for: "pkg-config"), "pkgconf")
        XCTAssertEqual(try index.canonicalName(for: "pkg-config-legacy"), "pkgconf", "old name")
        XCTAssertEqual(try index.canonicalName(for: "jq-legacy"), "jq")
        XCTAssertEqual(try index.canonicalName(for: "homebrew/core/wget"), "wget")
        XCTAssertEqual(try index.canonicalName(for: "WGET"), "wget")
        XCTAssertEqual(try index.canonicalName(for: "python"), "python@3.13")
        XCTAssertNil(try index.canonicalName(for: "no-such-formula"))
        guard case .unknownFormula(_, let suggestions)? = Result(catching: { () throws(IndexError) in
            try index.resolve("wegt")
        }).failureValue else { return XCTFail("expected unknownFormula") }
        XCTAssertEqual(suggestions.first, "wget")
    }

    func testSearchPutsTheExactNameFirstThenPrefixThenText() throws {
        let index = try index()
        let hits = try index.search("wget")
        XCTAssertEqual(hits.first?.name, "wget")
        XCTAssertEqual(hits.first?.match, .exact)
        XCTAssertEqual(Array(hits.prefix(3)).map(\.name), ["wget", "wget2", "wgetpaste"])
        XCTAssertEqual(hits[1].match, .prefix)
        // An alias is an exact hit for its formula.
        XCTAssertEqual(try index.search("python3").first?.name, "python@3.13")
        // Description words, ranked by FTS.
        let text = try index.search("pastebin")
        XCTAssertEqual(text.map(\.name), ["wgetpaste"])
        XCTAssertEqual(text.first?.match, .text)
        XCTAssertEqual(try index.search("json processor").first?.name, "jq")
        XCTAssertEqual(try index.search("   "), [])
        // Substrings of names, ASCII case folded; LIKE's wildcards in the query are literal.
        let inside = try index.search("GETPAS")
        XCTAssertEqual(inside.first?.name, "wgetpaste")
        XCTAssertEqual(inside.first?.match, .substring)
        XCTAssertEqual(try index.search("%").filter { $0.match == .substring }, [], "% must not match every name")
        XCTAssertEqual(try index.search("w_et").filter { $0.match == .substring }, [], "_ must not match any character")
        XCTAssertEqual(try index.search("\"quoted* (odd) -query").count, 0, "FTS syntax in user text must not error")
    }

    /// The substring hits from the one-row name list are the hits the SQL scan gives (same names,
    /// same order), for an index written before the list existed too.
    func testNameListSubstringsMatchTheSQLScan() throws {
        let withList = try index()
        let copy = NSTemporaryDirectory() + "pour-index-nolist-\(getpid()).sqlite"
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: withList.path, toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let writable = try SQLiteDatabase(path: copy, readOnly: false)
        try writable.execute("DELETE FROM meta WHERE key = '\(FormulaIndex.nameListKey)'")
        let withoutList = try FormulaIndex(path: copy)
        XCTAssertNotNil(withList.metadata(FormulaIndex.nameListKey))
        XCTAssertNil(withoutList.metadata(FormulaIndex.nameListKey))
        var compared = 0
        for query in ["get", "GETPAS", "o", "ssl", "@3", "py", "lib", "-", "zz-none", "%", "w_et", "+"] {
            let a = try withList.search(query).filter { $0.match == .substring }
            let b = try withoutList.search(query).filter { $0.match == .substring }
            XCTAssertEqual(a, b, "substring hits for \(query)")
            compared += a.count
        }
        XCTAssertGreaterThan(compared, 100, "the queries found too little to compare")
        XCTAssertEqual(try withList.search("o", limit: 7).count, 7, "the limit holds")
    }

    func testNameListScanFoldsASCIICaseOnlyAndOrdersByLengthThenBytes() {
        let list = ["zlib", "Libpng", "lib", "glibc", "libé", "LIBA", "b"].joined(separator: "\n")
        XCTAssertEqual(FormulaIndex.names(in: list, containing: "lib"), ["lib", "LIBA", "libé", "zlib", "glibc", "Libpng"])
        XCTAssertEqual(FormulaIndex.names(in: list, containing: "É"), [], "non-ASCII is not case folded (as LIKE)")
        XCTAssertEqual(FormulaIndex.names(in: list, containing: "é"), ["libé"])
        XCTAssertEqual(FormulaIndex.names(in: "", containing: "a"), [])
        XCTAssertEqual(FormulaIndex.names(in: list, containing: ""), [])
    }

    func testDependencyClosureAndReverseDependenciesFollowAliases() throws {
        let index = try index()
        let (catalog, unknown) = try index.closure(of: ["python", "nope"])
        XCTAssertEqual(unknown, ["nope"])
        XCTAssertEqual(Set(catalog.names), ["python@3.13", "openssl@3", "ca-certificates", "sqlite", "pkgconf", "zlib"])
        XCTAssertTrue(try index.dependents(of: "openssl@3", kinds: [.runtime]).contains("wget"))
        XCTAssertTrue(try index.dependents(of: "openssl@3", kinds: [.runtime]).contains("python@3.13"))
        XCTAssertFalse(try index.dependents(of: "openssl@3", kinds: [.runtime]).contains("zlib"))
    }
}
