import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Issue #8, part 1: one install of the 8-package graph per network fault, the fault applied to
/// one or several packages. Every run ends with each package installed after retries or failed
/// with a clear per-package error, its dependents skipped, the rest installed, and a consistent
/// prefix (no staging, no `.incomplete`, no partial keg). FaultToleranceTests covers single
/// faults on a 3-package graph; this matrix adds multi-package faults and the remaining kinds.
final class ReliabilityNetworkFaultTests: XCTestCase {
    private func fixture() throws -> RegistryFixture {
        try RegistryFixture(recipe: Reliability.graph())
    }

    private func blobRequests(_ fixture: RegistryFixture, _ name: String, _ listener: RegistryListener? = nil) -> [RequestLogEntry] {
        let sha = fixture.sha256(of: name)
        return fixture.server.log.entries.filter { $0.path.hasSuffix("sha256:\(sha)") && (listener == nil || $0.listener == listener) }
    }

    private func run(_ fixture: RegistryFixture, installed: Set<String>, failed: Set<String> = [], skipped: Set<String> = [],
                     configure: (inout InstallConfiguration) -> Void = { _ in },
                     file: StaticString = #filePath, line: UInt = #line) -> InstallRecording {
        var configuration = fixture.configuration()
        configure(&configuration)
        let recording = install(Reliability.graphRoots, configuration: configuration, file: file, line: line)
        assertOutcomes(recording, installed: installed, failed: failed, skipped: skipped, file: file, line: line)
        assertConsistentPrefix(layout: configuration.layout, manifest: fixture.manifest, file: file, line: line)
        for name in failed.union(skipped) {
            XCTAssertFalse(FileManager.default.fileExists(atPath: configuration.layout.cellar + "/" + name),
                           "\(name) must not be in the Cellar", file: file, line: line)
        }
        return recording
    }

    private func failure(_ run: InstallRecording, _ name: String) -> PackageFailure? {
        if case .failed(let failure)? = run.outcome(name) { return failure }
        return nil
    }

    private func retryReasons(_ run: InstallRecording, _ name: String) -> [String] {
        run.events.compactMap { event in
            if case .downloadRetrying(name, _, _, let reason) = event.event { return reason }
            return nil
        }
    }

    private var all: Set<String> { Set(Reliability.graphNames) }

    func testServiceUnavailableOnSeveralPackagesThenOK() throws {
        let fixture = try fixture()
        for name in ["a", "e", "g"] {
            fixture.server.faults.add(.status(503), for: .sha256(fixture.sha256(of: name)), times: 2, listener: .registry)
        }
        let recording = run(fixture, installed: all)
        for name in ["a", "e", "g"] {
            XCTAssertEqual(blobRequests(fixture, name, .registry).map(\.status), [503, 503, 307], name)
            XCTAssertEqual(retryReasons(recording, name).count, 2, name)
        }
        XCTAssertEqual(fixture.server.faults.pending, [])
    }

    func testTooManyRequestsWithAndWithoutRetryAfterThenOK() throws {
        let fixture = try fixture()
        fixture.server.faults.add(.status(429, retryAfter: 1), for: .sha256(fixture.sha256(of: "b")), times: 1, listener: .registry)
        fixture.server.faults.add(.status(429), for: .sha256(fixture.sha256(of: "f")), times: 2, listener: .registry)
        let recording = run(fixture, installed: all)
        let delays = { (name: String) in recording.events.compactMap { event -> Double? in
            if case .downloadRetrying(name, _, let delay, _) = event.event { return delay }
            return nil
        } }
        XCTAssertEqual(delays("b"), [1], "Retry-After: 1 is honoured")
        XCTAssertEqual(delays("f").count, 2)
        XCTAssertTrue(delays("f").allSatisfy { $0 <= 0.2 }, "without Retry-After the policy's backoff (≤ 0.2 s here) applies: \(delays("f"))")
    }

