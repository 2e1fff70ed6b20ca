import ArgumentParser
import PourCore

/// `pour reinstall NAME...`
struct ReinstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reinstall",
        abstract: "Pour installed formulae again from their bottles (at the catalogue's version).",
        discussion: "Whether each was installed on request is kept. A pinned formula is only reinstalled at its pinned version.")

    @Argument(help: "Installed formulae.")
    var names: [String]

    @OptionGroup var prefixOptions: PrefixOptions

    @Option(name: .shortAndLong, help: "Downloads in flight at once.")
    var jobs: Int?

    @Flag(name: .customLong("no-wait"), help: "Fail at once if another pour holds the prefix lock.")
    var noWait = false

    @Flag(name: .shortAndLong, help: "Print only errors and the summary.")
    var quiet = false

    @Flag(help: "Print one JSON object per event (NDJSON) instead of progress.")
    var json = false

    func run() throws {
        try UpgradeSession.run(.reinstall, names: names, prefixOptions: prefixOptions, jobs: jobs, noWait: noWait,
                               quiet: quiet, json: json)
    }
}
