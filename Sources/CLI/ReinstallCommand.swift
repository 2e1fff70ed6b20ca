import ArgumentParser
import PourCore

/// `pour reinstall NAME...`
struct ReinstallCommand: FormulaNamesCommand {
    static let configuration = CommandConfiguration(
        commandName: "reinstall",
        abstract: "Pour installed formulae again from their bottles (at the catalogue's version).",
        discussion: "Whether each was installed on request is kept. A pinned formula is only reinstalled at its pinned version.")

    @Argument(help: "Installed formulae.", completion: FormulaCompletion.installed)
    var names: [String]

    @OptionGroup var prefixOptions: PrefixOptions

    @OptionGroup var runOptions: RunOptions

    func run() throws {
        try UpgradeSession.run(.reinstall, names: names, prefixOptions: prefixOptions, jobs: runOptions.jobs, noWait: runOptions.noWait,
                               quiet: runOptions.quiet, json: runOptions.json)
    }
}
