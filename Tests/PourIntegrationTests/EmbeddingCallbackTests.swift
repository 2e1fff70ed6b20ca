import Foundation
import PourCore
import PourTestSupport
import XCTest

/// An embedder's first contact: a configuration built by hand, callbacks on its own queue, the
/// result as a value with per-package metrics.
final class EmbeddingCallbackTests: XCTestCase {
    func testEventsAndCompletionArriveOnTheGivenQueueWithMetrics() throws {
        let fixture = try RegistryFixture(recipe: .sample())
        let configuration = InstallConfiguration(prefix: fixture.prefix, cache: fixture.cache,
                                                 endpoints: .fromEnvironment(fixture.environment))
        let queue = DispatchQueue(label: "embedder.callbacks")
        let key = DispatchSpecificKey<String>()
        queue.setSpecific(key: key, value: "embedder")

        let events = Locked<[InstallEvent]>([])
        let completions = Locked(0)
        let outcome = Locked<Result<InstallReport, InstallError>?>(nil)
        let done = expectation(description: "completion")
        Installer(configuration: configuration).install(["hello"], callbackQueue: queue, events: { event in
            dispatchPrecondition(condition: .onQueue(queue))
            XCTAssertEqual(DispatchQueue.getSpecific(key: key), "embedder")
            events.withLock { $0.append(event) }
        }, completion: { result in
            dispatchPrecondition(condition: .onQueue(queue))
            XCTAssertEqual(DispatchQueue.getSpecific(key: key), "embedder")
            completions.withLock { $0 += 1 }
            outcome.withLock { $0 = result }
            done.fulfill()
        })
        wait(for: [done], timeout: 300)

        let report = try XCTUnwrap(try outcome.current?.get())
        XCTAssertTrue(report.succeeded)
        XCTAssertEqual(Set(report.installed), ["hello", "gettext", "libunistring"])
        XCTAssertEqual(completions.current, 1)
        XCTAssertEqual(events.current.last, .caveats(name: "hello", text: "hello is friendly."),
                       "events come in order and all before the completion")

        // Metrics are per package and add up to the run's total.
        XCTAssertEqual(Set(report.packageMetrics.keys), Set(report.installed))
        XCTAssertEqual(report.packageMetrics.values.reduce(0) { $0 + $1.networkBytes }, report.networkBytes)
        for (name, metrics) in report.packageMetrics {
            XCTAssertGreaterThan(metrics.networkBytes, 0, name)
            XCTAssertFalse(metrics.fromCache, name)
            XCTAssertGreaterThan(metrics.files, 0, name)
            XCTAssertNotNil(metrics.downloadSeconds, name)
            XCTAssertNotNil(metrics.extractSeconds, name)
            XCTAssertNotNil(metrics.totalSeconds, name)
        }
    }

    func testOperationCallbacksArriveOnTheGivenQueue() throws {
        let fixture = try RegistryFixture(recipe: .sample())
        let installer = Installer(configuration: fixture.configuration())
        let queue = DispatchQueue(label: "embedder.operation-callbacks")
        let operation = InstallOperation(installer: installer, names: ["hello"], callbackQueue: queue)
        let sawExecuting = Locked(false)
        operation.eventHandler = { [unowned operation] _ in
            dispatchPrecondition(condition: .onQueue(queue))
            if operation.isExecuting && !operation.isFinished { sawExecuting.withLock { $0 = true } }
        }
        let completions = Locked(0)
        let done = expectation(description: "completion")
        operation.completionHandler = { [unowned operation] result in
            dispatchPrecondition(condition: .onQueue(queue))
            completions.withLock { $0 += 1 }
            // The result is readable from the handler; the operation finishes after it returns.
            XCTAssertNotNil(operation.result)
            XCTAssertFalse(operation.isFinished)
            if case .success(let report) = result { XCTAssertTrue(report.succeeded) } else { XCTFail("\(result)") }
            done.fulfill()
        }
        XCTAssertTrue(operation.isAsynchronous)
        XCTAssertFalse(operation.isExecuting)
        XCTAssertFalse(operation.isFinished)
        let operations = OperationQueue()
        operations.addOperation(operation)
        wait(for: [done], timeout: 300)
        operations.waitUntilAllOperationsAreFinished()

        XCTAssertTrue(sawExecuting.current, "isExecuting while events flow")
        XCTAssertTrue(operation.isFinished)
        XCTAssertFalse(operation.isExecuting)
        XCTAssertTrue(operation.didSucceed)
        XCTAssertEqual(completions.current, 1)
    }

    func testRegistryTokenIsTheBearerAuthorization() {
        var configuration = InstallConfiguration(prefix: "/tmp/p", cache: "/tmp/c")
        XCTAssertNil(configuration.registryToken, "anonymous by default")
        configuration.registryToken = "s3cret"
        XCTAssertEqual(configuration.endpoints.registryAuthorization, "Bearer s3cret")
        XCTAssertEqual(configuration.registryToken, "s3cret")
        configuration.registryToken = nil
        XCTAssertEqual(configuration.endpoints.registryAuthorization, "Bearer QQ==")
    }
}
