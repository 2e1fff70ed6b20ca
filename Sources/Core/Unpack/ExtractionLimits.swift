/// Caps that keep a hostile or broken bottle from exhausting disk, inodes or time.
///
/// Immutable value; safe to share across queues.
package struct ExtractionLimits: Hashable, Sendable {
    /// Cap on the sum of all entries' expanded sizes (sparse holes count as written).
    package var maxTotalBytes: Int64
    /// Cap on the number of archive entries (files, directories, links).
    package var maxEntries: Int
    /// Cap on the byte length of one entry path as stored in the archive.
    package var maxPathLength: Int
    /// How often, in expanded bytes, a large entry re-checks the cancellation flag.
    package var cancellationCheckInterval: Int64

    package init(maxTotalBytes: Int64 = 8 << 30, maxEntries: Int = 200_000, maxPathLength: Int = 1024,
                cancellationCheckInterval: Int64 = 4 << 20) {
        self.maxTotalBytes = maxTotalBytes
        self.maxEntries = maxEntries
        self.maxPathLength = maxPathLength
        self.cancellationCheckInterval = cancellationCheckInterval
    }

    /// 8 GiB, 200,000 entries, 1,024-byte paths: far above any homebrew-core bottle.
    package static let `default` = ExtractionLimits()
}
