import Foundation

/// One pass of placeholder substitution over a byte buffer.
///
/// Stateless; safe from any queue. A single left-to-right pass means substituted values are never
/// scanned again. The `@@HOMEBREW_` marker is found with `memchr` for `@` plus a `memcmp`
/// (glibc hides `memmem` without `_GNU_SOURCE`), so files without placeholders cost one
/// vectorised scan.
enum PlaceholderReplacement {
    /// The table as byte arrays, prepared once per relocation run rather than once per file.
    struct Table {
        let marker: [UInt8]
        let pairs: [(key: [UInt8], value: [UInt8])]

        init(_ placeholders: Placeholders) {
            marker = Array(Placeholders.marker.utf8)
            // An empty key would match everywhere and never advance: drop it.
            pairs = placeholders.pairs.filter { !$0.key.isEmpty }.map { (Array($0.key.utf8), Array($0.value.utf8)) }
        }
    }

    /// Offset of the first occurrence of `needle` at or after `from`, or nil.
    static func find(_ needle: [UInt8], in base: UnsafeRawPointer, count: Int, from: Int) -> Int? {
        guard let first = needle.first else { return from }
        var position = from
        while position + needle.count <= count {
            guard let hit = memchr(base + position, Int32(first), count - needle.count + 1 - position) else {
                return nil
            }
            let offset = base.distance(to: UnsafeRawPointer(hit))
            if matches(needle, at: base + offset) { return offset }
            position = offset + 1
        }
        return nil
    }

    /// True when the bytes at `pointer` start with `needle` (the caller checked the length).
    private static func matches(_ needle: [UInt8], at pointer: UnsafeRawPointer) -> Bool {
        needle.withUnsafeBytes { key in
            guard let keyBase = key.baseAddress else { return true }
            return memcmp(pointer, keyBase, key.count) == 0
        }
    }

    /// The buffer with every known placeholder replaced, or nil when nothing matched.
    ///
    /// Two passes: find the matches, then fill an exactly sized buffer with `memcpy`, so large
    /// files cost a scan and a copy (no per-byte appends, no regrowth).
    static func replace(in bytes: UnsafeBufferPointer<UInt8>, table: Table) -> [UInt8]? {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return nil }
        let raw = UnsafeRawPointer(base)
        var hits: [(position: Int, pair: Int)] = []
        var outputCount = bytes.count
        var searchFrom = 0
        while let position = find(table.marker, in: raw, count: bytes.count, from: searchFrom) {
            var matched: Int?
            for index in table.pairs.indices
            where position + table.pairs[index].key.count <= bytes.count && matches(table.pairs[index].key, at: raw + position) {
                matched = index
                break
            }
            guard let matched else {
                // An unknown `@@HOMEBREW_…` token: leave it, keep scanning after its first byte.
                searchFrom = position + 1
                continue
            }
            let pair = table.pairs[matched]
            hits.append((position, matched))
            outputCount += pair.value.count - pair.key.count
            searchFrom = position + pair.key.count
        }
        guard !hits.isEmpty else { return nil }
        guard outputCount > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: outputCount) { output, initialized in
            guard let target = output.baseAddress else { return }
            var source = 0
            var written = 0
            for hit in hits {
                let pair = table.pairs[hit.pair]
                let gap = hit.position - source
                if gap > 0 { memcpy(target + written, raw + source, gap) }
                written += gap
                pair.value.withUnsafeBytes { value in
                    if let valueBase = value.baseAddress { memcpy(target + written, valueBase, value.count) }
                }
                written += pair.value.count
                source = hit.position + pair.key.count
            }
            if bytes.count > source { memcpy(target + written, raw + source, bytes.count - source) }
            initialized = outputCount
        }
    }
}
