import Foundation

/// `pour upgrade` and `pour reinstall`: both are an install of the catalogue's versions through
/// `Installer.install` — so downloads run in parallel and `KegActivation` switches each package's
/// links from the old keg to the new one atomically, with rollback — followed by restoring the
/// `installed_on_request` flags (`RequestFlags`). Old kegs stay until `pour cleanup`.
///
/// Pinned formulae are never changed: they are skipped (reported in the plan), and so is any
/// formula whose upgrade would also upgrade a pinned dependency.
///
/// Thread-safety: immutable; each call is an independent `UpgradeRun` confined to its own serial
/// queue.
public final class Upgrader: Sendable {
    public let installer: Installer

    public init(installer: Installer) { self.installer = installer }

    /// What one upgrade or reinstall is going to do.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    public struct Plan: Sendable, Equatable {
        /// Formulae to install, with the versions involved.
        public var packages: [Upgrader.OutdatedFormula] = []
        /// Formulae left alone because they are pinned (name, pinned version).
        public var pinned: [Upgrader.OutdatedFormula] = []
        /// Formulae left alone because upgrading them would upgrade this pinned dependency.
        public var blockedByPin: [String: String] = [:]
        /// Named formulae that are already current (upgrade only).
        public var upToDate: [String] = []
        /// Installed formulae the catalogue does not have.
        public var unavailable: [String] = []
    }

    /// What a finished run did.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    public struct Report: Sendable, Equatable {
        public var plan: Plan
        /// nil when nothing needed installing or the run was cancelled before installing.
        public var install: InstallReport?
        /// Receipts whose `installed_on_request` was written back.
        public var restoredFlags: [String] = []
        /// Why restoring the flags failed, if it did (the upgrade itself succeeded).
        public var flagProblem: String?
        public var cancelled: Bool
        public var succeeded: Bool { !cancelled && (install?.succeeded ?? true) && flagProblem == nil }
    }

    /// Which lifecycle command an upgrade run performs.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    public enum Mode: Sendable {
        /// Install the catalogue's version of outdated formulae (all of them when no names).
        case upgrade
        /// Install the named formulae again (`force`), at the catalogue's version.
        case reinstall
    }

    /// Runs an upgrade or reinstall of `names`.
    ///
    /// - Parameters:
    ///   - onPlan: the plan, once metadata is known and before anything is installed.
    ///   - events: the install's events.
    ///   - completion: exactly once, last. `.failure` only when nothing could be attempted
    ///     (unknown names, metadata, lock); per-package failures are in `report.install`.
    /// All callbacks run on `callbackQueue`, in order.
    @discardableResult
    public func run(_ mode: Mode, names: [String], callbackQueue: DispatchQueue,
                    onPlan: @escaping @Sendable (Plan) -> Void,
                    events: @escaping @Sendable (InstallEvent) -> Void,
                    completion: @escaping @Sendable (Result<Report, LifecycleError>) -> Void) -> InstallHandle {
        let run = UpgradeRun(installer: installer, mode: mode, names: names,
                             callbackQueue: DispatchQueue(label: "pour.upgrade.callbacks", target: callbackQueue),
                             onPlan: onPlan, events: events, completion: completion)
        run.start()
        return InstallHandle { run.cancel() }
    }

    /// The plan for `formulae` (already resolved against the inventory) given the catalogue.
    public static func plan(_ mode: Mode, formulae: [InstalledFormula], explicit: Bool, inventory: PrefixInventory,
                            catalog: Formula.FormulaCatalog) -> Plan {
        var plan = Plan()
        let evaluation = Outdated.evaluate(formulae, catalog: catalog)
        plan.unavailable = evaluation.unavailable
        var candidates: [OutdatedFormula]
        switch mode {
        case .upgrade:
            candidates = evaluation.outdated
            let outdatedNames = Set(candidates.map(\.name))
            if explicit {
                plan.upToDate = formulae.map(\.name).filter { !outdatedNames.contains($0) && !plan.unavailable.contains($0) }
            }
        case .reinstall:
            candidates = formulae.compactMap { formula in
                guard let active = formula.activeKeg, let current = catalog.formula(named: formula.name) else { return nil }
                return OutdatedFormula(name: formula.name, installedVersions: formula.versions, activeVersion: active.pkgVersion,
                                       currentVersion: current.pkgVersion, pinned: formula.isPinned,
                                       pinnedVersion: formula.pinnedVersion)
            }
        }
        // A pinned formula may be reinstalled at its own version, never moved to another.
        plan.pinned = candidates.filter { $0.pinned && $0.currentVersion != $0.pinnedVersion }
        candidates.removeAll { $0.pinned && $0.currentVersion != $0.pinnedVersion }

        // Pinned formulae whose catalogue version differs would be moved by any install needing them.
        let movingPins = Set(inventory.installed.filter { formula in
            guard let pinned = formula.pinnedVersion, let current = catalog.formula(named: formula.name) else { return false }
            return current.pkgVersion != pinned
        }.map(\.name))
        for candidate in candidates {
            if let pin = closure(of: candidate.name, catalog: catalog).first(where: movingPins.contains) {
                plan.blockedByPin[candidate.name] = pin
            }
        }
        plan.packages = candidates.filter { plan.blockedByPin[$0.name] == nil }
        return plan
    }

    /// Runtime dependencies of `name` in the catalogue, transitively (not including `name`).
    static func closure(of name: String, catalog: FormulaCatalog) -> [String] {
        var seen: Set<String> = []
        var order: [String] = []
        var stack = catalog.formula(named: name)?.installDependencies ?? []
        while let next = stack.popLast() {
            guard let formula = catalog.formula(named: next), seen.insert(formula.name).inserted else { continue }
            order.append(formula.name)
            stack += formula.installDependencies
        }
        return order
    }
}
