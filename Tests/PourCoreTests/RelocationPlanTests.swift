import Foundation
import XCTest
@testable import PourCore

/// The pour-time relocation decision, rule by rule, each from the brew file it follows.
final class RelocationPlanTests: XCTestCase {
    // Library/Homebrew/version.rb semantics for the values homebrew_version takes.
    func testHomebrewVersionComparesNumerically() {
        let v = HomebrewVersion.init
        XCTAssertLessThan(v("5.1.9"), v("5.1.15"), "numeric, not string, comparison")
        XCTAssertLessThan(v("4.4.0"), v("5.1.15"))
        XCTAssertEqual(v("5.1.15"), v("5.1.15.0"))
        XCTAssertGreaterThan(v("5.1.15-30-gabc1234"), v("5.1.15"), "git describe builds sort after the tag")
        XCTAssertLessThan(v("5.1.15-rc1"), v("5.1.15"), "a pre-release sorts before its release")
        XCTAssertGreaterThan(v("5.2.0"), v("5.1.15"))
        XCTAssertGreaterThan(v("10.0.0"), v("5.1.15"))
        XCTAssertLessThan(v(""), v("5.1.15"), "an empty version is older than any")
    }

    private func tab(_ version: String?, changed: [String]? = ["bin/x"]) -> BottleTab {
        BottleTab(homebrewVersion: version, changedFiles: changed)
    }

    // formula_installer.rb#pour + extend/os/linux/bottle_specification.rb
    func testLinuxRelocatesBinariesForEveryCellarUnlessNewSkipRelocation() {
        let decide = { (cellar: CellarKind, tab: BottleTab?) in
            RelocationPlan.decide(cellar: cellar, tab: tab, linux: true, customBottleDomain: false, package: "x")
        }
        XCTAssertTrue(decide(.any, tab("5.2.0")).binaries)
        XCTAssertTrue(decide(.pinned("/home/linuxbrew/.linuxbrew/Cellar"), tab("5.2.0")).binaries, "pinned included")
        XCTAssertTrue(decide(.anySkipRelocation, tab("5.1.14")).binaries)
        XCTAssertTrue(decide(.anySkipRelocation, tab("5.1.9")).binaries)
        XCTAssertTrue(decide(.anySkipRelocation, tab(nil)).binaries, "a tab without homebrew_version")
        XCTAssertTrue(decide(.anySkipRelocation, nil).binaries, "no tab at all")
        XCTAssertFalse(decide(.anySkipRelocation, tab("5.1.15")).binaries)
        XCTAssertFalse(decide(.anySkipRelocation, tab("6.0.0")).binaries)
        XCTAssertEqual(decide(.any, tab("5.2.0", changed: ["a", "b"])).textFiles, ["a", "b"])
        XCTAssertNil(decide(.any, tab("5.2.0", changed: nil)).textFiles, "nil: every text file")
        XCTAssertNil(decide(.any, tab("5.2.0")).warning)
        XCTAssertFalse(RelocationPlan.decide(cellar: .any, tab: nil, linux: false, customBottleDomain: false,
                                             package: "x").binaries, "pour patches no Mach-O")
    }

    func testCustomBottleDomainWithoutChangedFilesRelocatesFullyAndWarns() {
        let plan = RelocationPlan.decide(cellar: .anySkipRelocation, tab: tab("5.2.0", changed: nil), linux: true,
                                         customBottleDomain: true, package: "jq")
        XCTAssertTrue(plan.binaries)
        XCTAssertNil(plan.textFiles)
        XCTAssertTrue(plan.warning?.hasPrefix("jq: ") == true)
        let listed = RelocationPlan.decide(cellar: .anySkipRelocation, tab: tab("5.2.0"), linux: true,
                                           customBottleDomain: true, package: "jq")
        XCTAssertFalse(listed.binaries)
        XCTAssertNil(listed.warning)
        var endpoints = DownloadEndpoints()
        XCTAssertFalse(endpoints.bottleDomainIsCustom)
        endpoints.bottleDomain = DownloadEndpoints.defaultBottleDomain
        XCTAssertFalse(endpoints.bottleDomainIsCustom)
        endpoints.bottleDomain = "https://mirror.example/bottles"
        XCTAssertTrue(endpoints.bottleDomainIsCustom)
    }

    // extend/os/linux/keg_relocate.rb#change_rpath!
    func testGCCRunpathBecomesCurrentExceptInGCCsOwnKeg() {
        let placeholders = Placeholders(layout: PrefixLayout(prefix: "/opt/hb", cache: "/tmp/hb-cache"))
        let old = "@@HOMEBREW_PREFIX@@/lib/gcc/12:@@HOMEBREW_PREFIX@@/opt/gcc/lib/gcc/13:@@HOMEBREW_PREFIX@@/lib/gcc/12/x"
        XCTAssertEqual(ElfRelocationRules.searchPath(old, placeholders: placeholders, prefix: "/opt/hb", kegName: "zstd"),
                       "/opt/hb/lib/gcc/current:/opt/hb/opt/gcc/lib/gcc/current:/opt/hb/lib/gcc/12/x:/opt/hb/lib")
        XCTAssertEqual(ElfRelocationRules.searchPath(old, placeholders: placeholders, prefix: "/opt/hb", kegName: "gcc@12"),
                       "/opt/hb/lib/gcc/12:/opt/hb/opt/gcc/lib/gcc/13:/opt/hb/lib/gcc/12/x:/opt/hb/lib")
        XCTAssertEqual(ElfRelocationRules.currentGCC("/x/lib/gcc/current"), "/x/lib/gcc/current")
        XCTAssertEqual(ElfRelocationRules.currentGCC("/x/lib/gcc/"), "/x/lib/gcc/")
        XCTAssertTrue(ElfRelocationRules.isGlibc(kegName: "glibc@2.35"))
        XCTAssertFalse(ElfRelocationRules.isGlibc(kegName: "glibc-extra"))
    }

    // utils/bottles.rb#load_tab: the published tab first, else the bottle's receipt.
    func testBottleTabPrefersTheManifestForThisSystem() throws {
        let directory = NSTemporaryDirectory() + "tab-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let receipt = directory + "/INSTALL_RECEIPT.json"
        try Data(#"{"homebrew_version":"4.0.0","changed_files":["a"],"built_on":{"os":"Linux"}}"#.utf8)
            .write(to: URL(fileURLWithPath: receipt))
        let manifest = #"{"homebrew_version":"5.2.0","changed_files":["b"],"built_on":{"os":"Linux"}}"#
        XCTAssertEqual(BottleTab.load(manifestTab: manifest, receiptPath: receipt)?.homebrewVersion, "5.2.0")
        XCTAssertEqual(BottleTab.load(manifestTab: nil, receiptPath: receipt)?.changedFiles, ["a"])
        XCTAssertEqual(BottleTab.load(manifestTab: "not json", receiptPath: receipt)?.homebrewVersion, "4.0.0")
        // load_tab uses the published tab even when built_on names another system.
        let foreign = #"{"homebrew_version":"5.2.0","built_on":{"os":"Macintosh"}}"#
        XCTAssertEqual(BottleTab.load(manifestTab: foreign, receiptPath: receipt)?.homebrewVersion, "5.2.0")
        XCTAssertNil(BottleTab.load(manifestTab: nil, receiptPath: nil))
        XCTAssertNil(BottleTab.load(manifestTab: nil, receiptPath: directory + "/missing"))
    }
}
