import Foundation
import PourCore
import PourTestSupport
import XCTest

/// `pour fetch` and `pour install --dry-run` through the real binary against the local registry.
final class FetchDryRunTests: XCTestCase {
    private func recipe(libVersion: String = "1.0") -> RegistryRecipe {
        .custom([
            FormulaSpec(name: "lib", version: libVersion, targetCompressedSize: 40_000),
            FormulaSpec(name: "tool", version: "1.0", dependencies: ["lib"], targetCompressedSize: 60_000),
            FormulaSpec(name: "kegonly", version: "2.0", kegOnly: true, kegOnlyReason: ":versioned_formula",
                        targetCompressedSize: 30_000),
        ])
    }

    private func bottlePath(_ fixture: RegistryFixture, _ name: String) -> String? {
        let downloads = fixture.cache + "/downloads"
        return (try? FileManager.default.contentsOfDirectory(atPath: downloads))?
            .first { $0.contains("--\(name)--") && $0.hasSuffix(".tar.gz") }
            .map { downloads + "/" + $0 }
    }

    func testFetchVerifiesBottlesIntoTheCacheAndLeavesThePrefixAlone() throws {
        let fixture = try RegistryFixture(recipe: recipe())
        let first = try fixture.pour(["fetch", "tool"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let toolPath = try XCTUnwrap(bottlePath(fixture, "tool"))
        XCTAssertEqual(first.lines, ["tool 1.0 downloaded \(toolPath)"])
        XCTAssertEqual(fileSHA256(toolPath), fixture.sha256(of: "tool"))
        XCTAssertNil(bottlePath(fixture, "lib"), "without --deps only the named bottle is fetched")
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.prefix), "fetch creates no prefix")

        let deps = try fixture.pour(["fetch", "tool", "--deps"])
        XCTAssertEqual(deps.status, 0, deps.stderr)
        let libPath = try XCTUnwrap(bottlePath(fixture, "lib"))
        XCTAssertEqual(Set(deps.lines), ["lib 1.0 downloaded \(libPath)", "tool 1.0 cached \(toolPath)"])
        XCTAssertEqual(fileSHA256(libPath), fixture.sha256(of: "lib"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.prefix))
        XCTAssertFalse(tree(fixture.cache + "/downloads").contains { $0.hasSuffix(".incomplete") })

        // The install that follows takes both bottles from the cache.
        let install = try fixture.pour(["install", "tool", "--json"])
        XCTAssertEqual(install.status, 0, install.stderr)
        let finished = install.lines.filter { $0.contains("\"download_finished\"") }
        XCTAssertEqual(finished.count, 2)
        XCTAssertTrue(finished.allSatisfy { $0.contains("\"from_cache\":true") }, "\(finished)")
    }

