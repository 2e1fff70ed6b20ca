import ArgumentParser
import Foundation
import PourCore

/// `pour deps NAME`: the dependency closure (sorted) or tree.
struct DepsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deps",
        abstract: "Show a formula's dependencies for this platform (recursive; --tree for the shape).")

    @Argument(help: "Formula name, alias or old name.", completion: FormulaCompletion.available)
    var name: String

    @OptionGroup var prefixOptions: PrefixOptions
    @OptionGroup var kindOptions: DependencyKindOptions

    @Flag(help: "Print the dependency tree.")
    var tree = false

    @Flag(help: "Only dependencies installed in the Cellar.")
    var installed = false

    @Flag(name: .customLong("direct"), help: "Only direct dependencies.")
    var direct = false

    func run() throws {
        let configuration = prefixOptions.configuration()
        let index = try IndexAccess.open(configuration)
        let root = try IndexAccess.resolve(name, in: index)
        let cellar = Cellar(layout: configuration.layout)
        var cache: [String: Formula?] = [root.name: root]
        func lookup(_ name: String) -> Formula? {
            if let known = cache[name] { return known }
            let found = (try? index.formula(named: name)) ?? nil
            cache[name] = found
            return found
        }
        func keep(_ name: String) -> Bool { !installed || cellar.isInstalled(name: lookup(name)?.name ?? name) }

        var output = ""
        if tree {
            output += root.name + "\n"
            func walk(_ formula: Formula, prefix: String, path: Set<String>) {
                let children = kindOptions.names(of: formula).filter(keep)
                for (offset, child) in children.enumerated() {
                    let last = offset == children.count - 1
                    let canonical = lookup(child)?.name ?? child
                    let cycle = path.contains(canonical)
                    output += prefix + (last ? "└── " : "├── ") + child + (cycle ? " (cycle)" : "") + "\n"
                    guard !cycle, !direct, let next = lookup(child) else { continue }
                    walk(next, prefix: prefix + (last ? "    " : "│   "), path: path.union([canonical]))
                }
            }
            walk(root, prefix: "", path: [root.name])
        } else {
            var seen: Set<String> = [root.name]
            var queue = [root]
            var names: [String] = []
            while let formula = queue.popLast() {
                for child in kindOptions.names(of: formula) {
                    let canonical = lookup(child)?.name ?? child
                    guard seen.insert(canonical).inserted else { continue }
                    names.append(canonical)
                    if !direct, let next = lookup(child) { queue.append(next) }
                }
            }
            output = names.filter(keep).sorted().map { $0 + "\n" }.joined()
        }
        FileHandle.standardOutput.write(Data(output.utf8))
    }
}
