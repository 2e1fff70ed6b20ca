import Foundation

/// Rewrites the interpreter and library search paths of the dynamic ELF binaries in a keg, after
/// `TextRelocator` has handled the text files (Linux, every cellar kind unless `RelocationPlan`
/// says the bottle skips linkage — `extend/os/linux/keg_relocate.rb#relocate_dynamic_linkage`).
///
/// Stateless: each call keeps its state in locals, so several kegs may be relocated at once on the
/// extraction queue.
///
/// Hard links: a file with several names in the keg is patched once (through a temporary copy
/// renamed over its first name in sorted order) and the other names are then re-pointed at the new
/// inode, so they stay hard-linked to each other. Names outside the keg (none in a fresh keg) would
/// keep the old content.
package enum BinaryRelocator {
    /// Relocates the keg at `kegPath` for `layout` and returns the keg-relative paths of the files
    /// changed, sorted (every name of a hard-linked file is listed).
    ///
    /// Regular files only (symlinks are neither followed nor patched), dynamic ELF only (ET_EXEC or
    /// ET_DYN with PT_DYNAMIC), never a glibc keg. A file is rewritten only when one of its strings
    /// actually changes. A file that fails to parse as ELF is skipped when it holds no
    /// `@@HOMEBREW_` placeholder (test fixtures, foreign blobs with an ELF magic) and is an error
    /// otherwise, since it would be left pointing at the build machine.
    ///
    /// `kegPathIsReal`: as `TextRelocator.relocate`'s (an `ExtractedKeg`'s path, already resolved).
    package static func relocate(kegAt kegPath: String, layout: PrefixLayout,
                                cancellation: CancellationFlag? = nil, kegPathIsReal: Bool = false) throws(RelocationError) -> [String] {
        let package = TextRelocator.packageLabel(kegPath)
        // The keg's name on bytes (`PosixFS.parent`/`baseName`): split by `Character`s, a name
        // and version starting with a combining mark joined their slashes and the "name" became
        // a component of the prefix — `glibc` skipped this keg's relocation
        // (`RelocationBytesTests.testAKegIsNotTakenForGlibcByAPrefixComponent`).
        let kegName = PosixFS.baseName(PosixFS.parent(kegPath))
        if ElfRelocationRules.isGlibc(kegName: kegName) { return [] }
        guard let kegReal = kegPathIsReal ? kegPath : PosixFS.realPath(kegPath) else {
            throw .ioFailed(package: package, file: kegPath, reason: errnoText())
        }

        var run = Run(kegReal: kegReal, package: package, kegName: kegName, placeholders: Placeholders(layout: layout),
                      prefix: layout.prefix, cancellation: cancellation)
        let kegFD = open(kegReal, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard kegFD >= 0 else { throw .ioFailed(package: package, file: ".", reason: errnoText()) }
        try run.walk(relativeDirectory: "", directoryFD: kegFD)
        var changed: [String] = []
        for inode in run.order {
            if cancellation?.isCancelled == true { throw .cancelled(package: package) }
            guard let names = run.names[inode] else { continue }
            if try run.relocate(names: names) { changed += names }
        }
        return changed.sorted()
    }

    /// One relocation pass; confined to the calling thread.
    private struct Run {
        struct Inode: Hashable { let device: UInt64; let number: UInt64 }

        let kegReal: String
        let package: String
        let kegName: String
        let placeholders: Placeholders
        let prefix: String
        let cancellation: CancellationFlag?
        /// Regular files by inode, in the order first seen; names sorted (walk order).
        var order: [Inode] = []
        var names: [Inode: [String]] = [:]

        /// Depth-first in sorted order, recording the regular files that start with the ELF magic
        /// (the only ones `relocate(names:)` can change). Works below directory descriptors: each
        /// lookup is one component from its directory, not the whole absolute path again, and a
        /// file is opened once here (its magic read) instead of `lstat`ed here and opened later —
        /// the walk was 6 % of a tiny-bottle install (Docs/Performance.md, "third pass").
        /// `directoryFD` is consumed (closed).
        mutating func walk(relativeDirectory: String, directoryFD: Int32) throws(RelocationError) {
            if cancellation?.isCancelled == true {
                close(directoryFD)
                throw .cancelled(package: package)
            }
            guard let handle = fdopendir(directoryFD) else {
                let reason = errnoText()
                close(directoryFD)
                throw .ioFailed(package: package, file: relativeDirectory.isEmpty ? "." : relativeDirectory, reason: reason)
            }
            defer { closedir(handle) }
            let directory = dirfd(handle)
            let children = PosixFS.sortedEntries(handle)
            for child in children {
                let relative = relativeDirectory.isEmpty ? child.name : relativeDirectory + "/" + child.name
                var type = child.type
                if type == UInt8(DT_UNKNOWN) {
                    var info = stat()
                    guard fstatat(directory, child.name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
                    switch info.st_mode & S_IFMT {
                    case S_IFDIR: type = UInt8(DT_DIR)
                    case S_IFREG: type = UInt8(DT_REG)
                    default: continue
                    }
                }
                if type == UInt8(DT_DIR) {
                    let fd = openat(directory, child.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    guard fd >= 0 else {
                        if errno == ENOENT || errno == ELOOP || errno == ENOTDIR { continue }  // gone or replaced meanwhile
                        throw .ioFailed(package: package, file: relative, reason: errnoText())
                    }
                    try walk(relativeDirectory: relative, directoryFD: fd)
                } else if type == UInt8(DT_REG) {
                    // O_NONBLOCK: never wait on a FIFO swapped in since readdir (it is then skipped).
                    let fd = openat(directory, child.name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
                    guard fd >= 0 else {
                        if errno == ENOENT || errno == ELOOP { continue }
                        // Unreadable: an error only for a file that could be ELF (as when it was
                        // opened for patching), not for one too small to be.
                        let reason = errnoText()
                        var info = stat()
                        if fstatat(directory, child.name, &info, AT_SYMLINK_NOFOLLOW) == 0,
                           (info.st_mode & S_IFMT) != S_IFREG || info.st_size < 52 { continue }
                        throw .ioFailed(package: package, file: relative, reason: reason)
                    }
                    defer { close(fd) }
                    var info = stat()
                    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
                          info.st_size >= 52 else { continue }  // the smallest ELF header
                    var magic = [UInt8](repeating: 0, count: 4)
                    guard pread(fd, &magic, 4, 0) == 4, ElfFile.hasMagic(magic) else { continue }
                    let inode = Inode(device: UInt64(info.st_dev), number: UInt64(info.st_ino))
                    if names[inode] == nil { order.append(inode) }
                    names[inode, default: []].append(relative)
                }
            }
        }

        /// Patches the file known by `names` if it is a dynamic ELF whose strings change; true when
        /// it was rewritten.
        func relocate(names: [String]) throws(RelocationError) -> Bool {
            guard let relative = names.first else { return false }
            let path = kegReal + "/" + relative
            let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else {
                if errno == ELOOP || errno == ENOENT { return false }
                throw .ioFailed(package: package, file: relative, reason: errnoText())
            }
            defer { close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0 else {
                throw .ioFailed(package: package, file: relative, reason: errnoText())
            }
            guard (info.st_mode & S_IFMT) == S_IFREG, info.st_size >= 52 else { return false }
            let source = ElfSource(fileDescriptor: fd, size: UInt64(info.st_size), package: package, file: relative)
            guard let magic = try? source.read(offset: 0, count: 4, what: "magic"), ElfFile.hasMagic(magic) else {
                return false
            }

            let elf: ElfFile
            do {
                elf = try ElfFile(parsing: source)
            } catch {
                if try containsPlaceholder(source) { throw error }
                return false
            }
            guard elf.isDynamic else { return false }
            let interpreter = elf.interpreter.map {
                ElfRelocationRules.interpreter($0, placeholders: placeholders, loaderLink: prefix + "/lib/ld.so")
            }
            let runpath = elf.runpath.map {
                ElfRelocationRules.searchPath($0, placeholders: placeholders, prefix: prefix, kegName: kegName)
            }
            let rpath = elf.rpath.map {
                ElfRelocationRules.searchPath($0, placeholders: placeholders, prefix: prefix, kegName: kegName)
            }
            guard let plan = try ElfPatcher.plan(elf, interpreter: interpreter, runpath: runpath, rpath: rpath) else {
                return false
            }
            try AtomicElfRewrite.write(plan, sourceFD: fd, size: UInt64(info.st_size), to: path, mode: info.st_mode,
                                       package: package, file: relative)
            for other in names.dropFirst() {
                try AtomicElfRewrite.relink(kegReal + "/" + other, to: path, package: package, file: other)
            }
            return true
        }

        /// True when the file holds `@@HOMEBREW_` anywhere (read in chunks that overlap by the
        /// marker's length so a marker split across two chunks is still seen).
        func containsPlaceholder(_ source: ElfSource) throws(RelocationError) -> Bool {
            let marker = Array(Placeholders.marker.utf8)
            let chunk: UInt64 = 1 << 20
            var offset: UInt64 = 0
            while offset < source.size {
                let count = min(chunk, source.size - offset)
                let bytes = try source.read(offset: offset, count: count, what: "file contents")
                let found = bytes.withUnsafeBytes { raw -> Bool in
                    guard let base = raw.baseAddress else { return false }
                    return PlaceholderReplacement.find(marker, in: base, count: raw.count, from: 0) != nil
                }
                if found { return true }
                if offset + count >= source.size { break }
                offset += count - UInt64(marker.count)
            }
            return false
        }
    }
}
