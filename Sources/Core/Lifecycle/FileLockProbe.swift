#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Asks the kernel whether a live process holds an flock on a file, without writing to it.
/// pour's downloads flock their `.incomplete` file and pour runs flock the prefix lock file, and
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

    /// True when `pid` names a live process (ours or another user's).
    static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }
}
