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
}
