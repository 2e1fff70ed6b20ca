import CArchive
import Foundation

/// Extracts one bottle (a gzip/zstd/xz/bzip2-compressed tar of `<name>/<pkg_version>/…`) into a
/// staging directory, refusing anything that could write outside the keg.
///
/// Stateless apart from `ResolvedStaging` (lock-protected): every call owns its own libarchive
/// reader and `KegDiskWriter` and touches only
/// `<staging>/<name>/<pkg_version>`, so calls for different bottles may run concurrently on
/// pour's extraction queue. It never changes the working directory: each entry path (and hard
/// link target) is validated and then written below the keg's descriptor (`KegDiskWriter`).
package enum BottleExtractor {
    /// Read block size handed to libarchive: large blocks cut per-read overhead on big bottles.
    static let readBlockSize = 1 << 20

    /// Extracts `bottleAt` into `<stagingDirectory>/<name>/<pkgVersion>`.
    ///
    /// The keg directory must not exist yet. On any error everything this call created is removed
    /// (the keg, and `<name>/` if this call made it and it is empty), so the caller finds no leftovers.
    /// Written files are not fsynced: the committer syncs once before its rename.
    package static func extract(bottleAt path: String, name: String, pkgVersion: String,
                               into stagingDirectory: String, limits: ExtractionLimits = .default,
                               cancellation: CancellationFlag? = nil) throws(UnpackError) -> ExtractedKeg {
        try extract(input: .file(path), name: name, pkgVersion: pkgVersion, into: stagingDirectory,
                    limits: limits, cancellation: cancellation)
    }

    /// Extracts the bottle a download is still writing (`GrowingFile`), following its bytes as they
    /// arrive; the same checks as `extract(bottleAt:)`. Ends once the download has verified the
    /// bytes (gzip: the reader must reach the end of the file to check the last CRC), or fails with
    /// `.corruptArchive` naming the reason when the download's generation is abandoned.
    /// `path` names the file in messages only.
    package static func extract(growing file: GrowingFile, path: String, name: String, pkgVersion: String,
                                into stagingDirectory: String, limits: ExtractionLimits = .default,
                                cancellation: CancellationFlag? = nil) throws(UnpackError) -> ExtractedKeg {
        try extract(input: .growing(file, path: path), name: name, pkgVersion: pkgVersion, into: stagingDirectory,
                    limits: limits, cancellation: cancellation)
    }

    /// Where the compressed bytes come from.
    private enum Input {
        case file(String)
        case growing(GrowingFile, path: String)

        var path: String {
            switch self {
            case .file(let path), .growing(_, let path): return path
            }
        }
    }

    private static func extract(input: Input, name: String, pkgVersion: String, into stagingDirectory: String,
                                limits: ExtractionLimits, cancellation: CancellationFlag?) throws(UnpackError) -> ExtractedKeg {
        let package = "\(name) \(pkgVersion)"
        guard KegEntryPath.isSafeComponent(name), KegEntryPath.isSafeComponent(pkgVersion) else {
            throw .invalidKegName(package: package)
        }
        if cancellation?.isCancelled == true { throw .cancelled(package: package) }
        // The umask is read once (without setting it: ProcessUmask) and applied to every mode.
        _ = ProcessUmask.value

        // The keg's path is handed on as real (no symlink in it: relocation does not resolve it
        // again), so the staging directory is resolved first — once per staging directory
        // (`ResolvedStaging`), not once per bottle.
        guard let staging = ResolvedStaging.realPath(of: stagingDirectory) else {
            throw .stagingUnavailable(package: package, path: stagingDirectory, reason: errnoText())
        }

        let nameDir = staging + "/" + name
        let kegPath = nameDir + "/" + pkgVersion
        var createdNameDir = false
        if mkdir(nameDir, 0o755) == 0 {
            createdNameDir = true
        } else if errno != EEXIST {
            throw .stagingUnavailable(package: package, path: nameDir, reason: errnoText())
        }
        var info = stat()
        guard lstat(nameDir, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw .stagingUnavailable(package: package, path: nameDir, reason: "not a directory")
        }
        if mkdir(kegPath, 0o755) != 0 {
            let code = errno
            if createdNameDir { rmdir(nameDir) }
            if code == EEXIST { throw .kegAlreadyStaged(package: package, path: kegPath) }
            throw .stagingUnavailable(package: package, path: kegPath, reason: errnoText(code))
        }

        do {
            return try stream(input, name: name, pkgVersion: pkgVersion, package: package,
                              kegPath: kegPath, limits: limits, cancellation: cancellation)
        } catch {
            TreeRemoval.remove(kegPath)
            if createdNameDir { rmdir(nameDir) }
            throw error
        }
    }

    /// `realpath` of staging directories, remembered: a run extracts every bottle into the same
    /// one, and `realpath` costs a `readlink` per component of a deep path (9 per bottle in a
    /// fresh prefix under /dev/shm, Docs/Performance.md, "Issue 16, sixth pass"). A remembered
    /// answer is used only while the given path (followed) and the remembered real path (with no
    /// symlink in any component) both lead to the same directory (device and inode); otherwise
    /// the path is resolved again. Lock-protected; safe from any thread.
    enum ResolvedStaging {
        private struct Known {
            let path: String
            let device: UInt64
            let inode: UInt64
        }
        private static let known = Locked([String: Known]())

        static func realPath(of directory: String) -> String? {
            if let remembered = known.withLock({ $0[directory] }) {
                // The path given must still lead to that directory, and the remembered real path too.
                var given = stat()
                var real = stat()
                if stat(directory, &given) == 0, statWithoutSymlinks(remembered.path, &real),
                   (real.st_mode & S_IFMT) == S_IFDIR,
                   UInt64(given.st_dev) == remembered.device, UInt64(given.st_ino) == remembered.inode,
                   UInt64(real.st_dev) == remembered.device, UInt64(real.st_ino) == remembered.inode {
                    return remembered.path
                }
            }
            guard let resolved = realpath(directory, nil) else { return nil }
            let path = String(cString: resolved)
            free(resolved)
            var info = stat()
            guard lstat(path, &info) == 0 else { return path }
            known.withLock { table in
                if table.count >= 16 { table.removeAll() }
                table[directory] = Known(path: path, device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
            }
            return path
        }

        /// `stat` of `path` when no component of it is a symlink — the remembered path must still
        /// be real, not only lead to the directory (an ancestor renamed and replaced by a link to
        /// its new place leads there too): one `openat2(RESOLVE_NO_SYMLINKS)`, a `fstat`, a
        /// `close`. Without `openat2` it answers false and the path is resolved again each time.
        /// (testStagingWhoseAncestorBecameASymlinkStillGivesARealKegPath)
        private static func statWithoutSymlinks(_ path: String, _ info: inout stat) -> Bool {
            #if os(Linux)
                guard BeneathRoot.openat2Available else { return false }
                let fd = pour_openat2(AT_FDCWD, path, UInt64(O_RDONLY | O_DIRECTORY | O_CLOEXEC), 0,
                                      pour_resolve_no_symlinks | pour_resolve_no_magiclinks)
                guard fd >= 0 else { return false }
                defer { close(fd) }
                return fstat(fd, &info) == 0
            #else
                return false
            #endif
        }
    }

    // MARK: - Streaming

    /// Entries are written by `KegDiskWriter` below the keg's descriptor, not by libarchive's
    /// `archive_write_disk` (which pour used with `TIME | PERM | SECURE_NODOTDOT`; the writer's doc
    /// says why). No SECURE_SYMLINKS equivalent is needed: the staging directory is fresh and
    /// resolved with realpath, so the only symlinks below it are the ones this archive creates;
    /// `throughSymlink` refuses any entry (or hard-link target) whose path passes through one of
    /// them, checked in memory.

    /// The first proper ancestor of `relative` (keg-relative) that this archive made a symlink, if
    /// any, compared on bytes (`ExactPath`): a `/` byte is a separator whatever follows it, and a
    /// name matches only its own spelling. `symlinks` holds exactly the paths `kinds` marks
    /// `.symlink`; with none (most kegs, until their links come) there is nothing to find, and
    /// comparing each link with the path's bytes is cheaper than building and hashing every
    /// ancestor (3 % of an install of 1,000 tiny bottles, Docs/Performance.md, "Fourth pass").
    static func throughSymlink(_ relative: String, symlinks: Set<ExactPath>) -> String? {
        if symlinks.isEmpty { return nil }
        var first: ExactPath?
        for link in symlinks where link.isProperAncestor(of: relative) {
            if let found = first, found.text.utf8.count <= link.text.utf8.count { continue }
            first = link
        }
        return first?.text
    }

    // archive_entry.h defines AE_IF* through a cast macro Swift does not import.
    private static let typeMask: mode_t = 0o170000
    private static let typeRegular: mode_t = 0o100000
    private static let typeDirectory: mode_t = 0o040000
    private static let typeSymlink: mode_t = 0o120000

    private static func stream(_ input: Input, name: String, pkgVersion: String, package: String,
                               kegPath: String, limits: ExtractionLimits,
                               cancellation: CancellationFlag?) throws(UnpackError) -> ExtractedKeg {
        let path = input.path
        guard let reader = archive_read_new() else {
            throw .cannotOpenBottle(package: package, path: path, reason: "libarchive could not allocate a reader")
        }
        defer { archive_read_free(reader) }
        let writer: KegDiskWriter
        do { writer = try KegDiskWriter(kegPath: kegPath, umask: ProcessUmask.value) } catch {
            throw .stagingUnavailable(package: package, path: kegPath, reason: error.description)
        }
        archive_read_support_filter_all(reader)
        archive_read_support_format_tar(reader)
        // gzip bottles (all of Homebrew's) are inflated by zlib, which checks the CRC-32 that
        // libarchive's gzip filter skips; other compressions go through libarchive's filters.
        let source: BottleByteSource?
        switch input {
        case .file(let path): source = FileByteSource(path: path)
        case .growing(let file, _): source = GrowingFileSource(file: file, cancellation: cancellation)
        }
        let gzip = source.flatMap { $0.startsWithGzipMagic() ? GzipVerifyingSource(source: $0) : nil }
        // A growing file is only ever read through callbacks; a file on disk by name when not gzip.
        var raw: RawArchiveSource?
        if gzip == nil, case .growing = input, let source { raw = RawArchiveSource(source: source) }
        let opened = gzip.map { $0.attach(to: reader) } ?? raw.map { $0.attach(to: reader) }
            ?? archive_read_open_filename(reader, path, readBlockSize)
        // libarchive holds unretained pointers to the sources until the reader is freed.
        defer { withExtendedLifetime((gzip, raw)) {} }
        if opened != ARCHIVE_OK {
            if cancellation?.isCancelled == true { throw .cancelled(package: package) }
            if let problem = gzip?.failure ?? raw?.failure ?? source?.failure {
                throw .corruptArchive(package: package, entry: nil, reason: problem)
            }
            // Opening already reads the first block to detect the format: a readable file that
            // fails here is damaged or not a bottle, which the user fixes differently.
            if access(path, R_OK) == 0 {
                throw .corruptArchive(package: package, entry: nil, reason: errorText(reader))
            }
            throw .cannotOpenBottle(package: package, path: path, reason: errorText(reader))
        }

        var entries: [ExtractedKeg.Entry] = []
        // Kind of the latest entry at each keg-relative path: hard links may only target files
        // this archive already wrote, never something that existed or was replaced by a link.
        // Keyed by `ExactPath`: two spellings of one name are two files to the kernel.
        var kinds: [ExactPath: ExtractedKeg.Entry.Kind] = [ExactPath(""): .directory]
        var symlinks = Set<ExactPath>()  // the keys of `kinds` marked `.symlink`
        var totalBytes: Int64 = 0
        var entryCount = 0
        var fileCount = 0
        // Whether any file's data began with the ELF magic (or could have: see `copyData`).
        var mayHoldELF = false
        var lastEntry: String?

        do throws(UnpackError) {
            while true {
                if cancellation?.isCancelled == true { throw .cancelled(package: package) }
                var header: OpaquePointer?
                let status = archive_read_next_header(reader, &header)
                if status == ARCHIVE_EOF { break }
                guard status >= ARCHIVE_WARN, let entry = header else {
                    throw .corruptArchive(package: package, entry: lastEntry, reason: errorText(reader))
                }
                entryCount += 1
                if entryCount > limits.maxEntries {
                    throw .entryCountLimitExceeded(package: package, limit: limits.maxEntries)
                }
                guard let rawC = archive_entry_pathname(entry), let raw = String(validatingCString: rawC) else {
                    throw .unsafePath(package: package, entry: lastEntry.map { "after \($0)" } ?? "(first entry)",
                                      reason: "pathname is missing or not UTF-8")
                }
                lastEntry = raw
                let location = try KegEntryPath.locate(raw, name: name, pkgVersion: pkgVersion, package: package,
                                                        maxLength: limits.maxPathLength)

                let kind: ExtractedKeg.Entry.Kind
                var linkTarget: String?
                if let hardC = archive_entry_hardlink(entry) {
                    guard let target = String(validatingCString: hardC) else {
                        throw .unsafeHardlink(package: package, entry: raw, target: "(not UTF-8)")
                    }
                    // The target gets the same layout checks as a pathname, reported as a link error.
                    let targetLocation: KegEntryPath.Location
                    do {
                        targetLocation = try KegEntryPath.locate(target, name: name, pkgVersion: pkgVersion,
                                                                 package: package, maxLength: limits.maxPathLength)
                    } catch {
                        throw .unsafeHardlink(package: package, entry: raw, target: target)
                    }
                    guard case .inKeg(let targetRel) = targetLocation, !targetRel.isEmpty,
                          let targetKind = kinds[ExactPath(targetRel)], targetKind == .file || targetKind == .hardlink
                    else { throw .unsafeHardlink(package: package, entry: raw, target: target) }
                    kind = .hardlink
                    linkTarget = targetRel
                } else {
                    let type = archive_entry_filetype(entry) & typeMask
                    switch type {
                    case typeRegular: kind = .file
                    case typeDirectory: kind = .directory
                    case typeSymlink:
                        guard let targetC = archive_entry_symlink(entry), let target = String(validatingCString: targetC)
                        else { throw .unsafeSymlink(package: package, entry: raw, target: "(missing or not UTF-8)") }
                        kind = .symlink
                        linkTarget = target
                    default:
                        throw .unsupportedEntryType(package: package, entry: raw, type: typeName(type))
                    }
                }

                let relative: String
                switch location {
                case .kegParent:
                    // `<name>/` itself: harmless as a directory, and never written (it is shared).
                    if kind == .directory { continue }
                    throw .unsafePath(package: package, entry: raw, reason: "only a directory may stand at \(name)/")
                case .inKeg(let rel):
                    if rel.isEmpty && kind != .directory {
                        throw .unsafePath(package: package, entry: raw, reason: "the keg root must be a directory")
                    }
                    relative = rel
                }
                if kind == .symlink, let target = linkTarget,
                   !KegEntryPath.symlinkStaysInKeg(linkPath: relative, target: target) {
                    throw .unsafeSymlink(package: package, entry: raw, target: target)
                }
                if let link = throughSymlink(relative, symlinks: symlinks)
                    ?? (kind == .hardlink ? linkTarget.flatMap { throughSymlink($0, symlinks: symlinks) } : nil) {
                    throw .unsafePath(package: package, entry: raw, reason: "it would be written through the symlink \(link)")
                }
                let exact = ExactPath(relative)
                if kinds[exact] == .symlink && kind != .symlink {
                    throw .unsafePath(package: package, entry: raw, reason: "it would replace the symlink at the same path")
                }

                // setuid/setgid/sticky have no business in a bottle: neutralise them rather than fail.
                // Modes are restored verbatim, umask included: apply the process umask ourselves,
                // as brew's tar does (no world-writable file unless the umask allows).
                let mode = archive_entry_perm(entry) & 0o777 & ~ProcessUmask.value
                // A declared size past the cap fails before a byte is inflated (bomb fast path).
                let declared = archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : 0
                if archive_entry_size_is_set(entry) != 0, totalBytes + declared > limits.maxTotalBytes {
                    throw .sizeLimitExceeded(package: package, entry: raw, limitBytes: limits.maxTotalBytes)
                }
                let diskKind: KegDiskWriter.Kind
                switch kind {
                case .file: diskKind = .file
                case .directory: diskKind = .directory
                case .symlink: diskKind = .symlink(target: linkTarget ?? "")
                case .hardlink: diskKind = .hardlink(target: linkTarget ?? "")
                }
                do {
                    try writer.begin(relative, kind: diskKind, mode: mode,
                                     size: archive_entry_size_is_set(entry) != 0 ? declared : -1,
                                     times: entryTimes(entry, writer: writer))
                } catch {
                    throw .writeFailed(package: package, entry: raw, reason: error.description)
                }
                var written: Int64 = 0
                if kind == .file || kind == .hardlink {
                    written = try copyData(from: reader, to: writer, entry: raw, package: package, limits: limits,
                                           totalBytes: &totalBytes, mayBeELF: &mayHoldELF, cancellation: cancellation)
                    fileCount += 1
                }
                do { try writer.finishEntry() } catch {
                    throw .writeFailed(package: package, entry: raw, reason: error.description)
                }
                kinds[exact] = kind
                if kind == .symlink { symlinks.insert(exact) } else { symlinks.remove(exact) }
                if !relative.isEmpty {
                    entries.append(.init(path: relative, kind: kind, size: written, linkTarget: linkTarget))
                }
            }
            // The tar end marker is not the end of the gzip stream: check the last trailer too, and
            // refuse data after the end-of-archive beyond the tar record padding (zeros), which would
            // otherwise be inflated without limit.
            if let problem = gzip?.drain(maxTrailingBytes: limits.maxTrailingBytes, cancellation: cancellation) {
                if cancellation?.isCancelled == true { throw .cancelled(package: package) }
                throw .corruptArchive(package: package, entry: nil, reason: problem)
            }
            // Text checks above kept each link inside the keg; now resolve every link against the
            // tree as written, following the directory links it meets (a chain of in-keg links may
            // climb out although each text alone stays inside).
            try checkLinksPhysically(entries, kegPath: kegPath, package: package, name: name, pkgVersion: pkgVersion,
                                     cancellation: cancellation)
        } catch {
            // A read that failed in the source surfaces as a bare libarchive error: name the cause.
            if let problem = gzip?.failure ?? raw?.failure, case .corruptArchive(let package, let entry, _) = error {
                if cancellation?.isCancelled == true { throw .cancelled(package: package) }
                throw .corruptArchive(package: package, entry: entry, reason: problem)
            }
            throw error
        }
        // Directory modes and times last (a child's creation changes its parent's mtime).
        writer.finish()

        let receiptKind = kinds[ExactPath("INSTALL_RECEIPT.json")]
        let hasReceipt = receiptKind == .file || receiptKind == .hardlink
        return ExtractedKeg(kegPath: kegPath, name: name, pkgVersion: pkgVersion, entries: entries,
                            fileCount: fileCount, totalBytes: totalBytes, hasReceipt: hasReceipt,
                            receiptChangedFiles: hasReceipt
                                ? ReceiptChangedFiles.read(receiptAt: kegPath + "/INSTALL_RECEIPT.json") : nil,
                            mayHoldELF: mayHoldELF)
    }

    /// Refuses the keg when any symlink in it, resolved physically beneath the keg root, leads
    /// outside it (placeholder targets excepted: relocation makes them prefix paths, and the text
    /// check already refused `..` in them).
    private static func checkLinksPhysically(_ entries: [ExtractedKeg.Entry], kegPath: String, package: String,
                                             name: String, pkgVersion: String,
                                             cancellation: CancellationFlag?) throws(UnpackError) {
        guard entries.contains(where: { $0.kind == .symlink }) else { return }
        let root: BeneathRoot
        do { root = try BeneathRoot(path: kegPath, refuseLinkAtRoot: true) } catch {
            throw .stagingUnavailable(package: package, path: kegPath, reason: error.description)
        }
        for (index, entry) in entries.enumerated() where entry.kind == .symlink {
            if index % 4096 == 0, cancellation?.isCancelled == true { throw .cancelled(package: package) }
            guard let target = entry.linkTarget, !target.hasPrefix(Placeholders.marker) else { continue }
            if case .escapes = root.resolveLink(at: entry.path, target: target) {
                throw .unsafeSymlink(package: package, entry: "\(name)/\(pkgVersion)/\(entry.path)",
                                     target: target + " (leads outside the keg once the links it passes through are followed)")
            }
        }
    }

    /// Copies one entry's data block by block (sparse holes kept), charging the expanded size to
    /// `totalBytes` as it goes so a bomb stops as soon as the cap is passed. Returns the entry size.
    /// Sets `mayBeELF` when the data begins with the ELF magic, or when its first block does not
    /// show its first 4 bytes (a sparse start, a tiny block): binary relocation is skipped only
    /// for kegs where no file can be ELF.
    private static func copyData(from reader: OpaquePointer, to writer: KegDiskWriter, entry: String, package: String,
                                 limits: ExtractionLimits, totalBytes: inout Int64, mayBeELF: inout Bool,
                                 cancellation: CancellationFlag?) throws(UnpackError) -> Int64 {
        var firstBlock = true
        var highWater: Int64 = 0
        var nextCancelCheck = limits.cancellationCheckInterval
        var block: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        while true {
            let status = archive_read_data_block(reader, &block, &size, &offset)
            if status == ARCHIVE_EOF { return highWater }
            guard status >= ARCHIVE_WARN else {
                throw .corruptArchive(package: package, entry: entry, reason: errorText(reader))
            }
            if firstBlock, size > 0, let block {
                firstBlock = false
                if offset != 0 || size < 4 || memcmp(block, Self.elfMagic, 4) == 0 { mayBeELF = true }
            }
            let end = Int64(offset) + Int64(size)
            if end > highWater {
                totalBytes += end - highWater
                highWater = end
            }
            if totalBytes > limits.maxTotalBytes {
                throw .sizeLimitExceeded(package: package, entry: entry, limitBytes: limits.maxTotalBytes)
            }
            // Any failed write(2) — ENOSPC, EIO, EDQUOT — fails the entry (libarchive's writer
            // called it a warning and carried on), so no truncated file can reach the keg.
            if size > 0, let block {
                do { try writer.write(block, count: size, at: Int64(offset)) } catch {
                    throw .writeFailed(package: package, entry: entry, reason: error.description)
                }
            }
            if highWater >= nextCancelCheck {
                nextCancelCheck = highWater + limits.cancellationCheckInterval
                if cancellation?.isCancelled == true { throw .cancelled(package: package) }
            }
        }
    }

    private static let elfMagic: [UInt8] = [0x7F, 0x45, 0x4C, 0x46]

    /// The entry's times as the writer sets them (`KegDiskWriter.times`).
    private static func entryTimes(_ entry: OpaquePointer, writer: KegDiskWriter) -> KegDiskWriter.Times? {
        let access = archive_entry_atime_is_set(entry) != 0
            ? timespec(tv_sec: time_t(archive_entry_atime(entry)), tv_nsec: Int(archive_entry_atime_nsec(entry))) : nil
        let modification = archive_entry_mtime_is_set(entry) != 0
            ? timespec(tv_sec: time_t(archive_entry_mtime(entry)), tv_nsec: Int(archive_entry_mtime_nsec(entry))) : nil
        return writer.times(access: access, modification: modification,
                            hasBirthtime: archive_entry_birthtime_is_set(entry) != 0)
    }

    private static func typeName(_ type: mode_t) -> String {
        switch type {
        case 0o010000: return "FIFO"
        case 0o020000: return "character device"
        case 0o060000: return "block device"
        case 0o140000: return "socket"
        default: return "unknown-type (mode \(String(type, radix: 8)))"
        }
    }

    private static func errorText(_ handle: OpaquePointer) -> String {
        archive_error_string(handle).map { String(cString: $0) } ?? "unknown libarchive error"
    }
}
