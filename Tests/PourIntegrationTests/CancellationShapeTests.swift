import Foundation
@testable import PourCore
import PourTestSupport
import XCTest

/// Cancellation has one shape across PourCore (a failure carrying what was done) and one question
/// answers it for any error: `isPourCancellation`.
final class CancellationShapeTests: XCTestCase {
    /// An upgrade cancelled right after it starts fails with `.cancelled(report)`. The empty
    /// upgrade's first step (reading the prefix) runs on a global queue, so on a loaded machine
    /// it can finish before `cancel()` lands; that order is legitimate (a late cancel changes
    /// nothing) and must then be a plain success. The test repeats until one run is cancelled
    /// first (normally the first) and checks that one's shape.
    func testACancelledUpgradeIsAFailureCarryingItsReport() throws {
        let fixture = try RegistryFixture(recipe: .sample())
        let installer = Installer(configuration: fixture.configuration())
        for attempt in 1...20 {
            let delivered = expectation(description: "completion \(attempt)")
            let outcome = Locked<Result<Upgrader.Report, LifecycleError>?>(nil)
            let queue = DispatchQueue(label: "test.upgrade.callbacks")
            let handle = Upgrader(installer: installer).run(.upgrade, names: [], callbackQueue: queue, onPlan: { _ in },
                                                            events: { _ in }) { result in
                outcome.withLock { $0 = result }
                delivered.fulfill()
            }
            handle.cancel()
            wait(for: [delivered], timeout: 60)
            switch outcome.current {
            case .success(let report)?:
                XCTAssertFalse(report.cancelled, "a finished run that reports cancelled must be a failure")
                continue  // finished before the cancel landed: try again
            case .failure(let error)?:
                guard case .cancelled(let report) = error else { return XCTFail("expected .cancelled(report), got \(error)") }
                XCTAssertTrue(report.cancelled)
                XCTAssertTrue(error.isPourCancellation)
                return
            case nil:
                return XCTFail("no completion")
            }
        }
        XCTFail("20 upgrades all finished before cancel() landed")
    }

    func testIsPourCancellationSeesThroughEveryWrapping() {
        let report = InstallReport(packages: [], networkBytes: 0, seconds: 0, cancelled: true)
        XCTAssertTrue(InstallError.cancelled(report).isPourCancellation)
        XCTAssertTrue(TransferError.cancelled.isPourCancellation)
        XCTAssertTrue(PackageFailure.download(.cancelled).isPourCancellation)
        XCTAssertTrue(OperationError<InstallError>.failed(.cancelled(report)).isPourCancellation)
        XCTAssertTrue(OperationError<InstallError>.cancelled.isPourCancellation)
        XCTAssertTrue(FormulaIndex.IndexError.transfer(.cancelled).isPourCancellation)
        XCTAssertFalse(OperationError<InstallError>.dependencyDidNotSucceed("refresh").isPourCancellation)
        XCTAssertFalse(PackageFailure.download(.insecureURL("http://example.com/x")).isPourCancellation)
        XCTAssertFalse(InstallError.setup(path: "/p", message: "m").isPourCancellation)
        XCTAssertTrue(InstallReport.PackageOutcome.skipped(reason: .cancelled).isCancellation)
        XCTAssertFalse(InstallReport.PackageOutcome.skipped(reason: .dependencyFailed("x")).isCancellation)
    }
}
