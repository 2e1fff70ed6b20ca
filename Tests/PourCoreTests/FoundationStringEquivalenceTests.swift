import Foundation
import XCTest
@testable import PourCore

/// The byte-level replacements of Foundation's string calls on the per-package paths
/// (`ByteSearch`, `PathComponents.deletingLastComponent`, `InsecureURLPolicy.trimmingBrackets`,
/// `FormulaFetcher.isSafeName`) give Foundation's answers for every input. Each test runs the
/// code as it was before (kept here as the oracle) against the code now over adversarial text:
/// combining marks after `.` and `/`, CR LF, control bytes, precomposed and decomposed letters,
/// KELVIN SIGN, fullwidth and non-BMP characters, trailing and doubled slashes, `..` segments,
/// percent-encoding and case variants.
final class FoundationStringEquivalenceTests: XCTestCase {
    /// Pieces that each probe one difference between bytes, scalars and `Character`s.
    static let fragments = [
        "", ".", "..", "/", "//", ":", "a", "Z", "9", "info", "v2", "é", "e\u{301}", "\u{301}", ".\u{301}",
        "/\u{301}", "\r", "\n", "\r\n", "\u{0}", "\u{7F}", "\u{212A}", "Ａ", "😀", "%2e", "%2F", "[", "]", "-", "@",
        "\u{600}", "…",
    ]

    /// Every sequence of up to `length` fragments (plus a few longer, realistic strings).
    static func texts(length: Int) -> [String] {
        var all = [""], layer = [""]
        for _ in 0..<length {
            layer = layer.flatMap { prefix in fragments.map { prefix + $0 } }
            all += layer
        }
        return all
    }

    static let needles: [StaticString] = ["..", ":", "://", "/v2/", "/blobs/", "/manifests/", "/blobs/sha256:", "info/"]

    static let realistic = [
        "https://ghcr.io/v2/homebrew/core/openssl/3/blobs/sha256:abc", "http://127.0.0.1:8080/v2/x/manifests/1.0",
        "https://mirror.example/v2", "https://harbor.example/v2/ghcr-io/", "file:///srv/bottles/a.tar.gz",
        "share/info/foo.info", "share/info/dir", "share/info/.hidden.info", "share/info/foo.info.gz", "info/info/x",
        "https://e\u{301}xample/v2/blobs/", "https://example/v2\u{301}/blobs/", "a..\u{301}b", "..\u{301}", "x/info/\u{301}a.info",
        "/v2//blobs/", "HTTPS://GHCR.IO/V2/", "//v2/", "/V2/", "ab:\u{301}cd", ":\u{301}", "\r\n/v2/\r\n",
    ]

    private func utf8Offsets(_ range: Range<String.Index>?, in text: Substring) -> Range<Int>? {
        range.map { text.utf8.distance(from: text.startIndex, to: $0.lowerBound)..<text.utf8.distance(from: text.startIndex, to: $0.upperBound) }
    }

