import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Lifecycle commands on prefixes pour itself populated from the local registry server.
final class LifecycleTests: XCTestCase {
    func testLeavesUninstallAndAutoremoveFollowTheReceipts() throws {
        let fixture = try RegistryFixture(recipe: .sample())
        let configuration = fixture.configuration()
        let layout = configuration.layout
        XCTAssertEqual(install(["wget", "hello"], configuration: configuration).report?.succeeded, true)

        let inventory = PrefixInventory.read(layout: layout)
        XCTAssertEqual(inventory.installed.map(\.name),
                       ["ca-certificates", "gettext", "hello", "libidn2", "libunistring", "openssl@3", "wget"])
        XCTAssertEqual(inventory.leaves().map(\.name), ["hello", "wget"])
        XCTAssertEqual(try inventory.autoremoveCandidates(), [])
        XCTAssertEqual(try inventory.resolve("hello-world").name, "hello", "aliases resolve through opt links")

        let uninstaller = Uninstaller(layout: layout)
        XCTAssertThrowsError(try uninstaller.plan(["gettext"], inventory: inventory, allVersions: false, ignoreDependencies: false)) {
            XCTAssertEqual($0 as? LifecycleError, .requiredBy(name: "gettext", dependents: ["hello", "libidn2", "wget"]))
        }

        let lock = try LifecycleLock.acquire(layout: layout, wait: false)
        let report = try uninstaller.perform(try uninstaller.plan(["wget"], inventory: inventory, allVersions: false,
                                                                  ignoreDependencies: false), lock: lock)
        XCTAssertEqual(report.removed.map(\.name), ["wget"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: layout.prefix + "/bin/wget"))
        XCTAssertNil(symlinkTarget(layout.opt + "/wget"))

        let after = PrefixInventory.read(layout: layout)
        XCTAssertEqual(try after.autoremoveCandidates().map(\.name), ["ca-certificates", "libidn2", "openssl@3"])
        _ = try uninstaller.perform(try uninstaller.plan(try after.autoremoveCandidates().map(\.name), inventory: after,
                                                         allVersions: true, ignoreDependencies: false), lock: lock)
        lock.release()
        let final = PrefixInventory.read(layout: layout)
        XCTAssertEqual(final.installed.map(\.name), ["gettext", "hello", "libunistring"])
        XCTAssertEqual(try final.autoremoveCandidates(), [])
        XCTAssertEqual(Doctor(layout: layout).check(), [], "uninstalling leaves no broken links")
    }

    /// `lib` ← `tool`; a new version of each is published.
    private func toolAndLib(_ version: String, libVersion: String, toolSize: Int = 100_000, elf: Bool = true) -> RegistryRecipe {
        .custom([
            FormulaSpec(name: "lib", version: libVersion, targetCompressedSize: 80_000),
            FormulaSpec(name: "tool", version: version, dependencies: ["lib"], targetCompressedSize: toolSize,
                        elf: elf ? .relocatable : nil),
        ])
    }

    private func publish(_ fixture: RegistryFixture, _ recipe: RegistryRecipe) throws {
        _ = try RegistryGenerator(recipe: recipe).generate(into: fixture.registry)
    }

