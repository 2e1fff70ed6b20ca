import Foundation

/// Maintains `<prefix>/lib/ld.so`, the stable interpreter path relocated binaries use, as Homebrew
/// does on Linux: without a glibc keg it is a symlink to the system's dynamic loader, so bottles
/// run on any distribution whatever its loader path; with `opt/glibc` present, glibc's own
/// install step owns the link and it is left alone.
///
/// Stateless; safe from any queue (concurrent callers race only on an atomic rename).
package enum LoaderLink {
    /// The system loader paths Homebrew supports, tried in order.
    static let systemLoaders = ["/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1"]

    /// Creates or repairs `<prefix>/lib/ld.so`. A real file (or directory) there is kept; a
    /// symlink pointing elsewhere or nowhere is replaced atomically.
    package static func ensureLoaderLink(layout: PrefixLayout) throws(RelocationError) {
        try ensureLoaderLink(layout: layout, systemLoader: nil)
    }

    /// As above, with the target given (tests) or detected when nil.
    static func ensureLoaderLink(layout: PrefixLayout, systemLoader: String?) throws(RelocationError) {
        let link = layout.prefix + "/lib/ld.so"
        var info = stat()
        if lstat(layout.opt + "/glibc", &info) == 0 { return }
        guard let target = systemLoader ?? detectSystemLoader() else { throw .loaderNotFound(path: link) }

        if lstat(link, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFLNK else { return }
            if readLink(link) == target && stat(link, &info) == 0 { return }
        }
        let directory = layout.prefix + "/lib"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .loaderLinkFailed(path: link, reason: "cannot create \(directory)")
        }
        let temporary = directory + "/.ld.so.pour-" + UUID().uuidString.prefix(8)
        guard symlink(target, temporary) == 0 else {
            throw .loaderLinkFailed(path: link, reason: errnoText())
        }
        guard rename(temporary, link) == 0 else {
            let reason = errnoText()
            unlink(temporary)
            throw .loaderLinkFailed(path: link, reason: reason)
        }
    }

    /// The first known system loader that exists, else the interpreter of `/bin/sh`.
    static func detectSystemLoader() -> String? {
        #if arch(arm64)
            let preferred = systemLoaders.reversed()
        #else
            let preferred = systemLoaders
        #endif
        if let found = preferred.first(where: { access($0, R_OK) == 0 }) { return found }
        let fd = open("/bin/sh", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        let elf = try? ElfFile(parsing: ElfSource(fileDescriptor: fd, size: UInt64(info.st_size), file: "/bin/sh"))
        return elf?.interpreter.flatMap { access($0, R_OK) == 0 ? $0 : nil }
    }

    private static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
