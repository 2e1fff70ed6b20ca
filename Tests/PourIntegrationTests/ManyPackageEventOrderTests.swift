import Foundation
@testable import PourCore
import PourTestSupport
import XCTest

/// A real install of many small packages sends its events from the run queue and every download's
/// queue at once; they reach the callback queue in batches (`EventDelivery`). Each package's events
/// must arrive in the order they happened, all of them, and all before the completion.
final class ManyPackageEventOrderTests: XCTestCase {
    func testEventsKeepTheirOrderAndPrecedeTheCompletion() throws {
        try checkDelivery(coalescing: EventDelivery<InstallEvent>.defaultCoalescing)
    }

    /// A drain that would wait an hour: only the flush before the completion delivers anything,
    /// so a completion that does not wait for the pending events arrives before all of them.
    func testTheCompletionWaitsForEventsStillBeingCoalesced() throws {
        try checkDelivery(coalescing: .seconds(3600))
    }

    private func checkDelivery(coalescing: DispatchTimeInterval) throws {
        let fixture = try RegistryFixture(recipe: .manySmall(count: 60, seed: 5))
        let names = (0..<60).map { String(format: "small-%02d", $0) }
        let installer = Installer(configuration: fixture.configuration())
        let queue = DispatchQueue(label: "test.many-events.callbacks")
        let observed = Locked<[InstallEvent]>([])
        let delivered = Locked<[InstallEvent]>([])
        let deliveredAtCompletion = Locked<Int?>(nil)
        let outcome = Locked<Result<InstallReport, InstallError>?>(nil)
        let done = expectation(description: "completion")
        let run = InstallRun(configuration: installer.configuration, names: names, options: InstallOptions(),
                             callbackQueue: queue, observe: { event in observed.withLock { $0.append(event) } },
                             coalescing: coalescing,
                             events: { event in
                                 dispatchPrecondition(condition: .onQueue(queue))
                                 delivered.withLock { $0.append(event) }
                             },
                             completion: { result in
                                 dispatchPrecondition(condition: .onQueue(queue))
                                 deliveredAtCompletion.withLock { $0 = delivered.current.count }
                                 outcome.withLock { $0 = result }
                                 done.fulfill()
                             })
        run.start()
        wait(for: [done], timeout: 300)
        queue.sync {}  // anything queued behind the completion has run

        let report = try XCTUnwrap(try outcome.current?.get())
        XCTAssertTrue(report.succeeded)
        XCTAssertEqual(Set(report.installed), Set(names))
        let events = delivered.current
        XCTAssertEqual(deliveredAtCompletion.current, observed.current.count,
                       "every event emitted reached the callback queue before the completion")
        XCTAssertEqual(events.count, observed.current.count, "nothing after the completion")
        for name in names {
            let own = events.filter { Self.package(of: $0) == name }
            XCTAssertEqual(own, observed.current.filter { Self.package(of: $0) == name }, "\(name): emission order")
            XCTAssertEqual(own.first, .downloadStarted(name: name), name)
            XCTAssertTrue(own.contains(.extracting(name: name)), name)
            XCTAssertEqual(own.last, .installed(name: name, pkgVersion: Self.version(of: name, in: events)), name)
        }
    }

    private static func package(of event: InstallEvent) -> String? {
        switch event {
        case .downloadStarted(let name), .downloadProgress(let name, _, _), .downloadRetrying(let name, _, _, _),
             .downloadWaiting(let name, _), .downloadFinished(let name, _, _), .extracting(let name),
             .extracted(let name, _, _), .committed(let name, _), .linked(let name, _), .installed(let name, _),
             .skipped(let name, _), .failed(let name, _), .caveats(let name, _), .postInstallRan(let name, _),
             .postInstallNotRun(let name, _, _), .warning(let name, _):
            return name
        case .waitingForLock, .resolving, .planned, .waitingForServer:
            return nil
        }
    }

    private static func version(of name: String, in events: [InstallEvent]) -> String {
        for case .installed(name, let version) in events { return version }
        return "?"
    }
}
