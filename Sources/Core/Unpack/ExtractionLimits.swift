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
    /// Cap on the bytes after the tar end-of-archive marker (record padding is at most 10 KiB of
    /// zeros with GNU/bsdtar defaults; libarchive may already have buffered up to 1 MiB of it).
    package var maxTrailingBytes: Int64 = 2 << 20

    package init(maxTotalBytes: Int64 = 8 << 30, maxEntries: Int = 200_000, maxPathLength: Int = 1024,
                cancellationCheckInterval: Int64 = 4 << 20) {
        self.maxTotalBytes = maxTotalBytes
        self.maxEntries = maxEntries
        self.maxPathLength = maxPathLength
        self.cancellationCheckInterval = cancellationCheckInterval
    }

    /// These limits with `maxTotalBytes` lowered to what the registry says the bottle installs
    /// (`sh.brew.bottle.installed_size`, which counts disk blocks, so ≥ the bytes) with headroom:
    /// twice that plus 64 MiB. Unknown size: unchanged.
    package func capped(installedSize: Int64?) -> ExtractionLimits {
        guard let installedSize, installedSize > 0, installedSize < maxTotalBytes / 2 else { return self }
        var copy = self
        copy.maxTotalBytes = min(maxTotalBytes, installedSize * 2 + (64 << 20))
        return copy
    }

    /// 8 GiB, 200,000 entries, 1,024-byte paths: far above any homebrew-core bottle.
    package static let `default` = ExtractionLimits()
}
