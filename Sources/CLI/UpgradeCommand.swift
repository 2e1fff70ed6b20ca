import ArgumentParser
import PourCore

/// `pour upgrade [NAME...]`
struct UpgradeCommand: FormulaNamesCommand {
    static let configuration = CommandConfiguration(
        commandName: "upgrade",
        abstract: "Upgrade outdated formulae (all of them when no names are given).",
        discussion: """
            Pinned formulae are skipped. New versions download in parallel; each package's links switch \
            from the old keg to the new one at once, and the old keg stays until `pour cleanup`.
            """)

    @Argument(help: "Formulae to upgrade.", completion: FormulaCompletion.installed)
    var names: [String] = []

    @OptionGroup var prefixOptions: PrefixOptions

    @OptionGroup var runOptions: RunOptions

    func run() throws {
        try UpgradeSession.run(.upgrade, names: names, prefixOptions: prefixOptions, jobs: runOptions.jobs, noWait: runOptions.noWait,
                               quiet: runOptions.quiet, json: runOptions.json)
    }
}
