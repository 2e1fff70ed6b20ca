/// What one successful extraction left in staging.
///
/// Immutable value; safe to share across queues.
package struct ExtractedKeg: Hashable, Sendable {
    /// One archive entry as written, relative to the keg root.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct Entry: Hashable, Sendable {
        /// What kind of finding or entry this is.
        ///
        /// Thread-safety: an immutable value; safe to share across queues.
        package enum Kind: String, Hashable, Sendable { case file, directory, symlink, hardlink }
        /// Path relative to the keg root, without a trailing slash (never empty: the root itself is omitted).
        package let path: String
        package let kind: Kind
        /// Expanded bytes written for this entry (0 for directories and symlinks).
        package let size: Int64
        /// The link target as stored (symlinks) or keg-relative (hardlinks); nil otherwise.
        package let linkTarget: String?
    }

    /// `<staging>/<name>/<pkg_version>`, with the staging directory resolved by realpath.
    package let kegPath: String
    package let name: String
    package let pkgVersion: String
    /// Every entry below the keg root in archive order (a path repeated in the archive appears twice).
    package let entries: [Entry]
    /// Number of regular-file and hardlink entries.
    package let fileCount: Int
    /// Sum of expanded bytes written.
    package let totalBytes: Int64
    /// Whether the keg holds `INSTALL_RECEIPT.json` (homebrew-core bottles usually do not).
    package let hasReceipt: Bool
    /// The receipt's `changed_files` (keg-relative), when the receipt exists and lists them.
    package let receiptChangedFiles: [String]?
    /// False only when no file's data began with the ELF magic (`\x7FELF`), as the extractor saw
    /// its first bytes go by: `BinaryRelocator` would then change nothing, and its walk (a third of
    /// a tiny keg's system calls) is skipped. True when unknown.
    package var mayHoldELF: Bool = true
}
