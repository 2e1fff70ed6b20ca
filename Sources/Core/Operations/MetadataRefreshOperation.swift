import Foundation

/// Refreshes formula metadata (`Installer.fetchFormulae`) as an asynchronous `Operation`: the
/// formula JSON of `names` and of their runtime dependencies is fetched and written to the API
/// cache, so a dependent `InstallOperation` resolves without waiting on the network for it.
///
/// Typical chain: `install.addDependency(refresh)`; if the refresh fails or is cancelled, the
/// install does no work (`OperationError.dependencyDidNotSucceed`). Takes no prefix lock.
///
/// Result: `.success(catalog)` — names the API does not know are simply absent from it;
/// `.failure(.failed(error))` when metadata could not be fetched (a cancellation while running
/// ends here too); `.failure(.cancelled)` / `.dependencyDidNotSucceed` when it did no work.
///
/// Freshness: fetches follow `InstallConfiguration.apiMaxAge`, as an install does; set it to 0 on
/// the installer's configuration to force a network refresh.
///
/// Thread-safety: see `PourOperation`. `@unchecked Sendable`: no state beyond the base class's.
public final class MetadataRefreshOperation: PourOperation<Formula.FormulaCatalog, InstallError>, @unchecked Sendable {
    public let installer: Installer
    public let names: [String]

    public init(installer: Installer, names: [String], callbackQueue: DispatchQueue? = nil) {
        self.installer = installer
        self.names = names
        super.init(callbackQueue: callbackQueue)
        name = "refresh " + names.joined(separator: " ")
    }

    public override func execute() {
        let handle = installer.fetchFormulae(names, callbackQueue: callbackQueue) { [self] result in
            complete(with: result.mapError { .failed($0) })
        }
        onCancel { handle.cancel() }
    }
}
