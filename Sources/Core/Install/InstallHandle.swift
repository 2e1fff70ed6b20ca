/// A caller's grip on a running install: cancel it from any thread.
///
/// Thread-safe: it only forwards to the run, which hops onto its own queue.
public final class InstallHandle: Sendable {
    private let onCancel: @Sendable () -> Void

    init(onCancel: @escaping @Sendable () -> Void) { self.onCancel = onCancel }

    /// Cancels every transfer, stops extraction at the next safe point, removes this run's
    /// `.incomplete` files and staging directories, and completes with `.cancelled(report)`.
    /// Packages already committed and linked stay installed. Idempotent.
    public func cancel() { onCancel() }
}
