import Foundation
import PourCore
import PourTestSupport
import XCTest

/// The run commits a staged package once its last planned dependency is installed, counted down
/// as dependencies install (not re-scanned on every event): the base's bottle stalls on the
/// server, so its dependents are extracted and wait staged; they must then be committed after it,
/// each after all of its own dependencies, and the run must still end.
final class CommitOrderTests: XCTestCase {
    func testStagedDependentsCommitOnlyAfterTheirDependenciesAndTheRunEnds() throws {
        let specs = [
            FormulaSpec(name: "base", targetCompressedSize: 200_000),
            FormulaSpec(name: "mid1", dependencies: ["base"]),
            FormulaSpec(name: "mid2", dependencies: ["base"]),
            // `base` listed twice (directly and through both mids): counted once.
            FormulaSpec(name: "top", dependencies: ["mid1", "mid2", "base"]),
            FormulaSpec(name: "leaf", dependencies: ["top"]),
            FormulaSpec(name: "free1"),
            FormulaSpec(name: "free2"),
        ]
        let fixture = try RegistryFixture(recipe: .custom(specs))
        fixture.server.faults.add(.stall(afterBytes: 4096, seconds: 1.5), for: .sha256(fixture.sha256(of: "base")))
        var configuration = fixture.configuration()
        configuration.timeouts = TransferTimeouts(connect: 5, stallSeconds: 30, stallBytesPerSecond: 1)
        let run = install(["leaf", "free1", "free2"], configuration: configuration)

        let names = specs.map(\.name)
        for name in names { XCTAssertEqual(run.outcome(name), .installed, name) }
        var committed: [String] = []
        for (_, event) in run.events {
            if case .committed(let name, _) = event { committed.append(name) }
        }
        XCTAssertEqual(committed.sorted(), names.sorted(), "each package committed exactly once")
        let position = Dictionary(uniqueKeysWithValues: committed.enumerated().map { ($1, $0) })
        for spec in specs {
            for dependency in spec.dependencies {
                XCTAssertLessThan(try XCTUnwrap(position[dependency]), try XCTUnwrap(position[spec.name]),
                                  "\(spec.name) committed before its dependency \(dependency)")
            }
        }
        for name in names {
            let keg = fixture.prefix + "/Cellar/\(name)/1.0.0"
            XCTAssertTrue(FileManager.default.fileExists(atPath: keg + "/INSTALL_RECEIPT.json"), keg)
        }
    }
}