    func testByteSearchFindsWhatFoundationFinds() {
        var checked = 0, nonASCIIMatchesRefused = 0
        for text in Self.texts(length: 3) + Self.realistic {
            // The whole string and a slice that starts part-way (LinkRules searches slices).
            var views = [text[...]]
            if !text.isEmpty { views.append(text[text.index(after: text.startIndex)...]) }
            for view in views {
                for needle in Self.needles {
                    let expected = view.range(of: needle.description)  // Foundation, as the callers used to
                    let actual = ByteSearch.range(of: needle, in: view)
                    XCTAssertEqual(utf8Offsets(actual, in: view), utf8Offsets(expected, in: view),
                                   "\(needle) in \(view.debugDescription)")
                    XCTAssertEqual(ByteSearch.contains(view, needle), expected != nil, "\(needle) in \(view.debugDescription)")
                    if expected == nil && view.utf8.starts(with: needle.description.utf8) { nonASCIIMatchesRefused += 1 }
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 100_000)
        // The table holds text whose bytes contain the needle but Foundation's search does not
        // (`..\u{301}`): the cases a plain byte search would get wrong.
        XCTAssertGreaterThan(nonASCIIMatchesRefused, 0)
    }

    func testDeletingLastComponentIsNSStringsDeletingLastPathComponent() {
        // Cut on bytes: ASCII paths without `//`, every sequence of up to 5 pieces.
        let pieces = ["/", "a", "bc", ".", "..", "\r\n", "~", " ", "%2F", "\u{0}"]
        var paths = [""], layer = [""]
        for _ in 0..<5 {
            layer = layer.flatMap { prefix in pieces.map { prefix + $0 } }
            paths += layer.filter { path in !zip(path.utf8, path.utf8.dropFirst()).contains { $0 == 0x2F && $1 == 0x2F } }
        }
        // Handed to NSString (`//`, non-ASCII): a few that NSString answers without trapping.
        paths += ["/dev/shm/c/downloads/abc--small-0001--1.0.x86_64_linux.bottle.tar.gz", "/p/var/homebrew/tmp/.pour-staging",
                  "//var/homebrew/tmp/.pour-staging", "/p/var/homebrew/tmp/.pour-activating/", "relative/dir/", "///", "//",
                  "a///b//c", "/é/b", "/a/\u{301}", "x/\u{301}/y", "/\u{301}", "é/ab", "/p\u{600}/x/"]
        var compared = 0
        for path in paths {
            // NSString traps (a precondition in `_startOfLastPathComponent`) when one character
            // is left once the trailing slash goes: `"a"`, `"a/"`. Those give "" here.
            let trimmed = path.utf8.last == UInt8(ascii: "/") && path.utf8.count > 1 ? String(path.dropLast()) : path
            if trimmed.utf16.count == 1 && trimmed != "/" {
                XCTAssertEqual(PathComponents.deletingLastComponent(path), "", path.debugDescription)
                continue
            }
            XCTAssertEqual(PathComponents.deletingLastComponent(path), (path as NSString).deletingLastPathComponent, path.debugDescription)
            compared += 1
        }
        XCTAssertGreaterThan(compared, 100_000)
    }

    func testLoopbackHostsAreJudgedAsBefore() {
        // The implementation before: NSString's trimming with a character set built per call.
        func oldIsLoopback(_ host: String) -> Bool {
            let bare = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            if bare == "localhost" || bare.hasSuffix(".localhost") || bare == "::1" { return true }
            let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
            guard octets.count == 4, octets[0] == "127" else { return false }
            return octets.allSatisfy { UInt8($0) != nil }
        }
        let pieces = ["[", "]", "[[", "]]", "localhost", "LocalHost", ".localhost", "127", ".", "0", "1", "255", "256", "::1", "::",
                      "x", "é", "\u{301}", "\u{212A}", "-", " ", "😀", "+", "\r\n", "١"]
        var hosts = [""], layer = [""]
        for _ in 0..<3 {
            layer = layer.flatMap { prefix in pieces.map { prefix + $0 } }
            hosts += layer
        }
        hosts += ["127.0.0.1", "[::1]", "[127.0.0.1]", "127.0.0.1.example.com", "a.localhost", "[localhost]]", "]127.0.0.1[",
                  "127.0.0.01", "127.0.0.-1", "127.0.0.1\u{301}", "[\u{301}::1]", "127.0.0.1.1", "127.0.0", "127...", "127.0.0.1.",
                  "127.0.0.+1", "127.0.0.1\r\n", "127.0.0.١", "127.0.0.256"]
        var loopback = 0
        for host in hosts {
            XCTAssertEqual(host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), InsecureURLPolicy.trimmingBrackets(host), host.debugDescription)
            XCTAssertEqual(InsecureURLPolicy.isLoopback(host), oldIsLoopback(host), host.debugDescription)
            if oldIsLoopback(host) { loopback += 1 }
        }
        XCTAssertGreaterThan(loopback, 10)
        XCTAssertFalse(InsecureURLPolicy.isLoopback("😀"))
        XCTAssertEqual(InsecureURLPolicy.trimmingBrackets("[😀]"), "😀")
    }

    func testSafeFormulaNamesAreJudgedAsBefore() {
        func oldIsSafeName(_ name: String) -> Bool {
            guard !name.isEmpty, name.count <= 128, !name.hasPrefix("."), !name.contains("..") else { return false }
            return name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "@+._-".unicodeScalars.contains($0) }
                && name.unicodeScalars.allSatisfy(\.isASCII)
        }
        let pieces = ["a", "Z", "9", "@", "+", ".", "..", "_", "-", "/", " ", "é", "e\u{301}", "\u{301}", "١", "Ａ", "\u{0}", "%", "\r\n", ".\u{301}"]
        var names = [""], layer = [""]
        for _ in 0..<3 {
            layer = layer.flatMap { prefix in pieces.map { prefix + $0 } }
            names += layer
        }
        names += [String(repeating: "a", count: 128), String(repeating: "a", count: 129), "openssl@3", "libxml++", "python@3.13",
                  String(repeating: "é", count: 100), "homebrew/core/foo"]
        var safe = 0
        for name in names {
            XCTAssertEqual(FormulaFetcher.isSafeName(name), oldIsSafeName(name), name.debugDescription)
            if oldIsSafeName(name) { safe += 1 }
        }
        XCTAssertGreaterThan(safe, 100)
    }

