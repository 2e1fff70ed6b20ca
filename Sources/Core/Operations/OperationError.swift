/// Why a PourCore `Operation` has no successful result.
///
/// Thread-safety: an immutable value; safe to share across queues.
public enum OperationError<Failure: Error & Sendable>: Error, Sendable, CustomStringConvertible {
    /// The operation was cancelled before it did any work (it never touched the network or the
    /// prefix).
    case cancelled
    /// A dependency was cancelled, failed, or finished with a result that does not count as
    /// success (see `OperationSuccessReporting`), so this operation did no work. The associated
    /// value is the dependency's `name`, or its type when it has none.
    case dependencyDidNotSucceed(String)
    /// The work ran and ended in this error. A cancellation that arrives while the work runs ends
    /// here too, as the underlying API reports it (for an install: `.failed(.cancelled(report))`).
    case failed(Failure)

    /// True when the operation did no work at all.
    public var didNotRun: Bool {
        if case .failed = self { return false }
        return true
    }

    public var description: String {
        switch self {
        case .cancelled: return "cancelled before it started"
        case .dependencyDidNotSucceed(let name): return "not run: dependency \(name) did not succeed"
        case .failed(let error): return "\(error)"
        }
    }
}
