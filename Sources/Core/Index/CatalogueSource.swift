/// What `CatalogueUpdater` needs to know: where the catalogue lives, where the index goes, and how
/// patiently to fetch. The index layer's own view of the configuration, so that it does not
/// depend on the install layer (`InstallConfiguration.catalogueSource` builds it).
///
/// Thread-safety: an immutable value; safe to share across queues.
package struct CatalogueSource: Sendable {
    package var layout: PrefixLayout
    package var bottleTag: BottleTag
    package var endpoints: DownloadEndpoints
    package var index: IndexSettings
    package var timeouts: TransferTimeouts
    package var retryPolicy: RetryPolicy
}
