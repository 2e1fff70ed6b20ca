/// One formula in an install plan.
///
/// Immutable value; safe to share across queues.
package struct ResolvedFormula: Hashable, Sendable {
    package let formula: Formula
    /// True when the user named it (directly, by alias or old name); false when it was pulled
    /// in only as a dependency. Becomes the receipt's `installed_on_request`.
    package let requested: Bool
    /// Direct runtime dependencies, as canonical names (aliases and old names resolved), in
    /// declaration order. Becomes the receipt's `declared_directly` set.
    package let dependencies: [String]

    package var name: String { formula.name }

    package init(formula: Formula, requested: Bool, dependencies: [String]) {
        self.formula = formula
        self.requested = requested
        self.dependencies = dependencies
    }
}

/// Computes the runtime dependency closure of the formulae a user asked for.
///
/// The order is a depth-first post-order: every formula comes after all of its runtime
/// dependencies; among independent formulae, earlier requests and earlier-declared
/// dependencies come first. The walk is iterative, so a pathological dependency chain cannot
/// overflow a dispatch queue's small stack.
///
/// Immutable value; the lookup closures must be safe to call from any queue (the catalogue one is).
package struct DependencyResolver: Sendable {
    package let tag: BottleTag
    private let lookup: @Sendable (String) -> Formula?
    private let suggestions: @Sendable (String) -> [String]

    /// Resolves against a catalogue: names, full names, aliases and old names all work.
    package init(catalog: FormulaCatalog) {
        self.tag = catalog.tag
        self.lookup = { catalog.formula(named: $0) }
        self.suggestions = { catalog.closeMatches(for: $0) }
    }

    /// Resolves through arbitrary lookups (tests, or a catalogue assembled another way).
    /// `lookup` must map any accepted spelling to the formula with its canonical `name`.
    package init(tag: BottleTag, lookup: @escaping @Sendable (String) -> Formula?,
                suggestions: @escaping @Sendable (String) -> [String] = { _ in [] }) {
        self.tag = tag
        self.lookup = lookup
        self.suggestions = suggestions
    }

    /// The install plan for `requested`: requested formulae and all their runtime dependencies,
    /// each exactly once, dependencies first.
    ///
    /// Throws `.unknownFormula` for an unknown requested name, `.disabledFormula` for a disabled
    /// requested formula, `.missingDependency`, `.dependencyCycle`, and `.noBottle` when any
    /// formula of the plan has no bottle for `tag`.
    package func resolve(_ requested: [String]) throws(ResolveError) -> [ResolvedFormula] {
        var roots: [Formula] = []
        var requestedNames = Set<String>()
        for query in requested {
            guard let formula = lookup(query) else {
                throw .unknownFormula(name: query, suggestions: suggestions(query))
            }
            guard !formula.disabled else { throw .disabledFormula(name: formula.name) }
            if requestedNames.insert(formula.name).inserted { roots.append(formula) }
        }
        let walk = try walk(from: roots, requireBottles: true)
        return walk.map { ResolvedFormula(formula: $0.formula, requested: requestedNames.contains($0.formula.name),
                                          dependencies: $0.dependencies) }
    }

    /// The full transitive runtime closure of one formula (not including itself), dependencies
    /// first, as catalogue formulae with canonical names: what a receipt lists as
    /// `runtime_dependencies`. Bottles are not required here; only the graph matters.
    package func runtimeClosure(of name: String) throws(ResolveError) -> [Formula] {
        guard let root = lookup(name) else {
            throw .unknownFormula(name: name, suggestions: suggestions(name))
        }
        return try runtimeClosure(of: root)
    }

    /// As `runtimeClosure(of:)` for a formula already in hand (its dependencies are looked up).
    package func runtimeClosure(of formula: Formula) throws(ResolveError) -> [Formula] {
        try walk(from: [formula], requireBottles: false).map(\.formula).filter { $0.name != formula.name }
    }

    // MARK: Walk

    private struct Node {
        let formula: Formula
        let dependencies: [String]
    }

    private struct Frame {
        let formula: Formula
        /// Canonical names of the direct runtime dependencies.
        let dependencies: [Formula]
        var next = 0
    }

    private func walk(from roots: [Formula], requireBottles: Bool) throws(ResolveError) -> [Node] {
        enum Mark { case inProgress, done }
        var marks: [String: Mark] = [:]
        var order: [Node] = []

        for root in roots where marks[root.name] == nil {
            try checkBottle(root, requiredBy: nil, requireBottles: requireBottles)
            var stack = [Frame(formula: root, dependencies: try directDependencies(of: root))]
            marks[root.name] = .inProgress
            while !stack.isEmpty {
                let top = stack.count - 1
                if stack[top].next < stack[top].dependencies.count {
                    let dependency = stack[top].dependencies[stack[top].next]
                    stack[top].next += 1
                    switch marks[dependency.name] {
                    case .done?:
                        continue
                    case .inProgress?:
                        let start = stack.firstIndex { $0.formula.name == dependency.name } ?? 0
                        throw .dependencyCycle(path: stack[start...].map(\.formula.name) + [dependency.name])
                    case nil:
                        try checkBottle(dependency, requiredBy: stack[top].formula.name, requireBottles: requireBottles)
                        marks[dependency.name] = .inProgress
                        stack.append(Frame(formula: dependency, dependencies: try directDependencies(of: dependency)))
                    }
                } else {
                    let finished = stack.removeLast()
                    marks[finished.formula.name] = .done
                    order.append(Node(formula: finished.formula, dependencies: finished.dependencies.map(\.name)))
                }
            }
        }
        return order
    }

    /// Looks up each dependency an install pulls in (runtime, then recommended: `Formula.installDependencies`);
    /// repeats (say, a name and its alias) collapse.
    private func directDependencies(of formula: Formula) throws(ResolveError) -> [Formula] {
        var seen = Set<String>()
        var result: [Formula] = []
        for name in formula.installDependencies {
            guard let dependency = lookup(name) else {
                throw .missingDependency(formula: formula.name, dependency: name)
            }
            if seen.insert(dependency.name).inserted { result.append(dependency) }
        }
        return result
    }

    private func checkBottle(_ formula: Formula, requiredBy: String?, requireBottles: Bool) throws(ResolveError) {
        guard requireBottles, formula.bottle == nil else { return }
        throw .noBottle(formula: formula.name, tag: tag.rawValue, requiredBy: requiredBy)
    }
}
