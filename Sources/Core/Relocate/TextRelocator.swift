import Foundation

/// Replaces Homebrew placeholders in the text files of a keg (normally still in staging).
///
/// Stateless: each call keeps its state (visited inodes, results) in locals, so kegs may be
/// relocated concurrently. Binary files are never touched here: a replacement changes the file's
/// length, which only text tolerates (Mach-O/ELF relocation is a separate step).
package enum TextRelocator {
    /// Bytes examined to decide text vs binary before reading a whole file.
    static let sniffLength = 8192

    /// Rewrites placeholders in `kegAt` and returns the keg-relative paths of the files changed,
    /// sorted: the receipt's `changed_files`.
    ///
    /// With `changedFiles` (the bottle receipt's list) only those paths are considered; missing,
    /// non-regular or unsafe entries (absolute, `..`, reached through a symlink) are skipped.
    /// Without it every regular file is scanned. Either way a file is rewritten only when it holds
    /// no NUL byte and contains a known placeholder. Symlinks are skipped. A file with several hard
    /// links is rewritten once, in place, so the links keep sharing one inode; its mode is kept.
    ///
    /// Files larger than `streamingAbove` bytes are relocated in `blockSize` blocks through a temp
    /// file (`StreamingTextRelocation`), so memory does not grow with the file.
    ///
    /// `kegPathIsReal`: `kegPath` is already its own `realpath` (an `ExtractedKeg`'s, resolved by
    /// the extractor a moment before in pour's private staging), so it is not resolved again — a
    /// `readlink` per component of a deep staging path, twice per package with `BinaryRelocator`.
    package static func relocate(kegAt kegPath: String, placeholders: Placeholders, changedFiles: [String]? = nil,
                                cancellation: CancellationFlag? = nil, streamingAbove: Int = 8 << 20,
                                blockSize: Int = 1 << 20, kegPathIsReal: Bool = false) throws(UnpackError) -> [String] {
        let package = packageLabel(kegPath)
        guard let kegReal = kegPathIsReal ? kegPath : PosixFS.realPath(kegPath) else {
            throw .relocationFailed(package: package, file: kegPath, reason: errnoText())
        }

        // The keg directory: listed paths are checked component by component below it, and files
        // are opened relative to it (a short path walk instead of the whole staging path's).
        let kegFD = open(kegReal, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard kegFD >= 0 else { throw .relocationFailed(package: package, file: kegPath, reason: errnoText()) }
        defer { close(kegFD) }
        var run = Run(kegReal: kegReal, kegFD: kegFD, package: package, table: PlaceholderReplacement.Table(placeholders),
                      cancellation: cancellation, streamingAbove: max(1, streamingAbove), blockSize: max(64, blockSize))
        if let changedFiles {
            // Deduplicate after normalising: `./a` and `a` name one file.
            var safePaths = Set<String>()
            for listed in changedFiles {
                if let safe = run.safeRelative(listed, kegFD: kegFD) { safePaths.insert(safe) }
            }
            for relative in safePaths {
                try run.relocateFile(relative: relative)
            }
        } else {
            try run.walk(relativeDirectory: "")
        }
        return run.changed.sorted()
    }

    /// `<name> <pkg_version>` from `…/<name>/<pkg_version>`, for error messages.
    static func packageLabel(_ kegPath: String) -> String {
        PathComponents.split(kegPath).suffix(2).joined(separator: " ")
    }

    /// One relocation pass. Confined to the calling thread for the duration of `relocate`.
    private struct Run {
        struct Inode: Hashable { let device: UInt64; let number: UInt64 }

        let kegReal: String
        /// `kegReal` opened as a directory (O_NOFOLLOW); files are opened relative to it.
        let kegFD: Int32
        let package: String
        let table: PlaceholderReplacement.Table
        let cancellation: CancellationFlag?
        let streamingAbove: Int
        let blockSize: Int
        var changed: [String] = []
        var seenInodes: Set<Inode> = []
        /// Rewritten multi-link files: their other names are listed as changed too, as
        /// `keg_relocate.rb#replace_text_in_files` lists `[first, *rest]`.
        var changedInodes: Set<Inode> = []
        /// Leading components `safeRelative` already found to be real directories (the files a tab
        /// lists share a few directories).
        var realDirectories: Set<String> = []

        /// Normalises a receipt path and checks that it names the file itself, inside the keg,
        /// not reached through any symlink: every leading component is a real directory and the
        /// last one exists and is not a symlink (what `realpath` landing exactly where the text
        /// says meant, checked with one `fstatat` per component below `kegFD` instead of a
        /// `readlink` per component from `/`: Docs/Performance.md, "third pass").
        mutating func safeRelative(_ relative: String, kegFD: Int32) -> String? {
            if PathComponents.isAbsolute(relative) { return nil }
            let parts = KegEntryPath.components(Substring(relative))
            guard !parts.isEmpty, !parts.contains("..") else { return nil }
            var prefix = ""
            for (index, part) in parts.enumerated() {
                prefix = prefix.isEmpty ? String(part) : prefix + "/" + part
                let leading = index < parts.count - 1
                if leading && realDirectories.contains(prefix) { continue }
                var info = stat()
                guard fstatat(kegFD, prefix, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
                let type = info.st_mode & S_IFMT
                if leading ? type != S_IFDIR : type == S_IFLNK { return nil }
                if leading { realDirectories.insert(prefix) }
            }
            return prefix
        }

        /// Depth-first over the keg in sorted order; symlinks are neither followed nor rewritten.
        mutating func walk(relativeDirectory: String) throws(UnpackError) {
            let directory = relativeDirectory.isEmpty ? kegReal : kegReal + "/" + relativeDirectory
            guard let handle = opendir(directory) else {
                throw .relocationFailed(package: package, file: relativeDirectory.isEmpty ? "." : relativeDirectory,
                                        reason: errnoText())
            }
            let children = PosixFS.sortedEntries(handle)
            closedir(handle)
            for child in children {
                let relative = relativeDirectory.isEmpty ? child.name : relativeDirectory + "/" + child.name
                var type = child.type
                if type == UInt8(DT_UNKNOWN) {
                    var info = stat()
                    guard lstat(kegReal + "/" + relative, &info) == 0 else { continue }
                    switch info.st_mode & S_IFMT {
                    case S_IFDIR: type = UInt8(DT_DIR)
                    case S_IFREG: type = UInt8(DT_REG)
                    default: continue
                    }
                }
                if type == UInt8(DT_DIR) {
                    try walk(relativeDirectory: relative)
                } else if type == UInt8(DT_REG) {
                    try relocateFile(relative: relative)
                }
            }
        }

        /// Reads one file, and rewrites it in place when it is text holding a placeholder. The file
        /// is opened for reading and writing at once (one open instead of two); a file that cannot
        /// be opened for writing (read-only) is read through a read-only descriptor and rewritten by
        /// `writeInPlace`, which makes it owner-writable for the write.
        mutating func relocateFile(relative: String) throws(UnpackError) {
            if cancellation?.isCancelled == true { throw .cancelled(package: package) }
            var writable = true
            var fd = openat(kegFD, relative, O_RDWR | O_NOFOLLOW | O_CLOEXEC)
            if fd < 0 && errno != ELOOP && errno != ENOENT {
                writable = false
                fd = openat(kegFD, relative, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            }
            guard fd >= 0 else {
                if errno == ELOOP || errno == ENOENT { return }  // a symlink, or gone: nothing to do
                throw .relocationFailed(package: package, file: relative, reason: errnoText())
            }
            defer { close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0 else {
                throw .relocationFailed(package: package, file: relative, reason: errnoText())
            }
            guard (info.st_mode & S_IFMT) == S_IFREG, info.st_size > 0 else { return }
            var linked: Inode?
            if info.st_nlink > 1 {
                let inode = Inode(device: UInt64(bitPattern: Int64(info.st_dev)), number: UInt64(info.st_ino))
                if !seenInodes.insert(inode).inserted {
                    if changedInodes.contains(inode) { changed.append(relative) }
                    return
                }
                linked = inode
            }

            if Int(info.st_size) > streamingAbove {
                try relocateStreaming(fd: fd, info: info, relative: relative)
                return
            }
            guard let content = try readIfText(fd: fd, size: Int(info.st_size), relative: relative) else { return }
            let replaced = content.withUnsafeBufferPointer { PlaceholderReplacement.replace(in: $0, table: table) }
            guard let replaced else { return }
            if writable {
                // The same inode rewritten from byte 0, as `writeInPlace` does through a second open;
                // cut to the new length only when the text got shorter (a truncation to 0 first
                // would free the file's pages just to allocate them again).
                try writeAll(fd: fd, relative: relative, bytes: replaced)
                if replaced.count < Int(info.st_size), ftruncate(fd, off_t(replaced.count)) != 0 {
                    throw .relocationFailed(package: package, file: relative, reason: errnoText())
                }
            } else {
                try writeInPlace(relative: relative, bytes: replaced, mode: info.st_mode & 0o7777)
            }
            changed.append(relative)
            if let linked { changedInodes.insert(linked) }
        }

        /// A large file, in blocks: its directory is opened beneath the keg (no symlink on the way)
        /// and the result is written through pour's own O_EXCL temp file.
        private mutating func relocateStreaming(fd: Int32, info: stat, relative: String) throws(UnpackError) {
            let directory: Int32
            let leaf: String
            do throws(ContainmentError) {
                (directory, leaf) = try BeneathRoot(path: kegReal).openParent(relative)
            } catch {
                throw .relocationFailed(package: package, file: relative, reason: error.description)
            }
            defer { close(directory) }
            switch StreamingTextRelocation.relocate(fd: fd, info: info, directory: directory, leaf: leaf, table: table,
                                                    blockSize: blockSize, cancellation: cancellation) {
            case .success(.rewritten): changed.append(relative)
            case .success(.unchanged): return
            case .failure(let error):
                if error.code == ECANCELED { throw .cancelled(package: package) }
                throw .relocationFailed(package: package, file: relative, reason: error.description)
            }
        }

        /// The whole file, or nil when it holds a NUL byte (binary). The first `sniffLength` bytes
        /// are read and checked before a buffer for the whole file is allocated, so a large binary
        /// costs one small read. Buffers are filled by `pread` directly (never zero-filled first).
        private func readIfText(fd: Int32, size: Int, relative: String) throws(UnpackError) -> [UInt8]? {
            let sniffCount = min(sniffLength, size)
            let head = try readUninitialized(count: sniffCount, at: 0, fd: fd, relative: relative)
            if head.isEmpty || Self.hasNUL(head) { return nil }
            guard head.count == sniffCount, size > sniffCount else { return head }
            let tail = try readUninitialized(count: size - sniffCount, at: sniffCount, fd: fd, relative: relative)
            if Self.hasNUL(tail) { return nil }
            // One copy of the (small) head in front of the tail, not a byte-wise append.
            return [UInt8](unsafeUninitializedCapacity: head.count + tail.count) { output, initialized in
                guard let target = output.baseAddress else { return }
                head.withUnsafeBytes { memcpy(target, $0.baseAddress!, $0.count) }
                tail.withUnsafeBytes { if let source = $0.baseAddress { memcpy(target + head.count, source, $0.count) } }
                initialized = head.count + tail.count
            }
        }

        private static func hasNUL(_ bytes: [UInt8]) -> Bool {
            bytes.withUnsafeBytes { raw in raw.baseAddress.map { memchr($0, 0, raw.count) != nil } ?? false }
        }

        /// Up to `count` bytes from `offset`, fewer if the file ends early.
        private func readUninitialized(count: Int, at offset: Int, fd: Int32,
                                       relative: String) throws(UnpackError) -> [UInt8] {
            var failure: Int32 = 0
            let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                var filled = 0
                while filled < count, let base = buffer.baseAddress {
                    let got = pread(fd, base + filled, count - filled, off_t(offset + filled))
                    if got < 0 {
                        if errno == EINTR { continue }
                        failure = errno
                        break
                    }
                    if got == 0 { break }
                    filled += got
                }
                initialized = filled
            }
            if failure != 0 {
                throw .relocationFailed(package: package, file: relative, reason: errnoText(failure))
            }
            return bytes
        }

        /// Truncates and rewrites the same inode (hard links stay shared, mode is unchanged). A
        /// read-only file is made owner-writable for the write and given its mode back afterwards.
        private func writeInPlace(relative: String, bytes: [UInt8], mode: mode_t) throws(UnpackError) {
            var fd = openat(kegFD, relative, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC)
            var restoreMode = false
            if fd < 0 && errno == EACCES && fchmodat(kegFD, relative, mode | 0o200, 0) == 0 {
                restoreMode = true
                fd = openat(kegFD, relative, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC)
            }
            guard fd >= 0 else {
                let reason = errnoText()
                if restoreMode { fchmodat(kegFD, relative, mode, 0) }
                throw .relocationFailed(package: package, file: relative, reason: reason)
            }
            defer {
                if restoreMode { fchmod(fd, mode) }
                close(fd)
            }
            try writeAll(fd: fd, relative: relative, bytes: bytes)
        }

        /// Writes all of `bytes` from offset 0.
        private func writeAll(fd: Int32, relative: String, bytes: [UInt8]) throws(UnpackError) {
            var done = 0
            while done < bytes.count {
                let wrote = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(done)) }
                if wrote < 0 {
                    if errno == EINTR { continue }
                    throw .relocationFailed(package: package, file: relative, reason: errnoText())
                }
                done += wrote
            }
        }
    }
}
