import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Scripted server faults: each ends installed-after-retry or as a clear per-package error, with
/// independent packages installed, dependents skipped and nothing left behind.
final class FaultToleranceTests: XCTestCase {
    /// `app` depends on `lib`; `other` is independent. Bottles of ~400 KB.
    static func smallGraph() -> RegistryRecipe {
        .custom([
            FormulaSpec(name: "lib", targetCompressedSize: 400_000),
            FormulaSpec(name: "app", dependencies: ["lib"], targetCompressedSize: 400_000),
            FormulaSpec(name: "other", targetCompressedSize: 400_000),
        ])
    }

    private func blobRequests(_ fixture: RegistryFixture, _ name: String) -> [RequestLogEntry] {
        let sha = fixture.sha256(of: name)
        return fixture.log.entries.filter { $0.path.hasSuffix("sha256:\(sha)") }
    }

    private func assertNoLeftovers(_ fixture: RegistryFixture, file: StaticString = #filePath, line: UInt = #line) {
        let layout = fixture.configuration().layout
        XCTAssertEqual(tree(layout.staging), [], "staging leftovers", file: file, line: line)
        XCTAssertEqual(tree(layout.downloads).filter { $0.hasSuffix(".incomplete") }, [], ".incomplete leftovers", file: file, line: line)
    }

    func testServiceUnavailableTwiceThenOKIsRetried() throws {
        let fixture = try RegistryFixture(recipe: Self.smallGraph())
        fixture.server.faults.add(.status(503), for: .sha256(fixture.sha256(of: "lib")), times: 2, listener: .registry)
        let run = install(["app", "other"], configuration: fixture.configuration())
        XCTAssertEqual(run.report?.succeeded, true, "\(run.result)")
        XCTAssertEqual(blobRequests(fixture, "lib").filter { $0.listener == .registry }.map(\.status), [503, 503, 307])
        XCTAssertTrue(run.events.contains { if case .downloadRetrying(name: "lib", _, _, _) = $0.event { return true }; return false })
        assertNoLeftovers(fixture)
    }

    func testTooManyRequestsHonoursRetryAfter() throws {
        let fixture = try RegistryFixture(recipe: Self.smallGraph())
        fixture.server.faults.add(.status(429, retryAfter: 1), for: .sha256(fixture.sha256(of: "other")), times: 1, listener: .registry)
        let run = install(["other"], configuration: fixture.configuration())
        XCTAssertEqual(run.report?.succeeded, true, "\(run.result)")
        let delays = run.events.compactMap { event -> Double? in
            if case .downloadRetrying(_, _, let delay, _) = event.event { return delay }
            return nil
        }
        XCTAssertEqual(delays, [1], "the retry waits what Retry-After says (the policy's own delay would be ≤ 0.2 s)")
    }

    func testResetMidBodyIsResumedWithARangeRequest() throws {
        let fixture = try RegistryFixture(recipe: Self.smallGraph())
        fixture.server.faults.add(.resetAfter(bytes: 150_000), for: .sha256(fixture.sha256(of: "lib")), times: 1, listener: .blob)
        let run = install(["app"], configuration: fixture.configuration())
        XCTAssertEqual(run.report?.succeeded, true, "\(run.result)")
        let ranges = blobRequests(fixture, "lib").filter { $0.listener == .blob }.compactMap(\.range)
        XCTAssertEqual(ranges.count, 1, "the retry must resume with a Range request")
        XCTAssertTrue(ranges.first?.hasPrefix("bytes=") == true && ranges.first != "bytes=0-", "\(ranges)")
        assertNoLeftovers(fixture)
    }

    func testTruncatedBodyIsResumed() throws {
        let fixture = try RegistryFixture(recipe: Self.smallGraph())
        fixture.server.faults.add(.truncate(afterBytes: 100_000), for: .sha256(fixture.sha256(of: "other")), times: 1, listener: .blob)
        let run = install(["other"], configuration: fixture.configuration())
        XCTAssertEqual(run.report?.succeeded, true, "\(run.result)")
        XCTAssertEqual(blobRequests(fixture, "other").filter { $0.listener == .blob }.count, 2)
    }

    func testStallTimesOutThenRetries() throws {
        let fixture = try RegistryFixture(recipe: Self.smallGraph())
        fixture.server.faults.add(.stall(afterBytes: 50_000, seconds: 30), for: .sha256(fixture.sha256(of: "other")), times: 1, listener: .blob)
        let run = install(["other"], configuration: fixture.configuration())
        XCTAssertEqual(run.report?.succeeded, true, "\(run.result)")
        let retries = run.events.compactMap { event -> String? in
            if case .downloadRetrying(_, _, _, let reason) = event.event { return reason }
            return nil
        }
        XCTAssertEqual(retries.count, 1)
        XCTAssertTrue(retries.first?.contains("below the 1024 B/s floor") == true, "\(retries)")
    }

    func testWrongBytesFailThatPackageWithTheHashMessageSkipDependentsAndInstallOthers() throws {
        let fixture = try RegistryFixture(recipe: Self.smallGraph())
        let sha = fixture.sha256(of: "lib")
        fixture.server.faults.add(.wrongBytes, for: .sha256(sha), times: nil, listener: .blob)
        let run = install(["app", "other"], configuration: fixture.configuration())
        guard case .failed(.download(.checksumMismatch(let package, let expected, let actual, _)))? = run.outcome("lib") else {
            return XCTFail("\(String(describing: run.report))")
        }
        XCTAssertEqual(package, "lib")
        XCTAssertEqual(expected, sha)
        XCTAssertNotEqual(actual, sha)
        XCTAssertEqual(run.outcome("app"), .skipped(reason: .dependencyFailed("lib")))
        XCTAssertEqual(run.outcome("other"), .installed)
        // Exactly one fresh re-download after the mismatch.
        XCTAssertEqual(blobRequests(fixture, "lib").filter { $0.listener == .blob }.count, 2)
        let layout = fixture.configuration().layout
        XCTAssertFalse(FileManager.default.fileExists(atPath: layout.cellar + "/lib"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: layout.cellar + "/app"))
        XCTAssertTrue(tree(layout.downloads).allSatisfy { !$0.contains("--lib--") }, "the bad download must be deleted")
        assertNoLeftovers(fixture)
    }

    func testNotFoundIsAClearErrorWithoutRetries() throws {
        let fixture = try RegistryFixture(recipe: Self.smallGraph())
        fixture.server.faults.add(.status(404), for: .sha256(fixture.sha256(of: "other")), times: nil, listener: .registry)
        let run = install(["other", "lib"], configuration: fixture.configuration())
        guard case .failed(.download(.httpStatus(404, let url, _)))? = run.outcome("other") else {
            return XCTFail("\(String(describing: run.report))")
        }
        XCTAssertTrue(url.contains(fixture.sha256(of: "other")))
        XCTAssertEqual(blobRequests(fixture, "other").count, 1, "a 404 is not retried")
        XCTAssertEqual(run.outcome("lib"), .installed)
        assertNoLeftovers(fixture)
    }
}
