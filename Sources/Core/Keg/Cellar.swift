/// What is installed, read from the prefix on every call: the Cellar directories, the receipts
/// in them and the `opt`/`var/homebrew/linked` symlinks. There is deliberately no second record
/// (no database) that could disagree with what brew sees.
///
/// Immutable value; safe to share across queues (each call reads the disk afresh).
package struct Cellar: Sendable {
    package let layout: PrefixLayout

    package init(layout: PrefixLayout) { self.layout = layout }

    /// One `Cellar/<name>/<pkgVersion>` directory.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct Keg: Hashable, Sendable {
        package var name: String
        package var pkgVersion: String
        package var path: String
        /// A keg without a receipt is a leftover of an interrupted install, not an installation.
        package var hasReceipt: Bool
    }

    /// Formula names with a rack (`Cellar/<name>`), sorted.
    package func rackNames() -> [String] {
        (PosixFS.children(layout.cellar) ?? [])
            .filter { !$0.hasPrefix(".") && PosixFS.kind(layout.cellar + "/" + $0) == .directory }
            .sorted()
    }

    /// The kegs of `name`, sorted by directory name.
    package func kegs(name: String) -> [Keg] {
        let rack = layout.cellar + "/" + name
        return (PosixFS.children(rack) ?? []).filter { !$0.hasPrefix(".") }.sorted().compactMap { version in
            let path = rack + "/" + version
            guard PosixFS.kind(path) == .directory else { return nil }
            let receipt = PosixFS.kind(path + "/" + InstallReceipt.fileName) == .file
            return Keg(name: name, pkgVersion: version, path: path, hasReceipt: receipt)
        }
    }

    /// Every installed keg (with a receipt) in the Cellar.
    package func installedKegs() -> [Keg] {
        rackNames().flatMap { kegs(name: $0) }.filter(\.hasReceipt)
    }

    /// True when the keg directory exists and holds an INSTALL_RECEIPT.json — the receipt is
    /// written last, so its presence means the install finished.
    package func isInstalled(name: String, pkgVersion: String) -> Bool {
        let keg = layout.keg(name, pkgVersion)
        return PosixFS.kind(keg) == .directory && PosixFS.kind(keg + "/" + InstallReceipt.fileName) == .file
    }

    /// True when any keg of `name` is installed.
    package func isInstalled(name: String) -> Bool { kegs(name: name).contains(where: \.hasReceipt) }

    /// The pkg_version `var/homebrew/linked/<name>` points at, if it points into this rack.
    package func linkedVersion(of name: String) -> String? {
        version(fromLink: layout.linkedKegs + "/" + name, name: name)
    }

    /// The pkg_version `opt/<name>` points at, if it points into this rack.
    package func optVersion(of name: String) -> String? {
        version(fromLink: layout.opt + "/" + name, name: name)
    }

    /// The keg in use: the linked one, else the opt one (keg-only formulae have only opt).
    package func activeVersion(of name: String) -> String? { linkedVersion(of: name) ?? optVersion(of: name) }

    /// The receipt of one keg; nil when the keg or its receipt is missing.
    package func receipt(name: String, pkgVersion: String) throws(KegError) -> InstallReceipt? {
        try InstallReceipt.read(kegPath: layout.keg(name, pkgVersion))
    }

    private func version(fromLink link: String, name: String) -> String? {
        guard let target = PosixFS.resolvedLink(link) else { return nil }
        // On bytes (`PathComponents.relative`), as the rest of the containment checks.
        let rack = PosixFS.normalize(layout.cellar + "/" + name)
        guard let version = PathComponents.relative(target, below: rack).map(String.init) else { return nil }
        guard !version.isEmpty, !PathComponents.hasSlash(version), PosixFS.kind(target) == .directory else { return nil }
        return version
    }
}
