import Foundation

/// One request as the server saw it, recorded when its response ended (fully or not).
package struct RequestLogEntry: Hashable, Sendable {
    package var listener: RegistryListener
    package var method: String
    /// The request target as sent, query included.
    package var uri: String
    /// Header fields, names lower-cased (repeated fields joined with ", ").
    package var headers: [String: String]
    package var status: Int
    /// Body bytes written to the socket.
    package var bytesSent: Int
    /// Whether the whole announced body was sent.
    package var completed: Bool
    /// The scripted fault applied, if any (`Fault.label`).
    package var fault: String?
    package var start: Date
    package var end: Date

    /// The path without query.
    package var path: String { uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? uri }
    package var hadAuthorization: Bool { headers["authorization"] != nil }
    package var range: String? { headers["range"] }
}

/// What the server did, for assertions: every request, request counts and the peak number of
/// responses in flight at once.
///
/// Thread-safe: all state is guarded by one `NSCondition` (written by the event loops, read by
/// tests from any thread), which is also what `waitUntilIdle` waits on; that lock is why the
/// `@unchecked Sendable` is sound.
package final class RequestLog: @unchecked Sendable {
    private struct State {
        var entries: [RequestLogEntry] = []
        var inFlight: [RegistryListener: Int] = [:]
        var peak: [RegistryListener: Int] = [:]
        var blobTransfers = 0
        var peakBlobTransfers = 0
        var started = 0
        var totalInFlight: Int { inFlight.values.reduce(0, +) }
    }

    private let condition = NSCondition()
    private var state = State()

    package init() {}

    private func withState<Result>(_ body: (inout State) -> Result) -> Result {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        return body(&state)
    }

    /// Completed (or aborted) requests, in the order they ended.
    package var entries: [RequestLogEntry] { withState { $0.entries } }

    /// Requests received since the last reset, including those still in flight.
    package var requestCount: Int { withState { $0.started } }

    /// The most blob bodies (listener B `/blobs/...`) that were being served at the same time.
    package var peakConcurrentBlobTransfers: Int { withState { $0.peakBlobTransfers } }

    /// The most requests of one listener that were in flight at the same time.
    package func peakConcurrentRequests(on listener: RegistryListener) -> Int {
        withState { $0.peak[listener, default: 0] }
    }

    /// Entries of one listener.
    package func entries(on listener: RegistryListener) -> [RequestLogEntry] {
        entries.filter { $0.listener == listener }
    }

    /// Blocks until no request is in flight, so a client that has just seen its response end can
    /// assert on the log: the server records a request only after its last write or its close,
    /// which the client may observe first. Returns false on timeout.
    @discardableResult
    package func waitUntilIdle(timeout: TimeInterval = 10) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while state.totalInFlight > 0 {
            if !condition.wait(until: deadline) { return state.totalInFlight == 0 }
        }
        return true
    }

    /// Blocks until at least `count` requests were received since the last reset (in flight or
    /// not). Returns false on timeout.
    @discardableResult
    package func waitUntilRequestCount(atLeast count: Int, timeout: TimeInterval = 30) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while state.started < count {
            if !condition.wait(until: deadline) { return state.started >= count }
        }
        return true
    }

    /// Forgets entries and peaks (peaks restart from what is in flight now).
    package func reset() {
        withState { state in
            state.entries.removeAll()
            state.started = 0
            state.peak = state.inFlight
            state.peakBlobTransfers = state.blobTransfers
        }
    }

    func begin(listener: RegistryListener, isBlobTransfer: Bool) {
        withState { state in
            state.started += 1
            let now = state.inFlight[listener, default: 0] + 1
            state.inFlight[listener] = now
            state.peak[listener] = max(state.peak[listener, default: 0], now)
            if isBlobTransfer {
                state.blobTransfers += 1
                state.peakBlobTransfers = max(state.peakBlobTransfers, state.blobTransfers)
            }
        }
    }

    func end(_ entry: RequestLogEntry, isBlobTransfer: Bool) {
        withState { state in
            state.entries.append(entry)
            state.inFlight[entry.listener, default: 1] -= 1
            if isBlobTransfer { state.blobTransfers -= 1 }
        }
    }
}
