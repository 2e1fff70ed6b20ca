import ArgumentParser
import PourCore

/// `pour pin NAME...`
struct PinCommand: FormulaNamesCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin", abstract: "Keep formulae at their installed version: upgrade and cleanup leave them alone.")

    @Argument(help: "Installed formulae.", completion: FormulaCompletion.installed)
    var names: [String]

    @OptionGroup var prefixOptions: PrefixOptions

    @Flag(name: .customLong("no-wait"), help: "Fail at once if another pour holds the prefix lock.")
    var noWait = false

    func run() throws {
        try LifecycleCLI.forEachInstalled(names, prefixOptions, noWait: noWait) { layout, lock, formula throws(LifecycleError) in
            let version = try Pins(layout: layout).pin(formula, lock: lock)
            LifecycleCLI.note("Pinned \(formula.name) at \(version)")
        }
    }
}
