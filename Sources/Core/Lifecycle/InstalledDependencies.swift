/// Dependency questions answered from the receipts alone (`runtime_dependencies[].full_name`),
/// as `brew leaves`, `brew uninstall` and `brew autoremove` answer them.
extension PrefixInventory {
    /// Names needed at run time by the active keg of any formula in `formulae`.
    func requiredNames(by formulae: [InstalledFormula]) -> Set<String> {
        var names: Set<String> = []
        for formula in formulae {
            for dependency in formula.activeKeg?.runtimeDependencyNames ?? [] where dependency != formula.name {
                names.insert(dependency)
            }
        }
        return names
    }

    /// Installed formulae that no other installed formula needs and that were not explicitly
    /// installed as a dependency. A receipt without `installed_on_request` counts as on request,
    /// as it does for brew's autoremove, so `leaves` and `autoremove` agree: every keg is either
    /// a leaf, needed by something, or removable.
    package func leaves() -> [InstalledFormula] {
        let all = installed
        let required = requiredNames(by: all)
        return all.filter { !required.contains($0.name) && $0.intent != .dependency }
    }

    /// The installed formulae (other than those in `removing`) with a keg whose receipt lists one
    /// of `names` as a runtime dependency. Every keg of a dependent counts, not only its active
    /// one: an old keg that stays installed keeps working only while its dependencies do.
    package func dependents(of names: Set<String>, removing: Set<String> = []) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for formula in installed where !removing.contains(formula.name) && !names.contains(formula.name) {
            let needs = Set(formula.kegs.flatMap { $0.runtimeDependencyNames ?? [] })
            for name in needs.intersection(names) { result[name, default: []].append(formula.name) }
        }
        return result.mapValues { $0.sorted() }
    }

    /// What `autoremove` would uninstall, following brew's `Utils::Autoremove`: repeatedly, the
    /// formulae that no remaining formula needs, that were poured from a bottle (a keg built from
    /// source keeps itself; its build dependencies are unknown to pour and are not protected) and
    /// whose receipt says `installed_on_request: false` (a missing key is never removed).
    ///
    /// Throws `unknownDependencies` when a receipt does not record runtime dependencies: what
    /// that keg needs cannot be known offline, so nothing is declared unused.
    package func autoremoveCandidates() throws(LifecycleError) -> [InstalledFormula] {
        var remaining = installed
        let unknown = remaining.filter { $0.activeKeg?.runtimeDependencyNames == nil }.map(\.name)
        guard unknown.isEmpty else { throw LifecycleError.unknownDependencies(names: unknown) }
        var removable: [InstalledFormula] = []
        while true {
            let required = requiredNames(by: remaining)
            let unused = remaining.filter { formula in
                guard let keg = formula.activeKeg, keg.pouredFromBottle else { return false }
                return !required.contains(formula.name) && keg.intent == .dependency
            }
            if unused.isEmpty { break }
            let names = Set(unused.map(\.name))
            removable += unused
            remaining.removeAll { names.contains($0.name) }
        }
        return removable.sorted { $0.name < $1.name }
    }
}
