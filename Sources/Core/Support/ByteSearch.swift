import Foundation

/// Finding a fixed ASCII string inside text (a URL, a formula name, a keg path) by comparing UTF-8
/// bytes, with the result Foundation's `contains(_:)` / `range(of:)` gives.
///
/// Why not Foundation's: with `import Foundation`, `text.contains("/v2/")` and `text.range(of:)`
/// are NSString's search. It copies both strings to UTF-16 and runs CFStringFindWithOptionsAndLocale,
/// several times per package on the transfer and install paths (Docs/Performance.md, "Foundation
/// string search").
///
/// Why the results are the same: Foundation's search is not literal. It matches canonically
/// equivalent text and does not end a match inside a grapheme cluster, so for it `"..\u{301}"`
/// holds no `".."` (the second dot carries an accent) while its bytes do. On ASCII text the two
/// agree: ASCII has no decompositions, and its one multi-scalar cluster is CR LF, which a needle of
/// printable characters neither starts inside nor ends inside. So the bytes decide for ASCII text,
/// which is all that pour meets in practice, and text with any other byte is still searched by
/// Foundation — the same answer for every input (`FoundationStringEquivalenceTests` holds both to it).
///
/// Stateless; safe from any thread.
enum ByteSearch {
    /// Foundation's `text.range(of: needle)`. `needle` is printable ASCII (a literal at every call).
    static func range(of needle: StaticString, in text: Substring) -> Range<String.Index>? {
        assert(needle.isASCII && needle.utf8CodeUnitCount > 0)
        let bytes = text.utf8
        let scan = needle.withUTF8Buffer { pattern in
            bytes.withContiguousStorageIfAvailable { firstMatch(of: pattern, in: $0) }
        }
        switch scan {
        case .at(let offset)?:
            let start = bytes.index(bytes.startIndex, offsetBy: offset)
            return start..<bytes.index(start, offsetBy: needle.utf8CodeUnitCount)
        case .absent?:
            return nil
        case .notASCII?, nil:
            // Non-ASCII text (or, never for a native string, UTF-8 not stored contiguously).
            return text.range(of: needle.description)
        }
    }

    private enum Scan { case at(Int), absent, notASCII }

    private static func firstMatch(of pattern: UnsafeBufferPointer<UInt8>, in text: UnsafeBufferPointer<UInt8>) -> Scan {
        assert(pattern.allSatisfy { $0 >= 0x20 && $0 < 0x7F })
        guard text.allSatisfy({ $0 < 0x80 }) else { return .notASCII }
        guard let first = pattern.first, pattern.count <= text.count else { return .absent }
        for start in 0...(text.count - pattern.count) where text[start] == first {
            var matched = 1
            while matched < pattern.count && text[start + matched] == pattern[matched] { matched += 1 }
            if matched == pattern.count { return .at(start) }
        }
        return .absent
    }

    static func range(of needle: StaticString, in text: String) -> Range<String.Index>? {
        range(of: needle, in: text[...])
    }

    /// Foundation's `text.contains(needle)` (which is `text.range(of: needle) != nil`).
    static func contains(_ text: String, _ needle: StaticString) -> Bool {
        range(of: needle, in: text[...]) != nil
    }

    static func contains(_ text: Substring, _ needle: StaticString) -> Bool {
        range(of: needle, in: text) != nil
    }
}
