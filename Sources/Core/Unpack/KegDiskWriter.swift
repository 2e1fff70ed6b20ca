import Foundation

/// Writes one bottle's entries into its staging keg, every call relative to the keg directory's
/// descriptor — in place of libarchive's `archive_write_disk`, whose results it reproduces for
/// the flags pour used (`TIME | PERM | SECURE_NODOTDOT`, modes already stripped and masked by the
/// extractor; `KegDiskWriterTests` compares both trees on the same archives).
///
/// Why not libarchive's writer: per entry it swapped the process umask twice (`umask(0)` to read
/// it, then back — racing with every other thread of the process that creates a file, and with
/// other extractions, which could leave the umask at 0), re-walked the full absolute path of the
/// entry (13 components deep in a staging keg) in each of `mkdir`/`open`/`utimensat`, queried
/// the descriptor flags after each `open`, walked the staging path component by component for
/// every hard link, and at the end re-opened every directory by absolute path to set its time
/// and mode (`open` + `utimensat` + `fchmod` + `close`). Docs/Performance.md, "Issue 16, sixth
/// pass", has the counts.
///
/// What it does, entry by entry (the paths are keg-relative, already checked by the extractor:
/// no `..`, not absolute, never through a symlink this archive made):
/// - files: `openat(O_CREAT|O_EXCL|O_NOFOLLOW)` with the final mode, data written at its offsets
///   (holes stay holes; a trailing hole is kept by `ftruncate` to the declared size), then the
///   archive's times (`futimens`) before `close`;
/// - directories: `mkdirat` with owner rwx and without world-write (so later entries can be
///   written into it); the final mode and the archive's times are applied at `finish()`, deepest
///   first, because creating a child changes its parent's mtime. The mode is skipped when the
///   directory was already created with it (and no set-group-ID bit can have been inherited from
///   the keg root). A directory entry where a directory already is (the keg root, a directory
///   listed twice) gets its times at once and a different mode at the end, as libarchive did;
/// - symlinks: `symlinkat`, then their times (`utimensat(AT_SYMLINK_NOFOLLOW)`); Linux has no mode
///   for a link;
/// - hard links: `linkat` to the keg-relative target; an entry carrying data is then opened,
///   truncated and written like a file (its times and mode applied), one without data is left
///   alone (it describes the file it links to, as in GNU tar and libarchive);
/// - a missing parent directory is made with `0777 & ~umask` (no times), as libarchive did;
/// - a later entry at the path of an earlier one replaces it (a directory is kept for a
///   directory; an empty directory is removed for a non-directory, a non-empty one is an error).
///   The extractor already refuses replacing a symlink with anything but a symlink.
///
/// Times: the entry's atime and mtime when the archive has them; one the archive lacks takes the
/// time the writer was created (libarchive's rule); an entry with neither is left with the
/// creation time.
///
/// Confinement: one writer per extraction call, used only on that call's thread (not Sendable).
/// `deinit` closes its descriptors; after a failure the deferred directory modes are not applied
/// (the extractor removes the keg).
final class KegDiskWriter {
    /// A failed system call on an entry: `operation` says what was being done, `path` is keg-relative.
    struct Failure: Error, CustomStringConvertible {
        let operation: String
        let path: String
        let code: Int32
        var description: String { "cannot \(operation) \(path.isEmpty ? "the keg directory" : path): \(errnoText(code))" }
    }

    enum Kind {
        case file
        case directory
        case symlink(target: String)
        /// `target` is keg-relative.
        case hardlink(target: String)
    }

    /// Access and modification times to set, in the layout `futimens` takes ([atime, mtime]).
    struct Times {
        var access: timespec
        var modification: timespec
    }

    private struct Fixup {
        var mode: mode_t? = nil
        var times: Times? = nil
    }

    private let kegFD: Int32
    private let umask: mode_t
    /// The keg root has the set-group-ID bit (inherited from staging): every directory made
    /// below it inherits the bit too, which only an explicit chmod clears.
    private let rootIsSetGID: Bool
    private let rootMode: mode_t
    /// The time the writer was created: for a time the archive does not carry.
    let startTime: time_t
    /// Keyed by bytes (`ExactPath`): two canonically equivalent names are two directories.
    private var fixups: [ExactPath: Fixup] = [:]

    // The open regular file, if the current entry has data to receive.
    private var fd: Int32 = -1
    private var path = ""
    private var size: Int64 = 0
    private var highWater: Int64 = 0
    private var times: Times?
    private var chmodTo: mode_t?

