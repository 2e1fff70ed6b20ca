import ArgumentParser
import PourCore

/// `pour unpin NAME...`
struct UnpinCommand: FormulaNamesCommand {
    static let configuration = CommandConfiguration(commandName: "unpin", abstract: "Let upgrade and cleanup change formulae again.")

    @Argument(help: "Pinned formulae.")
    var names: [String]

    @OptionGroup var prefixOptions: PrefixOptions

    @Flag(name: .customLong("no-wait"), help: "Fail at once if another pour holds the prefix lock.")
    var noWait = false

    func run() throws {
        try LifecycleCLI.forEachInstalled(names, prefixOptions, noWait: noWait) { layout, lock, formula throws(LifecycleError) in
            let wasPinned = try Pins(layout: layout).unpin(formula.name, lock: lock)
            LifecycleCLI.note(wasPinned ? "Unpinned \(formula.name)" : "Warning: \(formula.name) is not pinned")
        }
    }
}
