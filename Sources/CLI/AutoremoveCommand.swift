import ArgumentParser
import PourCore

/// `pour autoremove`
struct AutoremoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autoremove",
        abstract: "Uninstall formulae that were installed as dependencies and that nothing needs any more.",
        discussion: """
            Only kegs poured from bottles whose receipt says installed_on_request: false are removed \
            (a receipt without that key is kept, as brew does), transitively.
            """)

    @OptionGroup var prefixOptions: PrefixOptions

    @OptionGroup var change: PrefixChangeOptions


    func run() throws {
        let layout = prefixOptions.configuration().layout
        let lock = try change.lockUnlessDryRun(layout)
        defer { lock?.release() }
        do {
            let inventory = PrefixInventory.read(layout: layout)
            let candidates = try inventory.autoremoveCandidates()
            if candidates.isEmpty { return LifecycleCLI.note("==> Nothing to remove") }
            LifecycleCLI.note("==> \(change.dryRun ? "Would autoremove" : "Autoremoving") \(candidates.count) unneeded formula\(candidates.count == 1 ? "" : "e"):")
            for formula in candidates { LifecycleCLI.say(formula.name) }
            guard let lock else { return }
            let uninstaller = Uninstaller(layout: layout)
            let plan = try uninstaller.plan(candidates.map(\.name), inventory: inventory, allVersions: true,
                                            ignoreDependencies: false)
            let report = try uninstaller.perform(plan, lock: lock)
            LifecycleCLI.note("==> Removed \(report.removed.count) kegs, freed \(LifecycleCLI.bytes(report.bytesFreed))")
        } catch {
            throw LifecycleCLI.fail(error)
        }
    }
}
