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
            printTree(root: root, children: { kindOptions.names(of: $0).filter(keep) }, lookup: lookup)
            return
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

    /// The tree, printed iteratively (no recursion: a 5,000-deep chain must not overflow the
    /// stack) and streamed (memory linear in the graph, not in the output). A formula whose
    /// subtree was already printed is shown once more with " (PRUNED)" and not expanded again —
    /// brew's `deps --tree --prune` marker (`Library/Homebrew/cmd/deps.rb#recursive_deps_tree`);
    /// pour always prunes, since the unpruned tree of a 44-rung ladder has 2^44 lines. A
    /// dependency on a formula already on the current path is marked " (cycle)".
    private func printTree(root: Formula, children: (Formula) -> [String], lookup: (String) -> Formula?) {
        struct Frame {
            let children: [String]
            var next = 0
        }
        var out = BufferedOutput()
        out.line(root.name)
        var stack = [Frame(children: children(root))]
        var lastFlags: [Bool] = []  // for each printed ancestor below the root: was it its parent's last child
        var path: [String] = [root.name]
        var onPath: Set<String> = [root.name]
        var expanded: Set<String> = [root.name]
        while !stack.isEmpty {
            let top = stack.count - 1
            guard stack[top].next < stack[top].children.count else {
                stack.removeLast()
                if !lastFlags.isEmpty { lastFlags.removeLast() }
                onPath.remove(path.removeLast())
                continue
            }
            let child = stack[top].children[stack[top].next]
            stack[top].next += 1
            let last = stack[top].next == stack[top].children.count
            let canonical = lookup(child)?.name ?? child
            let cycle = onPath.contains(canonical)
            let grandchildren = !cycle && !direct ? lookup(child).map(children) ?? [] : []
            let repeated = !grandchildren.isEmpty && expanded.contains(canonical)
            var line = ""
            for ancestorWasLast in lastFlags { line += ancestorWasLast ? "    " : "│   " }
            line += (last ? "└── " : "├── ") + child + (cycle ? " (cycle)" : repeated ? " (PRUNED)" : "")
            out.line(line)
            guard !cycle, !repeated, !grandchildren.isEmpty else { continue }
            expanded.insert(canonical)
            stack.append(Frame(children: grandchildren))
            lastFlags.append(last)
            path.append(canonical)
            onPath.insert(canonical)
        }
        out.flush()
    }
}

/// Standard output in 64 KiB writes. Confinement: one command's thread.
private struct BufferedOutput {
    private var buffer = Data()

    mutating func line(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        buffer.append(0x0A)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        FileHandle.standardOutput.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
