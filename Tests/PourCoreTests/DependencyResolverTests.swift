import Foundation
import XCTest
@testable import PourCore

final class DependencyResolverTests: XCTestCase {
    static let linux = BottleTag("x86_64_linux")

    func bottled(_ name: String, _ dependencies: [String] = [], aliases: [String] = [], oldnames: [String] = [],
                 disabled: Bool = false, bottle: Bool = true) -> Formula {
        Formula(name: name, aliases: aliases, oldnames: oldnames, version: "1.0", dependencies: dependencies,
                bottle: bottle ? Bottle(tag: Self.linux, url: "https://example.invalid/\(name)",
                                        sha256: String(repeating: "0", count: 64), cellar: .any,
                                        rootURL: FormulaSpecializer.defaultRootURL) : nil,
                disabled: disabled)
    }

    func resolver(_ formulae: [Formula]) -> DependencyResolver {
        DependencyResolver(catalog: FormulaCatalog(tag: Self.linux, formulae: formulae))
    }

    func testDiamondPutsDependenciesFirstOnce() throws {
        let plan = try resolver([
            bottled("app", ["left", "right"]), bottled("left", ["base"]), bottled("right", ["base"]), bottled("base"),
        ]).resolve(["app"])
        XCTAssertEqual(plan.map(\.name), ["base", "left", "right", "app"])
        XCTAssertEqual(plan.map(\.requested), [false, false, false, true])
        XCTAssertEqual(plan.last?.dependencies, ["left", "right"])
    }

    func testOrderIsStableWithRespectToRequestOrder() throws {
        let formulae = [bottled("a", ["shared", "x"]), bottled("b", ["shared", "y"]), bottled("shared"),
                        bottled("x"), bottled("y")]
        XCTAssertEqual(try resolver(formulae).resolve(["a", "b"]).map(\.name), ["shared", "x", "a", "y", "b"])
        XCTAssertEqual(try resolver(formulae).resolve(["b", "a"]).map(\.name), ["shared", "y", "b", "x", "a"])
        XCTAssertEqual(try resolver(formulae).resolve(["b", "a"]), try resolver(formulae.reversed()).resolve(["b", "a"]),
                       "catalogue order does not matter")
    }

    func testRequestedFlagAndDuplicateRequests() throws {
        let plan = try resolver([bottled("a", ["b"]), bottled("b", aliases: ["bee"])]).resolve(["a", "bee", "b", "a"])
        XCTAssertEqual(plan.map(\.name), ["b", "a"])
        XCTAssertEqual(plan.map(\.requested), [true, true])
    }

    func testCycleNamesTheWholePath() {
        let cyclic = resolver([bottled("top", ["a"]), bottled("a", ["b"]), bottled("b", ["c"]), bottled("c", ["a"])])
        XCTAssertThrowsError(try cyclic.resolve(["top"])) { error in
            XCTAssertEqual(error as? ResolveError, .dependencyCycle(path: ["a", "b", "c", "a"]))
            XCTAssertTrue(String(describing: error).contains("a → b → c → a"), "\(error)")
        }
        XCTAssertThrowsError(try resolver([bottled("self", ["self"])]).resolve(["self"])) {
            XCTAssertEqual($0 as? ResolveError, .dependencyCycle(path: ["self", "self"]))
        }
    }

    func testMissingDependencyNamesBoth() {
        XCTAssertThrowsError(try resolver([bottled("app", ["lib"]), bottled("lib", ["ghost"])]).resolve(["app"])) { error in
            XCTAssertEqual(error as? ResolveError, .missingDependency(formula: "lib", dependency: "ghost"))
            XCTAssertTrue(String(describing: error).contains("'lib' depends on 'ghost'"))
        }
    }

