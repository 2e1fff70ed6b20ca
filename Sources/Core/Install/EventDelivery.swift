import Foundation

/// Hands a run's events to its callback queue in batches, and its completion after the last of them.
///
/// Why: a 1,000-package install emits ~9 events a package from the run queue and the download
/// queues. One `callbackQueue.async` per event woke a worker thread per event (a third of the
/// install's scheduler wake-ups, even under `--quiet` where the handler does nothing). Here an
/// event is appended to a buffer and at most one drain is scheduled, `coalescing` after the first
/// event of a batch; a burst from many packages costs one wake-up. A few milliseconds is below
/// what a progress display can show.
///
/// Contract (kept from the one-`async`-per-event delivery):
/// - `handler` runs only on `queue`, which must be serial, for every event in the order `send`
///   was called (the buffer is appended under the lock, so calls from several queues are ordered
///   by when they took it);
/// - `finish`'s block runs on `queue` after every event sent before `finish`: it drains the buffer
///   itself first, since the scheduled drain may still be waiting for its deadline.
///   (`EventDeliveryTests`, `ManyPackageEventOrderTests`.)
/// - events sent after `finish` are dropped: nothing is delivered after the completion.
///
/// Confinement: `pending`, `drainScheduled` and `finished` are guarded by `lock`; `handler` is
/// called only on `queue` (serial), so drains never overlap. Hence `@unchecked Sendable`.
final class EventDelivery<Event: Sendable>: @unchecked Sendable {
    /// How long a batch stays open after its first event.
    static var defaultCoalescing: DispatchTimeInterval { .milliseconds(4) }

    private let queue: DispatchQueue
    private let coalescing: DispatchTimeInterval
    private let handler: @Sendable (Event) -> Void
    private let lock = NSLock()
    // lock state
    private var pending: [Event] = []
    private var drainScheduled = false
    private var finished = false

    /// - Parameters:
    ///   - queue: a serial queue; `handler` and `finish`'s block run there.
    ///   - coalescing: how long a batch waits for more events before it is delivered.
    init(queue: DispatchQueue, coalescing: DispatchTimeInterval = EventDelivery.defaultCoalescing,
         handler: @escaping @Sendable (Event) -> Void) {
        self.queue = queue
        self.coalescing = coalescing
        self.handler = handler
    }

    /// Queues `event` for delivery; any queue, never blocks beyond the lock.
    func send(_ event: Event) {
        let schedule: Bool = lock.withLock {
            guard !finished else { return false }
            pending.append(event)
            guard !drainScheduled else { return false }
            drainScheduled = true
            return true
        }
        guard schedule else { return }
        queue.asyncAfter(deadline: .now() + coalescing) { [self] in drain() }
    }

    /// Runs `last` on `queue` once every event sent so far has been delivered; later events are
    /// dropped.
    func finish(then last: @escaping @Sendable () -> Void) {
        lock.withLock { finished = true }
        queue.async { [self] in
            drain()
            last()
        }
    }

    /// On `queue`: delivers everything buffered. A drain scheduled earlier that finds the buffer
    /// empty (`finish` took it) does nothing.
    private func drain() {
        dispatchPrecondition(condition: .onQueue(queue))
        let batch: [Event] = lock.withLock {
            drainScheduled = false
            defer { pending = [] }
            return pending
        }
        for event in batch { handler(event) }
    }
}
