import Foundation
import XCTest
@testable import PourCore

final class FormulaSpecializerTests: XCTestCase {
    typealias F = FormulaFixtures

    func testBottleSelectionFollowsTheFallbackChain() throws {
        let linux = try F.formula(F.openssl3, "x86_64_linux")
        XCTAssertEqual(linux.bottle?.tag, BottleTag("x86_64_linux"))
        XCTAssertEqual(linux.bottle?.cellar, .pinned("/home/linuxbrew/.linuxbrew/Cellar"))
        XCTAssertEqual(linux.bottle?.sha256, F.sha("b"))
        XCTAssertEqual(linux.bottle?.url, F.blob("openssl/3", "b"))
        XCTAssertEqual(linux.bottle?.rootURL, "https://ghcr.io/v2/homebrew/core")

        let sequoia = try F.formula(F.openssl3, "arm64_sequoia")
        XCTAssertEqual(sequoia.bottle?.tag, BottleTag("arm64_sonoma"), "older macOS of the same arch first")
        XCTAssertEqual(sequoia.bottle?.cellar, .any)

        XCTAssertEqual(try F.formula(F.openssl3, "arm64_linux").bottle?.tag, BottleTag("all"))
        XCTAssertEqual(try F.formula(F.openssl3, "sonoma").bottle?.tag, BottleTag("all"), "no cross-arch fallback")
        XCTAssertEqual(try F.formula(F.caCertificates, "x86_64_linux").bottle?.cellar, .anySkipRelocation)
        XCTAssertNil(try F.formula(F.hello, "x86_64_linux").bottle)
    }

    func testLinuxVariationAddsDependenciesAndReplacesTheBottle() throws {
        let linux = try F.formula(F.curl, "x86_64_linux")
        XCTAssertEqual(linux.dependencies, ["libnghttp2", "libssh2", "openssl@3", "zstd", "krb5", "zlib"],
                       "variation list (de-duplicated) then runtime uses_from_macos")
        XCTAssertEqual(linux.buildDependencies, ["pkgconf", "python", "m4"])
        XCTAssertEqual(linux.testDependencies, ["python"])
        XCTAssertEqual(linux.bottle?.rebuild, 1)
        XCTAssertEqual(linux.bottle?.sha256, F.sha("2"))
        XCTAssertFalse(linux.kegOnly, ":provided_by_macos does not hold on Linux")
        XCTAssertNil(linux.kegOnlyReason)

        let armLinux = try F.formula(F.curl, "arm64_linux")
        XCTAssertEqual(armLinux.dependencies, ["libnghttp2", "openssl@3", "brotli", "krb5", "zlib"])
        XCTAssertNil(armLinux.bottle, "the top-level bottle has only an arm64_sequoia file")

        let mac = try F.formula(F.curl, "arm64_sequoia")
        XCTAssertEqual(mac.dependencies, ["libnghttp2", "openssl@3"], "uses_from_macos is the system's on macOS")
        XCTAssertEqual(mac.buildDependencies, ["pkgconf"])
        XCTAssertTrue(mac.kegOnly)
        XCTAssertEqual(mac.bottle?.tag, BottleTag("arm64_sequoia"))
    }

    func testUsesFromMacOSSinceBoundAppliesOnOlderMacOS() throws {
        XCTAssertEqual(try F.formula(F.curl, "mojave").dependencies, ["libnghttp2", "openssl@3", "zlib"],
                       "zlib appeared in macOS with catalina")
        XCTAssertEqual(try F.formula(F.curl, "catalina").dependencies, ["libnghttp2", "openssl@3"])
    }

    func testProvidedByMacOSIsKegOnlyOnlyOnMacOS() throws {
        XCTAssertFalse(try F.formula(F.zlib, "x86_64_linux").kegOnly)
        let mac = try F.formula(F.zlib, "arm64_sonoma")
        XCTAssertTrue(mac.kegOnly)
        XCTAssertEqual(mac.kegOnlyReason, ":provided_by_macos")
    }

    func testVersionedFormulaIsKegOnlyEverywhere() throws {
        let node = try F.formula(F.node20, "x86_64_linux")
        XCTAssertTrue(node.kegOnly)
        XCTAssertEqual(node.kegOnlyReason, ":versioned_formula")
        XCTAssertEqual(node.dependencies, ["brotli", "icu4c@77", "libnghttp2", "openssl@3", "python", "zlib"])
    }

