#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Asks the kernel whether a live process holds an flock on a file, without writing to it.
/// pour's downloads flock their `.incomplete` file and its `<final>.lock`, pour runs flock the prefix lock file, and
/// brew flocks `var/homebrew/locks/<name>.formula.lock` while installing: a file nobody holds is
/// a leftover, whatever it contains.
enum FileLockProbe {
    static func isLocked(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var result = flock(fd, LOCK_EX | LOCK_NB)
        while result != 0 && errno == EINTR { result = flock(fd, LOCK_EX | LOCK_NB) }
        if result != 0 { return errno == EWOULDBLOCK }
        _ = flock(fd, LOCK_UN)
        return false
    }

    /// Removes the lock file at `path` only while holding its flock, and only if the path still
    /// names the file locked: a process that opened it just before sees, once it gets the lock,
    /// that the path now names another file (or none) and retries (`VerifiedDownload`'s bottle
    /// lock checks exactly that). False when a live process holds it or it is not a plain file.
    static func removeIfUnheld(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var result = flock(fd, LOCK_EX | LOCK_NB)
        while result != 0 && errno == EINTR { result = flock(fd, LOCK_EX | LOCK_NB) }
        guard result == 0 else { return false }
        var held = stat()
        var named = stat()
        guard fstat(fd, &held) == 0, (held.st_mode & S_IFMT) == S_IFREG, lstat(path, &named) == 0,
              held.st_ino == named.st_ino, held.st_dev == named.st_dev else { return false }
        return unlink(path) == 0
    }

    /// True when `pid` names a live process (ours or another user's).
    static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }
}