    func testOutdatedPinUpgradeAndCleanupCycle() throws {
        let fixture = try RegistryFixture(recipe: toolAndLib("1.0", libVersion: "1.0"))
        var configuration = fixture.configuration()
        configuration.apiMaxAge = 0
        let layout = configuration.layout
        XCTAssertEqual(install(["tool"], configuration: configuration).report?.succeeded, true)
        XCTAssertEqual(try outdatedNames(configuration), [])

        try publish(fixture, toolAndLib("2.0", libVersion: "1.0_1"))
        XCTAssertEqual(try outdatedNames(configuration), ["lib", "tool"], "a new revision counts")

        // Pinned lib: it is skipped, and so is tool, whose new version would drag lib along.
        var lock = try LifecycleLock.acquire(layout: layout, wait: false)
        try Pins(layout: layout).pin(try PrefixInventory.read(layout: layout).resolve("lib"), lock: lock)
        lock.release()
        XCTAssertEqual(try outdatedNames(configuration), ["tool"], "pinned formulae are not listed")
        let blocked = runUpgrader(.upgrade, [], configuration: configuration)
        XCTAssertEqual(blocked.plan?.pinned.map(\.name), ["lib"])
        XCTAssertEqual(blocked.plan?.blockedByPin, ["tool": "lib"])
        XCTAssertNil(blocked.install, "nothing to install")
        XCTAssertEqual(symlinkTarget(layout.opt + "/tool"), "../Cellar/tool/1.0")

        lock = try LifecycleLock.acquire(layout: layout, wait: false)
        try Pins(layout: layout).unpin("lib", lock: lock)
        lock.release()
        let run = runUpgrader(.upgrade, [], configuration: configuration)
        XCTAssertEqual(run.report?.succeeded, true, "\(run.result)")
        XCTAssertEqual(Set(run.install?.installed ?? []), ["lib", "tool"])
        XCTAssertEqual(symlinkTarget(layout.opt + "/tool"), "../Cellar/tool/2.0")
        XCTAssertEqual(symlinkTarget(layout.prefix + "/bin/lib"), "../Cellar/lib/1.0_1/bin/lib")
        XCTAssertEqual(receiptFlag(layout, "lib", "1.0_1"), false, "an upgraded dependency stays a dependency")
        XCTAssertEqual(receiptFlag(layout, "tool", "2.0"), true)
        XCTAssertTrue(FileManager.default.fileExists(atPath: layout.keg("tool", "1.0")), "old keg stays until cleanup")
        XCTAssertEqual(try outdatedNames(configuration), [])

        let cleanup = Cleanup(layout: layout)
        let plan = cleanup.plan(inventory: PrefixInventory.read(layout: layout))
        XCTAssertEqual(plan.kegs.map { "\($0.name) \($0.pkgVersion)" }.sorted(), ["lib 1.0", "tool 1.0"])
        XCTAssertEqual(plan.cacheFiles.filter { $0.path.hasSuffix(".tar.gz") }.count, 2, "the old versions' bottles: \(plan.cacheFiles)")
        XCTAssertEqual(plan.cacheFiles.filter { $0.path.hasSuffix(".tab.json") }.count, 2, "and the tabs remembered beside them")
        lock = try LifecycleLock.acquire(layout: layout, wait: false)
        let report = try cleanup.perform(plan, lock: lock)
        lock.release()
        XCTAssertEqual(report.failures, [])
        XCTAssertEqual(report.bytesFreed, plan.bytes)
        XCTAssertFalse(FileManager.default.fileExists(atPath: layout.keg("tool", "1.0")))
        XCTAssertTrue(FileManager.default.fileExists(atPath: layout.keg("tool", "2.0")))
        XCTAssertEqual(tree(layout.downloads).filter { $0.contains("--tool--") && $0.hasSuffix(".tar.gz") }.count, 1)
        XCTAssertEqual(tree(layout.downloads).filter { $0.contains("--tool--") }.count, 2, "the current bottle and its tab")
        XCTAssertEqual(Doctor(layout: layout).check(), [])
        try assertRuns(layout.prefix + "/bin/tool-hello", prints: "hello from tool")
    }

    func testFailedDownloadDuringUpgradeLeavesTheOldVersionLinkedAndRunnable() throws {
        let fixture = try RegistryFixture(recipe: toolAndLib("1.0", libVersion: "1.0"))
        var configuration = fixture.configuration()
        configuration.apiMaxAge = 0
        let layout = configuration.layout
        XCTAssertEqual(install(["tool"], configuration: configuration).report?.succeeded, true)
        let before = tree(layout.prefix + "/bin").map { symlinkTarget(layout.prefix + "/bin/" + $0) }

        try publish(fixture, toolAndLib("2.0", libVersion: "1.0"))
        let newSHA = try XCTUnwrap(RegistryManifest.load(from: fixture.registry).formulae["tool"]?.sha256)
        fixture.server.faults.add(.status(500), for: .pathSuffix("/blobs/sha256:\(newSHA)"), times: nil)
        let run = runUpgrader(.upgrade, ["tool"], configuration: configuration)
        guard case .failed? = run.install?.packages.first(where: { $0.name == "tool" })?.outcome else {
            return XCTFail("\(run.result)")
        }
        XCTAssertEqual(run.report?.succeeded, false)
        XCTAssertEqual(tree(layout.prefix + "/bin").map { symlinkTarget(layout.prefix + "/bin/" + $0) }, before)
        XCTAssertEqual(symlinkTarget(layout.opt + "/tool"), "../Cellar/tool/1.0")
        XCTAssertFalse(FileManager.default.fileExists(atPath: layout.keg("tool", "2.0")))
        try assertRuns(layout.prefix + "/bin/tool-hello", prints: "hello from tool")
        try assertRuns(layout.prefix + "/bin/tool", prints: "tool 1.0")
        XCTAssertEqual(try outdatedNames(configuration), ["tool"], "still outdated")
        XCTAssertEqual(tree(layout.staging), [])
    }

