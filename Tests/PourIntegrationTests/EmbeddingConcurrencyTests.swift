import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Two embedders in one process, and OperationQueue width: windows of activity are taken from
/// the events themselves (first event … completion), stamped on the callback queues.
final class EmbeddingConcurrencyTests: XCTestCase {
    func testTwoInstallersOnDifferentPrefixesRunConcurrentlyWithoutInterference() throws {
        let fixture = try RegistryFixture(recipe: .sample())
        // wget needs openssl@3, served at a trickle: the first installer is still busy when the
        // second, started from the first one's plan event, runs from start to end.
        fixture.server.faults.add(.trickle(bytesPerSecond: 200_000), for: .sha256(fixture.sha256(of: "openssl@3")), times: nil)
        let first = Installer(configuration: fixture.configuration())
        let second = Installer(configuration: InstallConfiguration(
            layout: PrefixLayout(prefix: fixture.root.appendingPathComponent("prefix2").path,
                                 cache: fixture.root.appendingPathComponent("cache2").path),
            endpoints: .fromEnvironment(fixture.environment)))

        let firstRun = RecordedRun(label: "first")
        let secondRun = RecordedRun(label: "second")
        let started = Locked(false)
        firstRun.start(first, ["wget"]) { event in
            guard case .planned = event, !started.withLock({ let was = $0; $0 = true; return was }) else { return }
            secondRun.start(second, ["hello"])
        }
        firstRun.wait(self)
        secondRun.wait(self)

        let a = try XCTUnwrap(firstRun.window), b = try XCTUnwrap(secondRun.window)
        XCTAssertTrue(a.start < b.end && b.start < a.end, "the two runs overlapped in time")
        XCTAssertEqual(try firstRun.report().succeeded, true)
        XCTAssertEqual(try secondRun.report().succeeded, true)
        // Each prefix holds exactly its own closure.
        XCTAssertEqual(Set(PrefixInventory.read(layout: first.configuration.layout).installed.map(\.name)),
                       ["wget", "libidn2", "gettext", "libunistring", "openssl@3", "ca-certificates"])
        XCTAssertEqual(Set(PrefixInventory.read(layout: second.configuration.layout).installed.map(\.name)),
                       ["hello", "gettext", "libunistring"])
    }

    func testQueueWidthOneSerialisesTwoInstallOperations() throws {
        let fixture = try RegistryFixture(recipe: .sample())
        // Different prefixes, so that only the queue (not the prefix lock) can serialise them.
        let installers = ["a", "b"].map { suffix in
            Installer(configuration: fixture.configuration(prefix: fixture.root.appendingPathComponent("prefix-\(suffix)").path))
        }
        let timeline = Timeline()
        let operations = zip(["a", "b"], installers).map { label, installer in
            let operation = InstallOperation(installer: installer, names: ["wget"],
                                             callbackQueue: DispatchQueue(label: "embedder.\(label)"))
            operation.eventHandler = { _ in timeline.mark(label) }
            operation.completionHandler = { _ in timeline.mark(label) }
            return operation
        }
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        queue.addOperations(operations, waitUntilFinished: true)

        XCTAssertTrue(operations.allSatisfy(\.didSucceed))
        let a = try XCTUnwrap(timeline.window("a")), b = try XCTUnwrap(timeline.window("b"))
        XCTAssertTrue(a.end < b.start || b.end < a.start, "windows overlap: a \(a), b \(b)")
    }
}

/// One `Installer.install` with its events and completion stamped on its own callback queue.
final class RecordedRun: Sendable {
    let label: String
    let queue: DispatchQueue
    private let done = DispatchSemaphore(value: 0)
    private let timeline = Timeline()
    private let outcome = Locked<Result<InstallReport, InstallError>?>(nil)

    init(label: String) {
        self.label = label
        queue = DispatchQueue(label: "embedder.\(label)")
    }

    func start(_ installer: Installer, _ names: [String], onEvent: @escaping @Sendable (InstallEvent) -> Void = { _ in }) {
        installer.install(names, callbackQueue: queue, events: { [self] event in
            timeline.mark(label)
            onEvent(event)
        }, completion: { [self] result in
            timeline.mark(label)
            outcome.withLock { $0 = result }
            done.signal()
        })
    }

    func wait(_ test: XCTestCase, file: StaticString = #filePath, line: UInt = #line) {
        if done.wait(timeout: .now() + 300) == .timedOut { XCTFail("\(label) did not complete", file: file, line: line) }
        done.signal()
    }

    var window: (start: UInt64, end: UInt64)? { timeline.window(label) }

    func report() throws -> InstallReport { try XCTUnwrap(outcome.current).get() }
}

/// Monotonic timestamps per label; a window is the first and last stamp of a label.
final class Timeline: Sendable {
    private let marks = Locked<[(String, UInt64)]>([])

    func mark(_ label: String) {
        let now = DispatchTime.now().uptimeNanoseconds
        marks.withLock { $0.append((label, now)) }
    }

    func window(_ label: String) -> (start: UInt64, end: UInt64)? {
        let times = marks.current.filter { $0.0 == label }.map(\.1)
        guard let start = times.min(), let end = times.max() else { return nil }
        return (start, end)
    }
}
