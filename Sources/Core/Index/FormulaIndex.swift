import Foundation

/// Read access to one formula index file: name resolution (name, full name, alias, old name,
/// case-insensitively), formula rows, ranked search, dependency closures and reverse
/// dependencies. Every answer is a few indexed SQLite lookups; nothing is decoded up front.
///
/// Confinement: wraps one SQLite connection and its cached statements, so it is deliberately not
/// `Sendable`: use an instance only on the thread or serial queue that opened it. Opening is cheap
/// (a file open and one query); give each queue that needs lookups its own instance. `pour update`
/// replaces the file by a rename, so a new instance sees the new index.
public final class FormulaIndex {
    public let path: String
    public let tag: Formula.BottleTag
    private let database: SQLiteDatabase
    private var statements: [String: SQLiteStatement] = [:]

    /// Opens `path` read-only; `.missing` when absent, `.incompatible` for another schema version.
    public init(path: String) throws(FormulaIndex.IndexError) {
        guard access(path, R_OK) == 0 else { throw .missing(path: path) }
        self.path = path
        database = try SQLiteDatabase(path: path, readOnly: true)
        guard (try? database.userVersion()) == IndexSchema.version else { throw .incompatible(path: path) }
        let statement = try database.prepare("SELECT value FROM meta WHERE key = 'tag'")
        tag = BottleTag(try statement.step() ? statement.text(0) ?? "" : "")
    }

    private func statement(_ sql: String) throws(IndexError) -> SQLiteStatement {
        if let cached = statements[sql] { return cached }
        let prepared = try database.prepare(sql)
        statements[sql] = prepared
        return prepared
    }

    // MARK: Metadata

    /// The `meta` key recording why formula `name` was refused at decode.
    static func refusedKey(_ name: String) -> String { "refused:" + name }

