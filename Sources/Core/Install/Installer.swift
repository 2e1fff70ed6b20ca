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
                        events: @escaping @Sendable (InstallEvent) -> Void,
                        completion: @escaping @Sendable (Result<InstallReport, InstallError>) -> Void) -> InstallHandle {
        // Per-package metrics are derived from the events on the callback queue (see the recorder).
        let metrics = InstallMetricsRecorder()
        let run = InstallRun(configuration: configuration, names: names, options: options, callbackQueue: callbackQueue,
                             events: { event in
                                 metrics.record(event)
                                 events(event)
                             },
                             completion: { result in completion(metrics.apply(to: result)) })
        run.start()
        return InstallHandle { run.cancel() }
    }
}