    func testResetsAtSeededRandomOffsetsAreResumed() throws {
        let fixture = try fixture()
        let seed = Reliability.seed
        print("ReliabilityNetworkFaultTests.resets seed=\(seed) (set POUR_SEED to reproduce)")
        var random = SeededRandom.derived(seed: seed, label: "resets")
        var offsets: [String: Int] = [:]
        for name in ["a", "c", "f", "h"] {
            let size = fixture.manifest.formulae[name]!.size
            let offset = 1 + random.below(size - 2)
            offsets[name] = offset
            fixture.server.faults.add(.resetAfter(bytes: offset), for: .sha256(fixture.sha256(of: name)), times: 1, listener: .blob)
        }
        print("reset offsets: \(offsets.sorted { $0.key < $1.key })")
        _ = run(fixture, installed: all)
        var resumed = 0
        for name in offsets.keys {
            let requests = blobRequests(fixture, name, .blob)
            XCTAssertGreaterThanOrEqual(requests.count, 2, "\(name): reset then retried")
            // A retry resumes from what reached disk: `bytes=N-` with 0 < N ≤ the reset offset
            // (a reset may discard bytes still unread in the socket, so N can be below it).
            for range in requests.dropFirst().compactMap(\.range) {
                let start = Int(range.dropFirst("bytes=".count).prefix { $0.isNumber }) ?? -1
                XCTAssertTrue(start > 0 && start <= offsets[name]!, "\(name): \(range) after a reset at \(offsets[name]!)")
                resumed += 1
            }
        }
        XCTAssertGreaterThan(resumed, 0, "at least one reset download is resumed with a Range request")
        XCTAssertEqual(fixture.server.faults.pending, [])
    }

    func testStallMidBodyIsCutAndRetried() throws {
        let fixture = try fixture()
        fixture.server.faults.add(.stall(afterBytes: 60_000, seconds: 30), for: .sha256(fixture.sha256(of: "d")), times: 1, listener: .blob)
        fixture.server.faults.add(.stall(afterBytes: 10, seconds: 30), for: .sha256(fixture.sha256(of: "g")), times: 1, listener: .blob)
        let recording = run(fixture, installed: all)
        for name in ["d", "g"] {
            let reasons = retryReasons(recording, name)
            XCTAssertEqual(reasons.count, 1, name)
            XCTAssertTrue(reasons.allSatisfy { $0.contains("below the 1024 B/s floor") }, "\(reasons)")
        }
    }

    func testTruncatedBodiesWithFullContentLengthAreResumed() throws {
        let fixture = try fixture()
        for name in ["b", "e"] {
            fixture.server.faults.add(.truncate(afterBytes: 50_000), for: .sha256(fixture.sha256(of: name)), times: 2, listener: .blob)
        }
        _ = run(fixture, installed: all)
        for name in ["b", "e"] { XCTAssertEqual(blobRequests(fixture, name, .blob).count, 3, name) }
    }

    func testWrongBytesFailOnePackageWithTheHashErrorAndSkipItsDependents() throws {
        let fixture = try fixture()
        fixture.server.faults.add(.wrongBytes, for: .sha256(fixture.sha256(of: "c")), times: nil, listener: .blob)
        let skipped = Reliability.dependents(of: ["c"])
        XCTAssertEqual(skipped, ["e", "h"])
        let recording = run(fixture, installed: all.subtracting(skipped).subtracting(["c"]), failed: ["c"], skipped: skipped)
        guard case .download(.checksumMismatch(let package, let expected, _, _))? = failure(recording, "c") else {
            return XCTFail("\(String(describing: failure(recording, "c")))")
        }
        XCTAssertEqual(package, "c")
        XCTAssertEqual(expected, fixture.sha256(of: "c"))
        XCTAssertEqual(recording.outcome("h"), .skipped(reason: .dependencyFailed("c")))
    }

