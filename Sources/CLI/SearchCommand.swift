import ArgumentParser
import Foundation
import PourCore

/// `pour search TEXT`: names and descriptions, exact name first.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search formula names and descriptions (exact name, then prefix, then full-text rank).")

    @Argument(help: "Words to look for.")
    var text: [String]

    @OptionGroup var prefixOptions: PrefixOptions

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: "Most results to show.")
    var limit: Int = 50

    func validate() throws {
        if text.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { throw ValidationError("give a word to search for") }
        if limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let index = try IndexAccess.open(prefixOptions.configuration())
        let hits: [SearchHit]
        do throws(IndexError) {
            hits = try index.search(text.joined(separator: " "), limit: max(1, limit))
        } catch {
            throw IndexAccess.fail(error)
        }
        if json {
            try IndexAccess.printJSON(hits.map { hit -> [String: Any] in
                ["name": hit.name, "desc": hit.desc ?? NSNull(), "version": hit.version, "match": hit.match.rawValue]
            })
            return
        }
        if hits.isEmpty { throw IndexAccess.fail(.unknownFormula(name: text.joined(separator: " "), suggestions: [])) }
        let width = min(32, hits.map(\.name.count).max() ?? 0)
        var output = ""
        for hit in hits {
            // Registry text: no escape sequences, and one line per hit.
            let name = TerminalText.sanitized(hit.name)
            let desc = TerminalText.sanitized(hit.desc ?? "").replacingOccurrences(of: "\n", with: " ")
            output += name.padding(toLength: max(width, name.count), withPad: " ", startingAt: 0)
            output += "  " + desc + "\n"
        }
        FileHandle.standardOutput.write(Data(output.utf8))
    }
}
