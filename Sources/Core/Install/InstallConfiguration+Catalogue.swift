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
