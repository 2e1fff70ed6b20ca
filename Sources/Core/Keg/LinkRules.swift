/// Homebrew's per-directory linking rules (`keg.rb`, `Keg#link`), as data pour can test.
///
/// For each entry below a keg's top-level directory the rules say whether the prefix gets a real
/// directory (`mkpath`) so several kegs can share it, a symlink to the keg's entry (`link`), or
/// nothing. Matching mirrors brew's regular expressions with plain string tests: this runs once
/// per file of every keg and Swift `Regex` is far slower than `hasPrefix`.
enum LinkRules {
    enum Action: Equatable {
        /// Files are not linked (a directory given this action is linked whole, as in brew).
        case skipFile
        /// Directories are not descended into (bin, sbin); files are linked.
        case skipDirectory
        /// A real directory in the prefix; files linked inside.
        case mkpath
        /// A symlink; a directory absent from the prefix is linked whole.
        case link
        /// An info page: linked, except the per-keg `dir` index.
        case info
    }

    /// The keg directories that are linked, in brew's order. `var` is never linked.
    static let linkedDirectories = ["etc", "bin", "sbin", "include", "share", "lib", "Frameworks"]

    /// The keg directories `unlink` scans (brew also scans `var` there).
    static let unlinkedDirectories = ["bin", "etc", "include", "lib", "sbin", "share", "var", "Frameworks"]

    /// Prefix directories brew keeps even when empty.
    static let mustExist = ["bin", "etc", "include", "lib", "sbin", "share", "opt", "var/homebrew/linked"]

    /// `share/<path>` entries that are always real directories (brew's SHARE_PATHS).
    static let sharePaths: Set<String> = [
        "aclocal", "doc", "info", "java", "locale", "man",
        "man/man1", "man/man2", "man/man3", "man/man4", "man/man5", "man/man6", "man/man7", "man/man8",
        "man/cat1", "man/cat2", "man/cat3", "man/cat4", "man/cat5", "man/cat6", "man/cat7", "man/cat8",
        "applications", "gnome", "gnome/help", "icons", "mime-info", "pixmaps", "sounds", "postgresql",
    ]

    /// `lib/<path>` entries matched exactly that are real directories.
    static let libExact: Set<String> = ["pkgconfig", "cmake", "dtrace", "ghc", "php"]
    /// `lib/<path>` prefixes that are real directories, with everything below them.
    static let libPrefixes = ["gdk-pixbuf", "gio", "lua", "mecab", "node", "ocaml", "perl5", "R", "ruby"]

    /// The action for `relative` (the path below the top-level directory `top`).
    static func action(top: String, relative: String) -> Action {
        switch top {
        case "etc": return .mkpath
        case "bin", "sbin": return .skipDirectory
        case "include": return isPostgresql(relative) ? .mkpath : .link
        case "share": return shareAction(relative)
        case "lib": return libAction(relative)
        case "Frameworks": return isFrameworkOrVersions(relative) ? .mkpath : .link
        default: return .link
        }
    }

    static func shareAction(_ path: String) -> Action {
        if isInfoFile(path) { return .info }
        if path == "locale/locale.alias" { return .skipFile }
        if path.hasPrefix("icons/") && path.hasSuffix("/icon-theme.cache")
            && path.utf8.count >= "icons//icon-theme.cache".utf8.count {
            return .skipFile
        }
        if isLocaleDirectory(path) || path.hasPrefix("icons/") || path.hasPrefix("zsh") || path.hasPrefix("fish")
            || path.hasPrefix("lua/") || path.hasPrefix("guile/") || isPostgresql(path) || sharePaths.contains(path) {
            return .mkpath
        }
        return .link
    }

    static func libAction(_ path: String) -> Action {
        if path == "charset.alias" { return .skipFile }
        if libExact.contains(path) || isPostgresql(path) || isPythonDirectory(path) { return .mkpath }
        for prefix in libPrefixes where path.hasPrefix(prefix) { return .mkpath }
        return .link
    }

    /// `^postgresql@\d+`
    static func isPostgresql(_ path: String) -> Bool {
        guard path.hasPrefix("postgresql@") else { return false }
        return path.utf8.dropFirst("postgresql@".utf8.count).first.map(isDigit) ?? false
    }

    /// `^python[23]\.\d+`
    static func isPythonDirectory(_ path: String) -> Bool {
        let bytes = Array(path.utf8.prefix(9))
        guard bytes.count == 9, path.hasPrefix("python") else { return false }
        return (bytes[6] == UInt8(ascii: "2") || bytes[6] == UInt8(ascii: "3")) && bytes[7] == UInt8(ascii: ".")
            && isDigit(bytes[8])
    }

    /// brew's INFOFILE_RX `info/([^.].*?\.info(\.gz)?|dir)$`, unanchored at the start.
    static func isInfoFile(_ path: String) -> Bool {
        var search = path[...]
        while let range = ByteSearch.range(of: "info/", in: search) {
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

    /// brew's LOCALEDIR_RX `(locale|man)/([a-z]{2}|C|POSIX)…`, unanchored: since the tail is
    /// optional, it is enough that `locale/` or `man/` is followed by two lower-case letters, `C`
    /// or `POSIX`. (So `man/man1` matches too, as it does in brew.)
    static func isLocaleDirectory(_ path: String) -> Bool {
        let bytes = Array(path.utf8)
        for marker in [Array("locale/".utf8), Array("man/".utf8)] {
            var i = 0
            while i + marker.count <= bytes.count {
                if bytes[i..<(i + marker.count)].elementsEqual(marker) {
                    let rest = bytes[(i + marker.count)...]
                    if rest.count >= 2 && isLower(rest[rest.startIndex]) && isLower(rest[rest.startIndex + 1]) {
                        return true
                    }
                    if rest.first == UInt8(ascii: "C") || rest.starts(with: "POSIX".utf8) { return true }
                }
                i += 1
            }
        }
        return false
    }

    /// `[^/]*\.framework(/Versions)?$`
    static func isFrameworkOrVersions(_ path: String) -> Bool {
        path.hasSuffix(".framework") || path.hasSuffix(".framework/Versions")
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    private static func isLower(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
}
