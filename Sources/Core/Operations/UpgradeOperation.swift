import Foundation

/// `Upgrader.run` (`pour upgrade` / `pour reinstall`) as an asynchronous `Operation`.
///
/// The operation executes until the upgrade's report is known; `cancel()` forwards to the run's
/// `InstallHandle.cancel()`, so every package ends wholly on its old or wholly on its new version.
/// `didSucceed` follows `Upgrader.Report.succeeded`.
///
/// Result: `.success(report)`; `.failure(.failed(error))` when nothing could be attempted
/// (unknown names, metadata, lock); `.failure(.cancelled)` / `.dependencyDidNotSucceed` when it
/// did no work.
///
/// Thread-safety: see `PourOperation`; set `planHandler` and `eventHandler` before the operation
/// starts. `@unchecked Sendable`: the added handlers are guarded by `handlerLock`.
public final class UpgradeOperation: PourOperation<Upgrader.Report, LifecycleError>, @unchecked Sendable {
    public let upgrader: Upgrader
    public let mode: Upgrader.Mode
    public let names: [String]

    private let handlerLock = NSLock()
    private var storedPlanHandler: (@Sendable (Upgrader.Plan) -> Void)?
    private var storedEventHandler: (@Sendable (InstallEvent) -> Void)?

    /// - Parameters:
    ///   - upgrader: the upgrader (and through it the installer and configuration) to use.
    ///   - mode: `.upgrade` or `.reinstall`.
    ///   - names: formulae to upgrade or reinstall; for `.upgrade`, empty means every outdated
    ///     formula.
    ///   - callbackQueue: where the handlers run; a private serial queue when `nil`.
    public init(upgrader: Upgrader, mode: Upgrader.Mode = .upgrade, names: [String] = [],
                callbackQueue: DispatchQueue? = nil) {
        self.upgrader = upgrader
        self.mode = mode
        self.names = names
        super.init(callbackQueue: callbackQueue)
        name = (mode == .upgrade ? "upgrade " : "reinstall ") + names.joined(separator: " ")
    }

    /// The plan, on `callbackQueue`, before anything is installed.
    public var planHandler: (@Sendable (Upgrader.Plan) -> Void)? {
        get { handlerLock.withLock { storedPlanHandler } }
        set { handlerLock.withLock { storedPlanHandler = newValue } }
    }

    /// The underlying install's events, in order, on `callbackQueue`.
    public var eventHandler: (@Sendable (InstallEvent) -> Void)? {
        get { handlerLock.withLock { storedEventHandler } }
        set { handlerLock.withLock { storedEventHandler = newValue } }
    }

    public override func execute() {
        let onPlan = planHandler
        let events = eventHandler
        let handle = upgrader.run(mode, names: names, callbackQueue: callbackQueue,
                                  onPlan: { plan in onPlan?(plan) },
                                  events: { event in events?(event) },
                                  completion: { [self] result in complete(with: result.mapError { .failed($0) }) })
        onCancel { handle.cancel() }
    }

    public override func isSuccess(_ report: Upgrader.Report) -> Bool { report.succeeded }
}
