#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Installs a bottle's `.bottle/etc` and `.bottle/var` into the prefix, as brew's
/// `formula.rb#install_etc_var` does when pouring: files missing from `<prefix>/etc|var` are
/// copied there; a file that exists with different contents is left alone and the bottle's version
/// lands beside it as `<file>.default`, so a user's configuration is never overwritten — unless it
/// is identical to the `.bottle` copy an older installed version of the formula shipped, i.e. the
/// user never edited it: then the new default replaces it, so untouched configs advance on upgrade
/// (`install_renamed.rb#append_default_if_different`). The keg's `.bottle` directory stays in the
/// keg for that comparison, as brew keeps it.
///
/// Every write goes through `BeneathRoot`: parents are created as real directories (a fresh prefix
/// has no `etc` yet — wget ships `.bottle/etc/wgetrc`), a link in the prefix path is refused and
/// never written through, files are created under pour's temp name with `O_EXCL|O_NOFOLLOW` and
/// renamed into place. A link in `.bottle` is copied only when it stays inside both the keg and the
/// prefix once every link it passes through is followed; otherwise it is left out. Nothing is
/// copied into `var/homebrew` (pour's and brew's own state).
///
/// Runs on the serial link queue (it writes into the shared prefix).
enum BottleEtcVar {
    static func install(kegPath: String, layout: PrefixLayout, package: String,
                        cancellation: CancellationFlag? = nil) throws(KegError) {
        let keg: BeneathRoot
        let prefix: BeneathRoot
        do throws(ContainmentError) {
            keg = try BeneathRoot(path: kegPath, refuseLinkAtRoot: true)
            guard let info = try keg.status(".bottle"), (info.st_mode & S_IFMT) == S_IFDIR else { return }
            prefix = try BeneathRoot(path: layout.prefix)
        } catch {
            throw KegError.contained("open", error, package: package)
        }
        for top in ["etc", "var"] {
            guard let info = try? keg.status(".bottle/" + top), (info.st_mode & S_IFMT) == S_IFDIR else { continue }
            // Iterative walk: depth is bounded by the archive's path length, but no recursion is needed.
            var pending = [""]
            while let directory = pending.popLast() {
                if cancellation?.isCancelled == true { throw KegError.cancelled(package: package) }
                let source = ".bottle/" + top + (directory.isEmpty ? "" : "/" + directory)
                for name in (keg.children(source) ?? []).sorted() {
                    let relative = directory.isEmpty ? name : directory + "/" + name
                    // `var/homebrew` is the package managers' own state (links, pins, locks,
                    // staging): bottle contents never write there, as dpkg keeps packages out of
                    // its database.
                    if top == "var" && relative == "homebrew" { continue }
                    let from = source + "/" + name
                    let to = top + "/" + relative
                    do throws(ContainmentError) {
                        guard let entry = try keg.status(from) else { continue }
                        switch entry.st_mode & S_IFMT {
                        case S_IFDIR:
                            try prefix.makeDirectories(to)
                            pending.append(relative)
                        case S_IFREG:
                            try copyFile(from, in: keg, to: to, in: prefix, mode: mode_t(entry.st_mode) & 0o777,
                                         kegPath: kegPath)
                        case S_IFLNK:
                            try copyLink(from, in: keg, to: to, in: prefix)
                        default:
                            continue  // fifos, sockets: brew's cp would not make them either
                        }
                    } catch {
                        throw KegError.contained("install \(top) file", error, package: package)
                    }
                }
            }
        }
    }

