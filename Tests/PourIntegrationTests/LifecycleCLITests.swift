import Foundation
import PourCore
import PourTestSupport
import XCTest

/// The lifecycle subcommands of the real `pour` binary: arguments, output and exit statuses.
final class LifecycleCLITests: XCTestCase {
    private func recipe(_ version: String) -> RegistryRecipe {
        .custom([
            FormulaSpec(name: "lib", version: "1.0", targetCompressedSize: 60_000),
            FormulaSpec(name: "tool", version: version, dependencies: ["lib"], targetCompressedSize: 60_000),
        ])
    }

    private func json(_ lines: [String]) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(lines.joined(separator: "\n").utf8))
    }

    func testCommandsEndToEnd() throws {
        let fixture = try RegistryFixture(recipe: recipe("1.0"))
        let layout = fixture.configuration().layout
        let fresh = ["HOMEBREW_API_AUTO_UPDATE_SECS": "0"]
        XCTAssertEqual(try runPour(["install", "tool", "--quiet"], fixture: fixture).status, 0)
        XCTAssertEqual(try runPour(["list", "--versions"], fixture: fixture).lines, ["lib 1.0", "tool 1.0"])
        XCTAssertEqual(try runPour(["leaves"], fixture: fixture).lines, ["tool"])
        let listed = json(try runPour(["list", "--json"], fixture: fixture).lines) as? [[String: Any]]
        XCTAssertEqual(listed?.map { $0["installed_on_request"] as? Bool }, [false, true])

        _ = try RegistryGenerator(recipe: recipe("1.1")).generate(into: fixture.registry)
        let outdated = json(try runPour(["outdated", "--json"], fixture: fixture, extraEnvironment: fresh).lines) as? [[String: Any]]
        XCTAssertEqual(outdated?.first?["name"] as? String, "tool")
        XCTAssertEqual(outdated?.first?["current_version"] as? String, "1.1")

        XCTAssertEqual(try runPour(["pin", "tool"], fixture: fixture).status, 0)
        XCTAssertEqual(try runPour(["list", "--pinned", "--versions"], fixture: fixture).lines, ["tool 1.0"])
        XCTAssertEqual(try runPour(["outdated"], fixture: fixture, extraEnvironment: fresh).lines, [])
        let skipped = try runPour(["upgrade", "--json"], fixture: fixture, extraEnvironment: fresh)
        XCTAssertEqual(skipped.status, 0)
        XCTAssertTrue(skipped.lines.contains { $0.contains("pinned at 1.0") }, "\(skipped.lines)")
        XCTAssertEqual(symlinkTarget(layout.opt + "/tool"), "../Cellar/tool/1.0")
        XCTAssertEqual(try runPour(["unpin", "tool"], fixture: fixture).status, 0)

        let upgrade = try runPour(["upgrade", "--json"], fixture: fixture, extraEnvironment: fresh)
        XCTAssertEqual(upgrade.status, 0, "\(upgrade.lines)")
        XCTAssertTrue(upgrade.lines.last?.contains("\"status\":\"ok\"") == true, "\(upgrade.lines.suffix(2))")
        XCTAssertEqual(symlinkTarget(layout.opt + "/tool"), "../Cellar/tool/1.1")

        let dry = try runPour(["cleanup", "--dry-run"], fixture: fixture)
        XCTAssertTrue(dry.lines.contains("Would remove: \(layout.keg("tool", "1.0"))"), "\(dry.lines)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: layout.keg("tool", "1.0")))
        XCTAssertEqual(try runPour(["cleanup"], fixture: fixture).status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: layout.keg("tool", "1.0")))

        let preview = try runPour(["unlink", "tool", "--dry-run"], fixture: fixture).lines
        XCTAssertEqual(Set(preview), Set(["bin/tool", "bin/tool-link", "include/tool.h", "lib/pkgconfig/tool.pc",
                                          "share/man/man1/tool.1", "share/tool", "var/homebrew/linked/tool"]
                                            .map { layout.prefix + "/" + $0 }))
        XCTAssertTrue(FileManager.default.fileExists(atPath: layout.prefix + "/bin/tool"), "a dry run changes nothing")
        XCTAssertEqual(try runPour(["unlink", "tool"], fixture: fixture).status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: layout.prefix + "/bin/tool"))
        XCTAssertEqual(try runPour(["link", "tool"], fixture: fixture).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: layout.prefix + "/bin/tool"))

        XCTAssertEqual(try runPour(["uninstall", "lib"], fixture: fixture).status, 1, "required by tool")
        XCTAssertTrue(FileManager.default.fileExists(atPath: layout.keg("lib", "1.0")))
        XCTAssertEqual(try runPour(["uninstall", "tool"], fixture: fixture).status, 0)
        XCTAssertEqual(try runPour(["autoremove", "--dry-run"], fixture: fixture).lines, ["lib"])
        XCTAssertEqual(try runPour(["autoremove"], fixture: fixture).status, 0)
        XCTAssertEqual(try runPour(["list"], fixture: fixture).lines, [])
        XCTAssertEqual(try runPour(["doctor"], fixture: fixture).status, 0)
        XCTAssertEqual(try runPour(["uninstall", "nothing"], fixture: fixture).status, 1)
    }

    func testNoWaitFailsWhileAnotherProcessHoldsTheLock() throws {
        let fixture = try RegistryFixture(recipe: recipe("1.0"))
        let layout = fixture.configuration().layout
        XCTAssertEqual(try runPour(["install", "tool", "--quiet"], fixture: fixture).status, 0)
        let lock = try LifecycleLock.acquire(layout: layout, wait: false)
        defer { lock.release() }
        for command in [["uninstall", "tool"], ["pin", "tool"], ["cleanup"], ["doctor", "--fix"], ["autoremove"], ["link", "tool"]] {
            XCTAssertEqual(try runPour(command + ["--no-wait"], fixture: fixture).status, 1, "\(command)")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: layout.keg("tool", "1.0")))
        XCTAssertEqual(try runPour(["list"], fixture: fixture).lines, ["lib", "tool"], "reading needs no lock")
    }

    /// A pour-made prefix damaged the ways a crash or a careless `rm` damages it: `doctor` finds
    /// it (exit 1), `doctor --fix` repairs it, and `doctor` then reports nothing (exit 0).
    func testDoctorFixRepairsAPrefixDamagedByAKilledInstallAndRemovedKegs() throws {
        let fixture = try RegistryFixture(recipe: .custom([
            FormulaSpec(name: "lib", version: "1.0", targetCompressedSize: 60_000),
            FormulaSpec(name: "tool", version: "1.0", dependencies: ["lib"], targetCompressedSize: 60_000),
            FormulaSpec(name: "huge", targetCompressedSize: 6_000_000),
        ]), server: ServerConfiguration(perConnectionRate: 1_000_000))
        let layout = fixture.configuration().layout
        XCTAssertEqual(install(["tool"], configuration: fixture.configuration()).report?.succeeded, true)

        // SIGKILL mid-download: an unlocked .incomplete file and the run's staging directory stay.
        let killed = try PourProcess(arguments: ["install", "huge", "--json", "--prefix", layout.prefix, "--cache", layout.cache],
                                     environment: fixture.environment)
        XCTAssertTrue(killed.waitForLine { $0.contains("\"event\":\"download_progress\"") })
        killed.signal(SIGKILL)
        _ = killed.waitForExit()
        XCTAssertFalse(tree(layout.downloads).filter { $0.hasSuffix(".incomplete") }.isEmpty)
        XCTAssertFalse(tree(layout.downloads).filter { $0.hasSuffix(".lock") }.isEmpty, "the killed download's bottle lock")
        XCTAssertFalse(tree(layout.staging).isEmpty)

        // A keg deleted behind pour's back: broken links, a dangling opt link and record.
        try FileManager.default.removeItem(atPath: layout.keg("tool", "1.0"))
        // A keg without a receipt (an interrupted install by some other tool).
        try FileManager.default.createDirectory(atPath: layout.keg("stray", "0.1") + "/bin", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: layout.keg("stray", "0.1") + "/bin/stray"))

        let before = try runPour(["doctor"], fixture: fixture)
        XCTAssertEqual(before.status, 1)
        for kind in ["broken_link", "dangling_opt_link", "stale_staging", "leftover_download", "keg_without_receipt"] {
            XCTAssertTrue(before.lines.contains { $0.hasPrefix("Problem: \(kind):") }, "\(kind) not reported: \(before.lines)")
        }
        XCTAssertTrue(before.lines.contains { $0.hasPrefix("Info: stale_lock_pid:") }, "\(before.lines)")

        let fix = try runPour(["doctor", "--fix"], fixture: fixture)
        XCTAssertEqual(fix.status, 0, "\(fix.lines)")
        let after = try runPour(["doctor"], fixture: fixture)
        XCTAssertEqual(after.status, 0, "\(after.lines)")
        XCTAssertEqual(after.lines.filter { $0.hasPrefix("Problem") }, [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: layout.cellar + "/stray"))
        XCTAssertEqual(tree(layout.downloads).filter { $0.hasSuffix(".lock") || $0.hasSuffix(".incomplete") }, [],
                       "partial download and its lock removed")
        XCTAssertTrue(FileManager.default.fileExists(atPath: layout.prefix + "/bin/lib"), "healthy links stay")
        XCTAssertEqual(try runPour(["list"], fixture: fixture).lines, ["lib"])
    }
}
