import Foundation

extension InstallConfiguration {
    /// The index layer's view of this configuration (see `CatalogueSource`).
    package var catalogueSource: CatalogueSource {
        CatalogueSource(layout: layout, bottleTag: bottleTag, endpoints: endpoints, index: index,
                        timeouts: timeouts, retryPolicy: retryPolicy)
    }
}

extension CatalogueUpdater {
    package convenience init(configuration: InstallConfiguration, engine: TransferEngine?, queue: DispatchQueue) {
        self.init(source: configuration.catalogueSource, engine: engine, queue: queue)
    }
}

extension InstallConfiguration {
    /// The transfer engine every run of this configuration uses (install, fetch, dry-run,
    /// metadata refresh): its jobs, CA bundle and plain-HTTP policy, one error when libcurl is
    /// missing. The caller shuts it down.
    package func makeTransferEngine(onWaiting: (@Sendable (_ host: String, _ seconds: Int) -> Void)? = nil)
        -> Result<TransferEngine, InstallError> {
        guard let engine = TransferEngine(maxConcurrentTransfers: jobs, caBundle: caBundle,
                                          allowInsecureHTTP: allowInsecureHTTP, rangeSplit: rangeSplit,
                                          onWaiting: onWaiting) else {
            return .failure(.setup(path: "libcurl",
                                   message: "cannot load or initialise libcurl (libcurl.so.4); install libcurl4 (Debian) or curl"))
        }
        return .success(engine)
    }

    /// A run's transfer engine and the formula fetcher on it, both confined to `queue`: the start
    /// that install, fetch and dry-run share. The caller keeps both and shuts the engine down.
    func makeMetadataFetcher(queue: DispatchQueue, readOnly: Bool = false,
                             onWaiting: (@Sendable (_ host: String, _ seconds: Int) -> Void)? = nil)
        -> Result<(engine: TransferEngine, fetcher: FormulaFetcher), InstallError> {
        makeTransferEngine(onWaiting: onWaiting).map { engine in
            (engine, FormulaFetcher(engine: engine, configuration: self, queue: queue, readOnly: readOnly))
        }
    }
}
