/// Which of a Brewfile's formulae one `pour bundle` run hands to the installer.
///
/// brew bundle installs what is missing and, unless `--no-upgrade`, upgrades listed formulae that
/// are outdated, except pinned ones (`Library/Homebrew/bundle/brew.rb`:
/// `formula_installed_and_up_to_date?`, `upgradable_formulae` = outdated − pinned). pour gets the
/// same effect from a single install run: an install of a formula whose catalogue version is not
/// in the Cellar pours the new keg and switches its links from the old one (`KegActivation`), which
/// is what `pour upgrade` does too; an up-to-date one is reported as already installed. So every
/// listed formula is handed over except pinned installed ones and, with `--no-upgrade`, installed
/// ones (whatever their version).
///
/// Thread-safety: an immutable value; safe to share across queues.
package struct BundlePlan: Sendable, Equatable {
    /// Names for `Installer.install`, in Brewfile order.
    package var install: [String]
    /// Installed and pinned: left alone, as brew bundle does.
    package var pinned: [String]
    /// Installed and left at their version because of `--no-upgrade`.
    package var keptVersion: [String]

    package init(brewfile: Brewfile, inventory: PrefixInventory, noUpgrade: Bool) {
        install = []
        pinned = []
        keptVersion = []
        for formula in brewfile.formulae {
            guard let installed = inventory.formula(named: formula.name), !installed.kegs.isEmpty else {
                install.append(formula.name)
                continue
            }
            if installed.isPinned {
                pinned.append(formula.name)
            } else if noUpgrade {
                keptVersion.append(formula.name)
            } else {
                install.append(formula.name)
            }
        }
    }

    /// An entry the install could not take: its line, and why.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct Rejected: Sendable, Equatable {
        package var name: String
        package var line: Int
        package var error: ResolveError
    }

    /// Takes out of `install` every entry that would make the whole install fail to resolve (an
    /// unknown or disabled name, no bottle for this platform in its closure, …), so one bad line
    /// costs that line only, as with brew bundle, which installs entry by entry
    /// (`Library/Homebrew/bundle/installer.rb`). Each entry is resolved on its own against the
    /// catalogue already fetched (in memory; the install's single resolve follows).
    package mutating func reject(unresolvableIn catalog: FormulaCatalog, brewfile: Brewfile) -> [Rejected] {
        let resolver = DependencyResolver(catalog: catalog)
        var rejected: [Rejected] = []
        install = install.filter { name in
            do throws(ResolveError) {
                _ = try resolver.resolve([name])
                return true
            } catch {
                rejected.append(Rejected(name: name, line: brewfile.formulae.first { $0.name == name }?.line ?? 0, error: error))
                return false
            }
        }
        return rejected
    }
}
