import Foundation

/// Splitting a path into its components at every `/` byte (empty components dropped), as the
/// kernel does.
///
/// Not `split(separator: "/")`: that splits at `Character`s, and a `/` followed by a combining
/// mark (`"s/\u{301}t"`) is one `Character` to Swift but a separator to the kernel — a check
/// that splits by `Character` misses that component boundary, and with it a symlink the path
/// goes through (`ReliabilityHostileArchiveTests.testCombiningMarkAfterASlashIsStillASeparator`).
/// `/` is ASCII, so the byte after it always starts a scalar: every piece is a valid `Substring`.
/// Also the fast way: `Character`-wise splitting walks grapheme boundaries, several percent of an
/// install of 1,000 tiny bottles (Docs/Performance.md, "third pass").
///
/// Stateless; safe from any thread.
enum PathComponents {
    static func split(_ path: Substring) -> [Substring] {
        let bytes = path.utf8
        var slashes = 0
        for byte in bytes where byte == UInt8(ascii: "/") { slashes += 1 }
        // Room for every piece at once: growing the array piece by piece reallocated it 3–4
        // times per path (Docs/Performance.md, "Fourth pass").
        var parts: [Substring] = []
        parts.reserveCapacity(slashes + 1)
        var start = bytes.startIndex
        var index = start
        while index != bytes.endIndex {
            if bytes[index] == UInt8(ascii: "/") {
                if start != index { parts.append(Substring(bytes[start..<index])) }
                start = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
        if start != bytes.endIndex { parts.append(Substring(bytes[start..<bytes.endIndex])) }
        return parts
    }

    static func split(_ path: String) -> [Substring] { split(Substring(path)) }
}

extension PathComponents {
    /// True when `path` starts with a `/` byte. Not `hasPrefix("/")`, which compares the first
    /// `Character`: `"/\u{301}etc"` does not have that prefix, yet the kernel reads it as absolute.
    static func isAbsolute(_ path: some StringProtocol) -> Bool { path.utf8.first == UInt8(ascii: "/") }

    /// True when `text` holds a `/` byte anywhere. Not `contains("/")`, which looks for the
    /// `Character`: in `"a/\u{301}b"` the slash is part of another one.
    static func hasSlash(_ text: some StringProtocol) -> Bool { text.utf8.contains(UInt8(ascii: "/")) }
}

extension PathComponents {
    /// True when `path` lies strictly below `root`: `root`'s bytes, then a `/` byte. Not
    /// `hasPrefix(root + "/")`, which compares `Character`s under canonical equivalence — `"\u{212A}"`
    /// (KELVIN SIGN) equals `"K"` there, yet names another directory on disk.
    static func isBelow(_ path: some StringProtocol, _ root: some StringProtocol) -> Bool {
        let bytes = path.utf8, prefix = root.utf8
        guard bytes.count > prefix.count, bytes.starts(with: prefix) else { return false }
        return bytes[bytes.index(bytes.startIndex, offsetBy: prefix.count)] == UInt8(ascii: "/")
    }

    /// What follows `root` and its `/` in `path`, cut on bytes, when `path` lies strictly below
    /// `root`. Not `path.dropFirst(root.count + 1)`: that counts `Character`s, and the `/` after
    /// the root forms one `Character` with the root's last one when that is a grapheme "prepend"
    /// (U+0600 ARABIC NUMBER SIGN) or with the next one when that is a combining mark, so the cut
    /// landed one character off — a prefix ending in U+0600 made `var/homebrew` `ar/homebrew`
    /// (`PostInstallPrefixBytesTests`).
    static func relative(_ path: String, below root: String) -> Substring? {
        guard isBelow(path, root) else { return nil }
        let bytes = path.utf8
        return Substring(bytes[bytes.index(bytes.startIndex, offsetBy: root.utf8.count + 1)...])
    }

    /// `path` is `root` itself or below it, compared on bytes.
    static func isAtOrBelow(_ path: some StringProtocol, _ root: some StringProtocol) -> Bool {
        path.utf8.elementsEqual(root.utf8) || isBelow(path, root)
    }
}

extension PathComponents {
    /// `(path as NSString).deletingLastPathComponent`, cut on bytes when that gives NSString's
    /// answer: NSString's path code cost measurable time per package on the download and
    /// activation paths (Docs/Performance.md, "Foundation string search").
    ///
    /// The bytes decide for an ASCII path without `//`: there a byte is a `Character` as far as
    /// `/` is concerned (NSString walks `Character`s, so for it a `/` that carries a combining mark
    /// separates nothing), and NSString's slash compression, which skips characters after each
    /// run it shortens (`"a///b//c"` gives `"a/b/"`), has nothing to do. Every other path — pour's
    /// own are all absolute, standardised and ASCII — still goes to NSString. One difference:
    /// NSString traps on a one-character relative path (`"a"`, `"a/"`); this gives `""`, as both
    /// do for `"ab"`.
    static func deletingLastComponent(_ path: String) -> String {
        // nil: NSString must answer (or, never for a native string, the UTF-8 is not contiguous).
        let answer = path.utf8.withContiguousStorageIfAvailable { bytes -> String? in
            let slash = UInt8(ascii: "/")
            var previous: UInt8 = 0
            var last = -1, beforeLast = -1
            for (offset, byte) in bytes.enumerated() {
                if byte >= 0x80 || (byte == slash && previous == slash) { return nil }
                if byte == slash { (beforeLast, last) = (last, offset) }
                previous = byte
            }
            if bytes.count == 1 && previous == slash { return "/" }
            // The last `/` other than a trailing one: none, the leading one, or the end of the answer.
            let cut = previous == slash ? beforeLast : last
            if cut < 0 { return "" }
            if cut == 0 { return "/" }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[..<cut]), as: UTF8.self)
        }
        return (answer ?? nil) ?? (path as NSString).deletingLastPathComponent
    }
}
