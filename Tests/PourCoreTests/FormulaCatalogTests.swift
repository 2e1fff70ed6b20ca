import Foundation
import XCTest
@testable import PourCore

final class FormulaCatalogTests: XCTestCase {
    typealias F = FormulaFixtures

    func catalogue(_ tag: String = "x86_64_linux") throws -> FormulaCatalog {
        try FormulaCatalog(tag: BottleTag(tag), formulaArray: Data(F.catalogueJSON.utf8))
    }

    func testLoadsTheArrayAndSpecialisesForTheTag() throws {
        let catalog = try catalogue()
        XCTAssertEqual(catalog.count, 18)
        XCTAssertEqual(catalog.rejected, [])
        XCTAssertEqual(catalog.names.prefix(3), ["ca-certificates", "openssl@3", "curl"])
        XCTAssertEqual(catalog.formula(named: "curl")?.bottle?.rebuild, 1)
        XCTAssertEqual(try catalogue("arm64_sequoia").formula(named: "curl")?.dependencies, ["libnghttp2", "openssl@3"])
    }

    func testLookupByNameFullNameAliasAndOldname() throws {
        let catalog = try catalogue()
        XCTAssertEqual(catalog.formula(named: "openssl@3")?.name, "openssl@3")
        XCTAssertEqual(catalog.formula(named: "homebrew/core/openssl@3")?.name, "openssl@3")
        XCTAssertEqual(catalog.formula(named: "openssl")?.name, "openssl@3", "alias")
        XCTAssertEqual(catalog.formula(named: "homebrew/core/gnupg")?.name, "gnupg")
        XCTAssertEqual(catalog.canonicalName(for: "gpg"), "gnupg")
        XCTAssertEqual(catalog.canonicalName(for: "gnupg2"), "gnupg", "oldname")
        XCTAssertEqual(catalog.canonicalName(for: "exa"), "eza", "legacy oldname")
        XCTAssertEqual(catalog.canonicalName(for: "gmake"), "make")
        XCTAssertEqual(catalog.canonicalName(for: "OpenSSL@3"), "openssl@3", "case-insensitive fallback")
        XCTAssertNil(catalog.formula(named: "nope"))
    }

    func testCurrentNameWinsOverAnotherFormulasAliasOrOldname() {
        let catalog = FormulaCatalog(tag: BottleTag("x86_64_linux"), formulae: [
            Formula(name: "new", oldnames: ["old"], version: "2"),
            Formula(name: "old", version: "1"),
            Formula(name: "other", aliases: ["new"], version: "1"),
        ])
        XCTAssertEqual(catalog.formula(named: "old")?.version, "1")
        XCTAssertEqual(catalog.formula(named: "new")?.version, "2")
    }

