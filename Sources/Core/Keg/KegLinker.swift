#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Links kegs into the prefix and unlinks them, following Homebrew's `keg.rb` so brew and pour
/// can manage the same prefix: `opt/<name>` first, then etc, bin, sbin, include, share, lib
/// (per `LinkRules`), then `var/homebrew/linked/<name>`. Every link is relative.
///
/// `link` is all-or-nothing: every change goes through a `LinkJournal` and is undone when a
/// conflict, an error or a cancellation stops it. Stateless value; safe to use from any queue,
/// but calls on one prefix must be serialised by the caller (the prefix lock does that).
package struct KegLinker: Sendable {
    package let layout: PrefixLayout

    package init(layout: PrefixLayout) { self.layout = layout }

    /// Links `formula`'s installed keg (keg-only formulae get only their opt links).
    @discardableResult
    package func link(_ formula: Formula, overwrite: Bool = false, dryRun: Bool = false,
                     cancellation: CancellationFlag? = nil) throws(KegError) -> LinkReport {
        try link(name: formula.name, pkgVersion: formula.pkgVersion, kegOnly: formula.kegOnly,
                 aliases: formula.aliases, linkOverwrite: formula.linkOverwrite, overwrite: overwrite,
                 dryRun: dryRun, cancellation: cancellation)
    }

    /// Links the keg `Cellar/<name>/<pkgVersion>`.
    ///
    /// - Parameters:
    ///   - aliases: each gets an `opt/<alias>` link too.
    ///   - linkOverwrite: the formula's `link_overwrite` globs (prefix-relative); matching
    ///     conflicts are overwritten instead of reported.
    ///   - overwrite: overwrite every conflicting file or link (never a real directory).
    ///   - dryRun: change nothing; report what would be linked and what would conflict.
    @discardableResult
    package func link(name: String, pkgVersion: String, kegOnly: Bool = false, aliases: [String] = [],
                     linkOverwrite: [String] = [], overwrite: Bool = false, dryRun: Bool = false,
                     cancellation: CancellationFlag? = nil) throws(KegError) -> LinkReport {
        let keg = layout.keg(name, pkgVersion)
        guard PosixFS.kind(keg) == .directory else { throw KegError.kegNotFound(package: name, path: keg) }
        let record = layout.linkedKegs + "/" + name
        if !kegOnly, let linked = PosixFS.resolvedLink(record), PosixFS.isDirectoryFollowingLinks(record),
           !PosixFS.samePath(linked, PosixFS.normalize(keg)) {
            throw KegError.alreadyLinked(package: name, linkedKeg: linked)
        }

        let operation = LinkOperation(layout: layout, package: name, keg: keg, linkOverwrite: linkOverwrite,
                                      overwrite: overwrite, dryRun: dryRun, cancellation: cancellation)
        do {
            try operation.linkOpt(name)
            // An alias never takes a link another formula owns: not a rack of that name, not an opt
            // link into another formula's rack. (brew's `Library/Homebrew/keg.rb#optlink` deletes any
            // existing `opt/<alias>`; a formula's metadata must not re-point another's opt link.)
            for alias in aliases where alias != name && operation.aliasIsFree(alias) { try operation.linkOpt(alias) }
            if !kegOnly {
                for top in LinkRules.linkedDirectories where PosixFS.kind(keg + "/" + top) == .directory {
                    try operation.linkTree(kegPath: keg, relative: top, top: top, forOtherKeg: false)
                }
                try operation.linkRecord(record)
            }
        } catch {
            operation.journal.rollback()
            throw error
        }
        operation.journal.finish()
        return operation.report
    }

    /// Removes every link in the prefix that points into the keg, its `var/homebrew/linked`
    /// record, its opt links (unless `keepOpt`, as `brew unlink` does) and the prefix directories
    /// that became empty, except the ones brew always keeps (bin, lib, share, …).
    ///
    /// - Parameter aliases: opt aliases to remove; read from the keg's receipt when nil.
    @discardableResult
    package func unlink(name: String, pkgVersion: String, keepOpt: Bool = false,
                       aliases: [String]? = nil) throws(KegError) -> UnlinkReport {
        let keg = layout.keg(name, pkgVersion)
        guard PosixFS.kind(keg) == .directory else { throw KegError.kegNotFound(package: name, path: keg) }
        let kegNormal = PosixFS.normalize(keg)
        var report = UnlinkReport(package: name, kegPath: keg)
        var directories: [String] = []

        func scan(_ relative: String) throws(KegError) {
            guard let entries = PosixFS.entries(keg + "/" + relative) else { return }
            for entry in entries {
                let childRelative = relative + "/" + entry.name
                let dst = layout.prefix + "/" + childRelative
                let dstKind = PosixFS.kind(dst)
                if dstKind == .symlink, PosixFS.samePath(PosixFS.resolvedLink(dst), kegNormal + "/" + childRelative) {
                    guard posixUnlink(dst) == 0 else {
                        throw KegError.system("remove link", dst, package: name, errno: errno)
                    }
                    report.removedLinks.append(dst)
                } else if dstKind == .directory && entry.kind == .directory {
                    directories.append(dst)
                    try scan(childRelative)
                }
            }
        }
        for top in LinkRules.unlinkedDirectories where PosixFS.kind(keg + "/" + top) == .directory {
            if PosixFS.kind(layout.prefix + "/" + top) == .directory { directories.append(layout.prefix + "/" + top) }
            try scan(top)
        }

        var records = [layout.linkedKegs + "/" + name]
        if !keepOpt {
            let names = [name] + (aliases ?? ((try? InstallReceipt.read(kegPath: keg))??.aliases ?? []))
            records += names.filter { PathNames.componentProblem($0) == nil }.map { layout.opt + "/" + $0 }
        }
        for record in records where PosixFS.samePath(PosixFS.resolvedLink(record), kegNormal) {
            guard posixUnlink(record) == 0 else {
                throw KegError.system("remove link", record, package: name, errno: errno)
            }
            report.removedLinks.append(record)
        }

        let keep = Set(LinkRules.mustExist.map { layout.prefix + "/" + $0 })
        for dir in directories.reversed() where !keep.contains(dir) {
            if rmdir(dir) == 0 { report.removedDirectories.append(dir) }
        }
        return report
    }
}

