import Foundation

/// Builds a formula index file one formula at a time: one transaction, prepared statements, a
/// temporary file beside the destination renamed over it by `commit`, so a reader sees either
/// the old index or the new one, never a half-built file; `abandon` (or dropping the writer
/// uncommitted) removes the temporary file.
///
/// Formulae arrive as the catalogue is decoded, so the writer keeps only what the end of the
/// build needs — each formula's names (for the `names` table, written in precedence order) and
/// the rejected entries — never the decoded catalogue (Docs/Performance.md, "Streaming index
/// build").
///
/// Confinement: not Sendable; used by the one queue that created it (the utility queue building
/// the index), like the `SQLiteDatabase` it owns.
package final class IndexWriter {
    /// Validators and provenance stored in the `meta` table.
    package struct Metadata: Sendable, Equatable {
        package var sourceURL: String
        package var etag: String?
        package var lastModified: String?
        package var signed: Bool
        package var tag: BottleTag

        package init(sourceURL: String, etag: String?, lastModified: String?, signed: Bool, tag: BottleTag) {
            self.sourceURL = sourceURL
            self.etag = etag
            self.lastModified = lastModified
            self.signed = signed
            self.tag = tag
        }
    }

    /// The names a formula claims, kept until `commit` writes the `names` table.
    private struct Names {
        var name: String
        var fullName: String
        var tap: String
        var aliases: [String]
        var oldnames: [String]
    }

    let path: String
    private let temporary: String
    private let metadata: Metadata
    private let database: SQLiteDatabase
    private let formulaRow: SQLiteStatement
    private let depRow: SQLiteStatement
    private let searchRow: SQLiteStatement
    /// Row id (1-based) of each formula name: a later formula of the same name replaces the row.
    private var ids: [String: Int] = [:]
    private var names: [Names] = []
    private(set) var rejected: [RegistryError] = []
    private var finished = false

    /// Creates the temporary database beside `path` and opens its transaction.
    init(path: String, metadata: Metadata) throws(IndexError) {
        self.path = path
        self.metadata = metadata
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        unlink(temporary)
        do throws(IndexError) {
            database = try SQLiteDatabase(path: temporary, readOnly: false, create: true)
            // The file is only published by the rename in `commit`, so durability of every page
            // write is irrelevant until then: no journal, no syncs; one fsync before the rename.
            try database.execute("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA page_size = 8192;")
            do throws(IndexError) {
                try database.execute(IndexSchema.create)
            } catch .database(let path, let message) where message.contains("fts5") {
                throw .database(path: path, message: "this SQLite library lacks FTS5 (\(message)); install a build with FTS5, e.g. Debian's libsqlite3-0")
            }
            try database.execute("BEGIN")
            formulaRow = try database.prepare("""
                INSERT INTO formulae(id, name, full_name, tap, aliases, oldnames, version, revision, version_scheme,
                    pkg_version, desc, homepage, license, deprecated, disabled, keg_only, keg_only_reason, caveats,
                    post_install_defined, conflicts_with, link_overwrite, runtime_deps, build_deps, test_deps,
                    recommended_deps, optional_deps, bottle_tag, bottle_url, bottle_sha256, bottle_cellar,
                    bottle_rebuild, bottle_root_url)
                VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
                """)
            depRow = try database.prepare("INSERT INTO deps(formula, dep, kind) VALUES(?, ?, ?)")
            searchRow = try database.prepare("INSERT INTO search(rowid, name, desc) VALUES(?, ?, ?)")
        } catch {
            unlink(temporary)
            throw error
        }
    }

    deinit {
        if !finished { unlink(temporary) }
    }

    /// Number of distinct formulae added so far.
    var count: Int { names.count }

    /// Adds a formula; one of a name already added replaces it in place (fresher data wins, as
    /// `FormulaCatalog` does).
    func add(_ formula: Formula) throws(IndexError) {
        let entry = Names(name: formula.name, fullName: formula.fullName, tap: formula.tap,
                          aliases: formula.aliases, oldnames: formula.oldnames)
        let id: Int
        if let existing = ids[formula.name] {
            id = existing
            for statement in ["DELETE FROM formulae WHERE id = ?", "DELETE FROM deps WHERE formula = ?",
                              "DELETE FROM search WHERE rowid = ?"] {
                try database.prepare(statement).run([.int(id)])
            }
            names[id - 1] = entry
        } else {
            names.append(entry)
            id = names.count
            ids[formula.name] = id
        }
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

    /// Records an entry that could not be used (reported in the outcome; an unsafe name is
    /// also stored, so a lookup says why instead of "unknown formula" — issue 13).
    func reject(_ error: RegistryError) {
        rejected.append(error)
    }

    /// Writes the names and metadata, indexes, commits, syncs and renames the file into place.
    func commit() throws(IndexError) {
        do throws(IndexError) {
            try writeNamesAndMetadata()
            try database.execute(IndexSchema.createIndexes)
            try database.execute("PRAGMA user_version = \(IndexSchema.version)")
            try database.execute("COMMIT")
            // Merge FTS segments once so queries touch one b-tree.
            try database.execute("INSERT INTO search(search) VALUES('optimize')")
        } catch {
            abandon()
            throw error
        }
        let descriptor = open(temporary, O_RDONLY | O_CLOEXEC)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
        finished = true
        guard rename(temporary, path) == 0 else {
            let message = errnoText()
            unlink(temporary)
            throw .database(path: path, message: "rename failed: \(message)")
        }
    }

    /// Removes the temporary file; the destination is untouched.
    func abandon() {
        finished = true
        unlink(temporary)
    }

    private func writeNamesAndMetadata() throws(IndexError) {
        let meta = try database.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)")
        let values: [(String, String?)] = [
            ("source_url", metadata.sourceURL), ("etag", metadata.etag), ("last_modified", metadata.lastModified),
            ("signed", metadata.signed ? "1" : "0"), ("tag", metadata.tag.rawValue),
            ("built_at", String(Int(Date().timeIntervalSince1970))), ("formula_count", String(names.count)),
            ("pour_version", PourVersion.string),
        ]
        for (key, value) in values where value != nil { try meta.run([.text(key), .optional(value)]) }
        // Formulae refused at decode for an unsafe path name (PathNames) are not indexed; their
        // reason is, so a lookup says why instead of "unknown formula" (issue 13).
        for case let .unsafeName(name, field, value, reason) in rejected {
            try meta.run([.text(FormulaIndex.refusedKey(name)), .text([field, value, reason].joined(separator: "\u{1F}"))])
        }
        // Every name on one row, for `search`'s substring match (`FormulaIndex.nameListKey`).
        try meta.run([.text(FormulaIndex.nameListKey), .text(IndexSchema.join(names.map(\.name)))])

        // Names in precedence order, so `INSERT OR IGNORE` keeps the strongest claim on a name.
        let nameRow = try database.prepare("INSERT OR IGNORE INTO names(name, formula, kind) VALUES(?, ?, ?)")
        for (offset, entry) in names.enumerated() {
            try nameRow.run([.text(entry.name), .int(offset + 1), .int(IndexSchema.NameKind.name.rawValue)])
        }
        for (offset, entry) in names.enumerated() {
            try nameRow.run([.text(entry.fullName), .int(offset + 1), .int(IndexSchema.NameKind.fullName.rawValue)])
            try nameRow.run([.text("\(entry.tap)/\(entry.name)"), .int(offset + 1),
                             .int(IndexSchema.NameKind.fullName.rawValue)])
        }
        for (offset, entry) in names.enumerated() {
            for alias in entry.aliases {
                try nameRow.run([.text(alias), .int(offset + 1), .int(IndexSchema.NameKind.alias.rawValue)])
            }
        }
        for (offset, entry) in names.enumerated() {
            for oldname in entry.oldnames {
                try nameRow.run([.text(oldname), .int(offset + 1), .int(IndexSchema.NameKind.oldname.rawValue)])
            }
        }
    }
}
