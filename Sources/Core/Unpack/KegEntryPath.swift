/// Validation of archive entry paths and link targets against the keg layout `<name>/<pkg_version>/…`.
///
/// Pure functions on strings, no state; safe from any queue. This is the first line of defence:
/// libarchive's own `SECURE_*` checks run after it, on the already prefixed path.
enum KegEntryPath {
    /// Where an archive entry lands.
    enum Location: Equatable {
        /// The `<name>/` directory above the keg: tolerated for directories, never written.
        case kegParent
        /// The keg root (`relative == ""`) or something below it.
        case inKeg(relative: String)
    }

    /// Splits a path into components, dropping empty and `.` components (so `./a//b/` is `a`,`b`).
    /// (`PathComponents.split`: at every `/` byte, as the kernel splits.)
    static func components(_ path: Substring) -> [Substring] {
        PathComponents.split(path).filter { $0 != "." }
    }

    /// Classifies an archive pathname (or hardlink target), rejecting absolute paths, `..`
    /// components, over-long paths and anything outside `<name>/<pkg_version>`.
    static func locate(_ raw: String, name: String, pkgVersion: String, package: String,
                       maxLength: Int) throws(UnpackError) -> Location {
        if raw.utf8.count > maxLength { throw .pathTooLong(package: package, entry: raw, limit: maxLength) }
        // On the byte: `"/\u{301}etc"` does not have the `Character` prefix "/", but it is absolute.
        if raw.utf8.first == UInt8(ascii: "/") { throw .unsafePath(package: package, entry: raw, reason: "absolute path") }
        let parts = components(Substring(raw))
        if parts.contains("..") { throw .unsafePath(package: package, entry: raw, reason: "contains a '..' component") }
        // NAME_MAX on Linux and macOS; checked here so the error names the entry, not errno.
        if parts.contains(where: { $0.utf8.count > 255 }) {
            throw .pathTooLong(package: package, entry: raw, limit: 255)
        }
        guard let first = parts.first, first == name else {
            throw .unsafePath(package: package, entry: raw, reason: "outside \(name)/\(pkgVersion)/")
        }
        if parts.count == 1 { return .kegParent }
        guard parts[1] == pkgVersion else {
            throw .unsafePath(package: package, entry: raw, reason: "outside \(name)/\(pkgVersion)/")
        }
        // Appended piece by piece: the generic `joined(separator:)` cost four times as much per
        // entry (Docs/Performance.md, "Fourth pass"); the text is the same.
        var relative = ""
        relative.reserveCapacity(raw.utf8.count)
        for (index, part) in parts.dropFirst(2).enumerated() {
            if index > 0 { relative.append("/") }
            relative.append(contentsOf: part)
        }
        return .inKeg(relative: relative)
    }

    /// True when a symlink stored at keg-relative `linkPath` with `target` resolves (lexically)
    /// to the keg root or below. Placeholder targets (`@@HOMEBREW_…`) are allowed as-is, since
    /// relocation turns them into prefix paths later, but without `..` so they cannot climb out
    /// of the prefix once substituted. Absolute and empty targets are refused.
    static func symlinkStaysInKeg(linkPath: String, target: String) -> Bool {
        if target.hasPrefix(Placeholders.marker) { return !components(Substring(target)).contains("..") }
        if target.isEmpty || target.utf8.first == UInt8(ascii: "/") { return false }
        // Start from the link's directory: every component of linkPath except the last.
        var stack = components(Substring(linkPath)).dropLast().map(String.init)
        for part in components(Substring(target)) {
            if part == ".." {
                if stack.isEmpty { return false }
                stack.removeLast()
            } else {
                stack.append(String(part))
            }
        }
        return true
    }

    /// True when `name` is usable as one directory name (formula name or pkg_version).
    static func isSafeComponent(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !PathComponents.hasSlash(name) && !name.utf8.contains(0)
            && name.utf8.count <= 255
    }
}
