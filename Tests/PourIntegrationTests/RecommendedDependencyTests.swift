import Foundation
import PourCore
import PourTestSupport
import XCTest

/// brew installs recommended dependencies by default with a bottle (no `--without-…` is possible
/// for a bottle), never build, test or optional ones (`formula_installer.rb#expand_dependencies`).
final class RecommendedDependencyTests: XCTestCase {
    private func specs() -> [FormulaSpec] {
        var app = FormulaSpec(name: "app", dependencies: ["lib"], buildDependencies: ["bld"], targetCompressedSize: 8_000)
        app.recommendedDependencies = ["rec"]
        app.optionalDependencies = ["opt"]
        var rec = FormulaSpec(name: "rec", targetCompressedSize: 8_000)
        rec.recommendedDependencies = ["recdep"]
        return [app, rec,
                FormulaSpec(name: "lib", targetCompressedSize: 8_000),
                FormulaSpec(name: "recdep", targetCompressedSize: 8_000),
                FormulaSpec(name: "bld", targetCompressedSize: 8_000),
                FormulaSpec(name: "opt", targetCompressedSize: 8_000)]
    }

    func testRecommendedDependenciesAreInstalledAndOptionalAndBuildOnesAreNot() throws {
        let fixture = try RegistryFixture(recipe: .custom(specs()))
        let configuration = fixture.configuration()
        let run = install(["app"], configuration: configuration)
        XCTAssertEqual(Set(run.report?.installed ?? []), ["app", "lib", "rec", "recdep"], "\(run.result)")
        let planned = run.events.compactMap { entry -> [String]? in
            if case .planned(let packages, _) = entry.event { return packages.map(\.name) }
            return nil
        }.first ?? []
        XCTAssertEqual(planned.last, "app", "dependencies first")
        XCTAssertLessThan(planned.firstIndex(of: "recdep") ?? 99, planned.firstIndex(of: "rec") ?? -1)
        for skipped in ["bld", "opt"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: configuration.layout.cellar + "/" + skipped))
            XCTAssertEqual(fixture.log.entries.filter { $0.path.contains(fixture.sha256(of: skipped)) }.count, 0,
                           "\(skipped) is not downloaded")
        }
        // brew's receipt lists what was installed for it at runtime, recommended included.
        let receipt = try XCTUnwrap(InstallReceipt.read(kegPath: configuration.layout.keg("app", "1.0.0")))
        XCTAssertEqual(Set(receipt.runtimeDependencies?.map(\.fullName) ?? []), ["lib", "rec", "recdep"])
        XCTAssertEqual(receipt.runtimeDependencies?.first { $0.fullName == "rec" }?.declaredDirectly, true)
        XCTAssertEqual(receipt.runtimeDependencies?.first { $0.fullName == "recdep" }?.declaredDirectly, false)
        XCTAssertFalse(fixture.log.entries.contains { $0.path.hasPrefix("/api/formula/") }, "resolved from the index closure")
    }

    func testPerFormulaFetchPathFollowsRecommendedDependenciesToo() throws {
        let fixture = try RegistryFixture(recipe: .custom(specs()))
        var configuration = fixture.configuration()
        configuration.index.autoUpdate = false
        let run = install(["app"], configuration: configuration)
        XCTAssertEqual(Set(run.report?.installed ?? []), ["app", "lib", "rec", "recdep"], "\(run.result)")
        let fetched = Set(fixture.log.entries.map(\.path).filter { $0.hasPrefix("/api/formula/") })
        XCTAssertTrue(fetched.contains("/api/formula/recdep.json"), "\(fetched)")
        XCTAssertFalse(fetched.contains("/api/formula/opt.json") || fetched.contains("/api/formula/bld.json"), "\(fetched)")
    }

    func testResolverClosureFollowsRecommendedDependencies() throws {
        let catalog = FormulaCatalog(tag: BottleTag("x86_64_linux"), formulae: [
            Formula(name: "app", version: "1", dependencies: ["lib"], buildDependencies: ["bld"],
                    recommendedDependencies: ["rec"], optionalDependencies: ["opt"]),
            Formula(name: "rec", version: "1", recommendedDependencies: ["recdep"]),
            Formula(name: "lib", version: "1"), Formula(name: "recdep", version: "1"),
            Formula(name: "bld", version: "1"), Formula(name: "opt", version: "1"),
        ])
        let closure = try DependencyResolver(catalog: catalog).runtimeClosure(of: "app").map(\.name)
        XCTAssertEqual(Set(closure), ["lib", "rec", "recdep"])
    }
}
