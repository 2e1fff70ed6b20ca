/// A one-way "stop" flag checked by long-running blocking work (extraction, relocation, linking)
/// at safe points between units of work.
///
/// Thread-safe: the flag lives in a `Locked` box and may be set and read from any queue.
package final class CancellationFlag: Sendable {
    private let state = Locked(false)

    package init() {}

    /// Requests cancellation. Idempotent.
    package func cancel() { state.withLock { $0 = true } }

    package var isCancelled: Bool { state.current }
}
