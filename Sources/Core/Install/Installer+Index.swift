import Foundation

extension Installer {
    /// `pour update`: brings the formula index of this installer's prefix, cache and bottle tag up
    /// to date with its API domain (see `CatalogueUpdater`), so later installs resolve from it.
    ///
    /// Runs the updater on its own serial queue with, for an HTTP(S) domain, its own
    /// `TransferEngine`, shut down (a blocking call, made on a utility queue) before `completion`
    /// runs, exactly once, on `callbackQueue`. Takes no prefix lock: the index lives in the cache
    /// and is replaced atomically.
    ///
    /// - Parameters:
    ///   - force: ignore the index's validators (`ETag`, `Last-Modified`) and download again.
    ///   - callbackQueue: where `completion` runs.
    ///   - completion: `.notModified` or `.rebuilt(…)`, or why the catalogue could not be fetched,
    ///     verified or written (`.transfer(.cancelled)` after `cancel()`).
    /// - Returns: a handle whose `cancel()` stops the download.
    @discardableResult
    public func updateIndex(force: Bool = false, callbackQueue: DispatchQueue,
                            completion: @escaping @Sendable (Result<FormulaIndex.IndexUpdateOutcome, FormulaIndex.IndexError>) -> Void) -> InstallHandle {
        var engine: TransferEngine?
        if !CatalogueUpdater.isLocal(configuration.endpoints.apiDomain) {
            engine = TransferEngine(maxConcurrentTransfers: 2, caBundle: configuration.caBundle)
            if engine == nil {
                callbackQueue.async { completion(.failure(.engineUnavailable)) }
                return InstallHandle {}
            }
        }
        let updater = CatalogueUpdater(configuration: configuration, engine: engine,
                                       queue: DispatchQueue(label: "pour.update", qos: .userInitiated))
        updater.update(force: force) { [engine] result in
            // The updater's queue must not block: shut the engine down elsewhere.
            DispatchQueue.global(qos: .utility).async {
                engine?.shutdown()
                callbackQueue.async { completion(result) }
            }
        }
        return InstallHandle { updater.cancel() }
    }
}
