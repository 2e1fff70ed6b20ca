import ArgumentParser
import PourCore

/// `pour unpin NAME...`
struct UnpinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unpin", abstract: "Let upgrade and cleanup change formulae again.")

    @Argument(help: "Pinned formulae.")
    var names: [String]

    @OptionGroup var prefixOptions: PrefixOptions

    @Flag(name: .customLong("no-wait"), help: "Fail at once if another pour holds the prefix lock.")
    var noWait = false

    func run() throws {
        let layout = prefixOptions.configuration().layout
        let lock = try LifecycleCLI.lock(layout, noWait: noWait)
        defer { lock.release() }
        for formula in try LifecycleCLI.resolve(names, in: PrefixInventory.read(layout: layout)) {
            do {
                let wasPinned = try Pins(layout: layout).unpin(formula.name, lock: lock)
                LifecycleCLI.note(wasPinned ? "Unpinned \(formula.name)" : "Warning: \(formula.name) is not pinned")
            } catch {
                throw LifecycleCLI.fail(error)
            }
        }
    }
}
