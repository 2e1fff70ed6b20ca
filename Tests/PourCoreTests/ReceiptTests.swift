import Foundation
import XCTest
@testable import PourCore

final class ReceiptTests: XCTestCase {
    var box: KegSandbox!
    override func setUpWithError() throws { box = try KegSandbox() }
    override func tearDown() { box.destroy() }

    private func json(_ data: Data) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testPouredReceiptRoundTripsAndHasOnlyBrewFields() throws {
        let formula = Formula(name: "wget", aliases: ["wget2-compat"], version: "1.24.5", revision: 1, versionScheme: 0)
        let deps = [InstallReceipt.Dependency(Formula(name: "openssl@3", version: "3.3.2"), declaredDirectly: true),
                    InstallReceipt.Dependency(Formula(name: "ca-certificates", version: "2024-09-24"), declaredDirectly: false)]
        let receipt = InstallReceipt.poured(formula: formula, installedOnRequest: true, runtimeDependencies: deps,
                                            changedFiles: ["etc/wgetrc"], layout: box.layout, time: 1_700_000_000)
        let keg = try box.keg("wget", "1.24.5_1", [:], receipt: false)
        try receipt.write(kegPath: keg, package: "wget")

        XCTAssertEqual(try InstallReceipt.read(kegPath: keg), receipt)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: keg), ["INSTALL_RECEIPT.json"])

        let object = try json(try Data(contentsOf: URL(fileURLWithPath: keg + "/INSTALL_RECEIPT.json")))
        XCTAssertEqual(Set(object.keys), [
            "homebrew_version", "used_options", "unused_options", "built_as_bottle", "poured_from_bottle",
            "loaded_from_api", "loaded_from_internal_api", "installed_as_dependency", "installed_on_request",
            "changed_files", "time", "source_modified_time", "compiler", "stdlib", "aliases", "runtime_dependencies",
            "source", "arch", "built_on",
        ])
        XCTAssertTrue(object["stdlib"] is NSNull)
        XCTAssertEqual(object["installed_on_request"] as? Bool, true)
        XCTAssertEqual(object["installed_as_dependency"] as? Bool, false)
        XCTAssertEqual(object["poured_from_bottle"] as? Bool, true)
        XCTAssertEqual(object["time"] as? Int, 1_700_000_000)
        let dep = try XCTUnwrap((object["runtime_dependencies"] as? [[String: Any]])?.first)
        XCTAssertEqual(dep["full_name"] as? String, "openssl@3")
        XCTAssertEqual(dep["pkg_version"] as? String, "3.3.2")
        XCTAssertEqual(dep["declared_directly"] as? Bool, true)
        let source = try XCTUnwrap(object["source"] as? [String: Any])
        XCTAssertEqual(source["spec"] as? String, "stable")
        XCTAssertEqual(source["tap"] as? String, "homebrew/core")
        XCTAssertEqual((source["versions"] as? [String: Any])?["stable"] as? String, "1.24.5")
        XCTAssertTrue((source["versions"] as? [String: Any])?["head"] is NSNull)
        XCTAssertEqual(source["path"] as? String,
                       box.layout.library + "/Taps/homebrew/homebrew-core/Formula/wget.rb")
    }

    func testReadsBrewWrittenReceiptWithExtraFields() throws {
        let text = """
        {
          "homebrew_version": "4.4.2",
          "used_options": [],
          "unused_options": [],
          "built_as_bottle": true,
          "poured_from_bottle": true,
          "loaded_from_api": true,
          "installed_as_dependency": false,
          "installed_on_request": true,
          "changed_files": ["lib/pkgconfig/libzstd.pc", "bin/zstdgrep"],
          "time": 1729000000,
          "source_modified_time": 1728500000,
          "compiler": "gcc-11",
          "aliases": [],
          "runtime_dependencies": [
            {"full_name": "lz4", "version": "1.10.0", "revision": 0, "bottle_rebuild": 0,
             "pkg_version": "1.10.0", "declared_directly": true, "uses_from_macos": false},
            {"full_name": "zlib", "version": "1.3.1", "revision": 0, "pkg_version": "1.3.1",
             "declared_directly": true, "uses_from_macos": true}
          ],
          "source": {"path": "/home/linuxbrew/.linuxbrew/Homebrew/Library/Taps/homebrew/homebrew-core/Formula/z/zstd.rb",
                     "tap": "homebrew/core", "tap_git_head": "9b1d1e4c", "spec": "stable",
                     "versions": {"stable": "1.5.6", "head": "HEAD", "version_scheme": 0, "compatibility_version": null}},
          "arch": "x86_64",
          "built_on": {"os": "Linux", "os_version": "Ubuntu 22.04.4 LTS", "cpu_family": "x86_64", "xcode": null,
                       "clt": null, "preferred_perl": "5.34", "glibc_version": "2.35", "oldest_cpu_family": "core2"}
        }
        """
        let keg = try box.keg("zstd", "1.5.6", [:], receipt: false)
        try box.write(keg + "/INSTALL_RECEIPT.json", text)
        let receipt = try XCTUnwrap(try InstallReceipt.read(kegPath: keg))
        XCTAssertTrue(receipt.installedOnRequest)
        XCTAssertTrue(receipt.pouredFromBottle)
        XCTAssertNil(receipt.stdlib)
        XCTAssertEqual(receipt.runtimeDependencies?.map(\.fullName), ["lz4", "zlib"])
        XCTAssertEqual(receipt.changedFiles?.count, 2)
        XCTAssertEqual(receipt.source.versions.stable, "1.5.6")
        XCTAssertEqual(receipt.source.tapGitHead, "9b1d1e4c")
        XCTAssertEqual(receipt.builtOn?.os, "Linux")
        XCTAssertEqual(Cellar(layout: box.layout).isInstalled(name: "zstd", pkgVersion: "1.5.6"), true)

        // Rewriting it (e.g. to mark it requested) keeps every field brew wrote.
        var updated = receipt
        updated.installedOnRequest = false
        try updated.write(kegPath: keg)
        let original = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary)
        let rewritten = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: keg + "/INSTALL_RECEIPT.json"))) as? NSDictionary)
        let expected = try XCTUnwrap(original.mutableCopy() as? NSMutableDictionary)
        expected["installed_on_request"] = false
        expected["stdlib"] = NSNull()  // pour writes the null brew leaves out; brew reads both
        XCTAssertEqual(rewritten, expected)
        XCTAssertEqual(try InstallReceipt.read(kegPath: keg)?.extra, [:])
        XCTAssertEqual(receipt.builtOn?.extra["glibc_version"], .string("2.35"))
        XCTAssertEqual(receipt.runtimeDependencies?.last?.extra["uses_from_macos"], .bool(true))
    }

    func testReadsOldBrewReceiptWithoutInstalledOnRequestAndWithNulls() throws {
        let text = """
        {"homebrew_version": "1.5.10", "used_options": ["--with-foo"], "unused_options": [],
         "built_as_bottle": true, "poured_from_bottle": true, "installed_as_dependency": true,
         "changed_files": null, "time": null, "source_modified_time": 0, "HEAD": null, "stdlib": null,
         "compiler": "clang", "runtime_dependencies": null,
         "source": {"path": "/usr/local/Homebrew/Library/Taps/homebrew/homebrew-core/Formula/jq.rb",
                    "tap": "homebrew/core", "spec": "stable", "versions": {"stable": "", "head": ""}}}
        """
        let keg = try box.keg("jq", "1.5", [:], receipt: false)
        try box.write(keg + "/INSTALL_RECEIPT.json", text)
        let receipt = try XCTUnwrap(try InstallReceipt.read(kegPath: keg))
        XCTAssertFalse(receipt.installedOnRequest)
        XCTAssertTrue(receipt.installedAsDependency)
        XCTAssertFalse(receipt.loadedFromAPI)
        XCTAssertNil(receipt.runtimeDependencies)
        XCTAssertNil(receipt.changedFiles)
        XCTAssertNil(receipt.time)
        XCTAssertNil(receipt.source.versions.stable, "brew reads empty-string versions as nil")
        XCTAssertEqual(receipt.usedOptions, ["--with-foo"])
        XCTAssertEqual(receipt.aliases, [])
    }

    func testMinimalAndEmptyObjectReceiptsRead() throws {
        let keg = try box.keg("a", "1", [:], receipt: false)
        try box.write(keg + "/INSTALL_RECEIPT.json", "{}")
        let receipt = try XCTUnwrap(try InstallReceipt.read(kegPath: keg))
        XCTAssertFalse(receipt.installedOnRequest)
        XCTAssertEqual(receipt.source.spec, "stable")
    }

    func testMissingReceiptIsNilAndGarbageIsAnError() throws {
        let keg = try box.keg("b", "1", [:], receipt: false)
        XCTAssertNil(try InstallReceipt.read(kegPath: keg))
        try box.write(keg + "/INSTALL_RECEIPT.json", "{not json")
        XCTAssertThrowsError(try InstallReceipt.read(kegPath: keg)) { error in
            guard case .receiptUnreadable(let path, _) = error as? KegError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, keg + "/INSTALL_RECEIPT.json")
        }
    }

    func testWriteReplacesExistingReceiptAtomically() throws {
        let keg = try box.keg("c", "2", [:])
        var receipt = InstallReceipt.poured(formula: Formula(name: "c", version: "2"), installedOnRequest: false,
                                            runtimeDependencies: [], changedFiles: [], layout: box.layout)
        try receipt.write(kegPath: keg)
        receipt.installedOnRequest = true
        try receipt.write(kegPath: keg)
        XCTAssertEqual(try InstallReceipt.read(kegPath: keg)?.installedOnRequest, true)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: keg), ["INSTALL_RECEIPT.json"])
    }
}

