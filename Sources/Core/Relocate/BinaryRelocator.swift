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
    package static func relocate(kegAt kegPath: String, layout: PrefixLayout,
                                cancellation: CancellationFlag? = nil) throws(RelocationError) -> [String] {
        let package = kegPath.split(separator: "/").suffix(2).joined(separator: " ")
        let kegName = kegPath.split(separator: "/").dropLast().last.map(String.init) ?? ""
        if ElfRelocationRules.isGlibc(kegName: kegName) { return [] }
        guard let resolved = realpath(kegPath, nil) else {
            throw .ioFailed(package: package, file: kegPath, reason: errnoText())
        }
        let kegReal = String(cString: resolved)
        free(resolved)

        var run = Run(kegReal: kegReal, package: package, kegName: kegName, placeholders: Placeholders(layout: layout),
                      prefix: layout.prefix, cancellation: cancellation)
        try run.walk(relativeDirectory: "")
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

        /// Depth-first in sorted order, recording regular files large enough to be ELF.
        mutating func walk(relativeDirectory: String) throws(RelocationError) {
            if cancellation?.isCancelled == true { throw .cancelled(package: package) }
            let directory = relativeDirectory.isEmpty ? kegReal : kegReal + "/" + relativeDirectory
            guard let handle = opendir(directory) else {
                throw .ioFailed(package: package, file: relativeDirectory.isEmpty ? "." : relativeDirectory,
                                reason: errnoText())
            }
            var children: [String] = []
            while let entry = readdir(handle) {
                let name = withUnsafePointer(to: &entry.pointee.d_name) {
                    String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
                }
                if name != "." && name != ".." { children.append(name) }
            }
            closedir(handle)
            for child in children.sorted() {
                let relative = relativeDirectory.isEmpty ? child : relativeDirectory + "/" + child
                var info = stat()
                guard lstat(kegReal + "/" + relative, &info) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    try walk(relativeDirectory: relative)
                case S_IFREG where info.st_size >= 52:  // the smallest ELF header
                    let inode = Inode(device: UInt64(info.st_dev), number: UInt64(info.st_ino))
                    if names[inode] == nil { order.append(inode) }
                    names[inode, default: []].append(relative)
                default:
                    continue
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