/// `unlink(2)`, named apart from `KegLinker.unlink`.
@inline(__always)
func posixUnlink(_ path: String) -> Int32 {
    #if canImport(Glibc)
        return Glibc.unlink(path)
    #else
        return Darwin.unlink(path)
    #endif
}

/// The state of one `KegLinker.link` call: options, the journal and the report being built.
///
/// Confinement: lives only for the duration of one call on one thread; not Sendable.
final class LinkOperation {
    let layout: PrefixLayout
    let package: String
    let keg: String
    let linkOverwrite: [String]
    let overwrite: Bool
    let dryRun: Bool
    let cancellation: CancellationFlag?
    let journal: LinkJournal
    var report: LinkReport
    /// The Cellar as written and as resolved, to recognise links into other kegs either way.
    /// Resolved on first use (conflicts and aliases only): a `realpath` per keg is a `readlink` per
    /// component of the Cellar's path, most of a plain link's path lookups.
    private lazy var cellarRoots: [String] = {
        var roots = [PosixFS.normalize(layout.cellar)]
        if let real = PosixFS.realPath(layout.cellar), real != roots[0] { roots.append(real) }
        return roots
    }()

    init(layout: PrefixLayout, package: String, keg: String, linkOverwrite: [String], overwrite: Bool,
         dryRun: Bool, cancellation: CancellationFlag?) {
        self.layout = layout
        self.package = package
        self.keg = keg
        self.linkOverwrite = linkOverwrite
        self.overwrite = overwrite
        self.dryRun = dryRun
        self.cancellation = cancellation
        self.journal = LinkJournal(backupRoot: "\(layout.staging)/.link-backup-\(getpid())-\(package)")
        self.report = LinkReport(package: package, kegPath: keg, dryRun: dryRun)
    }

    // MARK: Records

    /// True when `opt/<alias>` may be made or replaced for this keg: the alias is a safe name, no
    /// formula is installed under it, and an existing link there points into this formula's rack.
    func aliasIsFree(_ alias: String) -> Bool {
        guard PathNames.componentProblem(alias) == nil else { return false }
        if PosixFS.kind(layout.cellar + "/" + alias) != .missing { return false }
        let path = layout.opt + "/" + alias
        switch PosixFS.kind(path) {
        case .missing: return true
        case .symlink:
            guard let target = PosixFS.resolvedLink(path) else { return false }
            let rack = PosixFS.normalize(PosixFS.parent(keg))
            // "In a Cellar" on bytes: `hasPrefix(root + "/")` compares `Character`s, and a rack
            // whose name starts with a combining mark (`Cellar/\u{301}v`) was outside every Cellar
            // by it, so its dangling opt link was taken (`LinkerBytesTests`).
            return PathComponents.isAtOrBelow(target, rack)
                || !cellarRoots.contains { PathComponents.isBelow(target, $0) } && !PosixFS.existsFollowingLinks(path)
        default: return false
        }
    }

