#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Thin wrappers over the POSIX calls the keg code runs in hot loops (lstat, readdir, symlink,
/// readlink, rename, fsync). FileManager allocates URLs and dictionaries per call; linking a keg
/// of thousands of files touches each entry several times, so we talk to the kernel directly.
///
/// Stateless; every function is safe to call from any thread.
enum PosixFS {
    /// What `lstat` says a path is, without following a final symlink.
    enum Kind: Equatable {
        case missing, file, directory, symlink, other
    }

    static func kind(_ path: String) -> Kind {
        var st = stat()
        guard lstat(path, &st) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        default: return .other
        }
    }

    /// True when `path` (following symlinks) is a directory.
    static func isDirectoryFollowingLinks(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// True when `path` exists after following symlinks (a broken link answers false).
    static func existsFollowingLinks(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    /// The raw target of a symlink, or nil when `path` is not one.
    static func readLink(_ path: String) -> String? {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = buffer.withUnsafeMutableBufferPointer { raw in
            raw.withMemoryRebound(to: CChar.self) { readlink(path, $0.baseAddress!, $0.count - 1) }
        }
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    /// Names in a directory, without `.` and `..`; nil when it cannot be opened.
    static func children(_ path: String) -> [String]? {
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Entries of a directory with their kinds, from `readdir`'s `d_type` (an `lstat` only when the
    /// filesystem does not report it); sorted by name so linking is deterministic.
    static func entries(_ path: String) -> [(name: String, kind: Kind)]? {
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var result: [(name: String, kind: Kind)] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            let kind: Kind
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_REG): kind = .file
            case Int32(DT_DIR): kind = .directory
            case Int32(DT_LNK): kind = .symlink
            case Int32(DT_UNKNOWN): kind = Self.kind(path + "/" + name)
            default: kind = .other
            }
            result.append((name, kind))
        }
        result.sort { $0.name < $1.name }
        return result
    }

    /// The entries of an open directory stream, `.` and `..` left out, sorted by name, each with
    /// its `d_type` (`DT_UNKNOWN` where the file system does not say). Reads the stream to its end.
    static func sortedEntries(_ handle: OpaquePointer) -> [(name: String, type: UInt8)] {
        var children: [(name: String, type: UInt8)] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { children.append((name, entry.pointee.d_type)) }
        }
        children.sort { $0.name < $1.name }
        return children
    }

    /// `realpath(3)`, or nil when the path does not resolve.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `mkdir -p`; returns the directories it actually created, outermost first, so a caller can
    /// remove exactly those when rolling back.
    @discardableResult
    static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(KegError) -> [String] {
        var missing: [String] = []
        var current = path
        while !current.isEmpty && current != "/" && kind(current) == .missing {
            missing.append(current)
            current = parent(current)
        }
        var created: [String] = []
        for dir in missing.reversed() {
            if mkdir(dir, mode) != 0 && errno != EEXIST {
                throw KegError.system("create directory", dir, package: nil, errno: errno)
            }
            created.append(dir)
        }
        return created
    }

    /// `rm -rf` without following symlinks.
    static func removeTree(_ path: String) {
        if kind(path) == .directory {
            for name in children(path) ?? [] { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// Writes every byte of `bytes` to `fd` (retrying short writes and EINTR); the errno of a
    /// failed write, nil when all were written.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        var done = 0
        while done < bytes.count {
            let wrote = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if wrote < 0 { if errno == EINTR { continue }; return errno }
            if wrote == 0 { return EIO }
            done += wrote
        }
        return nil
    }

    /// fsync on a directory (or file) so a rename or create in it survives a crash.
    static func syncPath(_ path: String) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    /// The same path text on bytes. Not `==`, which is canonical equivalence: `Cellar/caf\u{E9}` and
    /// `Cellar/cafe\u{301}` are two racks on disk, and unlinking one formula removed the other's
    /// links (`LinkerBytesTests`).
    static func samePath(_ a: String?, _ b: String) -> Bool {
        guard let a else { return false }
        return a.utf8.elementsEqual(b.utf8)
    }

    /// The directory part of `path`, cut at its last `/` byte. Not `lastIndex(of: "/")`, which
    /// finds the last `Character` "/": in `opt/\u{301}a` the slash and the mark are one, so the
    /// parent of that link was taken to be the prefix itself and the linker refused it
    /// (`LinkerBytesTests`; Docs/Design.md, "Bytes, not characters").
    static func parent(_ path: String) -> String {
        let bytes = path.utf8
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        return slash == bytes.startIndex ? "/" : String(Substring(bytes[..<slash]))
    }

    /// The last component of `path`, after its last `/` byte (see `parent`).
    static func baseName(_ path: String) -> String {
        let bytes = path.utf8
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return path }
        return String(Substring(bytes[bytes.index(after: slash)...]))
    }

    /// Resolves `.` and `..` textually (no disk access), as Homebrew's `resolved_path` does for
    /// one level of symlink.
    ///
    /// An ASCII path is resolved on its bytes, straight into the result's storage: the
    /// component-array version (`normalizeByComponents`, kept for other paths) took 20,000
    /// instructions a call, two calls per link made, 4 % of an install of 1,000 tiny bottles
    /// (Docs/Performance.md, "Fourth pass"). On ASCII both give the same text
    /// (`PosixFSPathTextTests`).
    static func normalize(_ path: String) -> String {
        var path = path
        if let normal = path.withUTF8({ normalizeASCII($0) }) { return normal }
        return normalizeByComponents(path)
    }

    static func normalizeByComponents(_ path: String) -> String {
        var parts: [Substring] = []
        for part in PathComponents.split(path) {
            if part == "." { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// `normalize` for ASCII bytes; nil for any other text.
    private static func normalizeASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        return String(unsafeUninitializedCapacity: bytes.count + 1) { out in
            var length = 0
            var index = 0
            while index < bytes.count {
                if bytes[index] == slash { index += 1; continue }
                var end = index
                while end < bytes.count && bytes[end] != slash { end += 1 }
                let count = end - index
                if count == 1 && bytes[index] == dot {
                    // `.`: nothing
                } else if count == 2 && bytes[index] == dot && bytes[index + 1] == dot {
                    // `..`: drop the last component written, if any
                    while length > 0 && out[length - 1] != slash { length -= 1 }
                    if length > 0 { length -= 1 }
                } else {
                    out[length] = slash
                    length += 1
                    for offset in 0..<count { out[length + offset] = bytes[index + offset] }
                    length += count
                }
                index = end
            }
            if length == 0 {
                out[0] = slash
                length = 1
            }
            return length
        }
    }

    /// Where the symlink at `path` points, made absolute and normalised (one level only).
    static func resolvedLink(_ path: String) -> String? {
        guard let target = readLink(path) else { return nil }
        return normalize(PathComponents.isAbsolute(target) ? target : parent(path) + "/" + target)
    }

    /// The relative path from directory `fromDir` to `to` (both absolute and normalised). ASCII
    /// paths are compared and joined on their bytes (see `normalize`); others by components.
    static func relative(from fromDir: String, to: String) -> String {
        var from = fromDir, target = to
        if let fast = from.withUTF8({ a in target.withUTF8 { b in relativeASCII(a, b) } }) { return fast }
        return relativeByComponents(from: fromDir, to: to)
    }

    static func relativeByComponents(from fromDir: String, to: String) -> String {
        let a = PathComponents.split(fromDir), b = PathComponents.split(to)
        var common = 0
        // Components compared on bytes: `==` on `Substring`s is canonical equivalence, which took
        // `cafe\u{301}` and `caf\u{E9}` (two directories) for one and made a link point beside
        // itself (`PostInstallLinkBytesTests`).
        while common < a.count && common < b.count && a[common].utf8.elementsEqual(b[common].utf8) { common += 1 }
        let ups = Array(repeating: "..", count: a.count - common)
        let rest = b[common...].map(String.init)
        let joined = (ups + rest).joined(separator: "/")
        return joined.isEmpty ? "." : joined
    }

    /// `relative` for ASCII bytes; nil for any other text.
    private static func relativeASCII(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> String? {
        guard a.allSatisfy({ $0 < 0x80 }), b.allSatisfy({ $0 < 0x80 }) else { return nil }
        let slash = UInt8(ascii: "/")
        /// The next component at or after `index`: its bounds, or nil at the end.
        func next(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int) -> Range<Int>? {
            var start = index
            while start < bytes.count && bytes[start] == slash { start += 1 }
            guard start < bytes.count else { return nil }
            var end = start
            while end < bytes.count && bytes[end] != slash { end += 1 }
            return start..<end
        }
        var ia = 0, ib = 0
        // Skip the common leading components.
        while let ca = next(a, ia), let cb = next(b, ib), ca.count == cb.count,
              ca.indices.allSatisfy({ a[$0] == b[cb.lowerBound + $0 - ca.lowerBound] }) {
            ia = ca.upperBound
            ib = cb.upperBound
        }
        var ups = 0
        while let ca = next(a, ia) { ups += 1; ia = ca.upperBound }
        var rest: [Range<Int>] = []
        while let cb = next(b, ib) { rest.append(cb); ib = cb.upperBound }
        if ups == 0 && rest.isEmpty { return "." }
        let capacity = ups * 3 + rest.reduce(0) { $0 + $1.count + 1 }
        return String(unsafeUninitializedCapacity: capacity) { out in
            var length = 0
            for _ in 0..<ups {
                if length > 0 { out[length] = slash; length += 1 }
                out[length] = UInt8(ascii: "."); out[length + 1] = UInt8(ascii: ".")
                length += 2
            }
            for range in rest {
                if length > 0 { out[length] = slash; length += 1 }
                for index in range { out[length] = b[index]; length += 1 }
            }
            return length
        }
    }
}
