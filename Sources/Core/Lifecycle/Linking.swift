/// `pour link` and `pour unlink` on installed formulae: picks the keg as brew does and runs
/// `KegLinker`, which journals every change and rolls back on a conflict.
///
/// Stateless value. Real (non-dry-run) calls need the held prefix lock; all calls block on the
/// disk.
package struct Linking: Sendable {
    package let layout: PrefixLayout

    package init(layout: PrefixLayout) { self.layout = layout }

    /// What `unlink` removed (or, in a dry run, would remove).
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct UnlinkResult: Sendable, Equatable {
        package var name: String
        package var pkgVersion: String?
        package var links: [String]
        package var dryRun: Bool
    }

    /// Links the selected keg of `formula` (the linked/opt/only one). Aliases come from its
    /// receipt. `link_overwrite` globs are unknown offline; `overwrite` replaces any conflicting
    /// file or link (never a directory).
    package func link(_ formula: InstalledFormula, inventory: PrefixInventory, overwrite: Bool, dryRun: Bool,
                     lock: PrefixLock?) throws(LifecycleError) -> LinkReport {
        if !dryRun {
            guard let lock else { throw LifecycleError.prefixBusy(.prefixLocked(path: layout.lockFile, pid: nil)) }
            try LifecycleLock.check(lock, layout: layout)
        }
        let keg = try inventory.selectedKeg(of: formula)
        do {
            return try KegLinker(layout: layout).link(name: keg.name, pkgVersion: keg.pkgVersion,
                                                      aliases: keg.receipt?.aliases ?? [], overwrite: overwrite,
                                                      dryRun: dryRun)
        } catch {
            throw LifecycleError.keg(error)
        }
    }

    /// Removes the prefix links and the `var/homebrew/linked` record of the linked keg; the opt
    /// link stays (as with `brew unlink`) so dependents keep working.
    package func unlink(_ formula: InstalledFormula, dryRun: Bool, lock: PrefixLock?) throws(LifecycleError) -> UnlinkResult {
        guard let version = formula.linkedVersion ?? linkedByScan(formula) else {
            return UnlinkResult(name: formula.name, pkgVersion: nil, links: [], dryRun: dryRun)
        }
        let keg = layout.keg(formula.name, version)
        if dryRun {
            let optNames = [formula.name] + (formula.kegs.first { $0.pkgVersion == version }?.receipt?.aliases ?? [])
            let optLinks = Set(optNames.map { layout.opt + "/" + $0 })
            let links = LinkScan.links(into: keg, layout: layout).filter {
                !optLinks.contains($0) && !PathComponents.isBelow($0, PrefixInventory.pinDirectory(layout))
            }
            return UnlinkResult(name: formula.name, pkgVersion: version, links: links, dryRun: true)
        }
        guard let lock else { throw LifecycleError.prefixBusy(.prefixLocked(path: layout.lockFile, pid: nil)) }
        try LifecycleLock.check(lock, layout: layout)
        do {
            let report = try KegLinker(layout: layout).unlink(name: formula.name, pkgVersion: version, keepOpt: true)
            return UnlinkResult(name: formula.name, pkgVersion: version, links: report.removedLinks, dryRun: false)
        } catch {
            throw LifecycleError.keg(error)
        }
    }

    /// A keg whose `var/homebrew/linked` record is missing may still have links in the prefix
    /// (a damaged prefix): unlink the version that has some, so `unlink` can clean it.
    private func linkedByScan(_ formula: InstalledFormula) -> String? {
        formula.kegs.reversed().first { keg in
            LinkScan.links(into: keg.path, layout: layout).contains { !PathComponents.isBelow($0, layout.opt) }
        }?.pkgVersion
    }
}