    /// `opt/<name>` → the keg. An existing opt link (an older version) is replaced.
    func linkOpt(_ name: String) throws(KegError) {
        try linkRecord(layout.opt + "/" + name, replaceLinks: true)
    }

    /// A record link (opt or var/homebrew/linked) to the keg.
    func linkRecord(_ path: String, replaceLinks: Bool = false) throws(KegError) {
        if replaceLinks, PosixFS.kind(path) == .symlink, !PosixFS.samePath(PosixFS.resolvedLink(path), PosixFS.normalize(keg)) {
            if dryRun {
                report.replaced.append(path)
            } else {
                try journal.removeLink(path, package: package)
                report.replaced.append(path)
            }
        }
        try ensureDirectory(PosixFS.parent(path))
        try makeLink(path, to: keg, forOtherKeg: false)
    }

    // MARK: Trees

    /// Links the entries below `<kegPath>/<relative>` into `<prefix>/<relative>`, applying the
    /// rules of `top`, or (when splitting another keg's directory link) `mkpath` everywhere.
    func linkTree(kegPath: String, relative: String, top: String, forOtherKeg: Bool) throws(KegError) {
        if cancellation?.isCancelled == true { throw KegError.cancelled(package: package) }
        guard let entries = PosixFS.entries(kegPath + "/" + relative) else {
            throw KegError.system("read directory", kegPath + "/" + relative, package: package, errno: errno)
        }
        var parentReady = false
        let dstDirectory = layout.prefix + "/" + relative
        let ruleBase = relative.utf8.count > top.utf8.count ? String(relative.dropFirst(top.count + 1)) : ""

        for entry in entries {
            let childRelative = relative + "/" + entry.name
            let src = kegPath + "/" + childRelative
            let dst = layout.prefix + "/" + childRelative
            let ruleRelative = ruleBase.isEmpty ? entry.name : ruleBase + "/" + entry.name
            let action = forOtherKeg ? .mkpath : LinkRules.action(top: top, relative: ruleRelative)

            switch entry.kind {
            case .file, .symlink:
                if entry.name == ".DS_Store" { continue }
                if entry.kind == .symlink && PosixFS.samePath(PosixFS.resolvedLink(src), PosixFS.normalize(dst)) { continue }
                // Python rewrites these caches; a linked one would be in the next keg's way.
                if (entry.name.hasSuffix(".pyc") || entry.name.hasSuffix(".pyo")) && src.contains("/site-packages/") {
                    continue
                }
                if action == .skipFile || (action == .info && entry.name == "dir") { continue }
                if !parentReady { try ensureDirectory(dstDirectory); parentReady = true }
                try makeLink(dst, to: src, forOtherKeg: forOtherKeg)

            case .directory:
                let dstKind = PosixFS.kind(dst)
                if dstKind == .directory {
                    try linkTree(kegPath: kegPath, relative: childRelative, top: top, forOtherKeg: forOtherKeg)
                    continue
                }
                if dstKind == .symlink && PosixFS.samePath(PosixFS.resolvedLink(dst), PosixFS.normalize(src)) { continue }  // linked
                if entry.name.hasSuffix(".app") || action == .skipDirectory { continue }
                if !parentReady { try ensureDirectory(dstDirectory); parentReady = true }
                let split = try resolveConflict(dst, kind: dstKind)
                if action == .mkpath {
                    if !split { try makeDirectory(dst) }
                    try linkTree(kegPath: kegPath, relative: childRelative, top: top, forOtherKeg: forOtherKeg)
                } else if split {
                    try linkTree(kegPath: kegPath, relative: childRelative, top: top, forOtherKeg: forOtherKeg)
                } else {
                    try makeLink(dst, to: src, forOtherKeg: forOtherKeg)
                }

            case .missing, .other:
                continue  // sockets, fifos: brew links neither
            }
        }
    }