    /// Copies a regular file; an existing different file keeps its place and the copy lands at
    /// `<to>.default` (brew's rule), unless the user never edited it (`untouchedDefault`). Parents
    /// are created as real directories.
    private static func copyFile(_ from: String, in keg: BeneathRoot, to: String, in prefix: BeneathRoot,
                                 mode: mode_t, kegPath: String) throws(ContainmentError) {
        let source = try keg.openFile(from)
        defer { close(source) }
        var destination = to
        if let existing = try prefix.status(to) {
            var untouched = false
            if (existing.st_mode & S_IFMT) == S_IFREG, let other = try? prefix.openFile(to) {
                defer { close(other) }
                if sameContents(source, other) { return }
                untouched = untouchedDefault(other, relative: to, kegPath: kegPath)
            }
            // An untouched default is replaced (rename over it); anything else keeps its place.
            if !untouched { destination = to + ".default" }
        }
        let parent = PathComponents.split(destination).dropLast().joined(separator: "/")
        if !parent.isEmpty { try prefix.makeDirectories(parent) }
        _ = lseek(source, 0, SEEK_SET)
        try prefix.replaceFile(destination, mode: mode & ~ProcessUmask.value) { out in copyBytes(from: source, to: out) }
    }

    /// Copies a link verbatim when, resolved physically in the keg and in the prefix, it stays
    /// inside both; an existing entry at the destination is left alone.
    private static func copyLink(_ from: String, in keg: BeneathRoot, to: String, in prefix: BeneathRoot) throws(ContainmentError) {
        guard let target = keg.linkTarget(from) else { return }
        guard case .inside = keg.resolveLink(at: from, target: target),
              case .inside = prefix.resolveLink(at: to, target: target) else { return }
        if try prefix.status(to) != nil { return }
        let parent = PathComponents.split(to).dropLast().joined(separator: "/")
        if !parent.isEmpty { try prefix.makeDirectories(parent) }
        try prefix.makeSymlink(to, target: target)
    }

    /// True when the open prefix file `live` is identical to the `.bottle` copy of `relative` in
    /// another installed version of the same formula, i.e. the user never changed the default that
    /// version installed (`install_renamed.rb#append_default_if_different`). Old kegs are read
    /// beneath themselves: a link in them is never followed.
    static func untouchedDefault(_ live: Int32, relative: String, kegPath: String) -> Bool {
        let slash = kegPath.lastIndex(of: "/") ?? kegPath.startIndex
        let rack = String(kegPath[..<slash])
        let this = String(kegPath[kegPath.index(after: slash)...])
        guard let rackRoot = try? BeneathRoot(path: rack, refuseLinkAtRoot: true) else { return false }
        for version in (rackRoot.children("") ?? []).sorted() where version != this && !version.hasPrefix(".") {
            guard let old = try? BeneathRoot(path: rack + "/" + version, refuseLinkAtRoot: true),
                  let file = try? old.openFile(".bottle/" + relative) else { continue }
            defer { close(file) }
            var info = stat()
            guard fstat(file, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            if sameContents(file, live) { return true }
        }
        return false
    }

    private static func copyBytes(from source: Int32, to destination: Int32) -> Int32 {
        let size = 1 << 16
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(source, buffer, size)
            if count < 0 { if errno == EINTR { continue }; return errno }
            if count == 0 { return 0 }
            var offset = 0
            while offset < count {
                let written = write(destination, buffer + offset, count - offset)
                if written < 0 { if errno == EINTR { continue }; return errno }
                offset += written
            }
        }
    }

    private static func sameContents(_ a: Int32, _ b: Int32) -> Bool {
        var sa = stat(), sb = stat()
        guard fstat(a, &sa) == 0, fstat(b, &sb) == 0, sa.st_size == sb.st_size else { return false }
        let size = 1 << 16
        var left = [UInt8](repeating: 0, count: size), right = [UInt8](repeating: 0, count: size)
        var offset: off_t = 0
        while true {
            let n = left.withUnsafeMutableBytes { pread(a, $0.baseAddress, size, offset) }
            let m = right.withUnsafeMutableBytes { pread(b, $0.baseAddress, size, offset) }
            if n != m || n < 0 { return false }
            if n == 0 { return true }
            if left[..<n] != right[..<n] { return false }
            offset += off_t(n)
        }
    }
}