    func testCloseMatchesForDidYouMean() throws {
        let catalog = try catalogue()
        XCTAssertEqual(catalog.closeMatches(for: "curll").first, "curl")
        XCTAssertEqual(catalog.closeMatches(for: "opensl@3").first, "openssl@3")
        XCTAssertTrue(catalog.closeMatches(for: "gnup").contains("gnupg"), "prefix")
        XCTAssertEqual(catalog.closeMatches(for: "pyton").first, "python@3.13", "via the alias 'python'")
        XCTAssertEqual(catalog.closeMatches(for: "zzzzzzzz"), [])
        XCTAssertLessThanOrEqual(catalog.closeMatches(for: "lib").count, 5)

        XCTAssertThrowsError(try catalog.resolve("curll")) { error in
            guard case RegistryError.unknownFormula(let name, let suggestions) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "curll")
            XCTAssertEqual(suggestions.first, "curl")
            XCTAssertEqual(String(describing: error).contains("did you mean 'curl'"), true)
        }
    }

    func testUnusableEntriesAreRejectedNotFatal() throws {
        let text = "[\(F.zlib), 42, {\"name\": \"noversion\"}, {\"versions\": {\"stable\": \"1\"}}]"
        let catalog = try FormulaCatalog(tag: BottleTag("x86_64_linux"), formulaArray: Data(text.utf8), source: "api/formula.json")
        XCTAssertEqual(catalog.names, ["zlib"])
        XCTAssertEqual(catalog.rejected, [
            .malformedJSON(source: "api/formula.json", detail: "element 1 is not a formula object"),
            .missingField(formula: "noversion", field: "versions.stable"),
            .missingField(formula: "(unnamed formula)", field: "name"),
        ])
        XCTAssertThrowsError(try FormulaCatalog(tag: BottleTag("x86_64_linux"), formulaArray: Data("not json".utf8)))
    }

    func testSingleFormulaDocumentReplacesTheArrayEntry() throws {
        let catalog = try catalogue()
        let newer = F.make.replacingOccurrences(of: "\"revision\": 2", with: "\"revision\": 3")
        let updated = try catalog.adding(formulaObject: Data(newer.utf8), source: "formula/make.json")
        XCTAssertEqual(updated.count, catalog.count)
        XCTAssertEqual(updated.formula(named: "gmake")?.pkgVersion, "4.4_3")
        XCTAssertEqual(catalog.formula(named: "make")?.pkgVersion, "4.4_2", "the original value is unchanged")
        XCTAssertThrowsError(try catalog.adding(formulaObject: Data(#"{"name": "x"}"#.utf8), source: "formula/x.json")) {
            XCTAssertEqual($0 as? RegistryError, .missingField(formula: "x", field: "versions.stable"))
        }
    }

    /// Grown one formula at a time in place (the fetcher without an index), the catalogue answers
    /// every lookup as one built from the whole list does, clashing aliases and old names included
    /// (the earlier formula keeps them, a later full name wins).
    func testGrowingOneFormulaAtATimeIndexesAsBuildingAtOnce() throws {
        let tag = BottleTag("x86_64_linux")
        let rival = F.gnupg.replacingOccurrences(of: "\"name\": \"gnupg\", \"full_name\": \"gnupg\"",
                                                 with: "\"name\": \"gnupg-rival\", \"full_name\": \"gnupg\"")
        XCTAssertNotEqual(rival, F.gnupg, "the fixture changed: the rival must keep gnupg's aliases and full name")
        let objects = [F.openssl3, F.curl, F.gnupg, F.eza, F.make, rival, F.zlib]
        let whole = try FormulaCatalog(tag: tag, formulaArray: Data(("[" + objects.joined(separator: ",") + "]").utf8))
        var grown = FormulaCatalog(tag: tag, formulae: [])
        for object in objects { try grown.add(formulaObject: Data(object.utf8), source: "formula.json") }
        XCTAssertEqual(grown.names, whole.names)
        let queries = ["openssl@3", "openssl", "OpenSSL", "curl", "gnupg", "gpg", "gnupg2", "gnupg@2.4", "gnupg-rival",
                       "homebrew/core/gnupg-rival", "eza", "exa", "make", "gmake", "zlib", "homebrew/core/zlib", "nothing"]
        for query in queries {
            XCTAssertEqual(grown.formula(named: query)?.name, whole.formula(named: query)?.name, query)
        }
        XCTAssertEqual(grown.formula(named: "gpg")?.name, "gnupg", "the earlier formula keeps a clashing alias")
        XCTAssertEqual(grown.formula(named: "homebrew/core/gnupg")?.name, whole.formula(named: "homebrew/core/gnupg")?.name)
    }

    /// The real catalogue has ~8,300 formulae; decoding it must stay a one-pass affair.
    func testDecodesACatalogueOfRealisticSize() throws {
        var objects: [String] = []
        objects.reserveCapacity(8_300)
        for index in 0..<8_300 {
            objects.append(F.curl.replacingOccurrences(of: "\"name\": \"curl\"", with: "\"name\": \"f\(index)\""))
        }
        let data = Data(("[" + objects.joined(separator: ",") + "]").utf8)
        let start = Date()
        let catalog = try FormulaCatalog(tag: BottleTag("x86_64_linux"), formulaArray: data)
        let seconds = Date().timeIntervalSince(start)
        print("decoded \(catalog.count) formulae (\(data.count / 1_000_000) MB) in \(String(format: "%.2f", seconds)) s")
        XCTAssertEqual(catalog.count, 8_300)
        XCTAssertEqual(catalog.formula(named: "f8299")?.bottle?.rebuild, 1)

        let suggestStart = Date()
        XCTAssertEqual(catalog.closeMatches(for: "f829x").count, 5)
        print("closeMatches over \(catalog.count) names in \(String(format: "%.3f", Date().timeIntervalSince(suggestStart))) s")
    }
}
