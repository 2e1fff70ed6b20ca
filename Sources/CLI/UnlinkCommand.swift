import ArgumentParser
import PourCore

/// `pour unlink NAME...`
struct UnlinkCommand: FormulaNamesCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlink",
        abstract: "Remove an installed formula's symlinks from the prefix (its opt link stays).")

    @Argument(help: "Installed formulae.", completion: FormulaCompletion.installed)
    var names: [String]

    @OptionGroup var prefixOptions: PrefixOptions

    @OptionGroup var change: PrefixChangeOptions


    func run() throws {
        let layout = prefixOptions.configuration().layout
        let lock = try change.lockUnlessDryRun(layout)
        defer { lock?.release() }
        let inventory = PrefixInventory.read(layout: layout)
        var failed = false
        for formula in try LifecycleCLI.resolve(names, in: inventory) {
            do {
                let result = try Linking(layout: layout).unlink(formula, dryRun: change.dryRun, lock: lock)
                guard let version = result.pkgVersion else {
                    LifecycleCLI.note("\(formula.name) is not linked")
                    continue
                }
                if change.dryRun {
                    LifecycleCLI.note("==> Would remove \(result.links.count) links of \(formula.name) \(version):")
                    for link in result.links { LifecycleCLI.say(link) }
                } else {
                    LifecycleCLI.note("Unlinked \(formula.name) \(version): \(result.links.count) symlinks removed")
                }
            } catch {
                _ = LifecycleCLI.fail(error)
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
    }
}
