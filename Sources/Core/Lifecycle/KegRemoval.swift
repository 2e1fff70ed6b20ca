#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Deletes a keg (or any tree in the prefix) so that it disappears at once: it is first renamed
/// into the staging area (same filesystem, one atomic `rename(2)`) and only then deleted. A crash
/// during the deletion leaves debris in staging, which the next run or `pour doctor --fix`
/// removes, never a half-deleted keg in the Cellar that still looks installed.
///
/// Stateless; callers hold the prefix lock.
enum KegRemoval {
    /// Removes `path` and returns the bytes it held.
    static func remove(_ path: String, layout: PrefixLayout) throws(LifecycleError) -> Int64 {
        let bytes = diskUsage(path)
        // Staging is reached through real directories only, and the trash is deleted beneath the
        // prefix without following any link (a keg's own links are removed, never their targets).
        let staging: BeneathRoot
        do { staging = try StatePaths.directory(layout.staging, layout: layout) } catch {
            throw LifecycleError.keg(KegError.contained("open staging", error, package: nil))
        }
        let trash = "remove-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        // The path itself and every directory above it (up to the prefix) must be real: renaming
        // `Cellar/<name>/<version>` through a planted `Cellar/<name>` link would move (and then
        // delete) a directory outside the prefix.
        if let relative = StatePaths.relative(path, layout: layout) {
            do throws(ContainmentError) {
                let info = try BeneathRoot(path: layout.prefix).status(relative)
                guard let info, (info.st_mode & S_IFMT) == S_IFDIR || (info.st_mode & S_IFMT) == S_IFREG else {
                    throw ContainmentError("remove", path, info == nil ? ENOENT : ELOOP)
                }
            } catch {
                if error.isRefusal { throw LifecycleError.keg(KegError.contained("remove", error, package: nil)) }
                throw LifecycleError.filesystem(operation: "remove", path: path, errno: error.code)
            }
        }
        guard rename(path, staging.path + "/" + trash) == 0 else {
            throw LifecycleError.filesystem(operation: "remove", path: path, errno: errno)
        }
        PosixFS.syncPath(PosixFS.parent(path))
        try? staging.remove(trash)
        return bytes
    }

    /// Apparent size of every regular file below `path` (symlinks are not followed).
    static func diskUsage(_ path: String) -> Int64 {
        var st = stat()
        guard lstat(path, &st) == 0 else { return 0 }
        switch st.st_mode & S_IFMT {
        case S_IFDIR:
            return (PosixFS.children(path) ?? []).reduce(Int64(0)) { $0 + diskUsage(path + "/" + $1) }
        case S_IFREG:
            return Int64(st.st_size)
        default:
            return 0
        }
    }

    /// Removes the rack directory when its last keg is gone.
    static func pruneRack(_ name: String, layout: PrefixLayout) {
        let rack = layout.cellar + "/" + name
        if (PosixFS.children(rack) ?? ["?"]).isEmpty { rmdir(rack) }
    }
}