    /// Opens the keg directory (made by the extractor, empty).
    init(kegPath: String, umask: mode_t) throws(Failure) {
        let descriptor = open(kegPath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(operation: "open", path: "", code: errno) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let code = errno
            close(descriptor)
            throw Failure(operation: "inspect", path: "", code: code)
        }
        kegFD = descriptor
        self.umask = umask & 0o777
        rootIsSetGID = info.st_mode & S_ISGID != 0
        rootMode = info.st_mode & 0o7777
        startTime = time(nil)
    }

    deinit {
        if fd >= 0 { close(fd) }
        close(kegFD)
    }

    /// Times for an entry: nil when the archive carries none (nothing is set), else each missing
    /// one replaced by the writer's start time.
    func times(access: timespec?, modification: timespec?, hasBirthtime: Bool) -> Times? {
        if access == nil && modification == nil && !hasBirthtime { return nil }
        let start = timespec(tv_sec: startTime, tv_nsec: 0)
        return Times(access: access ?? start, modification: modification ?? start)
    }

    /// Creates the entry at `relative` ("" is the keg root). For a file, or a hard link carrying
    /// data (`size > 0`), its data follows through `write` and ends with `finishEntry`. A negative
    /// `size` is an entry whose header declares none: its data is written whole, as libarchive's
    /// writer did (no clamp, no trailing hole).
    func begin(_ relative: String, kind: Kind, mode: mode_t, size: Int64, times: Times?) throws(Failure) {
        precondition(fd < 0, "finishEntry was not called")
        path = relative
        self.size = size
        highWater = 0
        self.times = times
        chmodTo = nil
        switch kind {
        case .directory:
            try makeDirectory(relative, mode: mode, times: times)
        case .file:
            fd = try create(relative) {
                openat(kegFD, relative, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            }
            // The creation mode passes through the umask; the extractor already applied it, so
            // this is only for a umask that grew since (nothing in pour changes it).
            if mode & ~umask != mode { chmodTo = mode }
        case .symlink(let target):
            _ = try create(relative) { symlinkat(target, kegFD, relative) }
            if let times { setTimes(relative, times) }
        case .hardlink(let target):
            _ = try create(relative) { linkat(kegFD, target, kegFD, relative, 0) }
            if self.size > 0 {
                fd = openat(kegFD, relative, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC)
                if fd < 0 { throw Failure(operation: "open", path: relative, code: errno) }
                // The entry decides the shared file's mode, as libarchive let linked data do.
                var info = stat()
                if fstat(fd, &info) == 0, info.st_mode & 0o7777 != mode { chmodTo = mode }
            }
        }
    }

    /// Writes `count` bytes at `offset` of the current file (clamped to its declared size).
    func write(_ bytes: UnsafeRawPointer, count: Int, at offset: Int64) throws(Failure) {
        guard fd >= 0, count > 0 else { return }
        var length = count
        if size >= 0, offset + Int64(length) > size { length = Int(max(0, size - offset)) }
        var done = 0
        while done < length {
            let n = pwrite(fd, bytes + done, length - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(operation: "write", path: path, code: errno)
            }
            if n == 0 { throw Failure(operation: "write", path: path, code: EIO) }
            done += n
        }
        highWater = max(highWater, offset + Int64(length))
    }

    /// Ends the current entry: a trailing hole kept, then mode and times, then `close`.
    func finishEntry() throws(Failure) {
        guard fd >= 0 else { return }
        defer { fd = -1 }
        let descriptor = fd
        var failure: Failure?
        if size >= 0, highWater < size, ftruncate(descriptor, off_t(size)) != 0 {
            failure = Failure(operation: "extend", path: path, code: errno)
        }
        if failure == nil, let mode = chmodTo, fchmod(descriptor, mode) != 0 {
            failure = Failure(operation: "set the mode of", path: path, code: errno)
        }
        if failure == nil, var times {
            withUnsafePointer(to: &times) {
                $0.withMemoryRebound(to: timespec.self, capacity: 2) { _ = futimens(descriptor, $0) }
            }
        }
        if close(descriptor) != 0, failure == nil {
            failure = Failure(operation: "close", path: path, code: errno)
        }
        if let failure { throw failure }
    }

    /// Applies the directories' final modes and times, deepest path first (libarchive's order:
    /// a child's fix-up never touches its parent's mtime, and a read-only parent is made so last).
    /// Failures to set a time or mode are ignored, as libarchive reported them as warnings.
    func finish() {
        // Byte order, reversed: a directory after everything below it.
        let ordered = fixups.keys.sorted { $0.text.utf8.lexicographicallyPrecedes($1.text.utf8) }.reversed()
        for key in ordered {
            guard let fixup = fixups[key] else { continue }
            let relative = key.text
            if let times = fixup.times { setTimes(relative, times) }
            if let mode = fixup.mode {
                _ = relative.isEmpty ? fchmod(kegFD, mode) : fchmodat(kegFD, relative, mode, 0)
            }
        }
        fixups = [:]
    }

    // MARK: - Helpers

    /// Sets `relative`'s times without following a final symlink; "" is the keg root itself.
    private func setTimes(_ relative: String, _ times: Times) {
        var times = times
        withUnsafePointer(to: &times) {
            $0.withMemoryRebound(to: timespec.self, capacity: 2) {
                _ = relative.isEmpty ? futimens(kegFD, $0) : utimensat(kegFD, relative, $0, AT_SYMLINK_NOFOLLOW)
            }
        }
    }

    /// The mode a directory is made with: the owner may always enter and write (later entries go
    /// into it), nobody else may write until the final mode is set.
    private static func creationMode(_ mode: mode_t) -> mode_t { (mode | 0o700) & 0o775 }

    private func makeDirectory(_ relative: String, mode: mode_t, times: Times?) throws(Failure) {
        if relative.isEmpty {
            // The keg root exists (the extractor made it).
            keepDirectory("", current: rootMode, mode: mode, times: times)
            return
        }
        let made = Self.creationMode(mode)
        var result = mkdirat(kegFD, relative, made)
        if result != 0 && errno == ENOENT {
            try makeParents(of: relative)
            result = mkdirat(kegFD, relative, made)
        }
        if result != 0 && errno == EEXIST {
            var existing = stat()
            guard fstatat(kegFD, relative, &existing, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw Failure(operation: "inspect", path: relative, code: errno)
            }
            if existing.st_mode & S_IFMT == S_IFDIR {
                keepDirectory(relative, current: existing.st_mode & 0o7777, mode: mode, times: times)
                return
            }
            guard unlinkat(kegFD, relative, 0) == 0 else {
                throw Failure(operation: "replace", path: relative, code: errno)
            }
            result = mkdirat(kegFD, relative, made)
        }
        guard result == 0 else { throw Failure(operation: "create the directory", path: relative, code: errno) }
        let needsMode = made & ~umask != mode || rootIsSetGID
        if needsMode || times != nil {
            fixups[ExactPath(relative)] = Fixup(mode: needsMode ? mode : nil, times: times)
        }
    }

    /// A directory entry where a directory already is (the keg root, or a directory listed
    /// again): it is kept with what is in it. As libarchive did, its times are set at once (a
    /// later child's creation moves the mtime again; a fix-up from an earlier listing still wins
    /// at the end) and a different mode is fixed at the end.
    private func keepDirectory(_ relative: String, current: mode_t, mode: mode_t, times: Times?) {
        if let times { setTimes(relative, times) }
        if current != mode { fixups[ExactPath(relative), default: Fixup()].mode = mode }
    }

    /// Runs `make` (a creation call answering -1 with errno, or a descriptor); on ENOENT makes the
    /// missing parents, on EEXIST removes what is in the way, then tries once more.
    private func create(_ relative: String, _ make: () -> Int32) throws(Failure) -> Int32 {
        var result = make()
        if result < 0 && errno == ENOENT {
            try makeParents(of: relative)
            result = make()
        }
        if result < 0 && errno == EEXIST {
            try removeExisting(relative)
            result = make()
        }
        guard result >= 0 else { throw Failure(operation: "create", path: relative, code: errno) }
        return result
    }

    /// Removes a non-directory, or an empty directory, standing where a non-directory goes.
    private func removeExisting(_ relative: String) throws(Failure) {
        var existing = stat()
        guard fstatat(kegFD, relative, &existing, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw Failure(operation: "inspect", path: relative, code: errno)
        }
        let isDirectory = existing.st_mode & S_IFMT == S_IFDIR
        guard unlinkat(kegFD, relative, isDirectory ? AT_REMOVEDIR : 0) == 0 else {
            throw Failure(operation: "replace", path: relative, code: errno)
        }
        if isDirectory { fixups[ExactPath(relative)] = nil }
    }

    /// Makes every missing directory above `relative` with `0777 & ~umask` (libarchive's default
    /// for directories the archive does not list); only their mode is fixed at the end, if needed.
    private func makeParents(of relative: String) throws(Failure) {
        let bytes = Array(relative.utf8)
        var end = 0
        while let slash = bytes[end...].firstIndex(of: UInt8(ascii: "/")) {
            end = slash + 1
            if slash == 0 { continue }
            let parent = String(decoding: bytes[..<slash], as: UTF8.self)
            let finalMode = 0o777 & ~umask
            let made = Self.creationMode(finalMode)
            if mkdirat(kegFD, parent, made) == 0 {
                if made & ~umask != finalMode || rootIsSetGID { fixups[ExactPath(parent)] = Fixup(mode: finalMode, times: nil) }
            } else if errno != EEXIST {
                throw Failure(operation: "create the directory", path: parent, code: errno)
            }
        }
    }
}