    /// brew's `resolve_any_conflicts`: when `dst` is a symlink, a broken one is removed, and one
    /// to a directory of another keg is replaced by a real directory holding that keg's links
    /// (so both kegs can share it). Returns true when it made such a directory.
    /// `kind` is what `lstat` said of `dst` just before.
    private func resolveConflict(_ dst: String, kind: PosixFS.Kind) throws(KegError) -> Bool {
        guard kind == .symlink, let target = PosixFS.resolvedLink(dst) else { return false }
        let targetKind = PosixFS.kind(target)
        if targetKind == .missing {
            report.replaced.append(dst)
            if !dryRun { try journal.removeLink(dst, package: package) }
            return false
        }
        guard targetKind == .directory, let (ownerKeg, relative) = kegContaining(target) else { return false }
        report.replaced.append(dst)
        if dryRun { return true }
        try journal.removeLink(dst, package: package)
        try makeDirectory(dst)
        try linkTree(kegPath: ownerKeg, relative: relative, top: "", forOtherKeg: true)
        return true
    }

    /// The keg (`Cellar/<name>/<version>`) holding `path`, and `path` relative to it.
    private func kegContaining(_ path: String) -> (keg: String, relative: String)? {
        var candidates = [path]
        if let real = PosixFS.realPath(path), real != path { candidates.append(real) }
        for candidate in candidates {
            for root in cellarRoots where PathComponents.isBelow(candidate, root) {
                // Cut and split on bytes: `dropFirst(root.count + 1)` counted `Character`s and
                // `split(separator: "/")` missed a `/` followed by a combining mark, so a keg
                // named `\u{301}a` was taken for formula `a`'s, and one of version `\u{301}1.0`
                // for `Cellar/a/\u{301}1.0/share` (its links then landed at the prefix's top)
                // (`LinkerBytesTests`).
                let bytes = candidate.utf8
                let tail = Substring(bytes[bytes.index(bytes.startIndex, offsetBy: root.utf8.count + 1)...])
                let parts = PathComponents.split(tail)
                guard parts.count >= 3 else { continue }
                return (layout.cellar + "/\(parts[0])/\(parts[1])", parts[2...].joined(separator: "/"))
            }
        }
        return nil
    }

    // MARK: Primitives

    /// Creates `dst` → `src` (relative), applying brew's conflict rules: an identical link is
    /// kept, a broken link replaced, anything else is a conflict unless overwriting is allowed.
    ///
    /// The link is attempted first and `dst` examined only when something is there (`EEXIST`): in
    /// a fresh prefix nearly every link is new, and the `lstat` before each was a wasted lookup.
    private func makeLink(_ dst: String, to src: String, forOtherKeg: Bool) throws(KegError) {
        let srcNormal = PosixFS.normalize(src)
        let target = PosixFS.relative(from: PosixFS.normalize(PosixFS.parent(dst)), to: srcNormal)

        if dryRun {
            let existing = PosixFS.kind(dst)
            if existing == .symlink, PosixFS.samePath(PosixFS.resolvedLink(dst), srcNormal) { return }  // already linked
            if existing != .missing {
                if existing == .symlink && !PosixFS.existsFollowingLinks(dst) {
                    report.replaced.append(dst)
                } else if existing != .directory && (overwrite || overwriteAllowed(dst)) {
                    report.replaced.append(dst)
                } else {
                    report.conflicts.append(dst)
                }
            }
            append(dst, forOtherKeg: forOtherKeg)
            return
        }

        var firstAttempt = true
        while symlink(target, dst) != 0 {
            let code = errno
            guard code == EEXIST else { throw KegError.system("link", dst, package: package, errno: code) }
            let kind = PosixFS.kind(dst)
            if firstAttempt, kind == .symlink, PosixFS.samePath(PosixFS.resolvedLink(dst), srcNormal) { return }  // already linked
            firstAttempt = false
            if kind == .symlink && !PosixFS.existsFollowingLinks(dst) {
                try journal.removeLink(dst, package: package)  // broken: brew replaces it silently
            } else if kind != .directory && (overwrite || overwriteAllowed(dst)) {
                if kind == .symlink { try journal.removeLink(dst, package: package) }
                else { try journal.moveAside(dst, package: package) }
            } else {
                throw KegError.linkConflict(package: package, path: dst, existing: describe(dst, kind: kind), source: src)
            }
            report.replaced.append(dst)
        }
        journal.record(.createdLink(dst))
        append(dst, forOtherKeg: forOtherKeg)
    }

    private func append(_ dst: String, forOtherKeg: Bool) {
        if forOtherKeg { report.relinkedForOtherKegs.append(dst) } else { report.links.append(dst) }
    }

