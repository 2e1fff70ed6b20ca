/// The one validator for every formula-metadata string that becomes part of a path: the name and
/// full name (Cellar racks, opt links, the download cache), aliases and old names (opt links),
/// version, revision and rebuild (keg and cache names), the bottle tag, and `link_overwrite`
/// patterns (prefix-relative globs). It runs when metadata is decoded — `FormulaSpecializer` for
/// the catalogue and each formula document, `FormulaIndex` for rows read back from the index — so
/// no path is ever built from an unchecked value.
///
/// Refused in a component: empty, `.`/`..`, a leading `.` or `-` (hidden files, option injection),
/// `/`, NUL and other control characters, more than 255 bytes (NAME_MAX). Homebrew's own names
/// (`Formulary`'s `[a-z0-9@._+-]`, versions like `1.2.3_1`) all pass.
///
/// Stateless; safe from any queue.
package enum PathNames {
    /// Why `value` cannot be one path component, or nil when it can.
    package static func componentProblem(_ value: String) -> String? {
        if value.isEmpty { return "it is empty" }
        if value.utf8.count > 255 { return "it is longer than 255 bytes" }
        if value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "it contains a NUL or control character"
        }
        if PathComponents.hasSlash(value) { return "it contains '/'" }
        if value == "." || value == ".." || ByteSearch.contains(value, "..") { return "it contains '..'" }
        if value.utf8.first == UInt8(ascii: ".") { return "it starts with '.'" }
        if value.utf8.first == UInt8(ascii: "-") { return "it starts with '-'" }
        return nil
    }

    /// Why `value` cannot be a relative path of components (full names `user/tap/name`, and
    /// `link_overwrite` globs), or nil.
    package static func relativePathProblem(_ value: String) -> String? {
        if PathComponents.isAbsolute(value) { return "it is an absolute path" }
        if value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "it contains a NUL or control character"
        }
        let parts = PathComponents.split(value)
        if parts.isEmpty { return "it is empty" }
        if parts.contains("..") || parts.contains(".") { return "it contains a '.' or '..' component" }
        return nil
    }

    /// Checks every path-forming field of `formula`; throws naming the formula and the field.
    package static func validate(_ formula: Formula) throws(RegistryError) {
        func check(_ field: String, _ value: String, _ problem: String?) throws(RegistryError) {
            if let problem {
                throw .unsafeName(formula: printable(formula.name), field: field, value: printable(value), reason: problem)
            }
        }
        try check("name", formula.name, componentProblem(formula.name))
        try check("full_name", formula.fullName, relativePathProblem(formula.fullName)
            ?? PathComponents.split(formula.fullName).lazy.compactMap { componentProblem(String($0)) }.first)
        for alias in formula.aliases { try check("aliases", alias, componentProblem(alias)) }
        for oldname in formula.oldnames { try check("oldnames", oldname, componentProblem(oldname)) }
        try check("versions.stable", formula.version, componentProblem(formula.version))
        try check("revision", String(formula.revision), formula.revision < 0 ? "it is negative" : nil)
        try check("version (with revision)", formula.pkgVersion, componentProblem(formula.pkgVersion))
        for pattern in formula.linkOverwrite { try check("link_overwrite", pattern, relativePathProblem(pattern)) }
        if let bottle = formula.bottle {
            try check("bottle tag", bottle.tag.rawValue, componentProblem(bottle.tag.rawValue))
            try check("bottle rebuild", String(bottle.rebuild), bottle.rebuild < 0 ? "it is negative" : nil)
        }
    }

    /// `value` with control characters shown as `\u{…}` (an error message cannot be forged) and
    /// cut to 80 characters (it stays one line).
    static func printable(_ value: String) -> String {
        let shown = value.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
        return shown.count > 80 ? String(shown.prefix(80)) + "…" : shown
    }
}
