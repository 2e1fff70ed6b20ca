import Foundation
import XCTest
@testable import PourCore

final class FormulaJSONTests: XCTestCase {
    func testDecodesRealisticObjectAndIgnoresUnknownFields() throws {
        let json = try FormulaFixtures.object(FormulaFixtures.openssl3)
        XCTAssertEqual(json.name, "openssl@3")
        XCTAssertEqual(json.aliases, ["openssl"])
        XCTAssertEqual(json.versions?.stable, "3.5.0")
        XCTAssertEqual(json.bottle?.stable?.files?.keys.sorted(), ["all", "arm64_sonoma", "x86_64_linux"])
        XCTAssertEqual(json.bottle?.stable?.files?["x86_64_linux"]?.cellar, "/home/linuxbrew/.linuxbrew/Cellar")
        XCTAssertEqual(json.dependencies, ["ca-certificates"])
        XCTAssertEqual(json.postInstallDefined, true)
        XCTAssertTrue(json.presentFields.contains(.requirements))
        XCTAssertEqual(json.variations?["x86_64_linux"]?.presentFields, [.caveats])
    }

    func testUsesFromMacOSAcceptsStringsAndTaggedObjects() throws {
        let json = try FormulaFixtures.object(FormulaFixtures.curl)
        XCTAssertEqual(json.usesFromMacOS, [
            .init(name: "krb5"), .init(name: "python", tags: ["build", "test"]),
            .init(name: "zlib"), .init(name: "m4", tags: ["build"]),
        ])
        XCTAssertEqual(json.usesFromMacOSBounds?.map(\.since), [nil, nil, "catalina", nil])
        XCTAssertEqual(json.kegOnlyReason?.reason, ":provided_by_macos")
    }

    func testWrongTypesForNonEssentialFieldsDoNotFail() throws {
        let text = """
        {"name": "odd", "versions": {"stable": "1.0"}, "revision": "2", "version_scheme": 1.0,
         "desc": 5, "license": {"any_of": ["MIT", "Apache-2.0"]}, "aliases": "not-a-list",
         "dependencies": ["a", 3, null, {"x": 1}, "b"], "keg_only": "yes", "caveats": ["x"],
         "uses_from_macos": ["zlib", 7, {}, {"bzip2": "build"}], "uses_from_macos_bounds": [{}, "junk", {}, {}],
         "bottle": {"stable": {"rebuild": null, "files": {"x86_64_linux": "junk", "all": {"sha256": 9}}}},
         "conflicts_with": null, "variations": {"x86_64_linux": "junk"}, "brand_new_field": {"a": [1]}}
        """
        let json = try FormulaFixtures.object(text)
        XCTAssertEqual(json.revision, 2)
        XCTAssertEqual(json.versionScheme, 1)
        XCTAssertNil(json.desc)
        XCTAssertNil(json.license)
        XCTAssertNil(json.aliases)
        XCTAssertEqual(json.dependencies, ["a", "b"])
        XCTAssertNil(json.kegOnly)
        XCTAssertEqual(json.usesFromMacOS?.map(\.name), ["zlib", "", "", "bzip2"], "slots kept for the bounds")
        XCTAssertEqual(json.usesFromMacOSBounds?.count, 4, "bounds keep their slots")
        XCTAssertEqual(json.bottle?.stable?.files?.keys.sorted(), ["all"])
        XCTAssertEqual(json.variations ?? [:], [:])

        let formula = try FormulaSpecializer.formula(from: json, tag: BottleTag("x86_64_linux"))
        XCTAssertEqual(formula.pkgVersion, "1.0_2")
        XCTAssertNil(formula.bottle, "an entry without a usable checksum is not a bottle")
        XCTAssertEqual(formula.dependencies, ["a", "b", "zlib"])
        XCTAssertEqual(formula.buildDependencies, ["bzip2"])
    }

    func testTaggedDependencyObjectsAreRouted() throws {
        let text = """
        {"name": "ponyc", "versions": {"stable": "0.58.1"},
         "dependencies": ["foo", {"bar": "build"}, {"baz": ["build", "test"]}, "foo"],
         "uses_from_macos": [], "uses_from_macos_bounds": []}
        """
        let json = try FormulaFixtures.object(text)
        XCTAssertEqual(json.dependencies, ["foo", "foo"])
        XCTAssertEqual(json.taggedDependencies?.map(\.name), ["bar", "baz"])
        let formula = try FormulaSpecializer.formula(from: json, tag: BottleTag("x86_64_linux"))
        XCTAssertEqual(formula.dependencies, ["foo"])
        XCTAssertEqual(formula.buildDependencies, ["bar", "baz"])
        XCTAssertEqual(formula.testDependencies, ["baz"])
    }

    func testOnlyVariationKeyKeepsOneTag() throws {
        let objects = try FormulaJSON.decodeArray(Data("[\(FormulaFixtures.curl)]".utf8), source: "test",
                                                  tag: BottleTag("arm64_linux"))
        XCTAssertEqual(objects.first??.variations?.keys.sorted(), ["arm64_linux"])
        let all = try FormulaFixtures.object(FormulaFixtures.curl)
        XCTAssertEqual(all.variations?.keys.sorted(), ["arm64_linux", "x86_64_linux"])
    }

    func testMalformedDocumentsReportTheSource() {
        XCTAssertThrowsError(try FormulaJSON.decodeArray(Data("{\"name\": 1}".utf8), source: "formula.json")) { error in
            guard case RegistryError.malformedJSON(let source, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(source, "formula.json")
            XCTAssertTrue(String(describing: error).contains("formula.json"))
        }
        XCTAssertThrowsError(try FormulaJSON.decodeObject(Data("[1,".utf8), source: "formula/x.json")) { error in
            guard case RegistryError.malformedJSON(let source, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(source, "formula/x.json")
        }
    }
}
