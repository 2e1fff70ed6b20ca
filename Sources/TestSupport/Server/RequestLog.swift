import Foundation

/// One request as the server saw it, recorded when its response ended (fully or not).
public struct RequestLogEntry: Hashable, Sendable {
    public var listener: RegistryListener
    public var method: String
    /// The request target as sent, query included.
    public var uri: String
    /// Header fields, names lower-cased (repeated fields joined with ", ").
    public var headers: [String: String]
    public var status: Int
    /// Body bytes written to the socket.
    public var bytesSent: Int
    /// Whether the whole announced body was sent.
    public var completed: Bool
    /// The scripted fault applied, if any (`Fault.label`).
    public var fault: String?
    public var start: Date
    public var end: Date

    /// The path without query.
    public var path: String { uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? uri }
    public var hadAuthorization: Bool { headers["authorization"] != nil }
    public var range: String? { headers["range"] }
}

/// What the server did, for assertions: every request, request counts and the peak number of
/// responses in flight at once.
///
/// Thread-safe: all state is guarded by one `NSCondition` (written by the event loops, read by
/// tests from any thread), which is also what `waitUntilIdle` waits on; that lock is why the
/// `@unchecked Sendable` is sound.
public final class RequestLog: @unchecked Sendable {
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

    public init() {}

    private func withState<Result>(_ body: (inout State) -> Result) -> Result {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        return body(&state)
    }

    /// Completed (or aborted) requests, in the order they ended.
    public var entries: [RequestLogEntry] { withState { $0.entries } }

    /// Requests received since the last reset, including those still in flight.
    public var requestCount: Int { withState { $0.started } }

    /// The most blob bodies (listener B `/blobs/...`) that were being served at the same time.
    public var peakConcurrentBlobTransfers: Int { withState { $0.peakBlobTransfers } }

    /// The most requests of one listener that were in flight at the same time.
    public func peakConcurrentRequests(on listener: RegistryListener) -> Int {
        withState { $0.peak[listener, default: 0] }
    }

    /// Entries of one listener.
    public func entries(on listener: RegistryListener) -> [RequestLogEntry] {
        entries.filter { $0.listener == listener }
    }

    /// Blocks until no request is in flight, so a client that has just seen its response end can
    /// assert on the log: the server records a request only after its last write or its close,
    /// which the client may observe first. Returns false on timeout.
    @discardableResult
    public func waitUntilIdle(timeout: TimeInterval = 10) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while state.totalInFlight > 0 {
            if !condition.wait(until: deadline) { return state.totalInFlight == 0 }
        }
        return true
    }

    /// Forgets entries and peaks (peaks restart from what is in flight now).
    public func reset() {
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
