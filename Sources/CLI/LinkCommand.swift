import ArgumentParser
import PourCore

/// `pour link NAME...`
struct LinkCommand: FormulaNamesCommand {
    static let configuration = CommandConfiguration(
        commandName: "link", abstract: "Symlink an installed formula's files into the prefix.", aliases: ["ln"])

    @Argument(help: "Installed formulae.", completion: FormulaCompletion.installed)
    var names: [String]

    @OptionGroup var prefixOptions: PrefixOptions

    @Flag(help: "Replace conflicting files and links (never directories).")
    var overwrite = false

    @OptionGroup var change: PrefixChangeOptions


    func run() throws {
        let layout = prefixOptions.configuration().layout
        let lock = try change.lockUnlessDryRun(layout)
        defer { lock?.release() }
        let inventory = PrefixInventory.read(layout: layout)
        let linking = Linking(layout: layout)
        var failed = false
        for formula in try LifecycleCLI.resolve(names, in: inventory) {
            if let linked = formula.linkedVersion, (try? inventory.selectedKeg(of: formula))?.pkgVersion == linked {
                LifecycleCLI.note("Warning: already linked: \(layout.keg(formula.name, linked)); "
                    + "to relink, run `pour unlink \(formula.name) && pour link \(formula.name)`")
                continue
            }
            do {
                let report = try linking.link(formula, inventory: inventory, overwrite: overwrite, dryRun: change.dryRun, lock: lock)
                if change.dryRun {
                    LifecycleCLI.note("==> Would link \(formula.name) (\(report.links.count) links):")
                    for link in report.links { LifecycleCLI.say(link) }
                    for path in report.replaced { LifecycleCLI.say("would replace: \(path)") }
                    for path in report.conflicts { LifecycleCLI.say("conflict: \(path)") }
                } else {
                    LifecycleCLI.note("Linked \(formula.name) \(report.kegPath): \(report.links.count) symlinks")
                }
            } catch {
                _ = LifecycleCLI.fail(error)
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
    }
}
