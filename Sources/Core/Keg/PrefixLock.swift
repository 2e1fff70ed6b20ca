#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The exclusive lock that serialises pour runs on one prefix: `flock(2)` on `layout.lockFile`.
///
/// flock is used (not a pid file) because the kernel drops it when the holder dies, however it
/// dies, so a killed pour never leaves a stale lock behind. The holder's pid is written into the
/// file purely so a waiting process can say whom it is waiting for.
///
/// Confinement: the descriptor lives in a `Locked` box, so `release()` and `deinit` may race
/// from different queues without double-closing it.
package final class PrefixLock: Sendable {
    package let path: String
    private let descriptor: Locked<Int32>

    private init(path: String, fd: Int32) {
        self.path = path
        self.descriptor = Locked(fd)
    }

    deinit { release() }

    /// Takes the lock on `layout.lockFile`, creating its directory as needed.
    ///
    /// - Parameters:
    ///   - wait: when the lock is busy, block until it is free (true) or throw `prefixLocked` (false).
    ///   - onContention: called once, before blocking, with a message naming the holder's pid.
    ///   - isCancelled: polled while waiting (every `pollInterval`); when it turns true the wait
    ///     is abandoned with `KegError.cancelled`. A blocking `flock(LOCK_EX)` could not be
    ///     interrupted by Ctrl-C (the CLI ignores SIGINT to handle it on a dispatch source).
    package static func acquire(layout: PrefixLayout, wait: Bool,
                               onContention: (String) -> Void = { _ in },
                               isCancelled: () -> Bool = { false }) throws(KegError) -> PrefixLock {
        // The lock directory is reached through real directories only: a planted link there would
        // make pour create and truncate a file elsewhere.
        do { _ = try StatePaths.directory(layout.locks, layout: layout) } catch {
            throw KegError.contained("open lock directory", error, package: nil)
        }
        return try acquire(path: layout.lockFile, wait: wait, onContention: onContention, isCancelled: isCancelled)
    }

    /// How often a waiting process tries the lock again.
    static let pollInterval: useconds_t = 50_000

    /// As `acquire(layout:…)`, for an explicit lock-file path.
    package static func acquire(path: String, wait: Bool,
                               onContention: (String) -> Void = { _ in },
                               isCancelled: () -> Bool = { false }) throws(KegError) -> PrefixLock {
        try PosixFS.makeDirectories(PosixFS.parent(path))
        // O_CLOEXEC: processes pour spawns must not inherit (and so prolong) the lock.
        // O_NOFOLLOW: a link planted at the lock file's name is refused, never written through.
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw KegError.system("open lock file", path, package: nil, errno: errno) }

        var result = flock(fd, LOCK_EX | LOCK_NB)
        while result != 0 && errno == EINTR { result = flock(fd, LOCK_EX | LOCK_NB) }
        if result != 0 {
            let code = errno
            guard code == EWOULDBLOCK else {
                close(fd)
                throw KegError.system("lock", path, package: nil, errno: code)
            }
            let holder = readPid(fd)
            guard wait else {
                close(fd)
                throw KegError.prefixLocked(path: path, pid: holder)
            }
            let who = holder.map { $0 == getpid() ? "another install in this process" : "another pour process (pid \($0))" } ?? "another pour process"
            onContention("waiting for \(who) to release \(path)")
            // Polled, not a blocking flock: the wait must end promptly when the run is cancelled.
            while flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let failure = errno
                guard failure == EWOULDBLOCK || failure == EINTR else {
                    close(fd)
                    throw KegError.system("lock", path, package: nil, errno: failure)
                }
                if isCancelled() {
                    close(fd)
                    throw KegError.cancelled(package: "waiting for \(path)")
                }
                usleep(pollInterval)
            }
        }

        // We hold the lock: record our pid for anyone who has to wait.
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return PrefixLock(path: path, fd: fd)
    }

    /// True until `release()`.
    package var isHeld: Bool { descriptor.current >= 0 }

    /// Releases the lock. Idempotent.
    package func release() {
        descriptor.withLock { fd in
            guard fd >= 0 else { return }
            _ = ftruncate(fd, 0)  // the pid is no longer true
            _ = flock(fd, LOCK_UN)
            close(fd)
            fd = -1
        }
    }

    private static func readPid(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self)
        return Int32(text.filter { $0.isASCII && $0.isNumber })
    }
}
