import Foundation

/// PourCore's front door: installs Homebrew bottles into one prefix.
///
/// Thread-safety: an `Installer` is immutable and may be used from any thread; each `install` call
/// is an independent run with its own queues, transfer engine and staging directory, serialised
/// with other runs on the same prefix (in this or another process) by the prefix lock. Two
/// installers on different prefixes run fully in parallel.
///
/// ```swift
/// let installer = Installer(configuration: .fromEnvironment(prefix: "/opt/pour"))
/// let handle = installer.install(["ffmpeg"], callbackQueue: .main, events: { event in
///     print(event)
/// }, completion: { result in
///     // exactly once, on .main
/// })
/// // later, from anywhere: handle.cancel()
/// ```
///
/// For `OperationQueue`-based code, `InstallOperation` wraps this call as an asynchronous
/// `Operation`; the DocC article "Embedding PourCore in a Dispatch application" covers both.
public final class Installer: Sendable {
    public let configuration: InstallConfiguration

    public init(configuration: InstallConfiguration) {
        self.configuration = configuration
        LibraryBootstrap.ensure()
    }

    /// Installs `names` and their runtime dependencies.
    ///
    /// - Parameters:
    ///   - names: formula names as a user types them (aliases, old names and `homebrew/core/`
    ///     prefixes work).
    ///   - options: per-call choices (`force`, `link`).
    ///   - callbackQueue: where `events` and `completion` run (events in order, completion last).
    ///   - events: progress, delivered in order.
    ///   - completion: called exactly once — `.success(report)` when the run finished (check
    ///     `report.failed`/`skipped` for per-package failures), `.failure(.cancelled(report))`
    ///     after `cancel()`, or another `InstallError` when nothing could be attempted.
    /// - Returns: a handle whose `cancel()` stops the run cleanly.
    @discardableResult
    public func install(_ names: [String], options: InstallOptions = InstallOptions(), callbackQueue: DispatchQueue,
                        events: @escaping @Sendable (InstallEvent) -> Void = { _ in },
                        completion: @escaping @Sendable (Result<InstallReport, InstallError>) -> Void) -> InstallHandle {
        // A private serial queue that targets the caller's: events and the completion keep their
        // order even when the caller passes a concurrent queue (Alamofire's root-queue pattern).
        let callbacks = DispatchQueue(label: "pour.install.callbacks", target: callbackQueue)
        // Per-package metrics are stamped when each event happens (the recorder is locked), not
        // when the callback queue gets round to delivering it.
        let metrics = InstallMetricsRecorder()
        let run = InstallRun(configuration: configuration, names: names, options: options, callbackQueue: callbacks,
                             observe: metrics.record, events: events,
                             completion: { result in completion(metrics.apply(to: result)) })
        run.start()
        return InstallHandle { run.cancel() }
    }
}
