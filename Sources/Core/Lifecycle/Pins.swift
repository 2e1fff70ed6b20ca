/// Pins, stored as brew stores them: `var/homebrew/pinned/<name>` is a symlink to
/// `../../../Cellar/<name>/<version>`. A pinned formula is left alone by `upgrade` and
/// `cleanup`; brew reads the same links.
///
/// Stateless value; pin and unpin need the held prefix lock.
package struct Pins: Sendable {
    package let layout: PrefixLayout

    package init(layout: PrefixLayout) { self.layout = layout }

    private func pinPath(_ name: String) -> String { PrefixInventory.pinDirectory(layout) + "/" + name }

    /// Pins the keg in use (opt, else linked, else newest) and returns its version. Pinning again
    /// moves the pin to the keg in use.
    @discardableResult
    package func pin(_ formula: InstalledFormula, lock: PrefixLock) throws(LifecycleError) -> String {
        try LifecycleLock.check(lock, layout: layout)
        guard let keg = formula.activeKeg else { throw LifecycleError.notInstalled(name: formula.name) }
        let path = pinPath(formula.name)
        do {
            _ = try StatePaths.directory(PosixFS.parent(path), layout: layout)
        } catch {
            throw LifecycleError.keg(KegError.contained("create pin directory", error, package: formula.name))
        }
        if PosixFS.kind(path) == .symlink, posixUnlink(path) != 0 {
            throw LifecycleError.filesystem(operation: "replace pin", path: path, errno: errno)
        }
        let target = "../../../Cellar/\(formula.name)/\(keg.pkgVersion)"
        guard symlink(target, path) == 0 else {
            throw LifecycleError.filesystem(operation: "create pin", path: path, errno: errno)
        }
        return keg.pkgVersion
    }

    /// Removes the pin; returns false when `name` was not pinned.
    @discardableResult
    package func unpin(_ name: String, lock: PrefixLock) throws(LifecycleError) -> Bool {
        try LifecycleLock.check(lock, layout: layout)
        // A name is one path component; anything else could reach outside the pin directory.
        guard !name.isEmpty, !PathComponents.hasSlash(name), !name.hasPrefix(".") else { throw LifecycleError.notInstalled(name: name) }
        let path = pinPath(name)
        guard PosixFS.kind(path) == .symlink else { return false }
        guard posixUnlink(path) == 0 else {
            throw LifecycleError.filesystem(operation: "remove pin", path: path, errno: errno)
        }
        rmdirIfEmpty(PosixFS.parent(path))
        return true
    }

    /// After a keg is removed: a pin on it (or on a rack that is now gone) goes too, as brew's
    /// uninstall does.
    func removeIfPointing(at keg: InstalledKeg) {
        let path = pinPath(keg.name)
        guard let target = PosixFS.resolvedLink(path) else { return }
        if PosixFS.samePath(target, PosixFS.normalize(keg.path)) || !PosixFS.existsFollowingLinks(path) {
            _ = posixUnlink(path)
            rmdirIfEmpty(PosixFS.parent(path))
        }
    }

    private func rmdirIfEmpty(_ directory: String) {
        if (PosixFS.children(directory) ?? ["?"]).isEmpty { rmdir(directory) }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
