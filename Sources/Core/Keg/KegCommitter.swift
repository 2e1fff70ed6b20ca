#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Moves a fully prepared keg from staging into the Cellar with one `rename(2)`, so the Cellar
/// never holds a half-extracted keg: either the old state or the complete new keg is visible.
///
/// Staging (`<prefix>/var/homebrew/tmp/.pour-staging`) is on the Cellar's filesystem, which is
/// what makes the rename atomic. Stateless value; safe to use from any queue, but two commits of
/// the same keg must be serialised by the caller (the prefix lock does that).
package struct KegCommitter: Sendable {
    package let layout: PrefixLayout
    /// Root of the staging area; staged kegs live at `<stagingRoot>/<name>/<pkgVersion>`.
    package let stagingRoot: String

    /// `rename(2)`; replaceable only so tests can make the second rename fail.
    let move: @Sendable (String, String) -> Int32

    package init(layout: PrefixLayout, stagingRoot: String? = nil) {
        self.init(layout: layout, stagingRoot: stagingRoot, move: { rename($0, $1) })
    }

    init(layout: PrefixLayout, stagingRoot: String?, move: @escaping @Sendable (String, String) -> Int32) {
        self.layout = layout
        self.stagingRoot = stagingRoot ?? layout.staging
        self.move = move
    }

    /// Makes the commits of `names` durable: one fsync per rack directory; after the first, the
    /// journal transaction holding every rename is already on disk, so the rest are cheap.
    package func syncRacks(_ names: [String]) {
        for name in Set(names) { PosixFS.syncPath(layout.cellar + "/" + name) }
    }

    /// Where extraction must build the keg for `commit` to find it.
    package func stagedKegPath(name: String, pkgVersion: String) -> String {
        "\(stagingRoot)/\(name)/\(pkgVersion)"
    }

    /// Commits the staged keg of `name` `pkgVersion` into the Cellar and returns the keg path.
    ///
    /// An existing keg at the destination (a forced reinstall) is first renamed aside into the
    /// staging area, the new keg renamed in, and only then the old one deleted; if the second
    /// rename fails the old keg is put back. Nothing is left in staging on success.
    ///
    /// - Parameter durable: fsync the rack directory after the rename (default). A caller that
    ///   commits several kegs at once passes false and calls `syncRacks` once for all of them, so
    ///   the filesystem journal commits once instead of once per keg.
    @discardableResult
    package func commit(name: String, pkgVersion: String, durable: Bool = true) throws(KegError) -> String {
        let staged = stagedKegPath(name: name, pkgVersion: pkgVersion)
        let rack = layout.cellar + "/" + name
        let keg = rack + "/" + pkgVersion
        guard PosixFS.kind(staged) == .directory else {
            throw KegError.stagedKegMissing(package: name, path: staged)
        }
        let createdDirs: [String]
        do { createdDirs = try PosixFS.makeDirectories(rack) } catch {
            throw KegError.commitFailed(package: name, from: staged, to: keg, errno: Self.code(of: error))
        }

        var aside: String?
        if PosixFS.kind(keg) != .missing {
            let path = "\(stagingRoot)/.replaced-\(name)-\(pkgVersion)-\(getpid())"
            PosixFS.removeTree(path)  // a leftover from a crashed earlier run
            guard move(keg, path) == 0 else {
                throw KegError.commitFailed(package: name, from: keg, to: path, errno: errno)
            }
            aside = path
        }

        guard move(staged, keg) == 0 else {
            let code = errno
            if let aside { _ = move(aside, keg) }
            for dir in createdDirs.reversed() { rmdir(dir) }
            throw KegError.commitFailed(package: name, from: staged, to: keg, errno: code)
        }

        // Make the rename durable before links refer to the new keg. One fsync per package: the
        // rack directory holding the new entry. (A new rack's own entry in the Cellar is left to
        // writeback: if power fails first, the keg is absent, which is consistent. File contents
        // are not fsynced one by one — see Docs/Design.md, "Durability".)
        if durable { PosixFS.syncPath(rack) }

        if let aside { PosixFS.removeTree(aside) }
        rmdir(stagingRoot + "/" + name)  // only succeeds when empty, which is what we want
        return keg
    }

    private static func code(of error: KegError) -> Int32 {
        switch error {
        case let .filesystem(_, _, _, code): return code
        case .permissionDenied: return EACCES
        default: return EIO
        }
    }
}
