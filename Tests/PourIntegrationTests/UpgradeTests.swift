import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Installing a newer version over an installed one switches the links per package, and any
/// failure leaves the old version linked and working.
final class UpgradeTests: XCTestCase {
    private func publish(_ fixture: RegistryFixture, version: String, withELF: Bool) throws {
        _ = try RegistryGenerator(recipe: .custom([
            FormulaSpec(name: "tool", version: version, targetCompressedSize: 100_000, elf: withELF ? .relocatable : nil),
        ])).generate(into: fixture.registry)
    }

    private func fixtureWithVersionOneInstalled() throws -> (RegistryFixture, InstallConfiguration) {
        let fixture = try RegistryFixture(recipe: .custom([FormulaSpec(name: "tool", version: "1.0", targetCompressedSize: 100_000)]))
        var configuration = fixture.configuration()
        configuration.apiMaxAge = 0 // see each new publication at once
        XCTAssertEqual(install(["tool"], configuration: configuration).report?.installed, ["tool"])
        return (fixture, configuration)
    }

    private func linkTarget(_ path: String) -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: path) }

    func testNewVersionReplacesTheLinksAndKeepsTheOldKeg() throws {
        let (fixture, configuration) = try fixtureWithVersionOneInstalled()
        try publish(fixture, version: "2.0", withELF: true)
        let run = install(["tool"], configuration: configuration)
        XCTAssertEqual(run.report?.installed, ["tool"], "\(run.result)")
        let layout = configuration.layout
        XCTAssertEqual(linkTarget(layout.opt + "/tool"), "../Cellar/tool/2.0")
        XCTAssertEqual(linkTarget(layout.prefix + "/bin/tool"), "../Cellar/tool/2.0/bin/tool")
        XCTAssertTrue(isSymlink(layout.prefix + "/bin/tool-hello"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: layout.keg("tool", "1.0")), "the old keg stays until cleanup")
    }

    func testFailedDownloadOfTheNewVersionLeavesTheOldOneLinked() throws {
        let (fixture, configuration) = try fixtureWithVersionOneInstalled()
        try publish(fixture, version: "2.0", withELF: false)
        fixture.server.faults.add(.status(500), for: .pathSuffix("/blobs/sha256:\(try RegistryManifest.load(from: fixture.registry).formulae["tool"]!.sha256)"), times: nil)
        let run = install(["tool"], configuration: configuration)
        guard case .failed? = run.outcome("tool") else { return XCTFail("\(run.result)") }
        let layout = configuration.layout
        XCTAssertEqual(linkTarget(layout.prefix + "/bin/tool"), "../Cellar/tool/1.0/bin/tool")
        XCTAssertFalse(FileManager.default.fileExists(atPath: layout.keg("tool", "2.0")))
    }

    func testLinkConflictOfTheNewVersionRestoresTheOldLinks() throws {
        let (fixture, configuration) = try fixtureWithVersionOneInstalled()
        let layout = configuration.layout
        let before = tree(layout.prefix + "/bin")
        // The new version brings bin/tool-hello; a real file of the user's is already there.
        try Data("mine".utf8).write(to: URL(fileURLWithPath: layout.prefix + "/bin/tool-hello"))
        try publish(fixture, version: "2.0", withELF: true)
        let run = install(["tool"], configuration: configuration)
        guard case .failed(.keg(.linkConflict))? = run.outcome("tool") else { return XCTFail("\(run.result)") }
        XCTAssertEqual(linkTarget(layout.opt + "/tool"), "../Cellar/tool/1.0")
        XCTAssertEqual(linkTarget(layout.prefix + "/bin/tool"), "../Cellar/tool/1.0/bin/tool")
        XCTAssertEqual(tree(layout.prefix + "/bin"), (before + ["tool-hello"]).sorted())
        XCTAssertEqual(try String(contentsOfFile: layout.prefix + "/bin/tool-hello", encoding: .utf8), "mine")
        XCTAssertFalse(FileManager.default.fileExists(atPath: layout.keg("tool", "2.0")), "no half-installed keg")
    }
}