    func testReinstallKeepsWhetherEachPackageWasRequested() throws {
        let fixture = try RegistryFixture(recipe: toolAndLib("1.0", libVersion: "1.0", elf: false))
        let configuration = fixture.configuration()
        let layout = configuration.layout
        XCTAssertEqual(install(["tool"], configuration: configuration).report?.succeeded, true)
        // A file only the old keg has: gone once the keg was poured again. (Comparing the
        // receipt's inode number failed once: the new receipt may reuse the old one's number.)
        let marker = layout.keg("lib", "1.0") + "/old-keg-marker"
        XCTAssertTrue(FileManager.default.createFile(atPath: marker, contents: Data("old".utf8)))

        let run = runUpgrader(.reinstall, ["lib"], configuration: configuration)
        XCTAssertEqual(run.install?.installed, ["lib"], "\(run.result)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "the keg was poured again")
        XCTAssertTrue(FileManager.default.fileExists(atPath: layout.keg("lib", "1.0") + "/INSTALL_RECEIPT.json"))
        XCTAssertEqual(receiptFlag(layout, "lib", "1.0"), false, "still a dependency")
        XCTAssertEqual(run.report?.restoredFlags, ["lib"])
        XCTAssertEqual(try PrefixInventory.read(layout: layout).autoremoveCandidates(), [])

        let missing = runUpgrader(.reinstall, ["nothere"], configuration: configuration)
        guard case .failure(.notInstalled("nothere")) = missing.result else { return XCTFail("\(missing.result)") }
    }

    func testUpgradeSwitchesToAnInstalledButUnusedKegOfTheCurrentVersion() throws {
        let fixture = try RegistryFixture(recipe: toolAndLib("1.0", libVersion: "1.0", elf: false))
        var configuration = fixture.configuration()
        configuration.apiMaxAge = 0
        let layout = configuration.layout
        XCTAssertEqual(install(["tool"], configuration: configuration).report?.succeeded, true)
        try publish(fixture, toolAndLib("2.0", libVersion: "1.0", elf: false))
        XCTAssertEqual(runUpgrader(.upgrade, [], configuration: configuration).report?.succeeded, true)
        // Someone switches back to 1.0 by hand; 2.0 stays in the Cellar unused.
        let linker = KegLinker(layout: layout)
        try linker.unlink(name: "tool", pkgVersion: "2.0")
        try linker.link(name: "tool", pkgVersion: "1.0")
        XCTAssertEqual(try outdatedNames(configuration), ["tool"])

        let run = runUpgrader(.upgrade, ["tool"], configuration: configuration)
        XCTAssertEqual(run.install?.installed, ["tool"], "\(run.result)")
        XCTAssertEqual(symlinkTarget(layout.opt + "/tool"), "../Cellar/tool/2.0")
        XCTAssertEqual(symlinkTarget(layout.prefix + "/bin/tool"), "../Cellar/tool/2.0/bin/tool")
        XCTAssertEqual(try outdatedNames(configuration), [])
    }

    func testPinnedFormulaIsNotUpgradedByName() throws {
        let fixture = try RegistryFixture(recipe: toolAndLib("1.0", libVersion: "1.0", elf: false))
        var configuration = fixture.configuration()
        configuration.apiMaxAge = 0
        let layout = configuration.layout
        XCTAssertEqual(install(["tool"], configuration: configuration).report?.succeeded, true)
        try publish(fixture, toolAndLib("2.0", libVersion: "1.0", elf: false))
        let lock = try LifecycleLock.acquire(layout: layout, wait: false)
        try Pins(layout: layout).pin(try PrefixInventory.read(layout: layout).resolve("tool"), lock: lock)
        lock.release()
        let run = runUpgrader(.upgrade, ["tool"], configuration: configuration)
        XCTAssertEqual(run.plan?.pinned.map(\.name), ["tool"])
        XCTAssertNil(run.install)
        XCTAssertEqual(symlinkTarget(layout.opt + "/tool"), "../Cellar/tool/1.0")
        // Cleanup keeps the pinned keg even when it is no longer the linked one.
        XCTAssertEqual(Cleanup(layout: layout).plan(inventory: PrefixInventory.read(layout: layout)).kegs, [])
    }

    private func assertRuns(_ path: String, prints expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, file: file, line: line)
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(output.contains(expected), output, file: file, line: line)
    }
}
