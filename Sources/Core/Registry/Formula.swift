/// One formula as pour needs it, already specialised for a bottle tag: `variations[tag]` merged
/// onto the top level, `uses_from_macos` folded into the runtime dependencies on Linux and the
/// keg-only Linux exception applied.
///
/// Immutable value; safe to share across queues.
public struct Formula: Hashable, Sendable {
    public var name: String
    public var fullName: String
    public var tap: String
    public var aliases: [String]
    public var oldnames: [String]
    public var desc: String?
    public var homepage: String?
    public var license: String?
    /// `versions.stable`.
    public var version: String
    public var revision: Int
    public var versionScheme: Int
    /// Runtime dependencies for the tag (dependencies + runtime `uses_from_macos` on Linux), in
    /// declaration order, without duplicates.
    public var dependencies: [String]
    public var buildDependencies: [String]
    public var testDependencies: [String]
    public var recommendedDependencies: [String]
    public var optionalDependencies: [String]
    /// The bottle for the tag (after the `all`/older-macOS fallback), or nil when none exists.
    package var bottle: Bottle?
    public var kegOnly: Bool
    public var kegOnlyReason: String?
    public var caveats: String?
    public var conflictsWith: [String]
    public var linkOverwrite: [String]
    public var deprecated: Bool
    public var disabled: Bool
    public var postInstallDefined: Bool

    /// What an install of the bottle pulls in: the runtime dependencies, then the recommended ones
    /// (brew installs those by default — they are left out only with `--without-…`, which a
    /// bottle cannot have; `dependency.rb`, `formula_installer.rb#expand_dependencies`), without
    /// duplicates. Build, test and optional dependencies never.
    package var installDependencies: [String] {
        var seen = Set<String>()
        return (dependencies + recommendedDependencies).filter { seen.insert($0).inserted }
    }

    /// `version` plus `_N` when `revision` N > 0: the keg directory name.
    public var pkgVersion: String { revision > 0 ? "\(version)_\(revision)" : version }

    package init(name: String, fullName: String? = nil, tap: String = "homebrew/core",
                aliases: [String] = [], oldnames: [String] = [], desc: String? = nil,
                homepage: String? = nil, license: String? = nil, version: String,
                revision: Int = 0, versionScheme: Int = 0, dependencies: [String] = [],
                buildDependencies: [String] = [], testDependencies: [String] = [],
                recommendedDependencies: [String] = [], optionalDependencies: [String] = [],
                bottle: Bottle? = nil, kegOnly: Bool = false, kegOnlyReason: String? = nil,
                caveats: String? = nil, conflictsWith: [String] = [], linkOverwrite: [String] = [],
                deprecated: Bool = false, disabled: Bool = false, postInstallDefined: Bool = false) {
        self.name = name
        self.fullName = fullName ?? name
        self.tap = tap
        self.aliases = aliases
        self.oldnames = oldnames
        self.desc = desc
        self.homepage = homepage
        self.license = license
        self.version = version
        self.revision = revision
        self.versionScheme = versionScheme
        self.dependencies = dependencies
        self.buildDependencies = buildDependencies
        self.testDependencies = testDependencies
        self.recommendedDependencies = recommendedDependencies
        self.optionalDependencies = optionalDependencies
        self.bottle = bottle
        self.kegOnly = kegOnly
        self.kegOnlyReason = kegOnlyReason
        self.caveats = caveats
        self.conflictsWith = conflictsWith
        self.linkOverwrite = linkOverwrite
        self.deprecated = deprecated
        self.disabled = disabled
        self.postInstallDefined = postInstallDefined
    }
}

/// The bottle file chosen for one formula and tag.
///
/// Thread-safety: an immutable value; safe to share across queues.
package struct Bottle: Hashable, Sendable {
    /// The tag whose file was chosen (may be `all` or an older macOS than the running one).
    package var tag: BottleTag
    /// Download URL as published (`<root_url>/<image>/blobs/sha256:<sha256>`).
    package var url: String
    /// Lower-case hex SHA-256 of the bottle file.
    package var sha256: String
    package var cellar: CellarKind
    package var rebuild: Int
    package var rootURL: String

    package init(tag: BottleTag, url: String, sha256: String, cellar: CellarKind, rebuild: Int = 0, rootURL: String) {
        self.tag = tag
        self.url = url
        self.sha256 = sha256
        self.cellar = cellar
        self.rebuild = rebuild
        self.rootURL = rootURL
    }
}

/// The `cellar` value of a bottle file.
///
/// Thread-safety: an immutable value; safe to share across queues.
package enum CellarKind: Hashable, Sendable {
    /// `:any` — placeholders in text files and binaries; both are relocated.
    case any
    /// `:any_skip_relocation` — text replacement only; on Linux binaries are still relocated
    /// unless the bottle's tab says brew ≥ 5.1.15 built it (see `RelocationPlan`).
    case anySkipRelocation
    /// An absolute Cellar path the bottle was built for; pourable only into exactly that Cellar.
    case pinned(String)

    package init(jsonValue: String) {
        switch jsonValue {
        case ":any", "any": self = .any
        case ":any_skip_relocation", "any_skip_relocation": self = .anySkipRelocation
        default: self = .pinned(jsonValue)
        }
    }

    package var jsonValue: String {
        switch self {
        case .any: return ":any"
        case .anySkipRelocation: return ":any_skip_relocation"
        case .pinned(let path): return path
        }
    }
}
