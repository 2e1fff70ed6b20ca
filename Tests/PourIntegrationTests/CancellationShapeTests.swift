import Foundation
@testable import PourCore
import PourTestSupport
import XCTest

/// Cancellation has one shape across PourCore (a failure carrying what was done) and one question
/// answers it for any error: `isPourCancellation`.
final class CancellationShapeTests: XCTestCase {
    func testACancelledUpgradeIsAFailureCarryingItsReport() throws {
        let fixture = try RegistryFixture(recipe: .sample())
        let installer = Installer(configuration: fixture.configuration())
        let delivered = expectation(description: "completion")
        let outcome = Locked<Result<Upgrader.Report, LifecycleError>?>(nil)
        let queue = DispatchQueue(label: "test.upgrade.callbacks")
        // Cancelled before its first step runs on the upgrade's queue: deterministic.
        let handle = Upgrader(installer: installer).run(.upgrade, names: [], callbackQueue: queue, onPlan: { _ in },
                                                        events: { _ in }) { result in
            outcome.withLock { $0 = result }
            delivered.fulfill()
        }
        handle.cancel()
        wait(for: [delivered], timeout: 60)
        guard case .failure(let error)? = outcome.current, case .cancelled(let report) = error else {
            return XCTFail("expected .failure(.cancelled(report)), got \(String(describing: outcome.current))")
        }
        XCTAssertTrue(report.cancelled)
        XCTAssertTrue(error.isPourCancellation)
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
