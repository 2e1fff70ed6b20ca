import Foundation
import XCTest
import PourCore

/// Lifecycle commands on a prefix brew made (receipts, links and records as brew writes them).
final class BrewPrefixLifecycleTests: XCTestCase {
    var f: BrewPrefixFixture!
    override func setUpWithError() throws { f = try BrewPrefixFixture.standard() }
    override func tearDown() { f.destroy() }

    func testListReadsRacksVersionsLinksAndIntent() throws {
        let inventory = f.inventory
        XCTAssertEqual(inventory.installed.map(\.name), ["gettext", "git", "jq", "libdeep", "libunused", "pcre2"])
        let jq = try inventory.resolve("jq")
        XCTAssertEqual(jq.versions, ["1.6", "1.7.1"])
        XCTAssertEqual(jq.linkedVersion, "1.7.1")
        XCTAssertEqual(jq.optVersion, "1.7.1")
        XCTAssertEqual(jq.activeKeg?.pkgVersion, "1.7.1")
        XCTAssertEqual(try inventory.resolve("gettext").intent, .unknown, "no installed_on_request key")
        XCTAssertEqual(try inventory.resolve("pcre2").intent, .dependency)
        XCTAssertEqual(try inventory.resolve("homebrew/core/git").intent, .onRequest)
        XCTAssertEqual(try inventory.resolve("libunused").activeKeg?.runtimeDependencyNames, ["libdeep"])
        XCTAssertThrowsError(try inventory.resolve("nope")) { error in
            XCTAssertEqual(error as? LifecycleError, .notInstalled(name: "nope"))
        }
    }

    func testLeavesAreUnneededAndNotExplicitDependencies() {
        XCTAssertEqual(f.inventory.leaves().map(\.name), ["gettext", "git", "jq"])
    }

    func testAutoremoveTakesUnneededDependenciesTransitivelyAndKeepsReceiptsWithoutTheKey() throws {
        XCTAssertEqual(try f.inventory.autoremoveCandidates().map(\.name), ["libdeep", "libunused"])
        // Once git is gone, pcre2 is unneeded too.
        let lock = try f.lock()
        defer { lock.release() }
        let uninstaller = Uninstaller(layout: f.layout)
        _ = try uninstaller.perform(try uninstaller.plan(["git"], inventory: f.inventory, allVersions: true,
                                                         ignoreDependencies: false), lock: lock)
        XCTAssertEqual(try f.inventory.autoremoveCandidates().map(\.name), ["libdeep", "libunused", "pcre2"])
    }

    func testAutoremoveKeepsKegsBuiltFromSource() throws {
        try f.keg("built", "1.0", onRequest: false, poured: false)
        XCTAssertFalse(try f.inventory.autoremoveCandidates().map(\.name).contains("built"))
    }

    func testAutoremoveRefusesWhenAReceiptDoesNotRecordDependencies() throws {
        try f.keg("ancient", "0.1", onRequest: true, homebrewVersion: "1.0.0")
        XCTAssertThrowsError(try f.inventory.autoremoveCandidates()) { error in
            XCTAssertEqual(error as? LifecycleError, .unknownDependencies(names: ["ancient"]))
        }
    }

    func testUninstallRefusesWhileADependentIsInstalled() throws {
        XCTAssertThrowsError(try Uninstaller(layout: f.layout).plan(["pcre2"], inventory: f.inventory, allVersions: false,
                                                                    ignoreDependencies: false)) { error in
            XCTAssertEqual(error as? LifecycleError, .requiredBy(name: "pcre2", dependents: ["git"]))
            XCTAssertTrue("\(error)".contains("--ignore-dependencies"))
        }
    }

