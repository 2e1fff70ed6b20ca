/// A `Brewfile` as pour understands it: the formulae to install, with the per-entry options pour
/// applies, and a notice for every line it did not act on (so nothing is silently dropped).
///
/// brew evaluates a Brewfile as Ruby (`Library/Homebrew/bundle/dsl.rb`, `Dsl#process` is an
/// `instance_eval`); pour reads the DSL's statements line by line (`BrewfileParser`) and reports
/// whatever only a Ruby interpreter could decide, with its line, instead of guessing.
///
/// Thread-safety: an immutable value; safe to share across queues.
package struct Brewfile: Sendable, Equatable {
    /// The file read (as given), for messages (`path:line`).
    package var path: String
    /// `brew "name"` entries pour will install, in file order, de-duplicated by name.
    package var formulae: [BrewfileFormula]
    /// `tap "…"` entries that pour serves (only `homebrew/core`).
    package var taps: [BrewfileTap]
    /// Lines pour parsed but does not act on (or acts on only in part), in line order.
    package var notices: [BrewfileNotice]

    package init(path: String, formulae: [BrewfileFormula] = [], taps: [BrewfileTap] = [], notices: [BrewfileNotice] = []) {
        self.path = path
        self.formulae = formulae
        self.taps = taps
        self.notices = notices
    }

    /// Names of the formulae entries whose `link:` asks for no links (`link: false`).
    package var unlinkedNames: Set<String> { Set(formulae.filter { $0.link == false }.map(\.name)) }
    /// Entries that ask for links explicitly (`link: true` or `:overwrite`).
    package var forceLinked: [BrewfileFormula] { formulae.filter { $0.link == true } }
}

/// One `brew "name", …` line.
///
/// Thread-safety: an immutable value; safe to share across queues.
package struct BrewfileFormula: Sendable, Equatable {
    /// The formula name, sanitised as brew does (`Dsl.sanitize_brew_name`: lower-cased,
    /// `homebrew/core/` dropped).
    package var name: String
    /// The line the entry starts on (1-based).
    package var line: Int
    /// `link:` — nil when absent (brew's default: link unless keg-only), `false` = do not link,
    /// `true` = link even a keg-only formula (brew's `link --force`); `:overwrite` is `true` with
    /// `linkOverwrite`.
    package var link: Bool?
    /// `link: :overwrite`: conflicting files of other formulae are replaced (brew's `link --overwrite`).
    package var linkOverwrite = false
    /// Option names present on the line that pour parsed but cannot honour (reported in notices).
    package var unsupportedOptions: [String]

    package init(name: String, line: Int, link: Bool? = nil, unsupportedOptions: [String] = []) {
        self.name = name
        self.line = line
        self.link = link
        self.unsupportedOptions = unsupportedOptions
    }
}

/// One accepted `tap "…"` line.
///
/// Thread-safety: an immutable value; safe to share across queues.
package struct BrewfileTap: Sendable, Equatable {
    package var name: String
    package var line: Int
}

/// Something about one line the user should know: what was skipped or not applied, and why.
///
/// Thread-safety: an immutable value; safe to share across queues.
package struct BrewfileNotice: Sendable, Equatable, CustomStringConvertible {
    /// What kind of thing happened; tests and `--json` key on it.
    package enum Kind: String, Sendable, Equatable {
        /// An entry type pour does not install on this platform (`cask`, `mas`, `vscode`, …).
        case skippedType = "skipped"
        /// A `tap` other than homebrew/core, or a formula from one.
        case unsupportedTap = "unsupported_tap"
        /// An option on a `brew` line that pour parsed but does not honour.
        case unsupportedOption = "unsupported_option"
        /// Lines under a Ruby condition or block pour cannot evaluate; their entries are not installed.
        case unevaluated
        /// A line whose condition pour evaluated to false (`if OS.mac?` on Linux).
        case conditionFalse = "condition_false"
        /// A line pour does not understand (not an entry, not a comment); ignored.
        case ignored
    }

    package var line: Int
    package var kind: Kind
    package var message: String

    package init(line: Int, kind: Kind, message: String) {
        self.line = line
        self.kind = kind
        self.message = message
    }

    package var description: String { "line \(line): \(message)" }
}

/// Why a Brewfile could not be read at all. brew refuses the whole file on a Ruby error
/// (`Dsl#initialize` raises "Invalid Brewfile"); pour does the same for an entry it cannot parse.
///
/// Thread-safety: an immutable value; safe to share across queues.
package enum BrewfileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file does not exist or cannot be read.
    case unreadable(path: String, reason: String)
    /// An entry line is malformed (unterminated string, name not a string literal, …).
    case syntax(path: String, line: Int, message: String)

    package var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read Brewfile \(path): \(reason); pass --file or set HOMEBREW_BUNDLE_FILE"
        case .syntax(let path, let line, let message):
            return "\(path):\(line): \(message); fix this line of the Brewfile"
        }
    }
}
