import Foundation

/// The placeholders formula text in the API carries (`$HOMEBREW_PREFIX`, `$HOMEBREW_CELLAR`,
/// `/$HOME`), replaced as brew replaces them when it loads a formula from the API, before any of
/// it is shown (`Library/Homebrew/formulary.rb#replace_placeholders`; the placeholder strings are
/// `global.rb`'s `HOMEBREW_*_PLACEHOLDER`). In that order: prefix, Cellar, home.
///
/// Stateless; safe from any queue.
package enum FormulaPlaceholders {
    package static func replace(_ text: String, layout: PrefixLayout,
                                home: String = FormulaPlaceholders.userHome) -> String {
        text.replacingOccurrences(of: "$HOMEBREW_PREFIX", with: layout.prefix)
            .replacingOccurrences(of: "$HOMEBREW_CELLAR", with: layout.cellar)
            .replacingOccurrences(of: "/$HOME", with: home)
    }

    /// Ruby's `Dir.home`: `$HOME` when set, else the password database's entry.
    package static var userHome: String {
        if let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty { return home }
        return NSHomeDirectory()
    }
}

extension Formula {
    /// `caveats` ready to show for a prefix: placeholders replaced; nil when there are none.
    package func caveats(in layout: PrefixLayout) -> String? {
        caveats.map { FormulaPlaceholders.replace($0, layout: layout) }
    }
}
