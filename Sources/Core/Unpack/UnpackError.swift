/// Everything that can go wrong while unpacking a bottle into staging or relocating its text files.
///
/// Each case names the package (`name pkg_version`), the offending archive entry or file when
/// there is one, and `description` says in one line what the user can do about it. Immutable value.
public enum UnpackError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The formula name or pkg_version cannot be used as a directory name (empty, `.`, `..`, `/`).
    case invalidKegName(package: String)
    /// The staging directory does not exist or cannot be resolved.
    case stagingUnavailable(package: String, path: String, reason: String)
    /// A keg for this package already sits in staging (left over from an earlier run).
    case kegAlreadyStaged(package: String, path: String)
    /// The bottle file cannot be opened or is not a readable compressed tar.
    case cannotOpenBottle(package: String, path: String, reason: String)
    /// The archive is damaged (truncated download, bad compression stream, bad tar header).
    case corruptArchive(package: String, entry: String?, reason: String)
    /// An entry path is absolute, has a `..` component, or lies outside `<name>/<pkg_version>/`.
    case unsafePath(package: String, entry: String, reason: String)
    /// A symlink points outside the keg or to an absolute path.
    case unsafeSymlink(package: String, entry: String, target: String)
    /// A hard link points outside the keg or at something that is not a file extracted before it.
    case unsafeHardlink(package: String, entry: String, target: String)
    /// A device node, FIFO, socket or other special file.
    case unsupportedEntryType(package: String, entry: String, type: String)
    /// The expanded size passed the configured cap (a decompression bomb or a huge bottle).
    case sizeLimitExceeded(package: String, entry: String, limitBytes: Int64)
    /// The archive holds more entries than the configured cap.
    case entryCountLimitExceeded(package: String, limit: Int)
    /// An entry path is longer than the configured cap (or a component longer than 255 bytes).
    case pathTooLong(package: String, entry: String, limit: Int)
    /// Writing an entry to disk failed (disk full, permissions, refused by libarchive's checks).
    case writeFailed(package: String, entry: String, reason: String)
    /// Relocating a file's placeholders failed (read or write error).
    case relocationFailed(package: String, file: String, reason: String)
    /// The caller's CancellationFlag was set.
    case cancelled(package: String)

    public var description: String {
        switch self {
        case let .invalidKegName(package):
            return "\(package): the formula name or version is not a valid directory name; check the formula metadata"
        case let .stagingUnavailable(package, path, reason):
            return "\(package): staging directory \(path) is unusable (\(reason)); create it or check permissions"
        case let .kegAlreadyStaged(package, path):
            return "\(package): \(path) already exists in staging; remove it (left over from an interrupted run) and retry"
        case let .cannotOpenBottle(package, path, reason):
            return "\(package): cannot open bottle \(path) (\(reason)); delete the cached file and download it again"
        case let .corruptArchive(package, entry, reason):
            let at = entry.map { " at entry \($0)" } ?? ""
            return "\(package): bottle archive is damaged\(at) (\(reason)); delete the cached bottle and download it again"
        case let .unsafePath(package, entry, reason):
            return "\(package): refusing entry \(entry): \(reason); the bottle is malformed or hostile, report it to the tap"
        case let .unsafeSymlink(package, entry, target):
            return "\(package): refusing symlink \(entry) -> \(target): it leaves the keg; the bottle is malformed or hostile, report it to the tap"
        case let .unsafeHardlink(package, entry, target):
            return "\(package): refusing hard link \(entry) -> \(target): target is outside the keg or not an earlier file; report the bottle to the tap"
        case let .unsupportedEntryType(package, entry, type):
            return "\(package): refusing \(type) entry \(entry): bottles may only hold files, directories and links; report it to the tap"
        case let .sizeLimitExceeded(package, entry, limit):
            return "\(package): expanded size passed the \(limit)-byte cap at entry \(entry); raise the extraction limit only if the bottle is trusted"
        case let .entryCountLimitExceeded(package, limit):
            return "\(package): bottle holds more than \(limit) entries; raise the extraction limit only if the bottle is trusted"
        case let .pathTooLong(package, entry, limit):
            return "\(package): entry path \(entry) is longer than \(limit) bytes; report the bottle to the tap"
        case let .writeFailed(package, entry, reason):
            return "\(package): cannot write entry \(entry) (\(reason)); check free space and permissions of the staging directory"
        case let .relocationFailed(package, file, reason):
            return "\(package): cannot relocate \(file) (\(reason)); check free space and permissions, then reinstall"
        case let .cancelled(package):
            return "\(package): unpacking was cancelled; run the command again to finish"
        }
    }
}
