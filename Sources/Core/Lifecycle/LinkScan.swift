/// Walks the prefix's link directories for symlinks: those pointing into a keg (what unlinking
/// it would remove, and whether a keg is still in use), and those pointing nowhere.
///
/// Stateless; reads the disk (blocking). Real directories are descended into, symlinked ones not.
enum LinkScan {
    /// The directories `brew link` writes into, plus the record directories.
    static func linkDirectories(_ layout: PrefixLayout) -> [String] {
        ["bin", "sbin", "lib", "include", "share", "etc", "Frameworks"].map { layout.prefix + "/" + $0 }
            + [layout.opt, layout.linkedKegs, PrefixInventory.pinDirectory(layout)]
    }

    /// Every symlink below `roots`, in path order.
    static func symlinks(under roots: [String]) -> [String] {
        var found: [String] = []
        func walk(_ directory: String) {
            for entry in PosixFS.entries(directory) ?? [] {
                let path = directory + "/" + entry.name
                switch entry.kind {
                case .symlink: found.append(path)
                case .directory: walk(path)
                default: continue
                }
            }
        }
        for root in roots where PosixFS.kind(root) == .directory { walk(root) }
        return found
    }

    /// Symlinks in the prefix that resolve to `keg` or below it (one level of link, as brew).
    static func links(into keg: String, layout: PrefixLayout) -> [String] {
        let target = PosixFS.normalize(keg)
        return symlinks(under: linkDirectories(layout)).filter { link in
            guard let resolved = PosixFS.resolvedLink(link) else { return false }
            return PathComponents.isAtOrBelow(resolved, target)
        }
    }

    /// Symlinks whose target does not exist.
    static func brokenLinks(layout: PrefixLayout) -> [String] {
        symlinks(under: linkDirectories(layout)).filter { !PosixFS.existsFollowingLinks($0) }
    }
}