    private func makeDirectory(_ path: String) throws(KegError) {
        if dryRun { report.directories.append(path); return }
        if mkdir(path, 0o755) != 0 {
            let code = errno
            if code == EEXIST {
                throw KegError.linkConflict(package: package, path: path, existing: describe(path, kind: PosixFS.kind(path)),
                                            source: source(of: path))
            }
            throw KegError.system("create directory", path, package: package, errno: code)
        }
        journal.record(.createdDirectory(path))
        report.directories.append(path)
    }

    /// The prefix opened as a containment root (see `BeneathRoot`), once per link operation.
    private lazy var prefixRoot: Result<BeneathRoot, ContainmentError> = {
        do throws(ContainmentError) { return .success(try BeneathRoot(path: layout.prefix)) } catch { return .failure(error) }
    }()

    /// `mkdir -p` for a link's parent, journaled. Every component below the prefix must be a real
    /// directory: a link planted in the prefix (`etc/x -> /elsewhere`) is refused, never written
    /// through — checked on the filesystem, one `openat2` (or `openat(O_NOFOLLOW)` walk) per directory.
    private func ensureDirectory(_ path: String) throws(KegError) {
        if dryRun { return }
        guard let relative = PathComponents.relative(path, below: layout.prefix).map(String.init) else {
            throw KegError.refusedPath(package: package, path: path, reason: "it is outside the prefix")
        }
        let root: BeneathRoot
        switch prefixRoot {
        case .success(let opened): root = opened
        case .failure(let error): throw KegError.contained("open prefix", error, package: package)
        }
        // Usually the directory is there: opening it beneath the prefix (no link on the way or at
        // the end) answers at once, without the `lstat` first. Anything else — missing, a link, a
        // file — takes the checks below, which name the problem.
        if let opened = try? root.openDirectory(relative) {
            close(opened)
            return
        }
        let kind = PosixFS.kind(path)
        if kind != .missing && kind != .directory {
            if kind == .symlink {
                throw KegError.refusedPath(package: package, path: path,
                                           reason: "a symlink stands where pour needs a real directory to put links in")
            }
            throw KegError.linkConflict(package: package, path: path, existing: describe(path, kind: kind),
                                        source: source(of: path))
        }
        do throws(ContainmentError) {
            if kind == .directory {
                close(try root.openDirectory(relative))  // a real directory reached through real ones
                return
            }
            for dir in try root.makeDirectories(relative) {
                journal.record(.createdDirectory(layout.prefix + "/" + dir))
                report.directories.append(layout.prefix + "/" + dir)
            }
        } catch {
            throw KegError.contained("create directory", error, package: package)
        }
    }

    /// The keg path that a prefix path mirrors, for error messages.
    private func source(of path: String) -> String {
        guard let relative = PathComponents.relative(path, below: layout.prefix) else { return keg }
        return keg + "/" + relative
    }

    /// Whether `dst` matches one of the formula's `link_overwrite` entries (prefix-relative:
    /// exact, a directory prefix, or a `*` glob that may span `/`, as brew's `link_overwrite?`).
    private func overwriteAllowed(_ dst: String) -> Bool {
        guard !linkOverwrite.isEmpty, let relative = PathComponents.relative(dst, below: layout.prefix).map(String.init) else { return false }
        return linkOverwrite.contains { pattern in
            var trimmed = pattern
            while trimmed.hasSuffix("/") { trimmed.removeLast() }
            return pattern == relative || PathComponents.isBelow(relative, trimmed) || Self.glob(pattern, relative)
        }
    }

    static func glob(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(text.utf8)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count && p[pi] != UInt8(ascii: "*") && p[pi] == t[ti] { pi += 1; ti += 1 }
            else if pi < p.count && p[pi] == UInt8(ascii: "*") { star = pi; mark = ti; pi += 1 }
            else if star >= 0 { pi = star + 1; mark += 1; ti = mark }
            else { return false }
        }
        while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }

    /// What occupies `path`, for the conflict message: who owns a link, or that a file is foreign.
    private func describe(_ path: String, kind: PosixFS.Kind) -> String {
        switch kind {
        case .symlink:
            let target = PosixFS.resolvedLink(path) ?? "?"
            if let owner = kegContaining(target) {
                let parts = owner.keg.split(separator: "/").suffix(2)
                return "a link into \(parts.joined(separator: " ")): \(target)"
            }
            return "a link to \(target) not owned by any keg"
        case .directory: return "a directory"
        default: return "a file not owned by any keg"
        }
    }
}
