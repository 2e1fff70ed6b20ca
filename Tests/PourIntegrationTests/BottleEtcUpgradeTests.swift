import Foundation
import PourCore
import PourTestSupport
import XCTest

/// `.bottle/etc` across an upgrade, as brew does it (`formula.rb#install_etc_var`,
/// `install_renamed.rb`): the keg keeps its `.bottle`, an untouched config advances to the new
/// default, an edited one stays and the new default lands beside it as `*.default`.
final class BottleEtcUpgradeTests: XCTestCase {
    private func recipe(_ version: String, _ value: String) -> RegistryRecipe {
        .custom([FormulaSpec(name: "tool", version: version, targetCompressedSize: 20_000,
                             etcFiles: ["toolrc": "setting=\(value)\n",
                                        "tool/tool.conf": "root=@@HOMEBREW_PREFIX@@\nlevel=\(value)\n"])])
    }

    func testUpgradeReplacesUntouchedConfigsAndKeepsEditedOnes() throws {
        let fixture = try RegistryFixture(recipe: recipe("1.0", "one"))
        let layout = fixture.configuration().layout
        let install = try runPour(["install", "tool", "--quiet"], fixture: fixture)
        XCTAssertEqual(install.status, 0, "\(install.lines)")
        let etc = layout.prefix + "/etc"
        // A top-level .bottle/etc file on a fresh prefix (wget's wgetrc shape).
        XCTAssertEqual(try String(contentsOfFile: etc + "/toolrc", encoding: .utf8), "setting=one\n")
        XCTAssertEqual(try String(contentsOfFile: etc + "/tool/tool.conf", encoding: .utf8),
                       "root=\(layout.prefix)\nlevel=one\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: layout.keg("tool", "1.0") + "/.bottle/etc/toolrc"),
                      "the keg keeps .bottle")

        // The user edits one file and leaves the other alone.
        try Data("setting=mine\n".utf8).write(to: URL(fileURLWithPath: etc + "/toolrc"))

        _ = try RegistryGenerator(recipe: recipe("2.0", "two")).generate(into: fixture.registry)
        let upgrade = try runPour(["upgrade", "--json"], fixture: fixture, extraEnvironment: ["HOMEBREW_API_AUTO_UPDATE_SECS": "0"])
        XCTAssertEqual(upgrade.status, 0, "\(upgrade.lines)")
        XCTAssertEqual(symlinkTarget(layout.opt + "/tool"), "../Cellar/tool/2.0")

        XCTAssertEqual(try String(contentsOfFile: etc + "/tool/tool.conf", encoding: .utf8),
                       "root=\(layout.prefix)\nlevel=two\n", "untouched: advanced to the new default")
        XCTAssertFalse(FileManager.default.fileExists(atPath: etc + "/tool/tool.conf.default"))
        XCTAssertEqual(try String(contentsOfFile: etc + "/toolrc", encoding: .utf8), "setting=mine\n", "edited: kept")
        XCTAssertEqual(try String(contentsOfFile: etc + "/toolrc.default", encoding: .utf8), "setting=two\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: layout.keg("tool", "2.0") + "/.bottle/etc/toolrc"))
    }
}
