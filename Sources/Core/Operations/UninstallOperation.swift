import Foundation

/// `pour uninstall` as an asynchronous `Operation`: takes the prefix lock, reads the prefix,
/// plans with `Uninstaller.plan` (refusing to break installed dependents unless
/// `ignoreDependencies`) and removes the kegs with `Uninstaller.perform`.
///
/// The blocking work (lock, disk) runs on a global utility queue, never on the caller's thread.
/// Cancellation is honoured until removal begins — while waiting for the lock counts as before —
/// and the result is then `.failure(.cancelled)` with nothing changed; once kegs are being
/// removed the operation completes, because a half-uninstalled prefix is worse than either state.
///
/// Result: `.success(report)`; `.failure(.failed(error))` (not installed, required by another
/// formula, prefix busy with `waitForLock == false`…); `.failure(.cancelled)` or
/// `.dependencyDidNotSucceed` when nothing was removed.
///
/// Thread-safety: see `PourOperation`. `@unchecked Sendable`: no state beyond the base class's;
/// the work reads only immutable properties.
public final class UninstallOperation: PourOperation<Uninstaller.Report, LifecycleError>, @unchecked Sendable {
    public let layout: InstallConfiguration.PrefixLayout
    public let names: [String]
    /// Remove every installed version, not only the one in use (`pour uninstall --force`).
    public let allVersions: Bool
    public let ignoreDependencies: Bool
    /// Wait for another pour holding the prefix (true) or fail at once with `.prefixBusy`.
    public let waitForLock: Bool

    public init(layout: InstallConfiguration.PrefixLayout, names: [String], allVersions: Bool = false, ignoreDependencies: Bool = false,
                waitForLock: Bool = true, callbackQueue: DispatchQueue? = nil) {
        self.layout = layout
        self.names = names
        self.allVersions = allVersions
        self.ignoreDependencies = ignoreDependencies
        self.waitForLock = waitForLock
        super.init(callbackQueue: callbackQueue)
        name = "uninstall " + names.joined(separator: " ")
    }

    public override func execute() {
        DispatchQueue.global(qos: .utility).async { [self] in
            complete(with: uninstall())
        }
    }

    /// Blocking; runs on the utility queue.
    private func uninstall() -> OperationResult {
        if isCancelled { return .failure(.cancelled) }
        let lock: PrefixLock
        do {
            // Cancelling while waiting for another pour is honoured (the wait is polled).
            lock = try LifecycleLock.acquire(layout: layout, wait: waitForLock, isCancelled: { [self] in isCancelled })
        } catch {
            if case .keg(.cancelled) = error { return .failure(.cancelled) }
            return .failure(.failed(error))
        }
        defer { lock.release() }
        // Planned under the lock, so nothing changes between the dependents check and removal.
        let uninstaller = Uninstaller(layout: layout)
        do {
            let plan = try uninstaller.plan(names, inventory: PrefixInventory.read(layout: layout),
                                            allVersions: allVersions, ignoreDependencies: ignoreDependencies)
            if isCancelled { return .failure(.cancelled) }
            return .success(try uninstaller.perform(plan, lock: lock))
        } catch {
            return .failure(.failed(error))
        }
    }
}