    func testFetchFailsWhenABottleDoesNotVerify() throws {
        let fixture = try RegistryFixture(recipe: recipe())
        // Corrupt the served blob (same length, different bytes).
        let blob = fixture.registry.appendingPathComponent("blobs/sha256:\(fixture.sha256(of: "lib"))").path
        var data = try XCTUnwrap(FileManager.default.contents(atPath: blob))
        data[data.count / 2] ^= 0xFF
        try FileManager.default.removeItem(atPath: blob)  // the flat bottle name is a hard link to it
        try data.write(to: URL(fileURLWithPath: blob))

        let run = try fixture.pour(["fetch", "tool", "--deps"])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.lines.contains { $0.hasPrefix("lib 1.0 failed ") }, run.stdout)
        XCTAssertTrue(run.lines.contains { $0.hasPrefix("tool 1.0 downloaded ") }, run.stdout)
        XCTAssertNil(bottlePath(fixture, "lib"), "a bottle that does not verify never gets its final name")
        XCTAssertEqual(try fixture.pour(["fetch", "no-such-formula"]).status, 1)
    }

    func testCancelledFetchLeavesNoPartialFileAndCompletesOnce() throws {
        let fixture = try RegistryFixture(recipe: recipe())
        fixture.server.faults.add(.trickle(bytesPerSecond: 20_000), for: .sha256(fixture.sha256(of: "tool")), times: nil)
        let queue = DispatchQueue(label: "test.fetch")
        let handleBox = Locked<InstallHandle?>(nil)
        let completions = Locked(0)
        let outcome = Locked<Result<BottleFetchReport, InstallError>?>(nil)
        let done = expectation(description: "completion")
        queue.sync {
            let handle = Installer(configuration: fixture.configuration()).fetch(
                ["tool"], includeDependencies: true, callbackQueue: queue,
                events: { event in
                    if case .downloadProgress("tool", let received, _) = event, received > 0 { handleBox.current?.cancel() }
                },
                completion: { result in
                    completions.withLock { $0 += 1 }
                    outcome.withLock { $0 = result }
                    done.fulfill()
                })
            handleBox.withLock { $0 = handle }
        }
        wait(for: [done], timeout: 120)
        guard case .failure(.cancelled)? = outcome.current else { return XCTFail("\(String(describing: outcome.current))") }
        XCTAssertNil(bottlePath(fixture, "tool"))
        XCTAssertEqual(tree(fixture.cache + "/downloads").filter { $0.hasSuffix(".incomplete") }, [], "partial files removed")
        handleBox.current?.cancel()
        XCTAssertEqual(completions.current, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.prefix))
    }

    func testDryRunPrintsThePlanAndChangesNothing() throws {
        let fixture = try RegistryFixture(recipe: recipe())
        // Nothing exists yet: a dry run must not create the prefix or the cache.
        let cold = try fixture.pour(["install", "tool", "kegonly", "--dry-run", "--json"])
        XCTAssertEqual(cold.status, 0, cold.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.prefix), "no prefix")
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.cache), "no cache")
        let coldPlan = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(cold.stdout.utf8)) as? [String: Any])
        let packages = try XCTUnwrap(coldPlan["install"] as? [[String: Any]])
        XCTAssertEqual(packages.map { $0["name"] as? String }, ["lib", "tool", "kegonly"])
        for package in packages {
            let name = try XCTUnwrap(package["name"] as? String)
            XCTAssertEqual(package["bottle_size"] as? Int, fixture.manifest.formulae[name]?.size, name)
            XCTAssertEqual(package["cached"] as? Bool, false)
        }
        XCTAssertEqual(packages.map { $0["would_link"] as? Bool }, [true, true, false])
        XCTAssertEqual(packages.map { $0["requested"] as? Bool }, [false, true, true])

        // With lib installed and tool's bottle cached: the plan says so, and nothing changes.
        XCTAssertEqual(try fixture.pour(["install", "lib", "--quiet"]).status, 0)
        XCTAssertEqual(try fixture.pour(["fetch", "tool"]).status, 0)
        let before = (snapshot(fixture.prefix), snapshot(fixture.cache))
        let warm = try fixture.pour(["install", "tool", "--dry-run"])
        XCTAssertEqual(warm.status, 0, warm.stderr)
        let size = humanBytes(fixture.manifest.formulae["tool"]?.size ?? 0)
        let unpacked = humanBytes(fixture.manifest.formulae["tool"]?.installedSize ?? 0)
        XCTAssertEqual(warm.lines, ["==> Would install 1 package (0 B to download)",
                                    "tool 1.0: requested, bottle \(size), \(unpacked) installed, cached, would link",
                                    "==> Already installed: lib 1.0"], warm.stdout)
        XCTAssertEqual(snapshot(fixture.prefix), before.0, "prefix unchanged")
        XCTAssertEqual(snapshot(fixture.cache), before.1, "cache unchanged")
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.prefix + "/Cellar/tool"))

        // A new version upstream: with a stale index the plan reads the API (as the install would
        // after refreshing) and shows the upgrade, still writing nothing.
        _ = try RegistryGenerator(recipe: recipe(libVersion: "1.1")).generate(into: fixture.registry)
        let before2 = (snapshot(fixture.prefix), snapshot(fixture.cache))
        let upgrade = try fixture.pour(["install", "tool", "--dry-run"], extraEnvironment: ["HOMEBREW_API_AUTO_UPDATE_SECS": "0"])
        XCTAssertEqual(upgrade.status, 0, upgrade.stderr)
        XCTAssertTrue(upgrade.lines.contains { $0.hasPrefix("lib 1.1: dependency, upgrades 1.0, bottle ") }, upgrade.stdout)
        XCTAssertEqual(snapshot(fixture.prefix), before2.0)
        XCTAssertEqual(snapshot(fixture.cache), before2.1)

        // --no-link shows in the plan; an unknown name fails like the install would.
        let noLink = try fixture.pour(["install", "tool", "--dry-run", "--no-link"])
        XCTAssertTrue(noLink.lines.contains { $0.hasPrefix("tool 1.0:") && $0.hasSuffix("not linked") }, noLink.stdout)
        let unknown = try fixture.pour(["install", "nope", "--dry-run"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertEqual(snapshot(fixture.prefix), before.0)
        XCTAssertEqual(snapshot(fixture.cache), before2.1)
    }
}

/// The CLI's byte formatting (`ProgressText.bytes`), for expected output.
private func humanBytes(_ count: Int) -> String {
    let value = Double(count)
    if value >= 1_048_576 { return String(format: "%.1f MB", value / 1_048_576) }
    if value >= 1024 { return String(format: "%.0f KB", value / 1024) }
    return "\(count) B"
}
