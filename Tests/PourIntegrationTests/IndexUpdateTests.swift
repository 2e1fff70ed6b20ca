import Foundation
import PourCore
import PourTestSupport
import XCTest

/// `pour update` over HTTP and file://: conditional requests, atomic rebuilds, variations.
final class IndexUpdateTests: XCTestCase {
    func testSecondUpdateIsA304AndLeavesTheIndexUntouched() throws {
        let fixture = try IndexFixture()
        guard case .success(.rebuilt(let path, let count, _, let signed, _)) = runUpdate(fixture.configuration()) else {
            return XCTFail("first update failed")
        }
        XCTAssertEqual(count, 300)
        XCTAssertTrue(signed)
        let before = try FileManager.default.attributesOfItem(atPath: path)
        let inode = before[.systemFileNumber] as? UInt64
        let modified = before[.modificationDate] as? Date
        fixture.server.log.reset()

        XCTAssertEqual(try runUpdate(fixture.configuration()).get(), .notModified(indexPath: path))
        let requests = fixture.settledEntries()
        XCTAssertEqual(requests.map(\.path), ["/api/formula.jws.json"])
        XCTAssertEqual(requests.first?.status, 304)
        XCTAssertEqual(requests.first?.bytesSent, 0)
        XCTAssertNotNil(requests.first?.headers["if-none-match"])
        let after = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual(after[.systemFileNumber] as? UInt64, inode, "a 304 must not rewrite the index")
        XCTAssertEqual(after[.modificationDate] as? Date, modified)

        // --force ignores the validators and rebuilds (a new file, atomically renamed in).
        fixture.server.log.reset()
        guard case .success(.rebuilt) = runUpdate(fixture.configuration(), force: true) else { return XCTFail("force failed") }
        XCTAssertEqual(fixture.settledEntries().first?.status, 200)
        XCTAssertNil(fixture.settledEntries().first?.headers["if-none-match"])
    }

    func testChangedCatalogueIsFetchedAgain() throws {
        let fixture = try IndexFixture(count: 60)
        _ = try runUpdate(fixture.configuration()).get()
        let smaller = try CatalogueSigner.envelope(payload: CatalogueGenerator(count: 50).formulaJSON(), key: fixture.key)
        try fixture.serveSigned(smaller)
        guard case .success(.rebuilt(_, let count, _, _, _)) = runUpdate(fixture.configuration()) else {
            return XCTFail("update after a change failed")
        }
        XCTAssertEqual(count, 50)
        XCTAssertEqual(try fixture.index().count, 50)
    }

    func testLocalFileDomainNeedsNoServerAndDetectsNoChange() throws {
        let fixture = try IndexFixture(count: 60)
        let configuration = fixture.configuration(apiDomain: "file://" + fixture.api.path)
        guard case .success(.rebuilt(_, 60, 0, true, let source)) = runUpdate(configuration) else {
            return XCTFail("file:// update failed")
        }
        XCTAssertTrue(source.hasPrefix("file://"))
        XCTAssertEqual(try runUpdate(configuration).get(), .notModified(indexPath: fixture.indexPath()))
        XCTAssertEqual(fixture.server.log.requestCount, 0)
    }

    func testVariationsDifferBetweenLinuxTags() throws {
        let fixture = try IndexFixture(count: 60)
        for tag in ["x86_64_linux", "arm64_linux", "arm64_sequoia"] {
            _ = try runUpdate(fixture.configuration(tag: tag)).get()
        }
        let x86 = try XCTUnwrap(try fixture.index(tag: "x86_64_linux").formula(named: "wget"))
        let arm = try XCTUnwrap(try fixture.index(tag: "arm64_linux").formula(named: "wget"))
        let mac = try XCTUnwrap(try fixture.index(tag: "arm64_sequoia").formula(named: "wget"))
        XCTAssertEqual(x86.dependencies, ["libidn2", "openssl@3", "zlib"])
        XCTAssertEqual(arm.dependencies, ["libidn2", "openssl@3", "zlib", "util-linux"])
        XCTAssertEqual(mac.dependencies, ["libidn2", "openssl@3"])
        XCTAssertEqual(x86.bottle?.tag.rawValue, "x86_64_linux")
        XCTAssertEqual(arm.bottle?.tag.rawValue, "arm64_linux")
        XCTAssertNotEqual(x86.bottle?.sha256, arm.bottle?.sha256)
        XCTAssertTrue(try fixture.index(tag: "arm64_linux").dependents(of: "util-linux", kinds: [.runtime]).contains("wget"))
        XCTAssertFalse(try fixture.index(tag: "x86_64_linux").dependents(of: "util-linux", kinds: [.runtime]).contains("wget"))
        // uses_from_macos is a runtime dependency on Linux only.
        XCTAssertEqual(try fixture.index(tag: "x86_64_linux").formula(named: "sqlite")?.dependencies, ["zlib"])
        XCTAssertEqual(try fixture.index(tag: "arm64_sequoia").formula(named: "sqlite")?.dependencies, [])
    }

    func testKegOnlyMacOSReasonsDoNotApplyOnLinux() throws {
        let fixture = try IndexFixture(count: 60)
        _ = try runUpdate(fixture.configuration(tag: "x86_64_linux")).get()
        _ = try runUpdate(fixture.configuration(tag: "arm64_sequoia")).get()
        let linux = try fixture.index(tag: "x86_64_linux")
        let mac = try fixture.index(tag: "arm64_sequoia")
        XCTAssertEqual(try linux.formula(named: "curl")?.kegOnly, false, ":provided_by_macos is moot on Linux")
        XCTAssertEqual(try mac.formula(named: "curl")?.kegOnly, true)
        XCTAssertEqual(try linux.formula(named: "openssl@1.1")?.kegOnly, true, ":versioned_formula holds everywhere")
        XCTAssertEqual(try linux.formula(named: "openssl@1.1")?.kegOnlyReason, ":versioned_formula")
    }
}
