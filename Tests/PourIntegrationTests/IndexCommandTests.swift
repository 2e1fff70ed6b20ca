import Foundation
import PourCore
import PourTestSupport
import XCTest

/// The real `pour update/search/info/deps/uses` binaries against a served catalogue.
final class IndexCommandTests: XCTestCase {
    private func run(_ arguments: [String], fixture: IndexFixture, extra: [String: String] = [:]) throws -> (Int32, [String]) {
        let environment = [
            "HOMEBREW_API_DOMAIN": fixture.server.registryBaseURL + "/api",
            "POUR_API_PUBLIC_KEY": fixture.publicKeyPath,
            "POUR_BOTTLE_TAG": "x86_64_linux",
        ].merging(extra) { $1 }
        let prefix = fixture.root.appendingPathComponent("prefix").path
        let process = try PourProcess(arguments: arguments + ["--prefix", prefix, "--cache", fixture.cache],
                                      environment: environment)
        let status = process.waitForExit()
        process.waitForLine { _ in false }  // drain the reader thread
        return (status, process.output)
    }

    func testCommandsResolveAliasesAndOldNames() throws {
        let fixture = try IndexFixture(count: 200)
        let (updateStatus, updateOutput) = try run(["update"], fixture: fixture)
        XCTAssertEqual(updateStatus, 0, "\(updateOutput)")
        XCTAssertTrue(updateOutput.first?.contains("signature verified") == true, "\(updateOutput)")
        XCTAssertEqual(try run(["update"], fixture: fixture).1.first?.hasPrefix("Already up-to-date"), true)

        let (_, search) = try run(["search", "--json", "wget"], fixture: fixture)
        let hits = try JSONSerialization.jsonObject(with: Data(search.joined(separator: "\n").utf8)) as? [[String: Any]]
        XCTAssertEqual(hits?.first?["name"] as? String, "wget")
        XCTAssertEqual(hits?.first?["match"] as? String, "exact")

        let (_, info) = try run(["info", "--json", "pkg-config-legacy"], fixture: fixture)
        let object = try JSONSerialization.jsonObject(with: Data(info.joined(separator: "\n").utf8)) as? [String: Any]
        XCTAssertEqual(object?["name"] as? String, "pkgconf")
        XCTAssertEqual((object?["bottle"] as? [String: Any])?["tag"] as? String, "x86_64_linux")
        XCTAssertEqual((object?["installed"] as? [Any])?.count, 0)

        let (_, deps) = try run(["deps", "python"], fixture: fixture)
        XCTAssertEqual(deps, ["ca-certificates", "openssl@3", "pkgconf", "sqlite", "zlib"])
        let (_, tree) = try run(["deps", "--tree", "python3"], fixture: fixture)
        XCTAssertEqual(tree.first, "python@3.13")
        XCTAssertTrue(tree.contains("│   └── ca-certificates"), "\(tree)")

        let (_, uses) = try run(["uses", "openssl"], fixture: fixture)
        XCTAssertTrue(uses.contains("wget") && uses.contains("python@3.13"), "\(uses)")
        let (_, installedUses) = try run(["uses", "--installed", "openssl"], fixture: fixture)
        XCTAssertEqual(installedUses, [])

        let (unknownStatus, _) = try run(["info", "wegt"], fixture: fixture)
        XCTAssertEqual(unknownStatus, 1)
    }

    func testReadCommandsWithoutIndexAndWithoutAutoUpdateFail() throws {
        let fixture = try IndexFixture(count: 20)
        let (status, _) = try run(["search", "wget"], fixture: fixture, extra: ["POUR_NO_AUTO_UPDATE": "1"])
        XCTAssertEqual(status, 1)
        XCTAssertEqual(fixture.server.log.requestCount, 0)
    }
}
