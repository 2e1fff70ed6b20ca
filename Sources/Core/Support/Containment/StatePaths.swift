#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// pour's own state below `<prefix>/var/homebrew/` (locks, tmp, the staging area and its stale-run
/// sweep, linked, pinned) reached only through real directories: every component from the prefix
/// down is created or opened with `O_NOFOLLOW`, so a link planted there (by a bottle's
/// `.bottle/var`, by another tool, by an attacker) is refused with an error instead of followed —
/// a sweep through `var/homebrew/tmp/.pour-staging -> /elsewhere` must never empty `/elsewhere`.
///
/// Stateless; safe from any queue (each call opens and closes its own descriptors).
enum StatePaths {
    /// The prefix-relative form of an absolute path inside the prefix, or nil.
    static func relative(_ path: String, layout: PrefixLayout) -> String? {
        PathComponents.relative(path, below: layout.prefix).map(String.init)
    }

    /// Creates (as needed) the state directory `path` (absolute, inside the prefix) through real
    /// directories only, and opens it as a root.
    static func directory(_ path: String, layout: PrefixLayout) throws(ContainmentError) -> BeneathRoot {
        let prefix = try BeneathRoot(path: layout.prefix, create: true)
        guard let relative = relative(path, layout: layout) else {
            return try BeneathRoot(path: path, create: true, refuseLinkAtRoot: true)
        }
        try prefix.makeDirectories(relative)
        return try BeneathRoot(path: path, refuseLinkAtRoot: true)
    }

    /// Removes `path` (absolute, inside the prefix) without following any link on the way or at
    /// the end. Missing is fine.
    static func remove(_ path: String, layout: PrefixLayout) throws(ContainmentError) {
        guard let relative = relative(path, layout: layout) else { throw ContainmentError("remove", path, EXDEV) }
        let prefix = try BeneathRoot(path: layout.prefix)
        do {
            try prefix.remove(relative)
        } catch {
            if error.code == ENOENT { return }
            throw error
        }
    }

    /// Empties the staging area (debris of runs that died; the caller holds the prefix lock) and
    /// returns it opened. A link at `.pour-staging` or above it is refused, never swept through.
    static func sweepStaging(layout: PrefixLayout) throws(ContainmentError) -> BeneathRoot {
        let staging = try directory(layout.staging, layout: layout)
        try staging.removeContents("")
        return staging
    }
}
