import PourCore

/// The description of one formula the generator turns into API JSON and a bottle. Tests build
/// any dependency graph by listing specs.
///
/// Immutable value; safe to share across queues.
package struct FormulaSpec: Hashable, Sendable {
    /// Which compiled ELF pair (a shared library and a program linked against it) the bottle holds.
    package enum ELFVariant: String, Hashable, Sendable, Codable {
        /// RUNPATH `$ORIGIN/../lib`, system interpreter: runs from wherever it is extracted.
        case relocatable
        /// RUNPATH `@@HOMEBREW_PREFIX@@/lib`, interpreter `@@HOMEBREW_PREFIX@@/lib/ld.so`: runs only
        /// after relocation. Pair it with the `:any` cellar.
        case placeholder
    }

    /// One `uses_from_macos` entry: a bare name, or a name restricted to build/test use.
    package struct UsesFromMacos: Hashable, Sendable {
        package var name: String
        /// nil for a runtime use; "build" or "test" otherwise.
        package var tag: String?
        /// `uses_from_macos_bounds` entry, e.g. `["since": "sonoma"]`; empty for none.
        package var bounds: [String: String]

        package init(_ name: String, tag: String? = nil, bounds: [String: String] = [:]) {
            self.name = name
            self.tag = tag
            self.bounds = bounds
        }
    }

    package var name: String
    package var version: String
    package var revision: Int
    package var dependencies: [String]
    package var buildDependencies: [String]
    /// `depends_on "x" => :recommended`: installed by default with a bottle.
    package var recommendedDependencies: [String] = []
    /// `depends_on "x" => :optional`: never installed with a bottle.
    package var optionalDependencies: [String] = []
    package var usesFromMacos: [UsesFromMacos]
    package var kegOnly: Bool
    /// `keg_only_reason.reason`, e.g. `:versioned_formula` or `:provided_by_macos`.
    package var kegOnlyReason: String?
    package var aliases: [String]
    package var oldnames: [String]
    /// Overlay per bottle tag, merged by clients onto the top level (`variations` in the API),
    /// e.g. `["x86_64_linux": ["dependencies": ["zlib"]]]`.
    package var variations: [String: [String: JSONValue]]
    package var cellar: CellarKind
    /// Approximate size of the compressed bottle in bytes; payload files are added until the
    /// gzip stream reaches it.
    package var targetCompressedSize: Int
    package var elf: ELFVariant?
    /// Bottle tags published for this formula.
    package var tags: [String]
    package var caveats: String?
    package var desc: String?
    package var linkOverwrite: [String]
    package var conflictsWith: [String]
    /// Files shipped under `.bottle/etc/` (path relative to etc → contents), which installers copy
    /// into `<prefix>/etc` (or beside an existing different file as `*.default`).
    package var etcFiles: [String: String]
    /// Ruby methods (`post_install` and its helpers) added to `.brew/<name>.rb`; when set, the
    /// formula's JSON says `post_install_defined: true`.
    package var postInstall: String? = nil
    /// Extra text files in the keg, by path relative to it (e.g. `share/<name>/cacert.pem`).
    package var kegFiles: [String: String] = [:]

    /// `version` plus `_N` when `revision` N > 0.
    package var pkgVersion: String { revision > 0 ? "\(version)_\(revision)" : version }

    /// The ghcr image name: `@` becomes `/` and `+` becomes `x`.
    package var image: String {
        name.replacingOccurrences(of: "@", with: "/").replacingOccurrences(of: "+", with: "x")
    }

    package init(name: String, version: String = "1.0.0", revision: Int = 0,
                dependencies: [String] = [], buildDependencies: [String] = [],
                usesFromMacos: [UsesFromMacos] = [], kegOnly: Bool = false,
                kegOnlyReason: String? = nil, aliases: [String] = [], oldnames: [String] = [],
                variations: [String: [String: JSONValue]] = [:],
                cellar: CellarKind = .anySkipRelocation, targetCompressedSize: Int = 64 * 1024,
                elf: ELFVariant? = nil, tags: [String] = ["x86_64_linux", "arm64_linux"],
                caveats: String? = nil, desc: String? = nil, linkOverwrite: [String] = [],
                conflictsWith: [String] = [], etcFiles: [String: String] = [:]) {
        self.name = name
        self.version = version
        self.revision = revision
        self.dependencies = dependencies
        self.buildDependencies = buildDependencies
        self.usesFromMacos = usesFromMacos
        self.kegOnly = kegOnly
        self.kegOnlyReason = kegOnlyReason
        self.aliases = aliases
        self.oldnames = oldnames
        self.variations = variations
        self.cellar = cellar
        self.targetCompressedSize = targetCompressedSize
        self.elf = elf
        self.tags = tags
        self.caveats = caveats
        self.desc = desc
        self.linkOverwrite = linkOverwrite
        self.conflictsWith = conflictsWith
        self.etcFiles = etcFiles
    }
}
