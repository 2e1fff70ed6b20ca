import Foundation

/// `pour update` (`Installer.updateIndex`) as an asynchronous `Operation`: brings the formula
/// index of the installer's prefix, cache and bottle tag up to date with its API domain, so
/// dependent installs resolve from the local index instead of per-formula requests.
///
/// `cancel()` while running forwards to the update's `InstallHandle.cancel()`.
///
/// Result: `.success(.notModified)` or `.success(.rebuilt(…))`; `.failure(.failed(error))` when
/// the catalogue could not be fetched, verified or written (`.transfer(.cancelled)` after a
/// cancellation while running); `.failure(.cancelled)` / `.dependencyDidNotSucceed` when it did
/// no work. Chain installs after it with `install.addDependency(update)`: a failed update then
/// skips them (set their `requiresSuccessfulDependencies` to `false` to install anyway — an
/// install falls back to per-formula metadata on its own).
///
/// Thread-safety: see `PourOperation`. `@unchecked Sendable`: no mutable state beyond the base
/// class's.
public final class UpdateOperation: PourOperation<FormulaIndex.IndexUpdateOutcome, FormulaIndex.IndexError>, @unchecked Sendable {
    public let installer: Installer
    /// Ignore the index's validators and download the catalogue again.
    public let force: Bool

    public init(installer: Installer, force: Bool = false, callbackQueue: DispatchQueue? = nil) {
        self.installer = installer
        self.force = force
        super.init(callbackQueue: callbackQueue)
        name = "update " + installer.configuration.endpoints.apiDomain
    }

    public override func execute() {
        let handle = installer.updateIndex(force: force, callbackQueue: callbackQueue) { [self] result in
            complete(with: result.mapError { .failed($0) })
        }
        onCancel { handle.cancel() }
    }
}
