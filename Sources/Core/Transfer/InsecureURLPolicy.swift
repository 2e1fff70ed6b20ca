import Foundation

/// Which plain-`http://` URLs pour may fetch. Formula metadata and bottles are checked by
/// SHA-256, but metadata itself is not, so a cleartext fetch from a remote host lets anyone on
/// the path choose what gets installed. Plain HTTP is therefore refused unless the host is a
/// loopback address (local mirrors, tests) or the user opts in (`--insecure`,
/// `POUR_ALLOW_INSECURE_HTTP=1`). The decision is made on the URL as libcurl parses it
/// (`URLPolicy`), so `http:/host` or `HTTP://host` are judged like `http://host`.
///
/// Stateless; safe from any thread.
package enum InsecureURLPolicy {
    /// True when `url` is plain HTTP to a host other than loopback (or an `http:` string that
    /// does not even parse, which is refused either way).
    package static func isInsecure(_ url: String) -> Bool {
        guard let parsed = URLPolicy.parse(url) else { return url.lowercased().hasPrefix("http:") }
        return parsed.scheme == "http" && !isLoopback(parsed.host)
    }

    /// `localhost`, `127.0.0.0/8` and `::1` (with or without brackets).
    static func isLoopback(_ host: String) -> Bool {
        let bare = trimmingBrackets(host.lowercased())
        if bare == "localhost" || bare.hasSuffix(".localhost") || bare == "::1" { return true }
        if bare.utf8.allSatisfy({ $0 < 0x80 }) {
            // Every transfer asks: split on bytes when they are the `Character`s (ASCII).
            let octets = bare.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            guard octets.count == 4, octets[0].elementsEqual("127".utf8) else { return false }
            return octets.allSatisfy { UInt8(Substring($0)) != nil }
        }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets[0] == "127" else { return false }
        return octets.allSatisfy { UInt8($0) != nil }
    }

    /// `text` without the `[` and `]` at either end (an IPv6 literal's brackets), cut on bytes:
    /// what `trimmingCharacters(in: CharacterSet(charactersIn: "[]"))` returns, without building a
    /// character set and bridging to NSString for every transfer (Docs/Performance.md, "Foundation
    /// string search"). Both brackets are ASCII, so no byte of another character is one.
    static func trimmingBrackets(_ text: String) -> String {
        let bytes = text.utf8
        func isBracket(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]") }
        guard let first = bytes.firstIndex(where: { !isBracket($0) }),
              let last = bytes.lastIndex(where: { !isBracket($0) }) else { return "" }
        return String(Substring(bytes[first...last]))
    }
}