/// Receipts in the shapes of brew's `fixtures/receipt.json` (brew 1.1.6: options, `HEAD`,
/// `alias_path`, dependencies with only name and version) and `fixtures/receipt_old.json`
/// (`tapped_from`, no `homebrew_version`, no `source`), written here from scratch.
final class BrewReceiptShapeTests: XCTestCase {
    func testOneOneSixShapedReceipt() throws {
        let text = """
        {"homebrew_version": "1.1.6", "used_options": ["--with-foo"], "unused_options": ["--without-bar"],
         "built_as_bottle": false, "poured_from_bottle": true, "loaded_from_api": false, "loaded_from_internal_api": false,
         "installed_on_request": true, "changed_files": ["INSTALL_RECEIPT.json", "bin/tool"], "time": 1400000000,
         "source_modified_time": 1600000000, "HEAD": "feedfacefeedfacefeedfacefeedfacefeedface",
         "alias_path": "/usr/local/Library/Taps/homebrew/homebrew-core/Aliases/tool-alias", "stdlib": "libcxx",
         "compiler": "clang", "runtime_dependencies": [{"full_name": "dep", "version": "2.0"}],
         "source": {"path": "/usr/local/Library/Taps/homebrew/homebrew-core/Formula/tool.rb", "tap": "homebrew/core",
                    "spec": "stable", "versions": {"stable": "3.1", "head": "HEAD-1234567"}}}
        """
        let receipt = try JSONDecoder().decode(InstallReceipt.self, from: Data(text.utf8))
        XCTAssertEqual(receipt.homebrewVersion, "1.1.6")
        XCTAssertEqual(receipt.usedOptions, ["--with-foo"])
        XCTAssertEqual(receipt.loadedFromInternalAPI, false)
        XCTAssertEqual(receipt.changedFiles, ["INSTALL_RECEIPT.json", "bin/tool"])
        XCTAssertEqual(receipt.runtimeDependencies?.first?.fullName, "dep")
        XCTAssertEqual(receipt.runtimeDependencies?.first?.revision, 0)
        XCTAssertNil(receipt.runtimeDependencies?.first?.pkgVersion)
        XCTAssertEqual(receipt.source.versions.head, "HEAD-1234567")
        XCTAssertEqual(receipt.extra["HEAD"], .string("feedfacefeedfacefeedfacefeedfacefeedface"))
        XCTAssertNotNil(receipt.extra["alias_path"])
        // Through BottleTab, as a bottle's receipt: version and list are what relocation uses.
        let tab = try XCTUnwrap(BottleTab.parse(Data(text.utf8)))
        XCTAssertEqual(tab.homebrewVersion, "1.1.6")
        XCTAssertEqual(tab.changedFiles, ["INSTALL_RECEIPT.json", "bin/tool"])
        XCTAssertTrue(RelocationPlan.decide(cellar: .anySkipRelocation, tab: tab, linux: true, customBottleDomain: false,
                                            package: "tool").binaries, "1.1.6 < 5.1.15")
    }

