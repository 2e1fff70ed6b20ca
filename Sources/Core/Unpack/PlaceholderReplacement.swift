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

    /// True when `bytes` holds the placeholder marker at all.
    static func containsMarker(_ bytes: UnsafeBufferPointer<UInt8>, table: Table) -> Bool {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return false }
        return find(table.marker, in: UnsafeRawPointer(base), count: bytes.count, from: 0) != nil
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
    static func replace(in bytes: UnsafeBufferPointer<UInt8>, table: Table) -> [UInt8]? {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return nil }
        var output: [UInt8] = []
        var copiedUpTo = 0
        var searchFrom = 0
        do {
            while let position = find(table.marker, in: UnsafeRawPointer(base), count: bytes.count, from: searchFrom) {
                guard let pair = table.pairs.first(where: { pair in
                    position + pair.key.count <= bytes.count
                        && matches(pair.key, at: UnsafeRawPointer(base + position))
                }) else {
                    // An unknown `@@HOMEBREW_…` token: leave it, keep scanning after its first byte.
                    searchFrom = position + 1
                    continue
                }
                if output.isEmpty { output.reserveCapacity(bytes.count + 512) }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copiedUpTo..<position]))
                output.append(contentsOf: pair.value)
                copiedUpTo = position + pair.key.count
                searchFrom = copiedUpTo
            }
        }
        guard copiedUpTo > 0 else { return nil }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copiedUpTo...]))
        return output
    }
}
