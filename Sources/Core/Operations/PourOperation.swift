import Foundation

/// The asynchronous `Operation` underneath `InstallOperation`, `UninstallOperation`,
/// `MetadataRefreshOperation` and `UpgradeOperation`: it turns one completion-handler call of
/// PourCore into a unit an `OperationQueue` can schedule, chain with dependencies, bound with
/// `maxConcurrentOperationCount` and cancel.
///
/// Behaviour, in the order things happen:
/// - `isAsynchronous` is `true`: `start()` begins the work and returns at once; the operation stays
///   `isExecuting` until the work's completion handler runs. An `OperationQueue` therefore counts
///   it against `maxConcurrentOperationCount` for the whole install, not just for `start()`.
/// - `start()` first checks `isCancelled`: a cancelled operation finishes without doing any work,
///   with `OperationError.cancelled`. It then checks its dependencies: if one was cancelled, or is
///   an `OperationSuccessReporting` whose `didSucceed` is `false`, the operation finishes without
///   work with `OperationError.dependencyDidNotSucceed` (this differs from plain `Operation`, which
///   runs dependents of a cancelled dependency anyway; set `requiresSuccessfulDependencies` to
///   `false` to get that behaviour back).
/// - `cancel()` while executing forwards to the running work's `InstallHandle.cancel()`; the
///   work stops at its next safe point and the operation finishes with the underlying error.
/// - When the work ends, `result` is set, `completionHandler` runs on `callbackQueue`, and only
///   then do `isExecuting`/`isFinished` change, so a dependent operation never starts before the
///   completion handler of its dependency has returned and always sees its `result`.
///
/// KVO: `isExecuting` and `isFinished` are backed by one state variable guarded by a lock, and
/// every transition sends `willChangeValue`/`didChangeValue` for both keys outside the lock, which
/// is what `OperationQueue` (Darwin and swift-corelibs-foundation alike) observes.
///
/// Thread-safety: every property may be read from any thread. `completionHandler`,
/// `requiresSuccessfulDependencies` and the subclasses' event handlers are read once, when the
/// operation starts: set them before adding the operation to a queue. Never block
/// `callbackQueue` waiting for the operation (for example with `waitUntilFinished()`): the
/// operation finishes from a block on that queue.
///
/// `@unchecked Sendable`: the mutable state (`state`, `storedResult`, the handlers and the
/// cancellation hook) is only touched while `lock` is held; `Operation` itself is thread-safe.
open class PourOperation<Success: Sendable, Failure: Error & Sendable>: Operation, OperationSuccessReporting,
    @unchecked Sendable
{
    public typealias OperationResult = Result<Success, OperationError<Failure>>

    private enum State { case ready, executing, finished }

    /// What `complete(with:)` takes out of the locked state: whether this call is the one that
    /// counts, and the handler to run.
    private struct Completion {
        var handler: (@Sendable (OperationResult) -> Void)?
    }

    /// Where `completionHandler` (and the subclasses' event handlers) run. A serial queue keeps
    /// events in order; the default is a private serial queue.
    public let callbackQueue: DispatchQueue

    private let lock = NSLock()
    private var state = State.ready
    /// Set by the first `start()`; a second call (from a queue bug or a manual start) is ignored.
    private var started = false
    private var storedResult: OperationResult?
    private var storedCompletion: (@Sendable (OperationResult) -> Void)?
    private var storedRequiresDependencies = true
    /// Cancels the running work; installed by `execute()` through `onCancel`.
    private var cancelWork: (@Sendable () -> Void)?

    /// - Parameter callbackQueue: where the handlers run. PourCore wraps it in a private serial
    ///   queue that targets it, so one operation's callbacks stay in order even on a concurrent
    ///   queue. `nil` means one serial queue shared by every
    ///   operation created without one, so handlers of different operations never run at once.
    public init(callbackQueue: DispatchQueue? = nil) {
        self.callbackQueue = DispatchQueue(label: "pour.operation.callbacks",
                                           target: callbackQueue ?? sharedOperationCallbackQueue)
        super.init()
    }

    // MARK: - Public surface

    /// Called exactly once, on `callbackQueue`, with the final result — also when the operation
    /// did no work. Set it before the operation starts.
    public var completionHandler: (@Sendable (OperationResult) -> Void)? {
        get { lock.withLock { storedCompletion } }
        set { lock.withLock { storedCompletion = newValue } }
    }

    /// When `true` (the default) the operation does no work if a dependency was cancelled or did
    /// not succeed. Set it before the operation starts.
    public var requiresSuccessfulDependencies: Bool {
        get { lock.withLock { storedRequiresDependencies } }
        set { lock.withLock { storedRequiresDependencies = newValue } }
    }

    /// The outcome, once the operation has finished (set just before `completionHandler` runs);
    /// `nil` before.
    public var result: OperationResult? { lock.withLock { storedResult } }

    /// `true` when the operation finished and its result counts as success (see `isSuccess(_:)`).
    public var didSucceed: Bool {
        guard case .success(let value)? = result else { return false }
        return isSuccess(value)
    }

    // MARK: - Operation overrides

    public final override var isAsynchronous: Bool { true }
    public final override var isExecuting: Bool { lock.withLock { state == .executing } }
    public final override var isFinished: Bool { lock.withLock { state == .finished } }

    /// Subclasses customise `execute()`, not this: the state machine must stay in one place.
    public final override func start() {
        // Claim the ready → executing transition once, even if start() is called twice.
        let claimed: Bool = lock.withLock {
            guard !started, state == .ready else { return false }
            started = true
            return true
        }
        guard claimed else { return }
        if isCancelled { return skip(.cancelled) }
        if requiresSuccessfulDependencies, let blocker = unsuccessfulDependency() {
            return skip(.dependencyDidNotSucceed(blocker))
        }
        transition(to: .executing)
        execute()
    }

    /// Marks the operation cancelled and, while it executes, cancels the running work.
    /// Subclasses that override it must call `super.cancel()`.
    open override func cancel() {
        super.cancel()
        let hook: (@Sendable () -> Void)? = lock.withLock {
            guard state == .executing else { return nil }
            let hook = cancelWork
            cancelWork = nil
            return hook
        }
        hook?()
    }

    // MARK: - For subclasses

    /// Starts the work. Called once, on the thread that called `start()`, after the cancellation
    /// and dependency checks; must not block. Call `onCancel(_:)` with the work's cancellation and
    /// `complete(with:)` exactly once when it ends.
    open func execute() {
        complete(with: .failure(.cancelled))
    }

    /// Whether a successful value counts as success for `didSucceed` and for dependents (an
    /// install whose report lists failed packages does not). Default: `true`.
    open func isSuccess(_ value: Success) -> Bool { true }

    /// Registers how to cancel the running work. If `cancel()` already happened, `hook` runs now.
    public final func onCancel(_ hook: @escaping @Sendable () -> Void) {
        let runNow: Bool = lock.withLock {
            // Nothing to register once the work has completed; run at once if already cancelled.
            guard state == .executing, storedResult == nil, !isCancelled else { return storedResult == nil }
            cancelWork = hook
            return false
        }
        if runNow && isCancelled { hook() }
    }

    /// Records the result, runs `completionHandler` on `callbackQueue`, then finishes. Only the
    /// first call counts.
    public final func complete(with result: OperationResult) {
        let completion: Completion? = lock.withLock {
            guard storedResult == nil, state != .finished else { return nil }
            storedResult = result
            cancelWork = nil
            defer { storedCompletion = nil }
            return Completion(handler: storedCompletion)
        }
        guard let completion else { return }
        callbackQueue.async { [self] in
            completion.handler?(result)
            transition(to: .finished)
        }
    }

    // MARK: - Private

    private func skip(_ reason: OperationError<Failure>) {
        // An operation that never executed still goes through executing → finished, so observers
        // see the same transitions whatever happened.
        transition(to: .executing)
        complete(with: .failure(reason))
    }

    private func unsuccessfulDependency() -> String? {
        for dependency in dependencies {
            let failed: Bool
            if dependency.isCancelled {
                failed = true
            } else if let reporting = dependency as? OperationSuccessReporting {
                failed = !reporting.didSucceed
            } else {
                failed = false
            }
            if failed { return dependency.name ?? String(describing: type(of: dependency)) }
        }
        return nil
    }

    private func transition(to newState: State) {
        willChangeValue(forKey: "isExecuting")
        willChangeValue(forKey: "isFinished")
        lock.withLock { state = newState }
        didChangeValue(forKey: "isExecuting")
        didChangeValue(forKey: "isFinished")
    }
}

/// The serial queue on which the handlers of every operation created without a callback queue run.
let sharedOperationCallbackQueue = DispatchQueue(label: "pour.operation.shared-callbacks")