    func testUninstallWithIgnoreDependenciesRemovesLinksRecordsAndKeg() throws {
        let lock = try f.lock()
        defer { lock.release() }
        let uninstaller = Uninstaller(layout: f.layout)
        let report = try uninstaller.perform(try uninstaller.plan(["pcre2"], inventory: f.inventory, allVersions: false,
                                                                  ignoreDependencies: true), lock: lock)
        XCTAssertEqual(report.removed.map(\.pkgVersion), ["10.44"])
        XCTAssertGreaterThan(report.bytesFreed, 0)
        for gone in ["bin/pcre2", "lib/libpcre2.so", "share/doc/pcre2", "opt/pcre2", "var/homebrew/linked/pcre2", "Cellar/pcre2"] {
            XCTAssertFalse(f.exists(gone), gone)
        }
        XCTAssertTrue(f.exists("bin/git"), "other kegs keep their links")
        XCTAssertTrue(f.exists("share/doc"), "brew's real directories stay")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: f.layout.staging), [], "no removal debris")
    }

    func testUninstallRemovesTheLinkedVersionAndForceRemovesAll() throws {
        let lock = try f.lock()
        defer { lock.release() }
        let uninstaller = Uninstaller(layout: f.layout)
        let plan = try uninstaller.plan(["jq"], inventory: f.inventory, allVersions: false, ignoreDependencies: false)
        XCTAssertEqual(plan.kegs.map(\.pkgVersion), ["1.7.1"])
        XCTAssertEqual(plan.remaining, ["jq": ["1.6"]])
        _ = try uninstaller.perform(plan, lock: lock)
        XCTAssertFalse(f.exists("bin/jq"))
        XCTAssertTrue(f.exists("Cellar/jq/1.6"))

        try f.keg("jq", "1.7.1", onRequest: true)  // two unlinked kegs: ambiguous without --force
        XCTAssertThrowsError(try uninstaller.plan(["jq"], inventory: f.inventory, allVersions: false, ignoreDependencies: false)) {
            XCTAssertEqual($0 as? LifecycleError, .ambiguousKeg(name: "jq", versions: ["1.6", "1.7.1"]))
        }
        _ = try uninstaller.perform(try uninstaller.plan(["jq"], inventory: f.inventory, allVersions: true,
                                                         ignoreDependencies: false), lock: lock)
        XCTAssertFalse(f.exists("Cellar/jq"))
    }

    func testUninstallRemovesThePin() throws {
        let lock = try f.lock()
        defer { lock.release() }
        try Pins(layout: f.layout).pin(try f.inventory.resolve("git"), lock: lock)
        let uninstaller = Uninstaller(layout: f.layout)
        _ = try uninstaller.perform(try uninstaller.plan(["git"], inventory: f.inventory, allVersions: false,
                                                         ignoreDependencies: false), lock: lock)
        XCTAssertFalse(f.exists("var/homebrew/pinned/git"))
        XCTAssertEqual(Doctor(layout: f.layout).check(), [])
    }

    func testCleanupRemovesOldKegsAndCacheEntriesButKeepsPinnedAndCurrent() throws {
        let sha = String(repeating: "a", count: 64)
        let current = f.layout.downloads + "/\(sha)--jq--1.7.1.x86_64_linux.bottle.tar.gz"
        let old = f.layout.downloads + "/\(sha)--jq--1.6.x86_64_linux.bottle.1.tar.gz"
        let gone = f.layout.downloads + "/\(sha)--wget--1.0.x86_64_linux.bottle.tar.gz"
        let staleIncomplete = f.layout.downloads + "/\(sha)--wget--1.1.x86_64_linux.bottle.tar.gz.incomplete"
        let freshIncomplete = f.layout.downloads + "/\(sha)--wget--1.2.x86_64_linux.bottle.tar.gz.incomplete"
        let foreign = f.layout.downloads + "/\(sha)--source--1.0.tar.gz"
        // Tabs remembered beside cached bottles (BottleTab.sidecarPath) go with their bottle.
        let currentTab = current + ".tab.json", oldTab = old + ".tab.json"
        let orphanTab = f.layout.downloads + "/\(sha)--zstd--1.5.6.x86_64_linux.bottle.tar.gz.tab.json"
        for path in [current, old, gone, staleIncomplete, freshIncomplete, foreign, currentTab, oldTab, orphanTab] {
            try f.write(path, "bottle bytes")
        }
        let twoDaysAgo = Date().addingTimeInterval(-2 * 86400)
        try FileManager.default.setAttributes([.modificationDate: twoDaysAgo], ofItemAtPath: staleIncomplete)
        // gettext has an old keg too, but it is pinned there.
        try f.keg("gettext", "0.21", onRequest: nil, homebrewVersion: "1.8.6")
        try f.symlink("var/homebrew/pinned/gettext", "../../../Cellar/gettext/0.21")

        let cleanup = Cleanup(layout: f.layout)
        let plan = cleanup.plan(inventory: f.inventory)
        XCTAssertEqual(plan.kegs.map { "\($0.name) \($0.pkgVersion)" }, ["jq 1.6"])
        XCTAssertEqual(Set(plan.cacheFiles.map(\.path)), [old, gone, staleIncomplete, oldTab, orphanTab])
        let lock = try f.lock()
        defer { lock.release() }
        let report = try cleanup.perform(plan, lock: lock)
        XCTAssertEqual(report.bytesFreed, plan.bytes)
        XCTAssertGreaterThan(report.bytesFreed, 0)
        XCTAssertFalse(f.exists("Cellar/jq/1.6"))
        XCTAssertTrue(f.exists("Cellar/jq/1.7.1"))
        XCTAssertTrue(f.exists("Cellar/gettext/0.21"), "pinned keg stays")
        for kept in [current, currentTab, freshIncomplete, foreign] { XCTAssertTrue(FileManager.default.fileExists(atPath: kept), kept) }

        // --prune 0 also takes the installed version's bottle once it is older than that.
        try FileManager.default.setAttributes([.modificationDate: twoDaysAgo], ofItemAtPath: current)
        XCTAssertEqual(cleanup.plan(inventory: f.inventory, pruneDays: 1).cacheFiles.map(\.path), [current, currentTab])
    }

    func testPinIsBrewsRelativeSymlinkAndUnpinRemovesIt() throws {
        let lock = try f.lock()
        defer { lock.release() }
        let version = try Pins(layout: f.layout).pin(try f.inventory.resolve("jq"), lock: lock)
        XCTAssertEqual(version, "1.7.1")
        XCTAssertEqual(f.linkTarget("var/homebrew/pinned/jq"), "../../../Cellar/jq/1.7.1")
        XCTAssertEqual(try f.inventory.resolve("jq").pinnedVersion, "1.7.1")
        XCTAssertTrue(try Pins(layout: f.layout).unpin("jq", lock: lock))
        XCTAssertFalse(f.exists("var/homebrew/pinned/jq"))
        XCTAssertFalse(try Pins(layout: f.layout).unpin("jq", lock: lock))
    }

    func testUnlinkKeepsOptAndLinkRestoresBrewsLinks() throws {
        let before = ["bin/git", "lib/libgit.so", "share/doc/git"].map { f.linkTarget($0) }
        let linking = Linking(layout: f.layout)
        let dry = try linking.unlink(try f.inventory.resolve("git"), dryRun: true, lock: nil)
        XCTAssertEqual(Set(dry.links.map { String($0.dropFirst(f.prefix.count + 1)) }),
                       ["bin/git", "lib/libgit.so", "share/doc/git", "var/homebrew/linked/git"])
        XCTAssertTrue(f.exists("bin/git"), "a dry run changes nothing")

        let lock = try f.lock()
        defer { lock.release() }
        let result = try linking.unlink(try f.inventory.resolve("git"), dryRun: false, lock: lock)
        XCTAssertEqual(result.links.count, 4)
        XCTAssertFalse(f.exists("bin/git"))
        XCTAssertFalse(f.exists("var/homebrew/linked/git"))
        XCTAssertEqual(f.linkTarget("opt/git"), "../Cellar/git/2.47.0", "unlink keeps opt")

        let inventory = f.inventory
        let preview = try linking.link(try inventory.resolve("git"), inventory: inventory, overwrite: false, dryRun: true, lock: nil)
        XCTAssertTrue(preview.dryRun)
        XCTAssertFalse(f.exists("bin/git"))
        _ = try linking.link(try inventory.resolve("git"), inventory: inventory, overwrite: false, dryRun: false, lock: lock)
        XCTAssertEqual(["bin/git", "lib/libgit.so", "share/doc/git"].map { f.linkTarget($0) }, before)
        XCTAssertEqual(f.linkTarget("var/homebrew/linked/git"), "../../../Cellar/git/2.47.0")
    }

    func testLinkConflictIsReportedAndOverwriteReplacesTheFile() throws {
        let lock = try f.lock()
        defer { lock.release() }
        let linking = Linking(layout: f.layout)
        _ = try linking.unlink(try f.inventory.resolve("git"), dryRun: false, lock: lock)
        try f.write(f.prefix + "/bin/git", "mine")
        let inventory = f.inventory
        let git = try inventory.resolve("git")
        XCTAssertEqual(try linking.link(git, inventory: inventory, overwrite: false, dryRun: true, lock: nil).conflicts,
                       [f.prefix + "/bin/git"])
        XCTAssertThrowsError(try linking.link(git, inventory: inventory, overwrite: false, dryRun: false, lock: lock)) {
            guard case .keg(.linkConflict)? = $0 as? LifecycleError else { return XCTFail("\($0)") }
        }
        XCTAssertFalse(f.exists("var/homebrew/linked/git"), "the failed link was rolled back")
        _ = try linking.link(git, inventory: inventory, overwrite: true, dryRun: false, lock: lock)
        XCTAssertEqual(f.linkTarget("bin/git"), "../Cellar/git/2.47.0/bin/git")
    }

    func testMutatingOperationsRefuseAReleasedLock() throws {
        let lock = try f.lock()
        lock.release()
        XCTAssertThrowsError(try Pins(layout: f.layout).pin(try f.inventory.resolve("jq"), lock: lock)) {
            guard case .prefixBusy? = $0 as? LifecycleError else { return XCTFail("\($0)") }
        }
    }

    func testVersionOrderAndCacheNames() {
        let entry = CachedBottle(fileName: String(repeating: "0", count: 64) + "--openssl@3--3.4.0_1.arm64_sonoma.bottle.2.tar.gz")
        XCTAssertEqual(entry?.name, "openssl@3")
        XCTAssertEqual(entry?.pkgVersion, "3.4.0_1")
        XCTAssertEqual(entry?.tag, "arm64_sonoma")
        XCTAssertNil(CachedBottle(fileName: "garbage.tar.gz"))
        XCTAssertEqual(try f.inventory.resolve("jq").versions, ["1.6", "1.7.1"])
    }
}
