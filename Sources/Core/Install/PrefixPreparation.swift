import Foundation

/// The blocking set-up before an install run may touch the prefix: create the prefix and cache
/// directories, take the prefix lock, keep `<prefix>/lib/ld.so` (Linux), sweep staging
/// directories left by runs that died (the lock is held, so no live run owns them) and create
/// this run's private staging directory.
///
/// Immutable value; `run()` blocks (directory creation, `flock`), so it runs on a global utility
/// queue, never on the run queue or the I/O thread.
struct PrefixPreparation: Sendable {
    let configuration: InstallConfiguration
    let stagingRoot: String
    /// Polled while waiting for another process's prefix lock: the wait ends when it is set.
    var cancellation = CancellationFlag()

    /// - Parameter waiting: told (on the calling thread) when another process holds the lock.
    func run(waiting: @escaping @Sendable (String) -> Void) -> Result<PrefixLock, InstallError> {
        let layout = configuration.layout
        // `var/homebrew/locks` is made by `PrefixLock` through real directories only (StatePaths):
        // creating it here would follow a link planted at `var/homebrew`.
        for directory in [layout.prefix, layout.cellar, layout.downloads, layout.api] {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                return .failure(.setup(path: directory, message: "\(Self.reason(error)); check that it is writable or choose another prefix or cache"))
            }
        }
        guard access(layout.cellar, W_OK) == 0 else {
            return .failure(.setup(path: layout.cellar, message: "not writable; fix its permissions or choose another prefix"))
        }
        let lock: PrefixLock
        do {
            lock = try PrefixLock.acquire(layout: layout, wait: configuration.waitForLock, onContention: waiting,
                                          isCancelled: { [cancellation] in cancellation.isCancelled })
        } catch {
            // Cancelled while waiting for the lock: nothing was done (the run reports `.cancelled`).
            if case .cancelled = error { return .failure(.cancelled(FormulaFetcher.emptyReport)) }
            return .failure(.prefixBusy(error))
        }
        if configuration.bottleTag.isLinux {
            // `<prefix>/lib/ld.so`, the interpreter relocated ELF programs use (as Homebrew keeps it).
            do throws(RelocationError) {
                try LoaderLink.ensureLoaderLink(layout: layout)
            } catch {
                lock.release()
                return .failure(.setup(path: layout.prefix + "/lib/ld.so", message: error.description))
            }
        }
        // Stale runs' debris goes, through real directories only: StatePaths refuses a link planted
        // at `.pour-staging` or above it instead of sweeping whatever it points at.
        do throws(ContainmentError) {
            let staging = try StatePaths.sweepStaging(layout: layout)
            try staging.makeDirectories(PosixFS.baseName(stagingRoot))
        } catch {
            lock.release()
            return .failure(.setup(path: stagingRoot, message: error.description))
        }
        return .success(lock)
    }

    private static func reason(_ error: Error) -> String {
        (error as NSError).localizedFailureReason ?? error.localizedDescription
    }
}
