import Foundation

/// Names files in Homebrew's download cache layout.
///
/// A verified bottle is `downloads/<sha256(url)>--<name>--<pkg_version>.<tag>.bottle.tar.gz`; while
/// in flight it carries an extra `.incomplete` suffix. Because pour only renames a file to its
/// final name after its SHA-256 matched, a final-named file is a verified one (it is re-hashed on
/// reuse anyway, which costs ~0.1 s per 150 MB).
///
/// Thread-safety: a stateless namespace of constants and functions; use it from any thread.
package enum DownloadCache {
    package static func bottlePath(layout: PrefixLayout, formula: Formula, bottle: Bottle) -> String {
        let rebuild = bottle.rebuild > 0 ? ".\(bottle.rebuild)" : ""
        let file = "\(SHA256Hasher.hex(of: bottle.url))--\(formula.name)--\(formula.pkgVersion).\(bottle.tag.rawValue).bottle\(rebuild).tar.gz"
        return layout.downloads + "/" + file
    }

    package static func incompletePath(for finalPath: String) -> String { finalPath + ".incomplete" }

    /// The per-bottle lock beside the `.incomplete` (see `VerifiedDownload`): whoever holds its
    /// `flock` owns the partial file. Removed by its holder when done.
    package static func lockPath(for finalPath: String) -> String { finalPath + ".lock" }
}
