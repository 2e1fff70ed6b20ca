#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Everything that can go wrong while reading, committing, linking or locking kegs.
///
/// Each case carries what a user needs to fix the problem themselves: the package, the paths
/// involved and (through `description`) the next step to take.
///
/// Thread-safety: an immutable value; safe to share across queues.
public enum KegError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `path` in the prefix is in the way of `package`'s link to `source` (in its keg); `existing`
    /// says what is there (a plain file, or the target of a link into another keg).
    case linkConflict(package: String, path: String, existing: String, source: String)
    /// Another keg of the same formula is linked (`linkedKeg`); it must be unlinked first.
    case alreadyLinked(package: String, linkedKeg: String)
    /// The keg to link or unlink does not exist in the Cellar.
    case kegNotFound(package: String, path: String)
    /// The staged keg to commit does not exist (extraction did not finish or was cleaned up).
    case stagedKegMissing(package: String, path: String)
    /// Moving a keg between staging and the Cellar failed; the previous keg (if any) was restored.
    case commitFailed(package: String, from: String, to: String, errno: Int32)
    /// An INSTALL_RECEIPT.json could not be parsed.
    case receiptUnreadable(path: String, reason: String)
    /// We may not write to `path` (wrong owner or mode).
    case permissionDenied(package: String?, path: String)
    /// Any other system call failure on `path`.
    case filesystem(package: String?, operation: String, path: String, errno: Int32)
    /// Another pour process holds the prefix lock (`pid` from the lock file, when known).
    case prefixLocked(path: String, pid: Int32?)
    /// The operation was interrupted; everything it had done was rolled back.
    case cancelled(package: String)

    public var description: String {
        switch self {
        case let .linkConflict(package, path, existing, source):
            return "cannot link \(package) \(source) to \(path): it already exists (\(existing)); "
                + "remove it or unlink its owner, or link with --overwrite"
        case let .alreadyLinked(package, linkedKeg):
            return "cannot link \(package): another version is linked (\(linkedKeg)); unlink it first"
        case let .kegNotFound(package, path):
            return "\(package) is not installed: no keg at \(path); install it first"
        case let .stagedKegMissing(package, path):
            return "cannot install \(package): the prepared keg \(path) is missing; retry the install"
        case let .commitFailed(package, from, to, errno):
            return "cannot move \(package) from \(from) to \(to): \(KegError.text(errno)); "
                + "the previous keg was kept; check free space and permissions, then retry"
        case let .receiptUnreadable(path, reason):
            return "cannot read receipt \(path): \(reason); reinstall the public to rewrite it"
        case let .permissionDenied(package, path):
            return "\(package.map { "\($0): " } ?? "")permission denied on \(path); "
                + "fix its owner/mode (it must be writable by you)"
        case let .filesystem(package, operation, path, errno):
            return "\(package.map { "\($0): " } ?? "")\(operation) \(path) failed: \(KegError.text(errno))"
        case let .prefixLocked(path, pid):
            return "another pour process\(pid.map { " (pid \($0))" } ?? "") holds \(path); "
                + "wait for it to finish or rerun with waiting enabled"
        case let .cancelled(package):
            return "\(package): interrupted; changes were rolled back, rerun to finish"
        }
    }

    static func text(_ code: Int32) -> String { errnoText(code) }

    /// Maps a failed system call to `permissionDenied` or `filesystem`.
    static func system(_ operation: String, _ path: String, package: String?, errno code: Int32) -> KegError {
        if code == EACCES || code == EPERM || code == EROFS {
            return .permissionDenied(package: package, path: path)
        }
        return .filesystem(package: package, operation: operation, path: path, errno: code)
    }
}
