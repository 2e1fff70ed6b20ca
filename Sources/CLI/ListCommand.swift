import ArgumentParser
import Foundation
import PourCore

/// `pour list`: installed formulae, read from the Cellar as `brew list` does.
struct ListCommand: FormulaNamesCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List installed formulae.")

    @Argument(help: "Only these formulae.")
    var names: [String] = []

    @OptionGroup var prefixOptions: PrefixOptions

    @Flag(help: "Show the installed versions of each formula.")
    var versions = false

    @Flag(help: "Only pinned formulae.")
    var pinned = false

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let inventory = LifecycleCLI.inventory(prefixOptions)
        var formulae = names.isEmpty ? inventory.installed : try LifecycleCLI.resolve(names, in: inventory)
        if pinned { formulae = formulae.filter(\.isPinned) }
        if json {
            LifecycleCLI.printJSON(formulae.map(Self.object))
            return
        }
        for formula in formulae {
            if pinned && versions {
                LifecycleCLI.say("\(formula.name) \(formula.pinnedVersion ?? "")")
            } else {
                LifecycleCLI.say(versions ? ([formula.name] + formula.versions).joined(separator: " ") : formula.name)
            }
        }
    }

    static func object(_ formula: InstalledFormula) -> [String: Any] {
        var object: [String: Any] = [
            "name": formula.name,
            "versions": formula.versions,
            "installed_on_request": formula.intent == .unknown ? NSNull() : (formula.intent == .onRequest) as Any,
            "poured_from_bottle": formula.activeKeg?.pouredFromBottle ?? false,
            "pinned": formula.isPinned,
            "runtime_dependencies": formula.activeKeg?.runtimeDependencyNames.map { $0 as Any } ?? NSNull(),
        ]
        object["linked_version"] = formula.linkedVersion ?? NSNull()
        object["opt_version"] = formula.optVersion ?? NSNull()
        object["pinned_version"] = formula.pinnedVersion ?? NSNull()
        return object
    }
}
