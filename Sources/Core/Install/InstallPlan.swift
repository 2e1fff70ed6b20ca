/// What `Installer.install` would do for some names, computed without doing it
/// (`pour install --dry-run`): the resolved packages, their versions and bottle sizes, what is
/// already installed and what would be linked.
///
/// Thread-safety: an immutable value; safe to share across queues.
package struct InstallPlan: Sendable, Equatable {
    /// One package the install would pour, in install order (dependencies first).
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct Package: Sendable, Equatable {
        package var name: String
        package var pkgVersion: String
        /// Named by the user (else pulled in as a dependency).
        package var requested: Bool
        package var kegOnly: Bool
        /// The version in use now, when another one is installed (the install upgrades it).
        package var installedVersion: String?
        /// The bottle's compressed size from its OCI manifest; nil when the registry has no
        /// manifest (plain URLs) or it could not be fetched.
        package var bottleSize: Int64?
        /// The unpacked size the manifest announces (`sh.brew.tab`'s `installed_size`), if any.
        package var installedSize: Int64?
        /// A file with the bottle's final name is in the download cache (verified when written;
        /// the install re-hashes it before use).
        package var cached: Bool
        /// Whether the keg would be linked into the prefix (not keg-only, linking not turned off).
        package var wouldLink: Bool
        package var bottleURL: String
        /// Why the install would refuse this package, when it would (e.g. a pinned Cellar).
        package var problem: String?
    }

    /// A package already installed at the wanted version.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct Installed: Sendable, Equatable {
        package var name: String
        package var pkgVersion: String
        package var requested: Bool
    }

    package var packages: [Package]
    package var alreadyInstalled: [Installed]

    /// Bytes to download: the known sizes of bottles not in the cache.
    package var downloadBytes: Int64 { packages.filter { !$0.cached }.compactMap(\.bottleSize).reduce(0, +) }
    /// Bottles to download whose size is unknown (no manifest).
    package var unknownSizes: Int { packages.filter { !$0.cached && $0.bottleSize == nil }.count }
}