    func testNotFoundAndForbiddenFailTheirPackagesWithoutRetries() throws {
        let fixture = try fixture()
        fixture.server.faults.add(.status(404), for: .sha256(fixture.sha256(of: "b")), times: nil, listener: .registry)
        fixture.server.faults.add(.status(403), for: .sha256(fixture.sha256(of: "f")), times: nil, listener: .registry)
        let skipped = Reliability.dependents(of: ["b", "f"])
        XCTAssertEqual(skipped, ["d", "g", "h"])
        let recording = run(fixture, installed: ["a", "c", "e"], failed: ["b", "f"], skipped: skipped)
        for (name, code) in [("b", 404), ("f", 403)] {
            guard case .download(.httpStatus(code, let url, _))? = failure(recording, name) else {
                XCTFail("\(name): \(String(describing: failure(recording, name)))"); continue
            }
            XCTAssertTrue(url.contains(fixture.sha256(of: name)), url)
            XCTAssertEqual(blobRequests(fixture, name).count, 1, "\(code) is not retried")
            XCTAssertTrue(failure(recording, name)!.description.contains("HTTP \(code)"))
        }
    }

    func testRedirectLoopIsAClearPerPackageError() throws {
        let fixture = try fixture()
        fixture.server.faults.add(.redirectLoop, for: .sha256(fixture.sha256(of: "e")), times: nil, listener: .registry)
        let recording = run(fixture, installed: all.subtracting(["e", "h"]), failed: ["e"], skipped: ["h"])
        guard case .download(.network(_, let message, _))? = failure(recording, "e") else {
            return XCTFail("\(String(describing: failure(recording, "e")))")
        }
        XCTAssertTrue(message.lowercased().contains("redirect"), message)
        XCTAssertLessThanOrEqual(blobRequests(fixture, "e").count, 11 * 5, "bounded by MAXREDIRS × attempts")
    }

    func testRedirectToAHostDemandingAuthFailsWithoutLeakingTheToken() throws {
        let fixture = try fixture()
        fixture.server.faults.add(.redirectToAuthHost, for: .sha256(fixture.sha256(of: "a")), times: nil, listener: .registry)
        let skipped = Reliability.dependents(of: ["a"])
        let recording = run(fixture, installed: ["b", "f", "g"], failed: ["a"], skipped: skipped)
        guard case .download(.httpStatus(401, _, _))? = failure(recording, "a") else {
            return XCTFail("\(String(describing: failure(recording, "a")))")
        }
        let protected = fixture.server.log.entries.filter { $0.listener == .blob && $0.path.hasPrefix("/protected/") }
        XCTAssertFalse(protected.isEmpty)
        XCTAssertTrue(protected.allSatisfy { !$0.hadAuthorization }, "Authorization must not follow a cross-host redirect")
    }

    func testSlowLorisTrickleIsCutByTheStallTimeoutThenRetried() throws {
        let fixture = try fixture()
        // 200 B/s is below the 1 KiB/s-for-1 s stall floor of the fixture configuration.
        fixture.server.faults.add(.trickle(bytesPerSecond: 200), for: .sha256(fixture.sha256(of: "g")), times: 2, listener: .blob)
        fixture.server.faults.add(.trickle(bytesPerSecond: 200), for: .sha256(fixture.sha256(of: "b")), times: nil, listener: .blob)
        let recording = run(fixture, installed: ["a", "c", "e", "f", "g"], failed: ["b"], skipped: ["d", "h"])
        guard case .download(.tooSlow(_, let rate, 1024, 1))? = failure(recording, "b") else {
            return XCTFail("\(String(describing: failure(recording, "b")))")
        }
        XCTAssertLessThan(rate, 1024)
        XCTAssertEqual(retryReasons(recording, "b").count, 3, "4 attempts, each cut by the stall timeout")
        XCTAssertEqual(retryReasons(recording, "g").count, 2, "g: two trickled attempts cut, the third is served normally")
    }
}
