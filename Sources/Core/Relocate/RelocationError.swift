/// Everything that can go wrong while relocating the ELF binaries of a keg or maintaining
/// `<prefix>/lib/ld.so`.
///
/// Each case names the package (`name pkg_version`) and the file, and `description` says in one
/// line what is wrong and what the user can do. Immutable value.
public enum RelocationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file is not a well-formed ELF object: a header, table, offset or size is out of bounds
    /// or inconsistent.
    case malformedElf(package: String, file: String, reason: String)
    /// The file is valid ELF but uses a layout pour does not patch (extended numbering, no room in
    /// a 32-bit address space, a string table that is not mapped, …).
    case unsupportedElf(package: String, file: String, reason: String)
    /// Reading, writing, renaming or linking a file failed at the system level.
    case ioFailed(package: String, file: String, reason: String)
    /// `<prefix>/lib/ld.so` could not be created because no system loader was found.
    case loaderNotFound(path: String)
    /// `<prefix>/lib/ld.so` could not be created or replaced.
    case loaderLinkFailed(path: String, reason: String)
    /// The caller's CancellationFlag was set.
    case cancelled(package: String)

    public var description: String {
        switch self {
        case let .malformedElf(package, file, reason):
            return "\(package): \(file) is a damaged ELF file (\(reason)); delete the cached bottle, reinstall, and report it to the tap if it persists"
        case let .unsupportedElf(package, file, reason):
            return "\(package): cannot relocate \(file): unsupported ELF layout (\(reason)); install to the default prefix or report it to pour"
        case let .ioFailed(package, file, reason):
            return "\(package): cannot relocate \(file) (\(reason)); check free space and permissions, then reinstall"
        case let .loaderNotFound(path):
            return "cannot create \(path): no system dynamic loader found (/lib64/ld-linux-x86-64.so.2 or /lib/ld-linux-aarch64.so.1); install glibc with pour or fix the system"
        case let .loaderLinkFailed(path, reason):
            return "cannot create the loader link \(path) (\(reason)); check permissions of the prefix's lib directory"
        case let .cancelled(package):
            return "\(package): binary relocation was cancelled; run the command again to finish"
        }
    }
}
