import Foundation
import PourCore
import PourTestSupport
import XCTest

/// `InstallHandle.cancel()` and `Operation.cancel()` from an embedder: the prefix is left
/// consistent and the completion handler runs exactly once.
final class EmbeddingCancellationTests: XCTestCase {
    /// The sample registry with openssl@3's bottle served at a trickle, so that when the first
    /// package is installed, openssl@3 (and wget, which needs it) certainly are not.
    private func slowOpenSSLFixture() throws -> RegistryFixture {
        let fixture = try RegistryFixture(recipe: .sample())
        fixture.server.faults.add(.trickle(bytesPerSecond: 40_000), for: .sha256(fixture.sha256(of: "openssl@3")), times: nil)
        return fixture
    }

    func testCancelMidInstallLeavesAConsistentPrefixAndCompletesOnce() throws {
        let fixture = try slowOpenSSLFixture()
        let configuration = fixture.configuration()
        let layout = configuration.layout
        let queue = DispatchQueue(label: "embedder.cancel")
        let completions = Locked(0)
        let outcome = Locked<Result<InstallReport, InstallError>?>(nil)
        let handleBox = Locked<InstallHandle?>(nil)
        let done = expectation(description: "completion")

        // The handle is published before any event can need it: events hop onto `queue`, which
        // this block holds until the handle is stored.
        queue.sync {
            let handle = Installer(configuration: configuration).install(["wget"], callbackQueue: queue, events: { event in
                if case .installed = event { handleBox.current?.cancel() }
            }, completion: { result in
                completions.withLock { $0 += 1 }
                outcome.withLock { $0 = result }
                done.fulfill()
            })
            handleBox.withLock { $0 = handle }
        }
        wait(for: [done], timeout: 300)

        guard case .failure(.cancelled(let report))? = outcome.current else {
            return XCTFail("expected .cancelled, got \(String(describing: outcome.current))")
        }
        XCTAssertTrue(report.cancelled)
        XCTAssertFalse(report.installed.isEmpty, "the cancel came after a package was installed")
        XCTAssertNotEqual(report.outcome("openssl@3"), .installed)
        XCTAssertNotEqual(report.outcome("wget"), .installed)
        assertConsistent(layout, installed: report.installed)

        // A second cancel after completion changes nothing; the next install finishes the job,
        // and by then a duplicate completion of the first run would long have arrived.
        handleBox.current?.cancel()
        fixture.server.faults.removeAll()
        XCTAssertEqual(install(["wget"], configuration: configuration).report?.succeeded, true)
        XCTAssertEqual(completions.current, 1, "the completion ran exactly once")
        assertConsistent(layout, installed: ["wget", "openssl@3"])
    }

    func testCancellingARunningOperationCancelsTheInstallAndSkipsItsDependent() throws {
        let fixture = try slowOpenSSLFixture()
        let installer = Installer(configuration: fixture.configuration())
        let queue = DispatchQueue(label: "embedder.operations")
        let first = InstallOperation(installer: installer, names: ["wget"], callbackQueue: queue)
        let second = InstallOperation(installer: installer, names: ["hello"], callbackQueue: queue)
        second.addDependency(first)
        first.eventHandler = { [unowned first] event in
            if case .installed = event { first.cancel() }
        }
        let completions = Locked([String: Int]())
        let done = expectation(description: "both completions")
        done.expectedFulfillmentCount = 2
        for operation in [first, second] {
            operation.completionHandler = { [name = operation.names[0]] _ in
                completions.withLock { $0[name, default: 0] += 1 }
                done.fulfill()
            }
        }
        let operations = OperationQueue()
        operations.addOperations([second, first], waitUntilFinished: false)
        wait(for: [done], timeout: 300)
        operations.waitUntilAllOperationsAreFinished()

        guard case .failure(.failed(.cancelled(let report)))? = first.result else {
            return XCTFail("first: \(String(describing: first.result))")
        }
        XCTAssertTrue(report.cancelled)
        guard case .failure(.dependencyDidNotSucceed)? = second.result else {
            return XCTFail("second: \(String(describing: second.result))")
        }
        XCTAssertTrue(first.isCancelled && first.isFinished && !first.didSucceed)
        XCTAssertTrue(second.isFinished && !second.didSucceed)
        XCTAssertEqual(completions.current, ["wget": 1, "hello": 1])
        assertConsistent(fixture.configuration().layout, installed: report.installed)
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.configuration().layout.keg("hello", "2.12.1")),
                       "the dependent did no work")
    }

    func testCancelledBeforeStartFinishesWithoutWork() throws {
        let fixture = try RegistryFixture(recipe: .sample())
        let operation = InstallOperation(installer: Installer(configuration: fixture.configuration()), names: ["hello"])
        let completions = Locked(0)
        let done = expectation(description: "completion")
        operation.completionHandler = { result in
            completions.withLock { $0 += 1 }
            if case .failure(.cancelled) = result {} else { XCTFail("\(result)") }
            done.fulfill()
        }
        operation.cancel()
        operation.start()
        wait(for: [done], timeout: 60)
        operation.waitUntilFinished()
        XCTAssertTrue(operation.isFinished)
        XCTAssertFalse(operation.isExecuting)
        XCTAssertEqual(completions.current, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.prefix), "the prefix was never touched")
        XCTAssertEqual(fixture.log.entries(on: .registry).count, 0, "no request was made")
    }

    /// No staging, no `.incomplete`, every keg complete (receipt present) and linked as planned,
    /// nothing else in the Cellar, and `Doctor` has nothing to say.
    private func assertConsistent(_ layout: PrefixLayout, installed: [String],
                                  file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(tree(layout.staging), [], "staging leftovers", file: file, line: line)
        XCTAssertEqual(tree(layout.downloads).filter { $0.hasSuffix(".incomplete") }, [], file: file, line: line)
        let inventory = PrefixInventory.read(layout: layout)
        XCTAssertEqual(inventory.formulae.flatMap(\.incompleteKegs), [], "partial kegs", file: file, line: line)
        for name in installed {
            XCTAssertNotNil(inventory.formula(named: name)?.activeKeg, "\(name) is installed", file: file, line: line)
        }
        XCTAssertEqual(Doctor(layout: layout).check().filter(\.isProblem), [], file: file, line: line)
    }
}

private extension InstallReport {
    func outcome(_ name: String) -> PackageOutcome? { packages.first { $0.name == name }?.outcome }
}
