import Foundation

/// `Installer.install` as an asynchronous `Operation`.
///
/// ```swift
/// let queue = OperationQueue()
/// queue.maxConcurrentOperationCount = 1
/// let install = InstallOperation(installer: installer, names: ["wget"], callbackQueue: .main)
/// install.eventHandler = { event in render(event) }          // on .main, in order
/// install.completionHandler = { result in report(result) }   // on .main, once
/// queue.addOperation(install)
/// // later: install.cancel() or queue.cancelAllOperations()
/// ```
///
/// The operation executes for the whole install: it counts against the queue's
/// `maxConcurrentOperationCount` until the report is known, and `cancel()` forwards to the run's
/// `InstallHandle.cancel()` (packages already committed stay installed; nothing partial is left).
/// `didSucceed` is `true` only when every package of the plan is installed or already installed
/// (`InstallReport.succeeded`), so dependents of an install with failed packages do not run.
///
/// Result: `.success(report)`; `.failure(.failed(error))` when the run could not proceed or was
/// cancelled while running (`.failed(.cancelled(report))`); `.failure(.cancelled)` or
/// `.failure(.dependencyDidNotSucceed)` when it did no work.
///
/// Thread-safety: see `PourOperation`; set `eventHandler` before the operation starts.
/// `@unchecked Sendable`: the only added mutable state, `storedEventHandler`, is guarded by
/// `handlerLock`.
public final class InstallOperation: PourOperation<InstallReport, InstallError>, @unchecked Sendable {
    public let installer: Installer
    public let names: [String]
    public let options: InstallOptions

    private let handlerLock = NSLock()
    private var storedEventHandler: (@Sendable (InstallEvent) -> Void)?

    public init(installer: Installer, names: [String], options: InstallOptions = InstallOptions(),
                callbackQueue: DispatchQueue? = nil) {
        self.installer = installer
        self.names = names
        self.options = options
        super.init(callbackQueue: callbackQueue)
        name = "install " + names.joined(separator: " ")
    }

    /// Progress, in order, on `callbackQueue`; every event precedes `completionHandler`.
    public var eventHandler: (@Sendable (InstallEvent) -> Void)? {
        get { handlerLock.withLock { storedEventHandler } }
        set { handlerLock.withLock { storedEventHandler = newValue } }
    }

    public override func execute() {
        let events = eventHandler
        let handle = installer.install(names, options: options, callbackQueue: callbackQueue,
                                       events: { event in events?(event) },
                                       completion: { [self] result in complete(with: result.mapError { .failed($0) }) })
        onCancel { handle.cancel() }
    }

    public override func isSuccess(_ report: InstallReport) -> Bool { report.succeeded }
}
