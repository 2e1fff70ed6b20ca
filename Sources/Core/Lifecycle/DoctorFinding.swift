/// One thing `pour doctor` noticed in a prefix or cache.
///
/// Plain value; safe to share across queues.
package struct DoctorFinding: Sendable, Hashable, CustomStringConvertible {
    /// What kind of finding or entry this is.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package enum Kind: String, Sendable, Hashable {
        /// A symlink in bin/sbin/lib/include/share/etc/var/homebrew/{linked,pinned} to nothing.
        case brokenLink = "broken_link"
        /// `opt/<name>` points at a keg that does not exist.
        case danglingOptLink = "dangling_opt_link"
        /// Debris of a run or removal that died, under `var/homebrew/tmp/.pour-staging`.
        case staleStaging = "stale_staging"
        /// A `.incomplete` download no live process holds.
        case leftoverDownload = "leftover_download"
        /// A keg directory without INSTALL_RECEIPT.json (an interrupted install).
        case kegWithoutReceipt = "keg_without_receipt"
        /// A receipt that is not valid JSON.
        case unreadableReceipt = "unreadable_receipt"
        /// Information only: the lock file names a pid that is gone. flock locks die with their
        /// holder, so the lock is free; nothing needs fixing.
        case staleLockPid = "stale_lock_pid"
        /// A keg whose formula's `post_install` pour did not run (its receipt says why); the
        /// detail names the `brew postinstall` command that finishes it.
        case postInstallNotRun = "post_install_not_run"
    }

    package var kind: Kind
    package var path: String
    /// What is wrong and what `--fix` does (or why it will not).
    package var detail: String
    /// True when `Doctor.fix` repairs it.
    package var fixable: Bool

    /// Information findings do not make `doctor` fail.
    package var isProblem: Bool { kind != .staleLockPid }

    package var description: String { "\(path): \(detail)" }
}
