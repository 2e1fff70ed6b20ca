/// Keeps `installed_on_request` across an upgrade or reinstall, as brew does: the installer marks
/// every package it was asked for as requested, but upgrading a dependency must not turn it into
/// something `autoremove` would keep forever, nor the reverse.
///
/// A keg whose old receipt had no `installed_on_request` key keeps being treated as requested
/// (that is how `autoremove` and `leaves` read the missing key), so only `dependency` and
/// `on request` need writing back.
///
/// Thread-safety: an immutable value; safe to share across queues. `restore` blocks on the disk: call it off any I/O thread.
package struct RequestFlags: Sendable {
    /// Whether each installed formula was installed on request, by name.
    package let requested: [String: Bool]

    package init(inventory: PrefixInventory) {
        var map: [String: Bool] = [:]
        for formula in inventory.installed { map[formula.name] = formula.intent != .dependency }
        requested = map
    }

    /// Explicit flags by name (`pour bundle`: the Brewfile's formulae are wanted on request, the
    /// rest keep what the inventory says).
    package init(requested: [String: Bool]) { self.requested = requested }

    /// Rewrites the receipts of the freshly installed kegs whose flag differs from before.
    /// Returns the names whose receipts were changed. Needs the held prefix lock.
    package func restore(installed: [(name: String, pkgVersion: String)], layout: PrefixLayout,
                        lock: PrefixLock) throws(LifecycleError) -> [String] {
        try LifecycleLock.check(lock, layout: layout)
        var changed: [String] = []
        for (name, version) in installed {
            guard let wanted = requested[name] else { continue }  // new dependency: already right
            let keg = layout.keg(name, version)
            do {
                guard var receipt = try InstallReceipt.read(kegPath: keg), receipt.installedOnRequest != wanted else { continue }
                receipt.installedOnRequest = wanted
                receipt.installedAsDependency = !wanted
                try receipt.write(kegPath: keg, package: name)
                changed.append(name)
            } catch {
                throw LifecycleError.keg(error)
            }
        }
        return changed
    }
}