    func testUnknownNameCarriesSuggestions() throws {
        let catalog = try FormulaCatalog(tag: Self.linux, formulaArray: Data(FormulaFixtures.catalogueJSON.utf8))
        XCTAssertThrowsError(try DependencyResolver(catalog: catalog).resolve(["curl", "opensl"])) { error in
            guard case ResolveError.unknownFormula(let name, let suggestions) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "opensl")
            XCTAssertTrue(suggestions.contains("openssl@3"), "\(suggestions)")
            XCTAssertTrue(String(describing: error).hasPrefix("No formula named 'opensl': did you mean"))
        }
    }

    func testAliasesAndOldnamesResolveToCanonicalNames() throws {
        let catalog = try FormulaCatalog(tag: Self.linux, formulaArray: Data(FormulaFixtures.catalogueJSON.utf8))
        let plan = try DependencyResolver(catalog: catalog).resolve(["gpg", "exa", "curl"])
        let names = plan.map(\.name)
        XCTAssertEqual(names, ["zlib", "gnupg", "ca-certificates", "openssl@3", "libssh2", "libgit2", "eza",
                               "libnghttp2", "zstd", "krb5", "curl"])
        XCTAssertEqual(plan.filter(\.requested).map(\.name), ["gnupg", "eza", "curl"])
        let krb5 = try XCTUnwrap(plan.first { $0.name == "krb5" })
        XCTAssertEqual(krb5.dependencies, ["openssl@3"], "krb5 declares the alias 'openssl'")
        for (index, item) in plan.enumerated() {
            for dependency in item.dependencies {
                XCTAssertLessThan(try XCTUnwrap(names.firstIndex(of: dependency)), index, "\(dependency) before \(item.name)")
            }
        }
    }

    func testDisabledRequestIsRefused() throws {
        let catalog = try FormulaCatalog(tag: Self.linux, formulaArray: Data(FormulaFixtures.catalogueJSON.utf8))
        XCTAssertThrowsError(try DependencyResolver(catalog: catalog).resolve(["youtube-dl"])) {
            XCTAssertEqual($0 as? ResolveError, .disabledFormula(name: "youtube-dl"))
        }
    }

    func testNoBottleNamesFormulaTagAndDependent() throws {
        let catalog = try FormulaCatalog(tag: Self.linux, formulaArray: Data(FormulaFixtures.catalogueJSON.utf8))
        XCTAssertThrowsError(try DependencyResolver(catalog: catalog).resolve(["hello"])) { error in
            XCTAssertEqual(error as? ResolveError, .noBottle(formula: "hello", tag: "x86_64_linux", requiredBy: nil))
            XCTAssertTrue(String(describing: error).contains("'hello' has no bottle for x86_64_linux"))
        }
        XCTAssertThrowsError(try resolver([bottled("app", ["src"]), bottled("src", bottle: false)]).resolve(["app"])) {
            XCTAssertEqual($0 as? ResolveError, .noBottle(formula: "src", tag: "x86_64_linux", requiredBy: "app"))
        }
    }

    func testRuntimeClosureOfOneFormula() throws {
        let formulae = [bottled("app", ["left", "right-alias"]), bottled("left", ["base"]),
                        bottled("right", ["base"], aliases: ["right-alias"]), bottled("base", bottle: false)]
        let closure = try resolver(formulae).runtimeClosure(of: "app")
        XCTAssertEqual(closure.map(\.name), ["base", "left", "right"], "no bottle needed for a receipt's closure")
        XCTAssertEqual(try resolver(formulae).runtimeClosure(of: "base").map(\.name), [])
        XCTAssertThrowsError(try resolver(formulae).runtimeClosure(of: "nope"))
        XCTAssertEqual(try resolver(formulae).runtimeClosure(of: formulae[1]).map(\.name), ["base"])
    }

    func testLookupClosureInitialiser() throws {
        let table = ["a": bottled("a", ["b"]), "b": bottled("b")]
        let resolver = DependencyResolver(tag: Self.linux, lookup: { table[$0] }, suggestions: { _ in ["a"] })
        XCTAssertEqual(try resolver.resolve(["a"]).map(\.name), ["b", "a"])
        XCTAssertThrowsError(try resolver.resolve(["c"])) {
            XCTAssertEqual($0 as? ResolveError, .unknownFormula(name: "c", suggestions: ["a"]))
        }
    }
}
