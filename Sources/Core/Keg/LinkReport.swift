/// What `KegLinker.link` did (or, in a dry run, would do).
///
/// Plain value; safe to share across queues.
package struct LinkReport: Hashable, Sendable {
    package var package: String
    package var kegPath: String
    package var dryRun: Bool
    /// Symlinks into this keg, absolute prefix paths in creation order (opt and linked records
    /// included).
    package var links: [String] = []
    /// Real directories created in the prefix.
    package var directories: [String] = []
    /// Entries removed to make room: broken links, overwritten files, and whole-directory links
    /// of other kegs that were split into real directories.
    package var replaced: [String] = []
    /// Links re-created for other kegs while splitting their whole-directory links.
    package var relinkedForOtherKegs: [String] = []
    /// Dry run only: paths that would stop a real link with `linkConflict` (no overwrite allowed).
    package var conflicts: [String] = []

    package var linksCreated: Int { links.count }

    package init(package: String, kegPath: String, dryRun: Bool) {
        self.package = package
        self.kegPath = kegPath
        self.dryRun = dryRun
    }
}

/// What `KegLinker.unlink` removed.
///
/// Thread-safety: an immutable value; safe to share across queues.
package struct UnlinkReport: Hashable, Sendable {
    package var package: String
    package var kegPath: String
    /// Symlinks removed from the prefix (opt and linked records included).
    package var removedLinks: [String] = []
    /// Directories pruned because they became empty.
    package var removedDirectories: [String] = []

    package init(package: String, kegPath: String) {
        self.package = package
        self.kegPath = kegPath
    }
}
