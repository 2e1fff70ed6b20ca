import ArgumentParser
import PourCore

/// `pour uninstall NAME...`
struct UninstallCommand: FormulaNamesCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall",
        abstract: "Unlink and remove installed formulae.",
        discussion: "Without --force only the keg in use (linked, else opt, else the only one) is removed.",
        aliases: ["remove", "rm"])

    @Argument(help: "Installed formulae.", completion: FormulaCompletion.installed)
    var names: [String]

    @OptionGroup var prefixOptions: PrefixOptions

    @Flag(name: .shortAndLong, help: "Remove every installed version.")
    var force = false

    @Flag(name: .customLong("ignore-dependencies"), help: "Uninstall even when other installed formulae depend on it.")
    var ignoreDependencies = false

    @Flag(name: .customLong("no-wait"), help: "Fail at once if another pour holds the prefix lock.")
    var noWait = false

    func run() throws {
        let layout = prefixOptions.configuration().layout
        let lock = try LifecycleCLI.lock(layout, noWait: noWait)
        defer { lock.release() }
        let uninstaller = Uninstaller(layout: layout)
        do {
            // Planned under the lock, so nothing changes between the dependents check and removal.
            let inventory = PrefixInventory.read(layout: layout)
            let plan = try uninstaller.plan(names, inventory: inventory, allVersions: force,
                                            ignoreDependencies: ignoreDependencies)
            let report = try uninstaller.perform(plan, lock: lock)
            for keg in report.removed {
                LifecycleCLI.note("Uninstalled \(keg.name) \(keg.pkgVersion) (\(keg.path))")
            }
            for (name, versions) in report.remaining.sorted(by: { $0.key < $1.key }) {
                LifecycleCLI.note("\(name) \(versions.joined(separator: ", ")) \(versions.count == 1 ? "is" : "are") still installed; "
                    + "remove all versions with `pour uninstall --force \(name)`")
            }
            LifecycleCLI.note("==> Removed \(report.removed.count) keg\(report.removed.count == 1 ? "" : "s"), "
                + "\(report.removedLinks) links, freed \(LifecycleCLI.bytes(report.bytesFreed))")
        } catch {
            throw LifecycleCLI.fail(error)
        }
    }
}
