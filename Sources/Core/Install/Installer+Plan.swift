import Foundation

extension Installer {
    /// What `install(names, options:)` would do, computed without side effects
    /// (`pour install --dry-run`): see `InstallPlanRun` for what is and is not read.
    ///
    /// - Parameters:
    ///   - callbackQueue: where `completion` runs, exactly once.
    ///   - completion: the plan, or why it could not be made (unknown names, metadata,
    ///     `.cancelled` after `cancel()`).
    /// - Returns: a handle whose `cancel()` stops the metadata and manifest requests.
    @discardableResult
    package func plan(_ names: [String], options: InstallOptions = InstallOptions(), callbackQueue: DispatchQueue,
                      completion: @escaping @Sendable (Result<InstallPlan, InstallError>) -> Void) -> InstallHandle {
        let run = InstallPlanRun(configuration: configuration, names: names, options: options,
                                 callbackQueue: DispatchQueue(label: "pour.plan.callbacks", target: callbackQueue),
                                 completion: completion)
        run.start()
        return InstallHandle { run.cancel() }
    }

    /// Downloads and verifies the bottles of `names` (and, with `includeDependencies`, of their
    /// runtime dependencies) into the download cache without installing them (`pour fetch`).
    ///
    /// - Parameters:
    ///   - events: `downloadStarted/Progress/Retrying/Finished`, `failed` and `skipped`, in order.
    ///   - completion: exactly once, last, on `callbackQueue`: a report per bottle, or why nothing
    ///     could be attempted.
    @discardableResult
    package func fetch(_ names: [String], includeDependencies: Bool, callbackQueue: DispatchQueue,
                       events: @escaping @Sendable (InstallEvent) -> Void,
                       completion: @escaping @Sendable (Result<BottleFetchReport, InstallError>) -> Void) -> InstallHandle {
        // A private serial queue targeting the caller's keeps events in order, completion last, even
        // on a concurrent queue (as `install` does).
        let run = BottleFetchRun(configuration: configuration, names: names, includeDependencies: includeDependencies,
                                 callbackQueue: DispatchQueue(label: "pour.fetch.callbacks", target: callbackQueue),
                                 events: events, completion: completion)
        run.start()
        return InstallHandle { run.cancel() }
    }
}
