import Foundation

/// Builds a formula index file from a decoded catalogue: one transaction, prepared statements,
/// written to a temporary file beside the destination and renamed over it, so a reader sees
/// either the old index or the new one, never a half-built file.
///
/// Stateless; each call owns the database it creates.
enum IndexWriter {
    /// Validators and provenance stored in the `meta` table.
    struct Metadata: Sendable, Equatable {
        var sourceURL: String
        var etag: String?
        var lastModified: String?
        var signed: Bool
        var tag: BottleTag
    }

    /// Writes `catalog` to `path` atomically.
    static func write(_ catalog: FormulaCatalog, metadata: Metadata, to path: String) throws(IndexError) {
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        unlink(temporary)
        do throws(IndexError) {
            let database = try SQLiteDatabase(path: temporary, readOnly: false, create: true)
            // The file is only published by the rename below, so durability of every page write
            // is irrelevant until then: no journal, no syncs; one fsync before the rename.
            try database.execute("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA page_size = 8192;")
            do throws(IndexError) {
                try database.execute(IndexSchema.create)
            } catch .database(let path, let message) where message.contains("fts5") {
                throw .database(path: path, message: "this SQLite library lacks FTS5 (\(message)); install a build with FTS5, e.g. Debian's libsqlite3-0")
            }
            try database.execute("BEGIN")
            try insert(catalog, metadata: metadata, into: database)
            try database.execute(IndexSchema.createIndexes)
            try database.execute("PRAGMA user_version = \(IndexSchema.version)")
            try database.execute("COMMIT")
            // Merge FTS segments once so queries touch one b-tree.
            try database.execute("INSERT INTO search(search) VALUES('optimize')")
        } catch {
            unlink(temporary)
            throw error
        }
        let descriptor = open(temporary, O_RDONLY)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
        guard rename(temporary, path) == 0 else {
            let message = errnoText()
            unlink(temporary)
            throw .database(path: path, message: "rename failed: \(message)")
        }
    }

    private static func insert(_ catalog: FormulaCatalog, metadata: Metadata, into database: SQLiteDatabase) throws(IndexError) {
        let meta = try database.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)")
        let values: [(String, String?)] = [
            ("source_url", metadata.sourceURL), ("etag", metadata.etag), ("last_modified", metadata.lastModified),
            ("signed", metadata.signed ? "1" : "0"), ("tag", metadata.tag.rawValue),
            ("built_at", String(Int(Date().timeIntervalSince1970))), ("formula_count", String(catalog.count)),
            ("pour_version", PourVersion.string),
        ]
        for (key, value) in values where value != nil { try meta.run([.text(key), .optional(value)]) }
        // Formulae refused at decode for an unsafe path name (PathNames) are not indexed; their
        // reason is, so a lookup says why instead of "unknown formula" (issue 13).
        for case let .unsafeName(name, field, value, reason) in catalog.rejected {
            try meta.run([.text(FormulaIndex.refusedKey(name)), .text([field, value, reason].joined(separator: "\u{1F}"))])
        }

        let formulaRow = try database.prepare("""
            INSERT INTO formulae(id, name, full_name, tap, aliases, oldnames, version, revision, version_scheme,
                pkg_version, desc, homepage, license, deprecated, disabled, keg_only, keg_only_reason, caveats,
                post_install_defined, conflicts_with, link_overwrite, runtime_deps, build_deps, test_deps,
                recommended_deps, optional_deps, bottle_tag, bottle_url, bottle_sha256, bottle_cellar,
                bottle_rebuild, bottle_root_url)
            VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
            """)
        let nameRow = try database.prepare("INSERT OR IGNORE INTO names(name, formula, kind) VALUES(?, ?, ?)")
        let depRow = try database.prepare("INSERT INTO deps(formula, dep, kind) VALUES(?, ?, ?)")
        let searchRow = try database.prepare("INSERT INTO search(rowid, name, desc) VALUES(?, ?, ?)")

        for (offset, formula) in catalog.formulae.enumerated() {
            let id = offset + 1
            let bottle = formula.bottle
            try formulaRow.run([
                .int(id), .text(formula.name), .text(formula.fullName), .text(formula.tap),
                .text(IndexSchema.join(formula.aliases)), .text(IndexSchema.join(formula.oldnames)),
                .text(formula.version), .int(formula.revision), .int(formula.versionScheme), .text(formula.pkgVersion),
                .optional(formula.desc), .optional(formula.homepage), .optional(formula.license),
                .bool(formula.deprecated), .bool(formula.disabled), .bool(formula.kegOnly),
                .optional(formula.kegOnlyReason), .optional(formula.caveats), .bool(formula.postInstallDefined),
                .text(IndexSchema.join(formula.conflictsWith)), .text(IndexSchema.join(formula.linkOverwrite)),
                .text(IndexSchema.join(formula.dependencies)), .text(IndexSchema.join(formula.buildDependencies)),
                .text(IndexSchema.join(formula.testDependencies)),
                .text(IndexSchema.join(formula.recommendedDependencies)),
                .text(IndexSchema.join(formula.optionalDependencies)),
                .optional(bottle?.tag.rawValue), .optional(bottle?.url), .optional(bottle?.sha256),
                .optional(bottle?.cellar.jsonValue), bottle.map { .int($0.rebuild) } ?? .null,
                .optional(bottle?.rootURL),
            ])
            try searchRow.run([.int(id), .text(formula.name), .optional(formula.desc)])
            let lists: [(IndexSchema.DependencyKind, [String])] = [
                (.runtime, formula.dependencies), (.build, formula.buildDependencies), (.test, formula.testDependencies),
                (.recommended, formula.recommendedDependencies), (.optional, formula.optionalDependencies),
            ]
            for (kind, names) in lists {
                for name in names { try depRow.run([.int(id), .text(name), .int(kind.rawValue)]) }
            }
        }
        // Every name on one row, for `search`'s substring match (`FormulaIndex.nameListKey`).
        try meta.run([.text(FormulaIndex.nameListKey), .text(IndexSchema.join(catalog.formulae.map(\.name)))])
        // Names in precedence order, so `INSERT OR IGNORE` keeps the strongest claim on a name.
        for (offset, formula) in catalog.formulae.enumerated() {
            try nameRow.run([.text(formula.name), .int(offset + 1), .int(IndexSchema.NameKind.name.rawValue)])
        }
        for (offset, formula) in catalog.formulae.enumerated() {
            try nameRow.run([.text(formula.fullName), .int(offset + 1), .int(IndexSchema.NameKind.fullName.rawValue)])
            try nameRow.run([.text("\(formula.tap)/\(formula.name)"), .int(offset + 1),
                             .int(IndexSchema.NameKind.fullName.rawValue)])
        }
        for (offset, formula) in catalog.formulae.enumerated() {
            for alias in formula.aliases {
                try nameRow.run([.text(alias), .int(offset + 1), .int(IndexSchema.NameKind.alias.rawValue)])
            }
        }
        for (offset, formula) in catalog.formulae.enumerated() {
            for oldname in formula.oldnames {
                try nameRow.run([.text(oldname), .int(offset + 1), .int(IndexSchema.NameKind.oldname.rawValue)])
            }
        }
    }
}
