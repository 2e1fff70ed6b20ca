import Foundation
import PourCore
import PourTestSupport
import XCTest

/// The curl-multi engine on its own, against the real server: admission order, cancellation while
/// waiting for a slot, and slot accounting.
final class TransferEngineTests: XCTestCase {
    private func fetch(_ engine: TransferEngine, _ url: String, priority: Int64 = 0,
                       done: @escaping @Sendable (Result<TransferSummary, TransferError>) -> Void) -> TransferHandle {
        engine.start(TransferRequest(url: url), priority: priority, queue: DispatchQueue(label: "sink"),
                     onResponse: { _ in }, onData: { _ in }, completion: done)
    }

    /// libcurl's own error text (which names the host and port) still reaches the failure: the
    /// error buffer is given to a handle only when the transfer is configured, not while it waits.
    func testAFailedConnectionReportsLibcurlsMessageNamingThePort() throws {
        // A port nothing listens on: bound, read back, closed.
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(probe, 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(probe, $0, length) == 0 && getsockname(probe, $0, &length) == 0
            }
        }
        close(probe)
        XCTAssertTrue(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))

        let engine = try XCTUnwrap(TransferEngine(maxConcurrentTransfers: 1))
        defer { engine.shutdown() }
        let outcome = Locked<Result<TransferSummary, TransferError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        // Two transfers for one slot: the second waits, then fails the same way.
        for _ in 0..<2 {
            _ = fetch(engine, "http://127.0.0.1:\(port)/nothing") { result in
                outcome.withLock { $0 = result }
                done.signal()
            }
        }
        for _ in 0..<2 {
            XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
            guard case .failure(.network(_, let message, _))? = outcome.current else {
                return XCTFail("\(String(describing: outcome.current))")
            }
            XCTAssertTrue(message.contains("port \(port)"), message)
        }
    }

    func testWaitingTransfersAreAdmittedHighestPriorityFirst() throws {
        let fixture = try RegistryFixture(recipe: .custom((1...4).map { FormulaSpec(name: "p\($0)", targetCompressedSize: 300_000) }),
                                          server: ServerConfiguration(perConnectionRate: 1_000_000))
        let engine = try XCTUnwrap(TransferEngine(maxConcurrentTransfers: 1))
        defer { engine.shutdown() }
        let group = DispatchGroup()
        let url = { (name: String) in fixture.server.blobBaseURL + "/blobs/sha256:" + fixture.sha256(of: name) }
        group.enter()
        let firstStarted = DispatchSemaphore(value: 0)
        _ = engine.start(TransferRequest(url: url("p1")), queue: DispatchQueue(label: "sink"),
                         onResponse: { _ in firstStarted.signal() }, onData: { _ in },
                         completion: { _ in group.leave() })
        // Once p1 holds the only slot, queue three more with different priorities.
        XCTAssertEqual(firstStarted.wait(timeout: .now() + 30), .success)
        for (name, priority) in [("p2", Int64(1)), ("p3", 3), ("p4", 2)] {
            group.enter()
            _ = fetch(engine, url(name), priority: priority) { result in
                if case .failure(let error) = result { XCTFail("\(name): \(error)") }
                group.leave()
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
        // One slot: each transfer starts after the previous one ended, so the log's order is the
        // admission order (no clock readings compared).
        let order = fixture.log.entries(on: .blob).map(\.path)
        XCTAssertEqual(order, ["p1", "p3", "p4", "p2"].map { "/blobs/sha256:" + fixture.sha256(of: $0) })
        XCTAssertEqual(fixture.log.peakConcurrentBlobTransfers, 1)
    }

    func testCancellingAWaitingTransferCompletesOnceAndFreesNothingItDidNotHold() throws {
        let fixture = try RegistryFixture(recipe: .custom([FormulaSpec(name: "a", targetCompressedSize: 300_000)]),
                                          server: ServerConfiguration(perConnectionRate: 1_000_000))
        let engine = try XCTUnwrap(TransferEngine(maxConcurrentTransfers: 1))
        defer { engine.shutdown() }
        let url = fixture.server.blobBaseURL + "/blobs/sha256:" + fixture.sha256(of: "a")
        let completions = Locked<[String]>([])
        let group = DispatchGroup()
        group.enter()
        _ = fetch(engine, url) { result in
            completions.withLock { $0.append(result.isSuccess ? "first ok" : "first failed") }
            group.leave()
        }
        group.enter()
        let waiting = fetch(engine, url) { result in
            completions.withLock { $0.append(result.failureIsCancelled ? "second cancelled" : "second \(result)") }
            group.leave()
        }
        waiting.cancel()
        waiting.cancel()
        group.enter()
        _ = fetch(engine, url) { result in
            completions.withLock { $0.append(result.isSuccess ? "third ok" : "third failed") }
            group.leave()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
        XCTAssertEqual(Set(completions.current), ["first ok", "second cancelled", "third ok"])
        XCTAssertEqual(completions.current.count, 3)
        XCTAssertEqual(fixture.log.entries(on: .blob).count, 2, "the cancelled transfer never reached the server")
    }

    func testCancellingARunningTransferReportsCancelledAndReleasesItsSlot() throws {
        let fixture = try RegistryFixture(recipe: .custom([FormulaSpec(name: "a", targetCompressedSize: 2_000_000)]),
                                          server: ServerConfiguration(perConnectionRate: 500_000))
        let engine = try XCTUnwrap(TransferEngine(maxConcurrentTransfers: 1))
        defer { engine.shutdown() }
        let url = fixture.server.blobBaseURL + "/blobs/sha256:" + fixture.sha256(of: "a")
        let gotData = DispatchSemaphore(value: 0)
        let first = DispatchSemaphore(value: 0)
        let outcome = Locked<Result<TransferSummary, TransferError>?>(nil)
        let handle = engine.start(TransferRequest(url: url), queue: DispatchQueue(label: "sink"), onResponse: { _ in },
                                  onData: { _ in gotData.signal() }, completion: { result in
                                      outcome.withLock { $0 = result }
                                      first.signal()
                                  })
        XCTAssertEqual(gotData.wait(timeout: .now() + 30), .success)
        handle.cancel()
        XCTAssertEqual(first.wait(timeout: .now() + 30), .success)
        XCTAssertTrue(outcome.current?.failureIsCancelled == true, "\(String(describing: outcome.current))")
        let second = DispatchSemaphore(value: 0)
        _ = fetch(engine, fixture.server.registryBaseURL + "/api/formula/a.json") { _ in second.signal() }
        XCTAssertEqual(second.wait(timeout: .now() + 30), .success, "the slot was given back")
    }
}

extension TransferEngineTests {
    /// Small transfers (expected length known and ≤ `smallTransferBytes`) run in the bulk lane's
    /// small-transfer slots beside the `--jobs` slots; a transfer of unknown or large size never
    /// takes one. The server's gate holds every blob answer until six requests are open at once:
    /// with 2 job slots that happens only if the four small transfers ran beside the two big ones,
    /// and the third big one must still wait (peak exactly 6).
    func testSmallTransfersRunBesideTheJobSlotsAndLargeOnesDoNot() throws {
        let specs = (1...3).map { FormulaSpec(name: "big\($0)", targetCompressedSize: 600_000) }
            + (1...4).map { FormulaSpec(name: "small\($0)", targetCompressedSize: 20_000) }
        let fixture = try RegistryFixture(recipe: .custom(specs))
        fixture.server.blobGate.hold(until: 6)
        let engine = try XCTUnwrap(TransferEngine(maxConcurrentTransfers: 2))
        defer { engine.shutdown() }
        let url = { (name: String) in fixture.server.blobBaseURL + "/blobs/sha256:" + fixture.sha256(of: name) }
        let group = DispatchGroup()
        let failures = Locked<[String]>([])
        func start(_ name: String, expectedBytes: Int64?) {
            group.enter()
            engine.start(TransferRequest(url: url(name)), expectedBytes: expectedBytes, queue: DispatchQueue(label: "sink"),
                         onResponse: { _ in }, onData: { _ in }, completion: { result in
                if case .failure(let error) = result { failures.withLock { $0.append("\(name): \(error)") } }
                group.leave()
            })
        }
        start("big1", expectedBytes: nil)
        start("big2", expectedBytes: nil)
        // Known but above the small-transfer bound: must wait for a job slot.
        start("big3", expectedBytes: TransferEngine.smallTransferBytes + 1)
        for index in 1...4 { start("small\(index)", expectedBytes: 20_000) }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
        XCTAssertEqual(failures.withLock { $0 }, [])
        XCTAssertEqual(fixture.log.peakConcurrentBlobTransfers, 6,
                       "2 job slots + 4 small transfers beside them, and no more")
    }

    /// A size learnt while waiting (the manifest arrived) moves a small transfer into a small
    /// slot: both job slots are held by gated big transfers, so the small one can only finish
    /// (and open the gate at three requests) through `setExpectedBytes`.
    func testASizeLearntWhileWaitingAdmitsASmallTransfer() throws {
        let specs = [FormulaSpec(name: "big1", targetCompressedSize: 600_000), FormulaSpec(name: "big2", targetCompressedSize: 600_000),
                     FormulaSpec(name: "small", targetCompressedSize: 20_000)]
        let fixture = try RegistryFixture(recipe: .custom(specs))
        fixture.server.blobGate.hold(until: 3)
        let engine = try XCTUnwrap(TransferEngine(maxConcurrentTransfers: 2))
        defer { engine.shutdown() }
        let url = { (name: String) in fixture.server.blobBaseURL + "/blobs/sha256:" + fixture.sha256(of: name) }
        let group = DispatchGroup()
        for name in ["big1", "big2"] {
            group.enter()
            _ = fetch(engine, url(name)) { _ in group.leave() }
        }
        group.enter()
        let small = fetch(engine, url("small")) { result in
            XCTAssertTrue(result.isSuccess, "\(result)")
            group.leave()
        }
        small.setExpectedBytes(20_000)
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
        XCTAssertEqual(fixture.log.peakConcurrentBlobTransfers, 3)
    }
}

private extension Result where Failure == TransferError {
    var isSuccess: Bool { if case .success = self { return true } else { return false } }
    var failureIsCancelled: Bool { if case .failure(.cancelled) = self { return true } else { return false } }
}