    func testNamesAliasesAndOldnames() throws {
        let gnupg = try F.formula(F.gnupg, "x86_64_linux")
        XCTAssertEqual(gnupg.aliases, ["gpg", "gnupg@2.4"])
        XCTAssertEqual(gnupg.oldnames, ["gnupg2"])
        XCTAssertEqual(gnupg.fullName, "gnupg")
        XCTAssertEqual(gnupg.tap, "homebrew/core")
        XCTAssertEqual(try F.formula(F.eza, "x86_64_linux").oldnames, ["exa"], "legacy oldname string")
    }

    func testLegacyDocumentsLetUsesFromMacOSDecideTheDependencyKind() throws {
        let linux = try F.formula(F.eza, "x86_64_linux")
        XCTAssertEqual(linux.dependencies, ["libgit2"], "zlib is a build-only uses_from_macos entry")
        XCTAssertEqual(linux.buildDependencies, ["rust", "zlib"])
        XCTAssertEqual(try F.formula(F.eza, "arm64_sonoma").dependencies, ["libgit2", "zlib"])
    }

    func testRevisionAndPinnedCellar() throws {
        let make = try F.formula(F.make, "x86_64_linux")
        XCTAssertEqual(make.version, "4.4")
        XCTAssertEqual(make.revision, 2)
        XCTAssertEqual(make.pkgVersion, "4.4_2")
        XCTAssertEqual(make.bottle?.cellar, .pinned("/home/linuxbrew/.linuxbrew/Cellar"))
    }

    func testVariationOverridesKeysItCarriesEvenWithNull() throws {
        let linux = try F.formula(F.openssl3, "x86_64_linux")
        XCTAssertNil(linux.caveats, "variation sets caveats to null")
        XCTAssertNotNil(try F.formula(F.openssl3, "arm64_sonoma").caveats)

        let text = """
        {"name": "x", "versions": {"stable": "1"}, "keg_only": true,
         "keg_only_reason": {"reason": ":shadowed_by_macos", "explanation": "macOS has x"},
         "variations": {"x86_64_linux": {"versions": {"stable": "2"}, "revision": 1}}}
        """
        let formula = try F.formula(text, "x86_64_linux")
        XCTAssertEqual(formula.pkgVersion, "2_1")
        XCTAssertFalse(formula.kegOnly)
        XCTAssertTrue(try F.formula(text, "ventura").kegOnly)
    }

    func testMissingCellarUsesTheTagsDefaultCellarAndMissingURLIsBuilt() throws {
        let text = """
        {"name": "libxml++", "versions": {"stable": "5.4.0"},
         "bottle": {"stable": {"rebuild": 2, "files": {"x86_64_linux": {"sha256": "\(F.sha("A"))"}}}}}
        """
        let bottle = try XCTUnwrap(try F.formula(text, "x86_64_linux").bottle)
        XCTAssertEqual(bottle.cellar, .pinned("/home/linuxbrew/.linuxbrew/Cellar"))
        XCTAssertEqual(bottle.sha256, F.sha("a"), "checksums are lower-cased")
        XCTAssertEqual(bottle.url, "https://ghcr.io/v2/homebrew/core/libxmlxx/blobs/sha256:\(F.sha("a"))")
        XCTAssertEqual(bottle.rebuild, 2)
    }

    func testMissingEssentialFieldsNameTheFormula() {
        XCTAssertThrowsError(try F.formula(#"{"name": "broken", "versions": {"head": "HEAD"}}"#, "x86_64_linux")) {
            XCTAssertEqual($0 as? RegistryError, .missingField(formula: "broken", field: "versions.stable"))
            XCTAssertTrue(String(describing: $0).contains("'broken'"))
        }
        XCTAssertThrowsError(try F.formula(#"{"full_name": "me/tap/ghost", "versions": {"stable": "1"}}"#, "x86_64_linux")) {
            XCTAssertEqual($0 as? RegistryError, .missingField(formula: "me/tap/ghost", field: "name"))
        }
    }
}