    /// Why formula `name` is absent from the index, when it was refused for an unsafe path name.
    package func refusal(of name: String) -> RegistryError? {
        guard let text = metadata(Self.refusedKey(name)) else { return nil }
        let parts = text.split(separator: "\u{1F}", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { return nil }
        return .unsafeName(formula: name, field: parts[0], value: parts[1], reason: parts[2])
    }

    /// One `meta` value (`source_url`, `etag`, `last_modified`, `signed`, `built_at`, `formula_count`…).
    public func metadata(_ key: String) -> String? {
        guard let statement = try? statement("SELECT value FROM meta WHERE key = ?") else { return nil }
        statement.bind([.text(key)])
        return (try? statement.step()) == true ? statement.text(0) : nil
    }

    /// True when the index was built from a catalogue under `apiDomain` (a changed
    /// `HOMEBREW_API_DOMAIN` makes an index stale, however recent).
    public func isBuilt(fromAPIDomain apiDomain: String) -> Bool {
        metadata("source_url")?.hasPrefix(apiDomain + "/") == true
    }

    public var count: Int {
        guard let statement = try? statement("SELECT count(*) FROM formulae"), (try? statement.step()) == true else { return 0 }
        return statement.int(0)
    }

    // MARK: Lookup

    /// The formula `query` names (name, `tap/name`, alias or old name; case-insensitive), or nil.
    public func formula(named query: String) throws(FormulaIndex.IndexError) -> Formula? {
        guard let id = try formulaID(named: query) else { return nil }
        return try formula(id: id)
    }

    /// Like `formula(named:)`, throwing `.unknownFormula` with suggestions.
    public func resolve(_ query: String) throws(FormulaIndex.IndexError) -> Formula {
        if let formula = try formula(named: query) { return formula }
        throw .unknownFormula(name: query, suggestions: try suggestions(for: query))
    }

    /// The canonical name `query` resolves to.
    public func canonicalName(for query: String) throws(FormulaIndex.IndexError) -> String? {
        guard let id = try formulaID(named: query) else { return nil }
        let statement = try statement("SELECT name FROM formulae WHERE id = ?")
        statement.bind([.int(id)])
        return try statement.step() ? statement.text(0) : nil
    }

    func formulaID(named query: String) throws(IndexError) -> Int? {
        let name = query.hasPrefix("homebrew/core/") ? String(query.dropFirst("homebrew/core/".count)) : query
        let statement = try statement("SELECT formula FROM names WHERE name = ?")
        statement.bind([.text(name)])
        return try statement.step() ? statement.int(0) : nil
    }

    func formula(id: Int) throws(IndexError) -> Formula? {
        let statement = try statement("SELECT \(IndexSchema.formulaColumns) FROM formulae WHERE id = ?")
        statement.bind([.int(id)])
        guard try statement.step() else { return nil }
        return try FormulaIndex.validated(FormulaIndex.formula(from: statement))
    }

    /// Rows are checked again on the way out: the index file is data on disk, not trusted code.
    private static func validated(_ formula: Formula) throws(IndexError) -> Formula {
        do { try PathNames.validate(formula) } catch {
            throw .malformedCatalogue(source: "the formula index", detail: error.description)
        }
        return formula
    }

    /// Every formula, in catalogue order (suggestions, `FormulaCatalog` for unknown names).
    public func allFormulae() throws(FormulaIndex.IndexError) -> [Formula] {
        let statement = try statement("SELECT \(IndexSchema.formulaColumns) FROM formulae ORDER BY id")
        statement.bind([])
        var result: [Formula] = []
        while try statement.step() {
            let formula = FormulaIndex.formula(from: statement)
            if (try? PathNames.validate(formula)) != nil { result.append(formula) }
        }
        return result
    }

    /// Formula names starting with `prefix`, sorted, at most `limit` (shell completion: one
    /// range scan of the `name` column's unique index, so it stays fast on the full catalogue).
    package func names(withPrefix prefix: String, limit: Int = 20_000) throws(IndexError) -> [String] {
        let statement = try statement("SELECT name FROM formulae WHERE name >= ? AND name < ? ORDER BY name LIMIT ?")
        statement.bind([.text(prefix), .text(prefix + "\u{10FFFF}"), .int(limit)])
        var result: [String] = []
        while try statement.step() { if let name = statement.text(0) { result.append(name) } }
        return result
    }

    /// Close names for a typo, via the catalogue's own matcher over names and aliases.
    public func suggestions(for query: String, limit: Int = 5) throws(FormulaIndex.IndexError) -> [String] {
        let statement = try statement("SELECT name, aliases FROM formulae")
        statement.bind([])
        var light: [Formula] = []
        while try statement.step() {
            light.append(Formula(name: statement.text(0) ?? "", aliases: IndexSchema.split(statement.text(1)), version: "0"))
        }
        return FormulaCatalog(tag: tag, formulae: light).closeMatches(for: query, limit: limit)
    }

    private static func formula(from row: SQLiteStatement) -> Formula {
        var bottle: Bottle?
        if let bottleTag = row.text(24), let url = row.text(25), let sha256 = row.text(26) {
            bottle = Bottle(tag: BottleTag(bottleTag), url: url, sha256: sha256,
                            cellar: CellarKind(jsonValue: row.text(27) ?? ":any"), rebuild: row.int(28),
                            rootURL: row.text(29) ?? FormulaSpecializer.defaultRootURL)
        }
        return Formula(
            name: row.text(0) ?? "", fullName: row.text(1), tap: row.text(2) ?? "homebrew/core",
            aliases: IndexSchema.split(row.text(3)), oldnames: IndexSchema.split(row.text(4)),
            desc: row.text(8), homepage: row.text(9), license: row.text(10),
            version: row.text(5) ?? "", revision: row.int(6), versionScheme: row.int(7),
            dependencies: IndexSchema.split(row.text(19)), buildDependencies: IndexSchema.split(row.text(20)),
            testDependencies: IndexSchema.split(row.text(21)), recommendedDependencies: IndexSchema.split(row.text(22)),
            optionalDependencies: IndexSchema.split(row.text(23)), bottle: bottle,
            kegOnly: row.int(13) != 0, kegOnlyReason: row.text(14), caveats: row.text(15),
            conflictsWith: IndexSchema.split(row.text(17)), linkOverwrite: IndexSchema.split(row.text(18)),
            deprecated: row.int(11) != 0, disabled: row.int(12) != 0, postInstallDefined: row.int(16) != 0)
    }

    // MARK: Closures

    /// `names` and, breadth first, their runtime dependencies, as a catalogue ready for
    /// `DependencyResolver`. Names the index does not know are returned in `unknown`; the
    /// dependency of a known formula that is missing from the index simply stays absent (the
    /// resolver reports it).
    package func closure(of names: [String]) throws(IndexError) -> (catalog: FormulaCatalog, unknown: [String]) {
        var found: [Formula] = []
        var seen = Set<Int>()
        var unknown: [String] = []
        var queue: [String] = names
        var position = 0
        while position < queue.count {
            let name = queue[position]
            position += 1
            guard let id = try formulaID(named: name) else {
                if position <= names.count { unknown.append(name) }
                continue
            }
            guard seen.insert(id).inserted, let formula = try formula(id: id) else { continue }
            found.append(formula)
            queue.append(contentsOf: formula.installDependencies)
        }
        return (FormulaCatalog(tag: tag, formulae: found), unknown)
    }

    // MARK: Reverse dependencies

    /// Canonical names of formulae that declare `name` (canonical) as a dependency of one of
    /// `kinds`, sorted.
    package func dependents(of name: String, kinds: Set<IndexDependencyKind>) throws(IndexError) -> [String] {
        guard !kinds.isEmpty else { return [] }
        let list = kinds.map { String($0.schemaKind.rawValue) }.sorted().joined(separator: ",")
        let statement = try statement("""
            SELECT DISTINCT f.name FROM deps d JOIN formulae f ON f.id = d.formula
            WHERE d.dep = ? AND d.kind IN (\(list)) ORDER BY f.name
            """)
        statement.bind([.text(name)])
        var result: [String] = []
        while try statement.step() { if let text = statement.text(0) { result.append(text) } }
        return result
    }

    // MARK: Search

    /// Formulae matching `text`, best first: exact name (or alias/old name), then names starting
    /// with it, then names containing it, then full-text matches on name and description ranked
    /// by BM25 (name weighted above description).
    public func search(_ text: String, limit: Int = 200) throws(FormulaIndex.IndexError) -> [FormulaIndex.SearchHit] {
        let query = text.trimmingCharacters(in: .whitespaces)
        guard !query.isEmpty else { return [] }
        var hits: [SearchHit] = []
        var seen = Set<Int>()
        func add(_ statement: SQLiteStatement, match: SearchHit.Match) throws(IndexError) {
            while hits.count < limit, try statement.step() {
                let id = statement.int(0)
                guard seen.insert(id).inserted else { continue }
                hits.append(SearchHit(name: statement.text(1) ?? "", desc: statement.text(2),
                                      version: statement.text(3) ?? "", match: match))
            }
        }
        let columns = "f.id, f.name, f.desc, f.pkg_version"
        if let id = try formulaID(named: query) {
            let exact = try statement("SELECT \(columns) FROM formulae f WHERE f.id = ?")
            exact.bind([.int(id)])
            try add(exact, match: .exact)
        }
        // Names are matched in the narrow `names` table (canonical rows only), never by scanning
        // the wide `formulae` rows: the prefix is a range on its NOCASE primary key.
        let prefix = try statement("""
            SELECT \(columns) FROM names n JOIN formulae f ON f.id = n.formula
            WHERE n.name >= ? AND n.name < ? AND n.kind = 0 ORDER BY length(f.name), f.name
            """)
        prefix.bind([.text(query), .text(query + "\u{10FFFF}")])
        try add(prefix, match: .prefix)
        // Homebrew's names never hold whitespace (Formulary: `[a-z0-9@._+-]`): a query with a
        // space is a description search, and the scan over every name is skipped for it.
        if !query.contains(where: \.isWhitespace) {
            if let list = metadata(Self.nameListKey) {
                // Substrings are found in the one-row list of every name (`nameListKey`): a byte
                // scan of ~100 KB instead of a SQLite scan of every `names` row (about a third of
                // `search`'s instructions; Docs/Performance.md, "Start-up, third pass").
                let byName = try statement("SELECT \(columns) FROM formulae f WHERE f.name = ?")
                for name in FormulaIndex.names(in: list, containing: query) where hits.count < limit {
                    byName.bind([.text(name)])
                    try add(byName, match: .substring)
                }
            } else {
                // An index written before the list existed. LIKE folds ASCII case as `lower()`
                // does, without building a lowered copy of every name.
                let substring = try statement("""
                    SELECT \(columns) FROM names n JOIN formulae f ON f.id = n.formula
                    WHERE n.kind = 0 AND n.name LIKE ? ESCAPE '\\' ORDER BY length(f.name), f.name
                    """)
                substring.bind([.text("%" + FormulaIndex.likeEscaped(query) + "%")])
                try add(substring, match: .substring)
            }
        }
        if let match = FormulaIndex.ftsQuery(query) {
            let fts = try statement("""
                SELECT \(columns) FROM search s JOIN formulae f ON f.id = s.rowid
                WHERE search MATCH ? ORDER BY bm25(search, 10.0, 1.0), f.name LIMIT ?
                """)
            fts.bind([.text(match), .int(limit)])
            try add(fts, match: .text)
        }
        return hits
    }

    /// The `meta` key holding every formula name, one per line (`IndexWriter`).
    static let nameListKey = "name_list"

    /// The names of `list` (one per line) that contain `query`, ASCII case folded as SQLite's
    /// LIKE folds it, in the order the LIKE query gave: shorter first, then by bytes
    /// (`ORDER BY length(name), name`).
    static func names(in list: String, containing query: String) -> [String] {
        let needle = query.utf8.map(asciiLowercased)
        guard let first = needle.first else { return [] }
        var found: [String] = []
        var list = list
        list.withUTF8 { bytes in
            var lineStart = 0
            while lineStart < bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                var start = lineStart
                while start + needle.count <= lineEnd {
                    if asciiLowercased(bytes[start]) == first {
                        var offset = 1
                        while offset < needle.count && asciiLowercased(bytes[start + offset]) == needle[offset] { offset += 1 }
                        if offset == needle.count {
                            found.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[lineStart ..< lineEnd]), as: UTF8.self))
                            break
                        }
                    }
                    start += 1
                }
                lineStart = lineEnd + 1
            }
        }
        return found.sorted { a, b in
            let (lengthA, lengthB) = (a.unicodeScalars.count, b.unicodeScalars.count)
            return lengthA != lengthB ? lengthA < lengthB : a.utf8.lexicographicallyPrecedes(b.utf8)
        }
    }

    private static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }

    /// `text` with LIKE's wildcards (`%`, `_`) and the escape character itself escaped by `\`.
    static func likeEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    /// Each word of the query as a quoted prefix term, all required: `"ssl"* "tool"*`.
    static func ftsQuery(_ text: String) -> String? {
        let words = text.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        guard !words.isEmpty else { return nil }
        return words.map { "\"\($0)\"*" }.joined(separator: " ")
    }
}
