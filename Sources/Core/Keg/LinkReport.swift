/// What `KegLinker.link` did (or, in a dry run, would do).
///
/// Plain value; safe to share across queues.
public struct LinkReport: Hashable, Sendable {
    public var package: String
    public var kegPath: String
    public var dryRun: Bool
    /// Symlinks into this keg, absolute prefix paths in creation order (opt and linked records
    /// included).
    public var links: [String] = []
    /// Real directories created in the prefix.
    public var directories: [String] = []
    /// Entries removed to make room: broken links, overwritten files, and whole-directory links
    /// of other kegs that were split into real directories.
    public var replaced: [String] = []
    /// Links re-created for other kegs while splitting their whole-directory links.
    public var relinkedForOtherKegs: [String] = []
    /// Dry run only: paths that would stop a real link with `linkConflict` (no overwrite allowed).
    public var conflicts: [String] = []

    public var linksCreated: Int { links.count }

    public init(package: String, kegPath: String, dryRun: Bool) {
        self.package = package
        self.kegPath = kegPath
        self.dryRun = dryRun
    }
}

/// What `KegLinker.unlink` removed.
///
/// Thread-safety: an immutable value; safe to share across queues.
public struct UnlinkReport: Hashable, Sendable {
    public var package: String
    public var kegPath: String
    /// Symlinks removed from the prefix (opt and linked records included).
    public var removedLinks: [String] = []
    /// Directories pruned because they became empty.
    public var removedDirectories: [String] = []

    public init(package: String, kegPath: String) {
        self.package = package
        self.kegPath = kegPath
    }
}
