import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Metadata off the critical path (issue 16): bottle downloads do not wait for OCI manifests, and
/// one dependency level's formula JSONs are fetched as widely as the metadata lane allows. Every
/// assertion reads the server's request log (who asked for what, and when the server saw it), so
/// nothing here depends on how fast the machine is; the server's response latency only makes the
/// overlaps wide enough to see. (With a fresh index no formula JSON is requested at all:
/// `IndexInstallTests.testInstallBuildsTheIndexOnceAndMakesNoPerFormulaRequests`.)
final class MetadataCriticalPathTests: XCTestCase {
    /// A static mirror without manifests answers 404. Before, every download waited until the last
    /// manifest had answered (or a second had passed); now the bottle requests go out beside the
    /// manifest requests, so the server sees a blob request before it has finished answering them.
    func testBottleRequestsDoNotWaitForManifestAnswers() throws {
        let names = (1...4).map { "leaf\($0)" }
        let fixture = try RegistryFixture(recipe: .custom(names.map { FormulaSpec(name: $0, targetCompressedSize: 64 * 1024) }),
                                          server: ServerConfiguration(latency: 0.3))
        fixture.server.faults.add(.status(404), for: .pathSuffix("/manifests/1.0.0"), times: nil, listener: .registry)
        var configuration = fixture.configuration()
        configuration.index.autoUpdate = false
        let run = install(names, configuration: configuration)
        XCTAssertEqual(run.report?.installed.count, names.count, "\(run.result)")
        for name in names {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(fixture.prefix)/Cellar/\(name)/1.0.0/INSTALL_RECEIPT.json"))
        }

        let entries = fixture.log.entries(on: .registry)
        let manifests = entries.filter { $0.path.contains("/manifests/") }
        let blobs = entries.filter { $0.path.contains("/blobs/") }
        XCTAssertEqual(manifests.count, names.count, "one manifest request per bottle")
        XCTAssertTrue(manifests.allSatisfy { $0.status == 404 })
        XCTAssertEqual(blobs.count, names.count)
        let lastManifestAnswered = try XCTUnwrap(manifests.map(\.end).max())
        let firstBlobRequested = try XCTUnwrap(blobs.map(\.start).min())
        XCTAssertLessThan(firstBlobRequested, lastManifestAnswered,
                          "the first bottle request must not wait for the manifests' (404) answers")
    }

    /// One level of 24 dependencies: their formula JSONs are all in flight together (the metadata
    /// lane is 32 wide), not 8 at a time as before (one lane slot per `--jobs`).
    func testOneDependencyLevelIsFetchedWiderThanTheBottleSlots() throws {
        let leaves = (1...24).map { String(format: "dep%02d", $0) }
        let specs = [FormulaSpec(name: "root", dependencies: leaves, targetCompressedSize: 8 * 1024)]
            + leaves.map { FormulaSpec(name: $0, targetCompressedSize: 8 * 1024) }
        let fixture = try RegistryFixture(recipe: .custom(specs), server: ServerConfiguration(latency: 0.2))
        var configuration = fixture.configuration(jobs: 8)
        configuration.index.autoUpdate = false
        let run = install(["root"], configuration: configuration)
        XCTAssertEqual(run.report?.installed.count, 25, "\(run.result)")

        let formulaRequests = fixture.log.entries(on: .registry).filter { $0.path.hasPrefix("/api/formula/") }
        XCTAssertEqual(formulaRequests.count, 25, "one JSON per formula, none twice")
        // The most formula requests the server was answering at one instant.
        let peak = formulaRequests.map { probe in
            formulaRequests.filter { $0.start <= probe.start && probe.start < $0.end }.count
        }.max() ?? 0
        XCTAssertGreaterThan(peak, configuration.jobs, "a dependency level must not be fetched \(configuration.jobs) at a time")
    }

    /// A chain root → mid → leaf, every answer 0.2 s late: the closure is known only after three
    /// formula-JSON rounds, but root's bottle is requested as soon as root's JSON has arrived —
    /// before leaf's JSON is even answered. The event stream still starts with `.planned`.
    func testBottleDownloadsStartWhileTheClosureIsStillResolving() throws {
        let specs = [FormulaSpec(name: "root", dependencies: ["mid"], targetCompressedSize: 8 * 1024),
                     FormulaSpec(name: "mid", dependencies: ["leaf"], targetCompressedSize: 8 * 1024),
                     FormulaSpec(name: "leaf", targetCompressedSize: 8 * 1024)]
        let fixture = try RegistryFixture(recipe: .custom(specs), server: ServerConfiguration(latency: 0.2))
        var configuration = fixture.configuration()
        configuration.index.autoUpdate = false
        let run = install(["root"], configuration: configuration)
        XCTAssertEqual(run.report?.installed.count, 3, "\(run.result)")

        let entries = fixture.log.entries(on: .registry)
        let leafJSON = try XCTUnwrap(entries.first { $0.path == "/api/formula/leaf.json" })
        let rootBlob = try XCTUnwrap(entries.first { $0.path.contains("/root/blobs/") })
        XCTAssertLessThan(rootBlob.start, leafJSON.end, "root's bottle must be requested before the closure is resolved")
        XCTAssertEqual(entries.filter { $0.path.contains("/blobs/") }.count, 3, "each bottle requested once (adopted, not restarted)")

        let planned = try XCTUnwrap(run.events.firstIndex { if case .planned = $0.event { return true }; return false })
        let firstDownloadEvent = run.events.firstIndex {
            switch $0.event {
            case .downloadStarted, .downloadProgress, .downloadFinished: return true
            default: return false
            }
        }
        XCTAssertLessThan(planned, try XCTUnwrap(firstDownloadEvent), "download events follow .planned")
    }

    /// The closure fails to resolve (leaf's JSON is never answered) while root's early download is
    /// still trickling in: the run fails, and the early download is stopped and leaves nothing —
    /// no `.incomplete`, no keg, no staging.
    func testAResolutionFailureStopsEarlyDownloadsAndLeavesNothing() throws {
        let specs = [FormulaSpec(name: "root", dependencies: ["leaf"], targetCompressedSize: 400 * 1024),
                     FormulaSpec(name: "leaf", targetCompressedSize: 8 * 1024)]
        let fixture = try RegistryFixture(recipe: .custom(specs))
        fixture.server.faults.add(.noResponse, for: .pathSuffix("/api/formula/leaf.json"), times: nil, listener: .registry)
        fixture.server.faults.add(.trickle(bytesPerSecond: 40_000), for: .sha256(fixture.sha256(of: "root")), times: nil)
        var configuration = fixture.configuration()
        configuration.index.autoUpdate = false
        configuration.retryPolicy = RetryPolicy(maxAttempts: 1)
        configuration.timeouts.firstByte = 2
        let run = install(["root"], configuration: configuration)
        guard case .failure(let error) = run.result else { return XCTFail("expected a failure, got \(run.result)") }
        XCTAssertTrue("\(error)".contains("leaf"), "\(error)")
        XCTAssertTrue(fixture.log.entries(on: .registry).contains { $0.path.contains("/root/blobs/") },
                      "root's bottle was requested before the closure failed")
        let layout = configuration.layout
        XCTAssertEqual(tree(layout.downloads).filter { !$0.hasSuffix(".lock") && $0 != "." }, [], "no partial or unverified bottle left")
        XCTAssertFalse(FileManager.default.fileExists(atPath: layout.cellar + "/root"))
        XCTAssertEqual(tree(layout.staging), [])
    }
}
