import Foundation
import PourCore

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
/// Thread-safe: all state lives in one `Locked` box, written by the event loops and read by
/// tests from any thread.
public final class RequestLog: Sendable {
    private struct State {
        var entries: [RequestLogEntry] = []
        var inFlight: [RegistryListener: Int] = [:]
        var peak: [RegistryListener: Int] = [:]
        var blobTransfers = 0
        var peakBlobTransfers = 0
        var started = 0
    }

    private let state = Locked(State())

    public init() {}

    /// Completed (or aborted) requests, in the order they ended.
    public var entries: [RequestLogEntry] { state.current.entries }

    /// Requests received since the last reset, including those still in flight.
    public var requestCount: Int { state.current.started }

    /// The most blob bodies (listener B `/blobs/...`) that were being served at the same time.
    public var peakConcurrentBlobTransfers: Int { state.current.peakBlobTransfers }

    /// The most requests of one listener that were in flight at the same time.
    public func peakConcurrentRequests(on listener: RegistryListener) -> Int {
        state.current.peak[listener, default: 0]
    }

    /// Entries of one listener.
    public func entries(on listener: RegistryListener) -> [RequestLogEntry] {
        entries.filter { $0.listener == listener }
    }

    /// Forgets entries and peaks (peaks restart from what is in flight now).
    public func reset() {
        state.withLock { state in
            state.entries.removeAll()
            state.started = 0
            state.peak = state.inFlight
            state.peakBlobTransfers = state.blobTransfers
        }
    }

    func begin(listener: RegistryListener, isBlobTransfer: Bool) {
        state.withLock { state in
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
        state.withLock { state in
            state.entries.append(entry)
            state.inFlight[entry.listener, default: 1] -= 1
            if isBlobTransfer { state.blobTransfers -= 1 }
        }
    }
}
