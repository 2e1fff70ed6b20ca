#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Everything that can stop a lifecycle command (list, uninstall, upgrade, cleanup, doctor…).
///
/// Each description is one line naming the package or path and what the user can do next.
///
/// Thread-safety: an immutable value; safe to share across queues.
public enum LifecycleError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No keg of `name` is installed (and no opt link names it).
    case notInstalled(name: String)
    /// Several kegs of `name` are installed and none is linked or opt-linked, so the command
    /// cannot tell which one is meant.
    case ambiguousKeg(name: String, versions: [String])
    /// Uninstalling `name` would break the installed kegs in `dependents`.
    case requiredBy(name: String, dependents: [String])
    /// `name` is pinned at `version`; the command would change it.
    case pinned(name: String, version: String)
    /// The receipts of `names` do not record their runtime dependencies (brew < 1.1.6), so what
    /// they need is unknown and nothing may be removed as unused.
    case unknownDependencies(names: [String])
    /// A keg operation (link, unlink, receipt) failed.
    case keg(KegError)
    /// Another pour holds the prefix lock and waiting was not allowed.
    case prefixBusy(KegError)
    /// A system call on `path` failed.
    case filesystem(operation: String, path: String, errno: Int32)
    /// Formula metadata could not be fetched (outdated, upgrade).
    case metadata(String)
    /// The install behind an upgrade or reinstall could not run at all.
    case install(String)
    /// An upgrade or reinstall was cancelled; the report says what was done before (the same
    /// shape as `InstallError.cancelled(report)`).
    case cancelled(Upgrader.Report)

    public var description: String {
        switch self {
        case let .notInstalled(name):
            return "\(name) is not installed (no keg under Cellar/\(name)); check the name with `pour list`"
        case let .ambiguousKeg(name, versions):
            return "\(name) has several kegs (\(versions.joined(separator: ", "))) and none is linked; "
                + "link one with `pour link \(name)` first, or use --force to act on all of them"
        case let .requiredBy(name, dependents):
            return "refusing to uninstall \(name): required by \(dependents.joined(separator: ", ")); "
                + "uninstall those first or pass --ignore-dependencies"
        case let .pinned(name, version):
            return "\(name) is pinned at \(version); unpin it with `pour unpin \(name)` to change it"
        case let .unknownDependencies(names):
            return "the receipts of \(names.joined(separator: ", ")) do not record runtime dependencies; "
                + "reinstall them (`pour reinstall \(names.joined(separator: " "))`) so unused kegs can be found"
        case let .keg(error):
            return error.description
        case let .prefixBusy(error):
            return error.description
        case let .filesystem(operation, path, code):
            return "\(operation) \(path) failed: \(errnoText(code)); check its owner and permissions"
        case let .metadata(message):
            return "cannot fetch formula metadata: \(message); check the network or HOMEBREW_API_DOMAIN and retry"
        case let .install(message):
            return message
        case .cancelled:
            return "cancelled"
        }
    }
}
