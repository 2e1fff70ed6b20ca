#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Undoes a commit whose later step (the `.bottle/etc|var` copy) failed, so that nothing counts the
/// keg as installed: the receipt goes first (a keg without one is "incomplete" to `list`, `install`
/// and `doctor`, which flags it), then the keg, then the rack if it is now empty. Every removal is
/// beneath the prefix without following links.
///
/// Stateless; runs on the link queue under the prefix lock.
enum KegRollback {
    static func removeCommitted(kegPath: String, name: String, layout: PrefixLayout) {
        guard let relative = StatePaths.relative(kegPath, layout: layout),
              let prefix = try? BeneathRoot(path: layout.prefix) else { return }
        try? prefix.remove(relative + "/" + InstallReceipt.fileName)
        try? prefix.remove(relative)
        if let rack = StatePaths.relative(layout.cellar + "/" + name, layout: layout), prefix.children(rack)?.isEmpty == true {
            try? prefix.remove(rack)
        }
    }
}
