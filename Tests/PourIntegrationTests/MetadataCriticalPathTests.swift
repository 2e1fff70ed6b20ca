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
}
