/// `pour bundle dump`: the installed-on-request formulae as Brewfile lines, as brew writes them
/// (`Library/Homebrew/bundle/brew.rb`, `dump` and `sort!`; `bundle/dumper.rb`).
///
/// - Selection: kegs whose receipt does not say `installed_on_request: false` (brew's
///   `installed_on_request != false`, so receipts without the key count as requested).
/// - Order: by name, then dependencies before dependents (brew's topological `sort!`), using the
///   receipts' runtime dependencies.
/// - `link: false` when the formula is not linked and not keg-only; `link: true` when a keg-only
///   one is linked (brew's `formula_to_hash`). Keg-only comes from the local index when there is
///   one; without it an unlinked formula is written `link: false` (harmless for a keg-only one,
///   which is not linked anyway) and a linked one without annotation.
/// - Not written: `args:` (bottles have none), `restart_service:` (pour manages no services),
///   `tap` lines (pour serves homebrew/core only, which brew does not dump).
///
/// Thread-safety: a stateless namespace; call it from any thread.
package enum BrewfileDump {
    package static func render(_ inventory: PrefixInventory, kegOnly: (String) -> Bool?) -> String {
        let requested = inventory.installed.filter { $0.intent != .dependency }.sorted { $0.name < $1.name }
        let byName = Dictionary(requested.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var ordered: [InstalledFormula] = []
        var visited: Set<String> = []
        // Depth-first post-order over requested formulae only; the explicit stack keeps a long
        // chain off the call stack, and `visited` breaks cycles stale receipts could form.
        for root in requested where !visited.contains(root.name) {
            var stack: [(formula: InstalledFormula, expanded: Bool)] = [(root, false)]
            while let (formula, expanded) = stack.popLast() {
                if expanded {
                    ordered.append(formula)
                    continue
                }
                guard visited.insert(formula.name).inserted else { continue }
                stack.append((formula, true))
                let dependencies = (formula.activeKeg?.runtimeDependencyNames ?? []).sorted().reversed()
                for name in dependencies {
                    if let dependency = byName[name], !visited.contains(name) { stack.append((dependency, false)) }
                }
            }
        }
        var lines: [String] = []
        for formula in ordered {
            var line = "brew \"\(formula.name)\""
            let linked = formula.linkedVersion != nil
            switch (linked, kegOnly(formula.name)) {
            case (false, true?): break
            case (false, _): line += ", link: false"
            case (true, true?): line += ", link: true"
            case (true, _): break
            }
            lines.append(line)
        }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }
}
