/// Why one package could not be installed. Every case names what the user can do.
///
/// Thread-safety: an immutable value; safe to share across queues.
public enum PackageFailure: Error, Sendable, Equatable, CustomStringConvertible {
    case download(TransferError)
    case unpack(UnpackError)
    case relocate(RelocationError)
    case keg(KegError)
    /// The bottle is built for a fixed Cellar that is not this prefix's.
    case pinnedCellar(package: String, bottleCellar: String, prefixCellar: String)

    public var description: String {
        switch self {
        case .download(let error): return error.description
        case .unpack(let error): return error.description
        case .relocate(let error): return error.description
        case .keg(let error): return error.description
        case .pinnedCellar(let package, let bottleCellar, let prefixCellar):
            return "\(package): its bottle only works in the Cellar \(bottleCellar), but this prefix's Cellar is \(prefixCellar); install into the prefix \(parentDirectory(of: bottleCellar)) or build from source with brew"
        }
    }
}

/// Why an install run as a whole could not proceed (per-package failures are in the report).
///
/// Thread-safety: an immutable value; safe to share across queues.
public enum InstallError: Error, Sendable, CustomStringConvertible {
    /// Another pour process holds the prefix lock and `--no-wait` was given.
    case prefixBusy(KegError)
    /// The prefix or cache cannot be prepared (not writable, not a directory…).
    case setup(path: String, message: String)
    /// Formula metadata could not be fetched or decoded.
    case registry(RegistryError)
    /// Formula metadata could not be fetched.
    case metadata(TransferError)
    /// The names cannot be resolved into an installable plan.
    case resolve(ResolveError)
    /// The run was cancelled; the report says what was done before.
    case cancelled(InstallReport)

    public var description: String {
        switch self {
        case .prefixBusy(let error): return error.description
        case .setup(let path, let message): return "cannot prepare \(path): \(message)"
        case .registry(let error): return error.description
        case .metadata(let error): return "cannot fetch formula metadata: \(error.description)"
        case .resolve(let error): return error.description
        case .cancelled: return "cancelled"
        }
    }
}

/// The directory containing `path` (for messages; no Foundation bridging needed).
private func parentDirectory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
    return String(path[..<slash])
}
