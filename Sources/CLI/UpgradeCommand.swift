import ArgumentParser
import PourCore

/// `pour upgrade [NAME...]`
struct UpgradeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upgrade",
        abstract: "Upgrade outdated formulae (all of them when no names are given).",
        discussion: """
            Pinned formulae are skipped. New versions download in parallel; each package's links switch \
            from the old keg to the new one at once, and the old keg stays until `pour cleanup`.
            """)

    @Argument(help: "Formulae to upgrade.")
    var names: [String] = []

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
        try UpgradeSession.run(.upgrade, names: names, prefixOptions: prefixOptions, jobs: jobs, noWait: noWait,
                               quiet: quiet, json: json)
    }
}
