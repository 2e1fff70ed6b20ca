import Foundation

/// An `Operation` that can say, once finished, whether it succeeded.
///
/// PourCore's operations check this on each of their dependencies before they start: a dependency
/// that reports `false` (or any `Operation` dependency that was cancelled) makes the dependent
/// finish without doing any work, with `OperationError.dependencyDidNotSucceed`. Conform your own
/// `Operation` subclasses to take part in the same rule.
///
/// Thread-safety: implementations must allow `didSucceed` to be read from any thread.
public protocol OperationSuccessReporting: AnyObject {
    /// `true` only when the operation finished and its work succeeded; `false` while it has not
    /// finished.
    var didSucceed: Bool { get }
}
