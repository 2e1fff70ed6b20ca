/// `pour uninstall` and the removal half of `pour autoremove`: unlink a keg with `KegLinker`
/// (prefix links, opt and linked records), then remove it from the Cellar atomically.
///
/// Stateless value. `plan` only reads; `perform` needs the held prefix lock. Both block on the
/// disk: call them off any I/O thread.
public struct Uninstaller: Sendable {
    public let layout: InstallConfiguration.PrefixLayout

    public init(layout: InstallConfiguration.PrefixLayout) { self.layout = layout }

    /// The kegs one uninstall will remove.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    public struct Plan: Sendable, Equatable {
        public var kegs: [InstalledFormula.InstalledKeg]
        /// Versions of the named formulae that stay installed (uninstall without `allVersions`).
        public var remaining: [String: [String]]
    }

    /// What was removed.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    public struct Report: Sendable, Equatable {
        public var removed: [InstalledFormula.InstalledKeg] = []
        public var removedLinks = 0
        public var bytesFreed: Int64 = 0
        public var remaining: [String: [String]] = [:]
    }

    /// Picks the kegs for `names`: the linked (else opt, else only) keg of each, or every keg
    /// with `allVersions`. Refuses while another installed formula needs one of them and no keg
    /// of it would stay, unless `ignoreDependencies`.
    public func plan(_ names: [String], inventory: PrefixInventory, allVersions: Bool,
                     ignoreDependencies: Bool) throws(LifecycleError) -> Plan {
        var kegs: [InstalledKeg] = []
        var remaining: [String: [String]] = [:]
        var emptied: Set<String> = []
        for query in names {
            let formula = try inventory.resolve(query)
            let chosen = allVersions ? formula.kegs : [try inventory.selectedKeg(of: formula)]
            for keg in chosen where !kegs.contains(keg) { kegs.append(keg) }
            let left = formula.kegs.filter { keg in !kegs.contains(keg) }.map(\.pkgVersion)
            if left.isEmpty { emptied.insert(formula.name) } else { remaining[formula.name] = left }
        }
        if !ignoreDependencies {
            let dependents = inventory.dependents(of: emptied, removing: emptied)
            if let (name, users) = dependents.sorted(by: { $0.key < $1.key }).first {
                throw LifecycleError.requiredBy(name: name, dependents: users)
            }
        }
        return Plan(kegs: kegs, remaining: remaining)
    }

    /// Unlinks and removes every keg of `plan`, then empty racks and their pins.
    package func perform(_ plan: Plan, lock: PrefixLock) throws(LifecycleError) -> Report {
        try LifecycleLock.check(lock, layout: layout)
        var report = Report(remaining: plan.remaining)
        let linker = KegLinker(layout: layout)
        for keg in plan.kegs {
            guard PosixFS.kind(keg.path) == .directory else { continue }
            do {
                let unlinked = try linker.unlink(name: keg.name, pkgVersion: keg.pkgVersion, keepOpt: false,
                                                 aliases: keg.receipt?.aliases)
                report.removedLinks += unlinked.removedLinks.count
            } catch {
                throw LifecycleError.keg(error)
            }
            report.bytesFreed += try KegRemoval.remove(keg.path, layout: layout)
            report.removed.append(keg)
            Pins(layout: layout).removeIfPointing(at: keg)
            KegRemoval.pruneRack(keg.name, layout: layout)
        }
        return report
    }
}
