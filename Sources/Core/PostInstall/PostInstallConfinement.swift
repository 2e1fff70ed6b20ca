#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one place post-install effects reach the filesystem through: it opens the parent
/// directory of a path one component at a time from the prefix's real path with
/// `O_NOFOLLOW|O_DIRECTORY`, so a symlink planted anywhere on the way (say `etc/openssl@3` →
/// `/home/user/.ssh`) stops the effect instead of redirecting it, whatever the path's text says.
/// Kept as one small function so it can be swapped for the shared containment module (issue 13).
///
/// Stateless; safe from any thread.
enum PostInstallConfinement {
    struct Failure: Error, Equatable, Sendable {
        var path: String
        var operation: String
        var errno: Int32
        var description: String { "\(operation) \(path): \(String(cString: strerror(errno)))" }
    }

    /// Plan-time check of the same rule, without creating anything: every existing directory
    /// between `root` and the parent of `path` is a real directory (not a symlink, not a file).
    /// Checked for every effect before the first one runs, so a planted symlink refuses the
    /// whole post-install instead of stopping it half-way.
    static func probe(_ path: String, root: String) -> Bool {
        guard let relative = PathComponents.relative(path, below: root) else { return false }
        var current = root
        for component in PathComponents.split(relative).dropLast() {
            current += "/" + component
            switch PosixFS.kind(current) {
            case .directory: continue
            case .missing: return true
            default: return false
            }
        }
        return true
    }

    /// Opens the directory that holds `path` (absolute, normalised, strictly below `root`),
    /// creating missing directories on the way when `create`. Returns the descriptor (the caller
    /// closes it) and the last component of `path`.
    static func openParent(of path: String, root: String, create: Bool) throws(Failure) -> (fd: Int32, name: String) {
        guard let relative = PathComponents.relative(path, below: root) else { throw Failure(path: path, operation: "confine", errno: EXDEV) }
        let components = PathComponents.split(relative).map(String.init)
        guard let name = components.last, !components.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }) else {
            throw Failure(path: path, operation: "confine", errno: EINVAL)
        }
        var fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(path: root, operation: "open", errno: errno) }
        for component in components.dropLast() {
            var next = openat(fd, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && errno == ENOENT && create {
                if mkdirat(fd, component, 0o755) != 0 && errno != EEXIST {
                    let e = errno
                    close(fd)
                    throw Failure(path: path, operation: "mkdir", errno: e)
                }
                next = openat(fd, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            let e = errno
            close(fd)
            // ELOOP/ENOTDIR: a symlink or a file where a directory should be.
            guard next >= 0 else { throw Failure(path: path, operation: "open parent of", errno: e) }
            fd = next
        }
        return (fd, name)
    }
}