    func testOldShapedReceipt() throws {
        let text = """
        {"used_options": [], "unused_options": ["--with-qux"], "built_as_bottle": false, "poured_from_bottle": true,
         "tapped_from": "Homebrew/homebrew", "time": 1300000000, "HEAD": "cafebabecafebabecafebabecafebabecafebabe",
         "stdlib": "libcxx", "compiler": "clang"}
        """
        let receipt = try JSONDecoder().decode(InstallReceipt.self, from: Data(text.utf8))
        XCTAssertNil(receipt.homebrewVersion)
        XCTAssertNil(receipt.loadedFromInternalAPI)
        XCTAssertFalse(receipt.installedOnRequest)
        XCTAssertNil(receipt.runtimeDependencies)
        XCTAssertNil(receipt.changedFiles)
        XCTAssertEqual(receipt.extra["tapped_from"], .string("Homebrew/homebrew"))
        let rewritten = try XCTUnwrap(JSONSerialization.jsonObject(with: try receipt.jsonData()) as? [String: Any])
        XCTAssertNil(rewritten["loaded_from_internal_api"], "an old receipt keeps its shape")
        XCTAssertEqual(rewritten["tapped_from"] as? String, "Homebrew/homebrew")
        let tab = try XCTUnwrap(BottleTab.parse(Data(text.utf8)))
        XCTAssertNil(tab.homebrewVersion)
        XCTAssertTrue(RelocationPlan.decide(cellar: .anySkipRelocation, tab: tab, linux: true, customBottleDomain: false,
                                            package: "old").binaries, "no version: not trusted")
    }
}
