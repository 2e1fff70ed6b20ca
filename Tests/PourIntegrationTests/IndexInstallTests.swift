import Foundation
import PourCore
import PourTestSupport
import XCTest

/// `pour install` resolves from the index: one catalogue request instead of one per formula,
/// and none at all while the index is fresh.
final class IndexInstallTests: XCTestCase {
    func testInstallBuildsTheIndexOnceAndMakesNoPerFormulaRequests() throws {
        let fixture = try RegistryFixture(recipe: .sample())
        let first = install(["wget"], configuration: fixture.configuration())
        XCTAssertEqual(first.report?.succeeded, true, "\(first.result)")
        let apiPaths = fixture.server.log.entries.map(\.path).filter { $0.hasPrefix("/api/") }
        XCTAssertEqual(apiPaths, ["/api/formula.jws.json", "/api/formula.json"],
                       "no signed catalogue on this registry: the loopback formula.json is used, and nothing per formula")
        XCTAssertTrue(FileManager.default.fileExists(
            atPath: IndexSettings.indexPath(layout: fixture.configuration().layout, tag: fixture.configuration().bottleTag)))

        fixture.server.log.reset()
        let second = install(["curl"], configuration: fixture.configuration())
        XCTAssertEqual(second.report?.succeeded, true, "\(second.result)")
        XCTAssertEqual(fixture.server.log.entries.filter { $0.path.hasPrefix("/api/") }.count, 0,
                       "a fresh index answers without the API")
    }

    func testAliasInstallAndUnknownNameSuggestionsFromTheIndex() throws {
        let fixture = try RegistryFixture(recipe: .sample())
        let unknown = install(["wgett"], configuration: fixture.configuration())
        XCTAssertNil(unknown.report?.succeeded == true ? true : nil)
        XCTAssertTrue("\(unknown.result)".contains("wget"), "\(unknown.result)")
        XCTAssertFalse(fixture.server.log.entries.contains { $0.path.hasPrefix("/api/formula/") })
    }

    func testWithoutAutoUpdateAndWithoutIndexThePerFormulaPathStillWorks() throws {
        let fixture = try RegistryFixture(recipe: .sample())
        var configuration = fixture.configuration()
        configuration.index.autoUpdate = false
        XCTAssertEqual(install(["wget"], configuration: configuration).report?.succeeded, true)
        XCTAssertTrue(fixture.server.log.entries.contains { $0.path == "/api/formula/wget.json" })
        XCTAssertFalse(fixture.server.log.entries.contains { $0.path == "/api/formula.json" })
    }
}
