extension Upgrader {
    /// One installed formula whose keg in use is not the catalogue's version.
    ///
    /// Plain value; safe to share across queues.
    public struct OutdatedFormula: Sendable, Hashable {
        public var name: String
        /// Every installed version, oldest first.
        public var installedVersions: [String]
        /// The version in use (opt, else linked, else newest) — the one compared.
        public var activeVersion: String
        /// The catalogue's pkg_version.
        public var currentVersion: String
        public var pinned: Bool
        public var pinnedVersion: String?
    }
}

package typealias OutdatedFormula = Upgrader.OutdatedFormula

/// `pour outdated`: compares each installed formula's keg in use with the catalogue.
///
/// Rule (brew's, for bottles): a formula is outdated when the pkg_version in use differs from
/// the catalogue's. No ordering is attempted, so `version_scheme` bumps and revisions (`1.2_1`)
/// are handled without parsing versions: any difference means the bottle on offer is not the one
/// installed. A keg of the catalogue's version that is installed but not in use still counts as
/// outdated (upgrading then just switches to it). Formulae from taps other than homebrew/core are
/// not served by the API and are skipped.
///
/// Thread-safety: a stateless namespace of constants and functions; use it from any thread.
package enum Outdated {
    /// The names whose metadata `evaluate` needs: every installed formula from homebrew/core.
    package static func candidates(_ inventory: PrefixInventory, names: [String] = []) throws(LifecycleError) -> [InstalledFormula] {
        if !names.isEmpty {
            var chosen: [InstalledFormula] = []
            for name in names { chosen.append(try inventory.resolve(name)) }
            return chosen
        }
        return inventory.installed.filter { formula in
            let tap = formula.activeKeg?.receipt?.source.tap
            return tap == nil || tap == "homebrew/core"
        }
    }

    /// Outdated formulae (pinned ones included, flagged) and names the catalogue lacks.
    package static func evaluate(_ formulae: [InstalledFormula], catalog: FormulaCatalog)
        -> (outdated: [OutdatedFormula], unavailable: [String]) {
        var outdated: [OutdatedFormula] = []
        var unavailable: [String] = []
        for formula in formulae {
            guard let active = formula.activeKeg else { continue }
            guard let current = catalog.formula(named: formula.name) else {
                unavailable.append(formula.name)
                continue
            }
            if current.pkgVersion != active.pkgVersion {
                outdated.append(OutdatedFormula(name: formula.name, installedVersions: formula.versions,
                                                activeVersion: active.pkgVersion, currentVersion: current.pkgVersion,
                                                pinned: formula.isPinned, pinnedVersion: formula.pinnedVersion))
            }
        }
        return (outdated, unavailable)
    }
}
