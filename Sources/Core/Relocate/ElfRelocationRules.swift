import Foundation

/// Homebrew's rules for the strings of a poured Linux binary, as pure functions of the old
/// strings, the placeholder table and the prefix.
///
/// Stateless; safe from any queue.
package enum ElfRelocationRules {
    /// The new RUNPATH/RPATH: placeholders substituted, then only entries inside the prefix or
    /// relative to `$ORIGIN` kept (anything else would let a build machine's paths leak into
    /// the search order), then `<prefix>/lib` appended if missing so dependencies linked into the
    /// prefix are found. Empty entries (meaning the working directory) are dropped as well.
    /// An entry is "inside the prefix" when it is the prefix or continues with `/` — a plain string
    /// prefix test, as Homebrew's, would also keep `/opt/brewery` for prefix `/opt/brew`.
    ///
    /// Then, unless the keg is GCC's own, an entry ending in `lib/gcc/<N>` becomes
    /// `lib/gcc/current`, so a bottle built against an older GCC formula finds today's libstdc++
    /// (`extend/os/linux/keg_relocate.rb#change_rpath!`).
    package static func searchPath(_ old: String, placeholders: Placeholders, prefix: String,
                                  kegName: String = "") -> String {
        let table = PlaceholderReplacement.Table(placeholders)
        let library = prefix + "/lib"
        var entries = old.split(separator: ":", omittingEmptySubsequences: true).map { substitute(String($0), table) }
        // "Inside the prefix" on bytes, as the loader reads the entry: `==`/`hasPrefix` compare
        // `Character`s under canonical equivalence, which kept `/opt/cafe\u{301}/lib` for prefix
        // `/opt/caf\u{E9}` and `/opt/\u{212A}brew/lib` (KELVIN SIGN) for `/opt/Kbrew` — other
        // directories on disk (`RelocationBytesTests`).
        entries = entries.filter { entry in
            PathComponents.isAtOrBelow(entry, prefix) || entry.hasPrefix("$ORIGIN") || entry.hasPrefix("${ORIGIN}")
        }
        if !entries.contains(library) { entries.append(library) }
        if !isVersioned(kegName, "gcc") { entries = entries.map(currentGCC) }
        return entries.joined(separator: ":")
    }

    /// `…/lib/gcc/<digits>` → `…/lib/gcc/current`; any other entry unchanged.
    static func currentGCC(_ entry: String) -> String {
        guard let range = entry.range(of: "lib/gcc/", options: .backwards) else { return entry }
        let tail = entry[range.upperBound...]
        guard !tail.isEmpty, tail.allSatisfy({ $0.isASCII && $0.isNumber }) else { return entry }
        return entry[..<range.upperBound] + "current"
    }

    /// True for `name` and `name@<version>` (brew's `Version.formula_optionally_versioned_regex`).
    static func isVersioned(_ kegName: String, _ name: String) -> Bool {
        if kegName == name { return true }
        guard kegName.hasPrefix(name + "@") else { return false }
        let version = kegName.dropFirst(name.count + 1)
        return !version.isEmpty && version.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") }
    }

    /// The new interpreter: `loaderLink` (`<prefix>/lib/ld.so`) when it is readable, else the
    /// old one with placeholders substituted.
    package static func interpreter(_ old: String, placeholders: Placeholders, loaderLink: String) -> String {
        if access(loaderLink, R_OK) == 0 { return loaderLink }
        return substitute(old, PlaceholderReplacement.Table(placeholders))
    }

    /// True for kegs of glibc itself (`glibc`, `glibc@2.35`): patching its loader breaks it.
    package static func isGlibc(kegName: String) -> Bool { isVersioned(kegName, "glibc") }

    static func substitute(_ text: String, _ table: PlaceholderReplacement.Table) -> String {
        let bytes = Array(text.utf8)
        let replaced = bytes.withUnsafeBufferPointer { PlaceholderReplacement.replace(in: $0, table: table) }
        return replaced.map { String(decoding: $0, as: UTF8.self) } ?? text
    }
}
