import CArchive
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A directory opened once, beneath which pour creates, opens, links and removes by relative path
/// on the real filesystem — the one containment mechanism for everything pour writes (extraction
/// checks, relocation and receipt writes, `.bottle/etc|var` copies, state paths, removals).
///
/// The root itself is trusted configuration (the prefix, a keg, the staging directory pour made)
/// and may be reached through symlinks above it. Below it:
/// - every directory component must be a real directory: a symlink there is refused with `ELOOP`,
///   never followed. On Linux ≥ 5.6 this is one `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
///   RESOLVE_NO_MAGICLINKS)`; elsewhere (ENOSYS, probed once) a walk of `openat(O_NOFOLLOW |
///   O_DIRECTORY)` one component at a time. `..`, absolute paths and NUL are refused before any call.
/// - new files are created with `O_CREAT | O_EXCL | O_NOFOLLOW` under a temporary name pour chooses,
///   then `renameat` onto the final name (which replaces a link there, never writes through it).
/// - removal is `unlinkat` on directory descriptors: a link is removed, its target never visited.
///
/// This is dpkg's and Nix's rule too: the package manager's own writes never follow a link that
/// package contents (or anyone else) could have planted.
///
/// Confinement: immutable after `init` (one descriptor, closed in `deinit`); every method is a
/// sequence of system calls on descriptors it opens and closes itself, so it is safe from any thread.
package final class BeneathRoot: Sendable {
    package let path: String
    let fd: Int32
    /// `openat2` when the kernel has it; false forces the `openat(O_NOFOLLOW)` walk (tests run both).
    let useOpenat2: Bool

    /// Opens `path` as a root. With `create`, missing directories up to it are made (mode 0755);
    /// with `refuseLinkAtRoot`, the last component must not be a symlink (state directories).
    package init(path: String, create: Bool = false, refuseLinkAtRoot: Bool = false,
                 useOpenat2: Bool = BeneathRoot.openat2Available) throws(ContainmentError) {
        if create {
            var missing: [String] = []
            var current = path
            var info = stat()
            while !current.isEmpty && current != "/" && lstat(current, &info) != 0 {
                missing.append(current)
                // The last `/` byte (a `/` always starts a `Character`, so the index is one).
                guard let slash = current.utf8.lastIndex(of: UInt8(ascii: "/")) else { break }
                current = slash == current.startIndex ? "/" : String(current[..<slash])
            }
            for dir in missing.reversed() where mkdir(dir, 0o755) != 0 && errno != EEXIST {
                throw ContainmentError("create directory", dir, errno)
            }
        }
        let flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (refuseLinkAtRoot ? O_NOFOLLOW : 0)
        let opened = open(path, flags)
        guard opened >= 0 else { throw ContainmentError("open directory", path, Self.refusalCode(errno, AT_FDCWD, path)) }
        self.path = path
        self.fd = opened
        self.useOpenat2 = useOpenat2
    }

    deinit { close(fd) }

    // MARK: - Paths

    /// The components of a relative path; refuses absolute paths, `..`, NUL and an empty path
    /// (unless `allowEmpty`, meaning the root itself).
    package static func components(_ relative: String, allowEmpty: Bool = false) throws(ContainmentError) -> [String] {
        if PathComponents.isAbsolute(relative) || relative.utf8.contains(0) { throw ContainmentError("resolve", relative, EXDEV) }
        // `PathComponents.split`: the pieces of the `Character` split, by a byte loop for ASCII
        // (the `Character` split was 1.2 % of an install of 1,000 tiny bottles: Performance.md,
        // "Fourth pass").
        let parts = PathComponents.split(relative).filter { $0 != "." }.map(String.init)
        if parts.contains("..") { throw ContainmentError("resolve", relative, EXDEV) }
        if parts.isEmpty && !allowEmpty { throw ContainmentError("resolve", relative, EINVAL) }
        return parts
    }

    /// `openat(O_NOFOLLOW|O_DIRECTORY)` on a link answers ELOOP or ENOTDIR: a link is reported as
    /// the refusal it is (ELOOP), a plain file as ENOTDIR.
    private static func refusalCode(_ code: Int32, _ parent: Int32, _ name: String) -> Int32 {
        guard code == ENOTDIR || code == ELOOP else { return code }
        var info = stat()
        guard fstatat(parent, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return code }
        return (info.st_mode & S_IFMT) == S_IFLNK ? ELOOP : ENOTDIR
    }

    /// Whether `openat2` exists on this kernel (probed once; seccomp filters may also say ENOSYS).
    static let openat2Available: Bool = {
        #if os(Linux)
            let probe = pour_openat2(AT_FDCWD, ".", UInt64(O_RDONLY | O_DIRECTORY | O_CLOEXEC), 0,
                                     pour_resolve_no_magiclinks)
            if probe >= 0 { close(probe); return true }
            return errno != ENOSYS && errno != EPERM
        #else
            return false
        #endif
    }()

    // MARK: - Directories

    /// Opens the directory `relative` beneath the root (the root itself for `""`), creating missing
    /// directories with `mode` when `create`; every component must be a real directory. Returns a
    /// descriptor the caller closes.
    package func openDirectory(_ relative: String, create: Bool = false, mode: mode_t = 0o755) throws(ContainmentError) -> Int32 {
        let parts = try Self.components(relative, allowEmpty: true)
        return try openDirectory(parts, create: create, mode: mode, display: relative)
    }

    func openDirectory(_ parts: [String], create: Bool, mode: mode_t, display: String) throws(ContainmentError) -> Int32 {
        if parts.isEmpty {
            let copy = dup(fd)
            guard copy >= 0 else { throw ContainmentError("open directory", path, errno) }
            return copy
        }
        #if os(Linux)
            if !create && useOpenat2 {
                let opened = pour_openat2(fd, parts.joined(separator: "/"), UInt64(O_RDONLY | O_DIRECTORY | O_CLOEXEC), 0,
                                          pour_resolve_beneath | pour_resolve_no_symlinks | pour_resolve_no_magiclinks)
                guard opened >= 0 else {
                    // RESOLVE_NO_SYMLINKS answers ELOOP for a link; ENOTDIR is a plain file.
                    throw ContainmentError("open directory", path + "/" + display, errno)
                }
                return opened
            }
        #endif
        var current = dup(fd)
        guard current >= 0 else { throw ContainmentError("open directory", path, errno) }
        var walked = path
        for part in parts {
            walked += "/" + part
            if create && mkdirat(current, part, mode) != 0 && errno != EEXIST {
                let code = errno
                close(current)
                throw ContainmentError("create directory", walked, code)
            }
            let next = openat(current, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let code = next >= 0 ? 0 : Self.refusalCode(errno, current, part)
            close(current)
            guard next >= 0 else { throw ContainmentError("open directory", walked, code) }
            current = next
        }
        return current
    }

    /// `mkdir -p` beneath the root; returns the relative paths it created, outermost first.
    @discardableResult
    package func makeDirectories(_ relative: String, mode: mode_t = 0o755) throws(ContainmentError) -> [String] {
        let parts = try Self.components(relative)
        #if os(Linux)
            // Usually everything but at most the last component is there already (state
            // directories, a Cellar rack): one `openat2` that refuses any link on the way answers
            // for the whole path, or for its parent before one `mkdirat`. Anything else (a missing
            // ancestor, something in the way) takes the component walk below, which names it.
            if useOpenat2 {
                let resolve = pour_resolve_beneath | pour_resolve_no_symlinks | pour_resolve_no_magiclinks
                let flags = UInt64(O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                let whole = pour_openat2(fd, parts.joined(separator: "/"), flags, 0, resolve)
                if whole >= 0 {
                    close(whole)
                    return []
                }
                if errno == ENOENT {
                    let parent = parts.count == 1 ? dup(fd)
                        : pour_openat2(fd, parts.dropLast().joined(separator: "/"), flags, 0, resolve)
                    if parent >= 0 {
                        let made = mkdirat(parent, parts[parts.count - 1], mode) == 0
                        close(parent)
                        if made { return [parts.joined(separator: "/")] }
                    }
                }
            }
        #endif
        var created: [String] = []
        var current = dup(fd)
        guard current >= 0 else { throw ContainmentError("open directory", path, errno) }
        defer { close(current) }
        for (index, part) in parts.enumerated() {
            let prefix = parts[...index].joined(separator: "/")
            if mkdirat(current, part, mode) == 0 {
                created.append(prefix)
            } else if errno != EEXIST {
                throw ContainmentError("create directory", path + "/" + prefix, errno)
            }
            let next = openat(current, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard next >= 0 else {
                throw ContainmentError("create directory", path + "/" + prefix, Self.refusalCode(errno, current, part))
            }
            close(current)
            current = next
        }
        return created
    }

    /// The parent directory of `relative` (opened, every component real) and the last component.
    func openParent(_ relative: String, create: Bool = false) throws(ContainmentError) -> (fd: Int32, leaf: String) {
        var parts = try Self.components(relative)
        let leaf = parts.removeLast()
        let display = parts.joined(separator: "/")
        return (try openDirectory(parts, create: create, mode: 0o755, display: display), leaf)
    }

    // MARK: - Files

    /// Opens an existing file beneath the root, refusing a symlink at any component (including the
    /// last). Returns a descriptor the caller closes.
    package func openFile(_ relative: String, flags: Int32 = O_RDONLY) throws(ContainmentError) -> Int32 {
        #if os(Linux)
            if useOpenat2 {
                let parts = try Self.components(relative)
                let opened = pour_openat2(fd, parts.joined(separator: "/"), UInt64(flags | O_NOFOLLOW | O_CLOEXEC), 0,
                                          pour_resolve_beneath | pour_resolve_no_symlinks | pour_resolve_no_magiclinks)
                guard opened >= 0 else { throw ContainmentError("open", path + "/" + relative, errno) }
                return opened
            }
        #endif
        let (parent, leaf) = try openParent(relative)
        defer { close(parent) }
        let opened = openat(parent, leaf, flags | O_NOFOLLOW | O_CLOEXEC)
        guard opened >= 0 else { throw ContainmentError("open", path + "/" + relative, errno) }
        return opened
    }

    /// Creates `relative` exclusively (`O_CREAT|O_EXCL|O_NOFOLLOW`): fails with EEXIST when anything,
    /// a link included, is already there. Returns a descriptor the caller closes.
    package func createExclusive(_ relative: String, mode: mode_t = 0o644, createParents: Bool = false) throws(ContainmentError) -> Int32 {
        let (parent, leaf) = try openParent(relative, create: createParents)
        defer { close(parent) }
        let opened = openat(parent, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard opened >= 0 else { throw ContainmentError("create", path + "/" + relative, errno) }
        return opened
    }

    /// Writes a new file at `relative` atomically: `fill` writes into a temp file pour names and
    /// creates exclusively in the same directory, which is then renamed over `relative` (replacing a
    /// file or a link there — never writing through one). `fill` returns an errno, or 0.
    package func replaceFile(_ relative: String, mode: mode_t = 0o644, createParents: Bool = false, durable: Bool = false,
                             fill: (Int32) -> Int32) throws(ContainmentError) {
        let (parent, leaf) = try openParent(relative, create: createParents)
        defer { close(parent) }
        let temp = ".pour-tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let file = openat(parent, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard file >= 0 else { throw ContainmentError("create", path + "/" + relative, errno) }
        var code = fill(file)
        // The umask applied at creation; an explicit mode (a copied file's) must survive it.
        if code == 0 && fchmod(file, mode) != 0 { code = errno }
        if code == 0 && durable && fsync(file) != 0 { code = errno }
        if close(file) != 0 && code == 0 { code = errno }
        if code == 0 && renameat(parent, temp, parent, leaf) != 0 { code = errno }
        if code != 0 {
            unlinkat(parent, temp, 0)
            throw ContainmentError("write", path + "/" + relative, code)
        }
        if durable { _ = fsync(parent) }
    }

    /// Creates the symlink `relative` → `target` (the target is stored as given; the caller checks
    /// where it leads). Fails with EEXIST when anything is already there.
    package func makeSymlink(_ relative: String, target: String, createParents: Bool = false) throws(ContainmentError) {
        let (parent, leaf) = try openParent(relative, create: createParents)
        defer { close(parent) }
        guard symlinkat(target, parent, leaf) == 0 else { throw ContainmentError("create link", path + "/" + relative, errno) }
    }

    /// `lstat` of `relative`, every parent a real directory; nil when it does not exist.
    package func status(_ relative: String) throws(ContainmentError) -> stat? {
        let parts = try Self.components(relative, allowEmpty: true)
        if parts.isEmpty {
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw ContainmentError("stat", path, errno) }
            return info
        }
        var info = stat()
        let parent: Int32
        do {
            parent = try openDirectory(Array(parts.dropLast()), create: false, mode: 0, display: relative)
        } catch {
            if error.code == ENOENT { return nil }
            throw error
        }
        defer { close(parent) }
        guard fstatat(parent, parts[parts.count - 1], &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return nil }
            throw ContainmentError("stat", path + "/" + relative, errno)
        }
        return info
    }

    /// The stored target of the symlink at `relative`, or nil when it is not a symlink.
    package func linkTarget(_ relative: String) -> String? {
        guard let (parent, leaf) = try? openParent(relative) else { return nil }
        defer { close(parent) }
        return Self.readLink(parent, leaf)
    }

    static func readLink(_ directory: Int32, _ name: String) -> String? {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = buffer.withUnsafeMutableBufferPointer { raw in
            raw.withMemoryRebound(to: CChar.self) { readlinkat(directory, name, $0.baseAddress!, $0.count - 1) }
        }
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    // MARK: - Removal

    /// Removes `relative` (a file, a link — never its target — or a whole tree) beneath the root.
    /// Missing is not an error. Directories are made writable first (bottles ship read-only ones).
    package func remove(_ relative: String) throws(ContainmentError) {
        let (parent, leaf) = try openParent(relative)
        defer { close(parent) }
        try Self.removeEntry(parent, leaf, display: path + "/" + relative)
    }

    /// Removes every entry of the directory `relative` (the root for `""`), keeping the directory.
    package func removeContents(_ relative: String) throws(ContainmentError) {
        let directory = try openDirectory(relative)
        defer { close(directory) }
        for name in Self.names(directory) {
            try Self.removeEntry(directory, name, display: path + "/" + relative + "/" + name)
        }
    }

    static func removeEntry(_ parent: Int32, _ name: String, display: String) throws(ContainmentError) {
        var info = stat()
        guard fstatat(parent, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return }
            throw ContainmentError("remove", display, errno)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            _ = fchmodat(parent, name, 0o700, 0)
            let directory = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard directory >= 0 else { throw ContainmentError("remove", display, refusalCode(errno, parent, name)) }
            defer { close(directory) }
            for child in names(directory) { try removeEntry(directory, child, display: display + "/" + child) }
            guard unlinkat(parent, name, AT_REMOVEDIR) == 0 || errno == ENOENT else {
                throw ContainmentError("remove", display, errno)
            }
        } else {
            guard unlinkat(parent, name, 0) == 0 || errno == ENOENT else { throw ContainmentError("remove", display, errno) }
        }
    }

    /// Names in an open directory (without `.`/`..`), read through a duplicate descriptor.
    static func names(_ directory: Int32) -> [String] {
        let copy = dup(directory)
        guard copy >= 0, let stream = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            return []
        }
        defer { closedir(stream) }
        var result: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { result.append(name) }
        }
        return result
    }

    /// Names in the directory `relative` beneath the root (every component real), or nil.
    package func children(_ relative: String) -> [String]? {
        guard let directory = try? openDirectory(relative) else { return nil }
        defer { close(directory) }
        return Self.names(directory)
    }
}
