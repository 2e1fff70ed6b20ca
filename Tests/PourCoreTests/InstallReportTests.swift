import XCTest
@testable import PourCore

/// The report's per-outcome lists and the metrics recorder (both rewritten to allocate less at
/// the end of a run; Docs/Performance.md, "Fourth pass: RSS").
final class InstallReportTests: XCTestCase {
    private func report(_ outcomes: [(String, PackageOutcome)], cancelled: Bool = false) -> InstallReport {
        InstallReport(packages: outcomes.map { ($0.0, "1.0", $0.1) }, networkBytes: 0, seconds: 0, cancelled: cancelled)
    }

    func testListsKeepPlanOrderAndSucceededNeedsNoFailureOrSkip() {
        let failure = PackageFailure.download(.httpStatus(code: 404, url: "u", retryAfter: nil))
        let mixed = report([("a", .installed), ("b", .alreadyInstalled), ("c", .failed(failure)),
                            ("d", .skipped(reason: .dependencyFailed("c"))), ("e", .installed),
                            ("f", .skipped(reason: .cancelled))])
        XCTAssertEqual(mixed.installed, ["a", "e"])
        XCTAssertEqual(mixed.alreadyInstalled, ["b"])
        XCTAssertEqual(mixed.failed, ["c"])
        XCTAssertEqual(mixed.skipped, ["d", "f"])
        XCTAssertFalse(mixed.succeeded)

        XCTAssertTrue(report([("a", .installed), ("b", .alreadyInstalled)]).succeeded)
        XCTAssertFalse(report([("a", .installed)], cancelled: true).succeeded)
        XCTAssertFalse(report([("a", .installed), ("f", .failed(failure))]).succeeded)
        XCTAssertFalse(report([("a", .skipped(reason: .cancelled))]).succeeded)
        XCTAssertTrue(report([]).succeeded)
    }

    func testRecorderReportsEveryPackageWithAnEventAndHandsItsMetricsOver() throws {
        let recorder = InstallMetricsRecorder()
        for event: InstallEvent in [.resolving(names: ["a", "b"]), .downloadStarted(name: "a"), .downloadStarted(name: "b"),
                                    .downloadFinished(name: "a", bytes: 100, fromCache: false), .extracting(name: "a"),
                                    .extracted(name: "a", files: 3, bytes: 300), .installed(name: "a", pkgVersion: "1.0"),
                                    .skipped(name: "b", reason: .cancelled), .extracting(name: "c")] {
            recorder.record(event)
        }
        let stamped = try recorder.apply(to: .success(report([("a", .installed), ("b", .skipped(reason: .cancelled))]))).get()
        XCTAssertEqual(Set(stamped.packageMetrics.keys), ["a", "b", "c"])
        let a = try XCTUnwrap(stamped.packageMetrics["a"])
        XCTAssertEqual(a.networkBytes, 100)
        XCTAssertEqual(a.files, 3)
        XCTAssertEqual(a.kegBytes, 300)
        XCTAssertFalse(a.fromCache)
        XCTAssertNotNil(a.downloadSeconds)
        XCTAssertNotNil(a.extractSeconds)
        XCTAssertNotNil(a.totalSeconds)
        let b = try XCTUnwrap(stamped.packageMetrics["b"])
        XCTAssertEqual(b.networkBytes, 0)
        XCTAssertNil(b.downloadSeconds)
        XCTAssertNotNil(b.totalSeconds, "timed from its download's start")
        let c = try XCTUnwrap(stamped.packageMetrics["c"])
        XCTAssertNil(c.extractSeconds, "no outcome and no `extracted` yet")
        XCTAssertNil(c.totalSeconds)

        // A cancelled run's report is stamped too; other failures carry no report.
        let cancelled = InstallMetricsRecorder()
        cancelled.record(.downloadStarted(name: "x"))
        guard case .failure(.cancelled(let partial)) = cancelled.apply(to: .failure(.cancelled(report([], cancelled: true)))) else {
            return XCTFail("expected the cancelled report back")
        }
        XCTAssertEqual(Set(partial.packageMetrics.keys), ["x"])
    }
}
