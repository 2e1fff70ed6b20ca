/// A file name in `<cache>/downloads`, read back into the formula and version it holds:
/// `<sha256(url)>--<name>--<pkg_version>.<tag>.bottle[.<rebuild>].tar.gz`, optionally with
/// `.incomplete` (see `DownloadCache`). Names brew uses for other downloads (sources, casks)
/// do not parse and are left alone.
///
/// Thread-safety: an immutable value; safe to share across queues.
package struct CachedBottle: Sendable, Hashable {
    package var fileName: String
    package var name: String
    package var pkgVersion: String
    package var tag: String
    package var incomplete: Bool

    package init?(fileName: String) {
        self.fileName = fileName
        var rest = Substring(fileName)
        incomplete = rest.hasSuffix(".incomplete")
        if incomplete { rest = rest.dropLast(".incomplete".count) }
        guard rest.hasSuffix(".tar.gz") else { return nil }
        rest = rest.dropLast(".tar.gz".count)
        let parts = rest.components(separatedBy: "--")
        guard parts.count == 3, parts[0].count == 64, !parts[1].isEmpty else { return nil }
        name = parts[1]
        var tail = Substring(parts[2])
        if let dot = tail.lastIndex(of: "."), tail[tail.index(after: dot)...].allSatisfy(\.isNumber),
           tail[..<dot].hasSuffix(".bottle") {
            tail = tail[..<dot]  // the rebuild number
        }
        guard tail.hasSuffix(".bottle") else { return nil }
        tail = tail.dropLast(".bottle".count)
        guard let dot = tail.lastIndex(of: "."), dot != tail.startIndex else { return nil }
        pkgVersion = String(tail[..<dot])
        tag = String(tail[tail.index(after: dot)...])
        guard !pkgVersion.isEmpty, !tag.isEmpty else { return nil }
    }
}

import Foundation
