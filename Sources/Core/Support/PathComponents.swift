/// Splitting a path at `/` the way `split(separator: "/")` does (empty components dropped), fast
/// for ASCII paths.
///
/// `Character`-wise splitting walks grapheme boundaries; across the keg code (archive entries,
/// link targets, relative links) it cost several percent of an install of 1,000 tiny bottles
/// (Docs/Performance.md, "third pass"). An ASCII path splits identically on its `/` bytes (no
/// ASCII grapheme holds a `/`), so it takes a byte loop; any other path keeps the `Character`
/// split, so the result never depends on the path taken. The pieces are `Substring`s of the
/// input, compared with `String` semantics by callers as before.
///
/// Stateless; safe from any thread.
enum PathComponents {
    static func split(_ path: Substring) -> [Substring] {
        let bytes = path.utf8
        var slashes = 0
        for byte in bytes {
            guard byte < 0x80 else { return path.split(separator: "/", omittingEmptySubsequences: true) }
            if byte == UInt8(ascii: "/") { slashes += 1 }
        }
        // Room for every piece at once: growing the array piece by piece reallocated it 3–4
        // times per path (Docs/Performance.md, "Fourth pass").
        var parts: [Substring] = []
        parts.reserveCapacity(slashes + 1)
        var start = bytes.startIndex
        var index = start
        while index != bytes.endIndex {
            if bytes[index] == UInt8(ascii: "/") {
                if start != index { parts.append(path[start..<index]) }
                start = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
        if start != bytes.endIndex { parts.append(path[start..<bytes.endIndex]) }
        return parts
    }

    static func split(_ path: String) -> [Substring] { split(Substring(path)) }
}
