import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Carries out a planned list of effects, every one through `PostInstallConfinement`. Files are
/// created under a temporary name with `O_CREAT|O_EXCL|O_NOFOLLOW`, fsynced, and renamed over
/// the destination, so a reader sees the old file or the new one, and a symlink planted at the
/// destination is replaced, never followed.
///
/// Stateless; runs on the caller's thread (the install's serial link queue).
enum PostInstallExecutor {
    static func execute(_ effects: [PostInstallEffect], prefix: String) throws(PostInstallConfinement.Failure) {
        for effect in effects { try apply(effect, prefix: prefix) }
    }

    private static func apply(_ effect: PostInstallEffect, prefix: String) throws(PostInstallConfinement.Failure) {
        let (fd, name) = try PostInstallConfinement.openParent(of: effect.path, root: prefix,
                                                                create: { if case .makeDirectory = effect { true } else { false } }())
        defer { close(fd) }
        func fail(_ operation: String, _ e: Int32 = errno) -> PostInstallConfinement.Failure {
            PostInstallConfinement.Failure(path: effect.path, operation: operation, errno: e)
        }
        switch effect {
        case .makeDirectory:
            if mkdirat(fd, name, 0o755) != 0 {
                let e = errno
                var st = stat()
                guard e == EEXIST, fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0, (st.st_mode & S_IFMT) == S_IFDIR
                else { throw fail("mkdir", e) }
            }
        case .remove:
            var st = stat()
            if fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 {
                if errno == ENOENT { return }
                throw fail("stat")
            }
            guard (st.st_mode & S_IFMT) != S_IFDIR else { throw fail("rm", EISDIR) }
            if unlinkat(fd, name, 0) != 0 && errno != ENOENT { throw fail("rm") }
        case .symlink(_, let target):
            let temp = temporaryName(name)
            guard symlinkat(target, fd, temp) == 0 else { throw fail("symlink") }
            try replace(fd, temp, name, fail)
        case .copy(let from, _):
            let (data, mode) = try readFile(from, prefix: prefix)
            try writeReplacing(fd, name, data, mode: mode, fail)
        case .write(_, let contents):
            try writeReplacing(fd, name, Array(contents.utf8), mode: 0o644, fail)
        case .touch:
            let file = openat(fd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0o644)
            guard file >= 0 else { throw fail("touch") }
            defer { close(file) }
            var st = stat()
            guard fstat(file, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { throw fail("touch", EINVAL) }
            _ = futimens(file, nil)
        }
        _ = fsync(fd)
    }

    /// A fresh name beside `name`; O_EXCL (or symlinkat's EEXIST) refuses a name planted in advance.
    private static func temporaryName(_ name: String) -> String {
        ".\(name).pour-postinstall.\(getpid()).\(UInt64.random(in: 0...UInt64.max))"
    }

    private static func replace(_ fd: Int32, _ temp: String, _ name: String,
                                _ fail: (String, Int32) -> PostInstallConfinement.Failure) throws(PostInstallConfinement.Failure) {
        if renameat(fd, temp, fd, name) != 0 {
            let e = errno
            unlinkat(fd, temp, 0)
            throw fail("rename into place", e)
        }
    }

    /// Reads a regular file of the prefix (opened through the same confinement, final component
    /// not followed).
    private static func readFile(_ path: String, prefix: String) throws(PostInstallConfinement.Failure) -> ([UInt8], mode_t) {
        let (dir, name) = try PostInstallConfinement.openParent(of: path, root: prefix, create: false)
        defer { close(dir) }
        let file = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard file >= 0 else { throw PostInstallConfinement.Failure(path: path, operation: "open", errno: errno) }
        defer { close(file) }
        var st = stat()
        guard fstat(file, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw PostInstallConfinement.Failure(path: path, operation: "read (not a regular file)", errno: EINVAL)
        }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(file, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw PostInstallConfinement.Failure(path: path, operation: "read", errno: errno) }
            if n == 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        return (data, st.st_mode & 0o777)
    }

    private static func writeReplacing(_ fd: Int32, _ name: String, _ data: [UInt8], mode: mode_t,
                                       _ fail: (String, Int32) -> PostInstallConfinement.Failure) throws(PostInstallConfinement.Failure) {
        let temp = temporaryName(name)
        let file = openat(fd, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard file >= 0 else { throw fail("create", errno) }
        var offset = 0
        var failure: Int32 = 0
        data.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = systemWrite(file, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR { continue }; failure = errno; return }
                offset += n
            }
        }
        if failure == 0 && fsync(file) != 0 { failure = errno }
        close(file)
        if failure != 0 {
            unlinkat(fd, temp, 0)
            throw fail("write", failure)
        }
        try replace(fd, temp, name, fail)
    }
}

/// `write(2)` (the effect enum's `.write` case shadows the bare name).
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
        return Glibc.write(fd, buffer, count)
    #else
        return Darwin.write(fd, buffer, count)
    #endif
}
