/// The on-disk layout of the formula index, versioned with `PRAGMA user_version`.
///
/// One file per bottle tag, `<cache>/api/pour-index.<tag>.sqlite`, holding every formula already
/// specialised for that tag (variations merged, Linux keg-only exception applied), so readers do
/// no JSON work at all. List-valued columns hold names joined by "\n" (formula names never
/// contain a newline). A reader that finds another `user_version` treats the file as absent.
enum IndexSchema {
    /// Bump whenever a table or column changes meaning.
    static let version = 1

    /// Relation of a `names` row to its formula; lower values win when two formulae claim a name.
    enum NameKind: Int {
        case name = 0, fullName = 1, alias = 2, oldname = 3
    }

    /// Which list a `deps` row comes from.
    enum DependencyKind: Int, CaseIterable, Sendable {
        case runtime = 0, build = 1, test = 2, recommended = 3, optional = 4

        var label: String {
            switch self {
            case .runtime: return "runtime"
            case .build: return "build"
            case .test: return "test"
            case .recommended: return "recommended"
            case .optional: return "optional"
            }
        }
    }

    static let create = """
        CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
        CREATE TABLE formulae(
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            full_name TEXT NOT NULL, tap TEXT NOT NULL,
            aliases TEXT NOT NULL, oldnames TEXT NOT NULL,
            version TEXT NOT NULL, revision INTEGER NOT NULL, version_scheme INTEGER NOT NULL,
            pkg_version TEXT NOT NULL,
            desc TEXT, homepage TEXT, license TEXT,
            deprecated INTEGER NOT NULL, disabled INTEGER NOT NULL,
            keg_only INTEGER NOT NULL, keg_only_reason TEXT, caveats TEXT,
            post_install_defined INTEGER NOT NULL,
            conflicts_with TEXT NOT NULL, link_overwrite TEXT NOT NULL,
            runtime_deps TEXT NOT NULL, build_deps TEXT NOT NULL, test_deps TEXT NOT NULL,
            recommended_deps TEXT NOT NULL, optional_deps TEXT NOT NULL,
            bottle_tag TEXT, bottle_url TEXT, bottle_sha256 TEXT, bottle_cellar TEXT,
            bottle_rebuild INTEGER, bottle_root_url TEXT);
        CREATE TABLE names(name TEXT NOT NULL PRIMARY KEY COLLATE NOCASE, formula INTEGER NOT NULL,
                           kind INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE deps(formula INTEGER NOT NULL, dep TEXT NOT NULL, kind INTEGER NOT NULL);
        CREATE VIRTUAL TABLE search USING fts5(name, desc, tokenize = 'unicode61', prefix = '2 3');
        """

    /// Created after the bulk insert: one sort beats maintaining the index row by row.
    static let createIndexes = "CREATE INDEX deps_by_dep ON deps(dep, kind);"

    /// Columns of `formulae` in the order `FormulaIndex` reads them.
    static let formulaColumns = """
        name, full_name, tap, aliases, oldnames, version, revision, version_scheme, desc, homepage,
        license, deprecated, disabled, keg_only, keg_only_reason, caveats, post_install_defined,
        conflicts_with, link_overwrite, runtime_deps, build_deps, test_deps, recommended_deps,
        optional_deps, bottle_tag, bottle_url, bottle_sha256, bottle_cellar, bottle_rebuild, bottle_root_url
        """

    static func join(_ names: [String]) -> String { names.joined(separator: "\n") }

    static func split(_ text: String?) -> [String] {
        guard let text, !text.isEmpty else { return [] }
        return text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }
}
