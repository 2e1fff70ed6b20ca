import ArgumentParser
import Foundation
import PourCore

/// `pour uses NAME`: formulae that depend on NAME.
struct UsesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uses",
        abstract: "Show formulae that depend on a formula (reverse dependencies) on this platform.")

    @Argument(help: "Formula name, alias or old name.", completion: FormulaCompletion.available)
    var name: String

    @OptionGroup var prefixOptions: PrefixOptions
    @OptionGroup var kindOptions: DependencyKindOptions

    @Flag(help: "Only dependents installed in the Cellar.")
    var installed = false

    @Flag(help: "Also formulae that depend on it indirectly.")
    var recursive = false

    func run() throws {
        let configuration = prefixOptions.configuration()
        let index = try IndexAccess.open(configuration)
        let target = try IndexAccess.resolve(name, in: index)
        let kinds = kindOptions.kinds
        var found = Set<String>()
        var queue = [target.name]
        do throws(IndexError) {
            while let next = queue.popLast() {
                for dependent in try index.dependents(of: next, kinds: kinds) where found.insert(dependent).inserted {
                    if recursive { queue.append(dependent) }
                }
            }
        } catch {
            throw IndexAccess.fail(error)
        }
        found.remove(target.name)
        var names = found.sorted()
        if installed {
            let cellar = Cellar(layout: configuration.layout)
            names = names.filter { cellar.isInstalled(name: $0) }
        }
        FileHandle.standardOutput.write(Data(names.map { $0 + "\n" }.joined().utf8))
    }
}
