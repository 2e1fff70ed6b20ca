import Foundation

/// `pour update` as an asynchronous `Operation`: brings the formula index of the configuration's
/// prefix, cache and bottle tag up to date with its API domain (`CatalogueUpdater`), so dependent
/// installs resolve from the local index instead of per-formula requests.
///
/// The operation owns what the update needs: a serial queue for the updater and, for an HTTP(S)
/// domain, its own `TransferEngine`, shut down (a blocking call, made on a utility queue) before
/// the operation completes. `cancel()` forwards to `CatalogueUpdater.cancel()`.
///
/// Result: `.success(.notModified)` or `.success(.rebuilt(…))`; `.failure(.failed(error))` when
/// the catalogue could not be fetched, verified or written (`.transfer(.cancelled)` after a
/// cancellation while running); `.failure(.cancelled)` / `.dependencyDidNotSucceed` when it did
/// no work. Chain installs after it with `install.addDependency(update)`: a failed update then
/// skips them (set their `requiresSuccessfulDependencies` to `false` to install anyway — an
/// install falls back to per-formula metadata on its own).
///
/// Thread-safety: see `PourOperation`. `@unchecked Sendable`: no mutable state beyond the base
/// class's; the updater is confined to its own serial queue.
public final class UpdateOperation: PourOperation<CatalogueUpdater.Outcome, IndexError>, @unchecked Sendable {
    public let configuration: InstallConfiguration
    /// Ignore the index's validators and download the catalogue again.
    public let force: Bool

    public init(configuration: InstallConfiguration, force: Bool = false, callbackQueue: DispatchQueue? = nil) {
        self.configuration = configuration
        self.force = force
        super.init(callbackQueue: callbackQueue)
        name = "update " + configuration.endpoints.apiDomain
    }

    public override func execute() {
        var engine: TransferEngine?
        if !CatalogueUpdater.isLocal(configuration.endpoints.apiDomain) {
            engine = TransferEngine(maxConcurrentTransfers: 2, caBundle: configuration.caBundle)
            if engine == nil { return complete(with: .failure(.failed(.engineUnavailable))) }
        }
        let updater = CatalogueUpdater(configuration: configuration, engine: engine,
                                       queue: DispatchQueue(label: "pour.operation.update", qos: .userInitiated))
        updater.update(force: force) { [self, engine] result in
            // The updater's queue must not block: shut the engine down elsewhere, then complete.
            DispatchQueue.global(qos: .utility).async { [self] in
                engine?.shutdown()
                complete(with: result.mapError { .failed($0) })
            }
        }
        onCancel { updater.cancel() }
    }
}
