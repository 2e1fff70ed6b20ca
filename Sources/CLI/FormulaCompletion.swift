import ArgumentParser
import Foundation
import PourCore

/// Shell completion of formula names (`pour --generate-completion-script bash|zsh|fish`).
///
/// The shell runs `pour ---completion <command> -- <words>` on every Tab, so this must be fast and
/// must never touch the network: it reads the local formula index (`pour update`) with one range
/// scan, or the Cellar's rack names for commands about installed formulae. No index, no
/// completions — it never builds one.
enum FormulaCompletion {
    /// Names in the local index starting with the word being completed.
    static let available = CompletionKind.custom { words, _, prefix in
        let configuration = configuration(from: words)
        let path = IndexSettings.indexPath(layout: configuration.layout, tag: configuration.bottleTag)
        guard access(path, R_OK) == 0, let index = try? FormulaIndex(path: path) else { return [] }
        return (try? index.names(withPrefix: prefix.lowercased())) ?? []
    }

    /// Installed formulae (racks in the Cellar) starting with the word being completed.
    static let installed = CompletionKind.custom { words, _, prefix in
        let layout = configuration(from: words).layout
        return Cellar(layout: layout).rackNames().filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// The environment's configuration, with `--prefix`/`--cache` taken from the command line
    /// typed so far (the same precedence as `PrefixOptions`).
    static func configuration(from words: [String]) -> InstallConfiguration {
        func value(after flag: String) -> String? {
            for (index, word) in words.enumerated() {
                if word == flag, index + 1 < words.count { return words[index + 1] }
                if word.hasPrefix(flag + "=") { return String(word.dropFirst(flag.count + 1)) }
            }
            return nil
        }
        return InstallConfiguration.fromEnvironment(prefix: value(after: "--prefix"), cache: value(after: "--cache"))
    }
}