    func testPathComponentChecksAreAsBefore() {
        func oldComponentProblem(_ value: String) -> String? {
            if value.isEmpty { return "it is empty" }
            if value.utf8.count > 255 { return "it is longer than 255 bytes" }
            if value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                return "it contains a NUL or control character"
            }
            if PathComponents.hasSlash(value) { return "it contains '/'" }
            if value == "." || value == ".." || value.contains("..") { return "it contains '..'" }
            if value.utf8.first == UInt8(ascii: ".") { return "it starts with '.'" }
            if value.utf8.first == UInt8(ascii: "-") { return "it starts with '-'" }
            return nil
        }
        for value in Self.texts(length: 3) + Self.realistic + [String(repeating: ".", count: 256), "1.2.3_1", "..\u{301}x", "a.\u{301}.b"] {
            XCTAssertEqual(PathNames.componentProblem(value), oldComponentProblem(value), value.debugDescription)
        }
    }

    func testInfoFilesAreRecognisedAsBefore() {
        func oldIsInfoFile(_ path: String) -> Bool {
            var search = path[...]
            while let range = search.range(of: "info/") {
                let rest = path[range.upperBound...]
                if rest == "dir" { return true }
                if let first = rest.first, first != ".",
                   (rest.hasSuffix(".info") && rest.count > 5) || (rest.hasSuffix(".info.gz") && rest.count > 8) {
                    return true
                }
                search = path[path.index(after: range.lowerBound)...]
            }
            return false
        }
        let pieces = ["info/", "info", "/", "dir", ".info", ".gz", ".", "a", "\u{301}", "é", "\r\n", "INFO/", "x"]
        var paths = [""], layer = [""]
        for _ in 0..<4 {
            layer = layer.flatMap { prefix in pieces.map { prefix + $0 } }
            paths += layer
        }
        var infoFiles = 0
        for path in paths + Self.realistic {
            XCTAssertEqual(LinkRules.isInfoFile(path), oldIsInfoFile(path), path.debugDescription)
            if oldIsInfoFile(path) { infoFiles += 1 }
        }
        XCTAssertGreaterThan(infoFiles, 100)
    }

    func testRedirectResolutionAndRegistryHeadersAreAsBefore() {
        let endpoints = DownloadEndpoints(artifactDomain: "http://127.0.0.1:1")
        let urls = Self.texts(length: 2).flatMap { [$0, "https://h" + $0, "https://h/" + $0, "http://" + $0 + "/v2"] }
            + ["https://h/v2\r\n", "https://h/\u{301}v2/", "https://h/v2/\u{301}", "https://h/v2\u{301}", "https://h\r\n/v2/"]
        for text in urls + Self.realistic {
            let old = text.contains("/v2/") && (text.contains("/blobs/") || text.contains("/manifests/"))
            XCTAssertEqual(endpoints.headers(for: text).isEmpty, !old, text.debugDescription)
            let scheme = text.range(of: "://")
            let oldRegistry = scheme.map { range -> Bool in
                let afterHost = text[range.upperBound...].drop { $0 != "/" }
                return afterHost == "/v2" || afterHost.hasPrefix("/v2/")
            } ?? false
            XCTAssertEqual(DownloadEndpoints.containsRegistryAPIPath(text), oldRegistry, text.debugDescription)
            for base in ["https://ghcr.io/v2/a/blobs/sha256:1", "http://127.0.0.1:8/x"] {
                // `resolve` returns an absolute reference as written; what counts as absolute is
                // decided by the `:` search.
                let oldAbsolute = text.contains(":") && !text.hasPrefix("/")
                if let resolved = URLPolicy.resolve(text, against: base), oldAbsolute {
                    XCTAssertEqual(resolved, text, text.debugDescription)
                }
            }
        }
    }
}
