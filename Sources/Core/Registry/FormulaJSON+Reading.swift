import Foundation

/// The fast path of `FormulaJSON.decodeObject`: one formula object read field by field from its
/// bytes (`JSONByteReader`), with the lenient rules of `FormulaJSON.init(from:)` restated for
/// the value kinds whose meaning under `JSONDecoder` is certain. Wherever it is not — a number
/// that is not a plain integer where an integer is read, a number where a Bool is read, a null
/// element in a list of dependency entries, an entry object with several keys
/// (`JSONDecoder` picks one in hash order), a key given twice, any syntax outside plain RFC 8259
/// — the reader answers nil and the document is decoded by `JSONDecoder` as before, so both
/// paths give the same `FormulaJSON` (`FormulaJSONReadingTests` compares them on odd documents).
///
/// Why: `JSONDecoder` cost 49 µs per `formula/<name>.json`, 3 % of an install of 1,000 tiny
/// bottles without the formula index (Docs/Performance.md, "Fourth pass").
extension FormulaJSON {
    /// The object in `data` read by the fast path; nil when `JSONDecoder` must decide.
    static func read(_ data: Data, onlyVariation: String?) -> FormulaJSON? {
        data.withUnsafeBytes { raw -> FormulaJSON? in
            var reader = JSONByteReader(raw)
            do throws(JSONByteReader.Unusual) {
                let formula = try FormulaJSON(reading: &reader, onlyVariation: onlyVariation)
                try reader.finish()
                return formula
            } catch {
                return nil
            }
        }
    }

    /// Reads one formula object (the reader at its `{`).
    fileprivate init(reading reader: inout JSONByteReader, onlyVariation: String?) throws(JSONByteReader.Unusual) {
        guard try reader.peekKind() == .object else { throw JSONByteReader.Unusual() }
        var formula = FormulaJSON(name: nil, versions: nil)
        try reader.readObject { reader, key throws(JSONByteReader.Unusual) in
            guard let field = FormulaJSON.field(for: key) else { return try reader.skipValue() }
            // A key given twice: which one `JSONDecoder` keeps is its business.
            guard formula.presentFields.insert(field).inserted else { throw JSONByteReader.Unusual() }
            switch field {
            case .name: formula.name = try reader.lenientString()
            case .fullName: formula.fullName = try reader.lenientString()
            case .tap: formula.tap = try reader.lenientString()
            case .oldnames: formula.oldnames = try reader.lenientStrings()
            case .oldname: formula.oldname = try reader.lenientString()
            case .aliases: formula.aliases = try reader.lenientStrings()
            case .desc: formula.desc = try reader.lenientString()
            case .homepage: formula.homepage = try reader.lenientString()
            case .license: formula.license = try reader.lenientString()
            case .versions: formula.versions = try reader.lenientVersions()
            case .revision: formula.revision = try reader.lenientInt()
            case .versionScheme: formula.versionScheme = try reader.lenientInt()
            case .bottle: formula.bottle = try reader.lenientBottle()
            case .kegOnly: formula.kegOnly = try reader.lenientBool()
            case .kegOnlyReason: formula.kegOnlyReason = try reader.lenientKegOnlyReason()
            case .dependencies:
                guard let entries = try reader.lenientEntries() else { break }
                if entries.allSatisfy({ $0.tags.isEmpty && $0.fromString }) {
                    formula.dependencies = entries.map(\.name)
                } else {
                    // As `init(from:)`: tagged objects routed apart, unreadable entries dropped.
                    formula.dependencies = entries.filter { $0.tags.isEmpty && !$0.name.isEmpty }.map(\.name)
                    let tagged = entries.filter { !$0.tags.isEmpty }.map { UsesFromMacOS(name: $0.name, tags: $0.tags) }
                    formula.taggedDependencies = tagged.isEmpty ? nil : tagged
                }
            case .buildDependencies: formula.buildDependencies = try reader.lenientStrings()
            case .testDependencies: formula.testDependencies = try reader.lenientStrings()
            case .recommendedDependencies: formula.recommendedDependencies = try reader.lenientStrings()
            case .optionalDependencies: formula.optionalDependencies = try reader.lenientStrings()
            case .usesFromMacOS:
                formula.usesFromMacOS = try reader.lenientEntries()?.map { UsesFromMacOS(name: $0.name, tags: $0.tags) }
            case .usesFromMacOSBounds: formula.usesFromMacOSBounds = try reader.lenientBounds()
            case .requirements: try reader.skipValue()
            case .conflictsWith: formula.conflictsWith = try reader.lenientStrings()
            case .linkOverwrite: formula.linkOverwrite = try reader.lenientStrings()
            case .caveats: formula.caveats = try reader.lenientString()
            case .deprecated: formula.deprecated = try reader.lenientBool()
            case .disabled: formula.disabled = try reader.lenientBool()
            case .postInstallDefined: formula.postInstallDefined = try reader.lenientBool()
            case .variations: formula.variations = try reader.lenientVariations(onlyVariation: onlyVariation)
            }
        }
        self = formula
    }

    /// Known keys by length, so a key is matched by comparing its bytes with one or two names.
    private static let fieldsByLength: [[(utf8: [UInt8], field: Field)]] = {
        let longest = Field.allCases.map(\.rawValue.utf8.count).max() ?? 0
        var table = [[(utf8: [UInt8], field: Field)]](repeating: [], count: longest + 1)
        for field in Field.allCases { table[field.rawValue.utf8.count].append((Array(field.rawValue.utf8), field)) }
        return table
    }()

    fileprivate static func field(for key: JSONByteReader.Key) -> Field? {
        if key.decoded != nil { return Field(rawValue: key.string) }
        let raw = key.raw
        guard raw.count > 0, raw.count < fieldsByLength.count else { return nil }
        for candidate in fieldsByLength[raw.count] {
            let same = candidate.utf8.withUnsafeBytes { memcmp($0.baseAddress!, raw.baseAddress!, raw.count) == 0 }
            if same { return candidate.field }
        }
        return nil
    }
}

/// One element of a `uses_from_macos`-shaped list, as `FormulaJSON.UsesFromMacOS` reads it.
private struct ReadEntry {
    var name: String
    var tags: [String]
    /// Written as a plain string (not an object).
    var fromString: Bool
}

fileprivate extension JSONByteReader {
    /// A string, nil for null or another kind (`KeyedDecodingContainer.lenient(String.self, _)`).
    mutating func lenientString() throws(Unusual) -> String? {
        if try peekKind() == .string { return try readString() }
        try skipValue()
        return nil
    }

    /// A Bool; nil for null, a string, a list or an object. A number: `Unusual`.
    mutating func lenientBool() throws(Unusual) -> Bool? {
        switch try peekKind() {
        case .bool: return try readBool()
        case .number: throw Unusual()
        default: try skipValue(); return nil
        }
    }

    /// `lenientInt`: a plain integer, or a string read by `Int(_:)`; other numbers `Unusual`.
    mutating func lenientInt() throws(Unusual) -> Int? {
        switch try peekKind() {
        case .number: return try readPlainInt()
        case .string: return Int(try readString())
        default: try skipValue(); return nil
        }
    }

    /// `lenientArray(String.self, _)`: the string elements of a list (nulls and other kinds
    /// dropped); nil when not a list.
    mutating func lenientStrings() throws(Unusual) -> [String]? {
        guard try peekKind() == .array else { try skipValue(); return nil }
        var values: [String] = []
        try readArray { reader throws(Unusual) in
            if let value = try reader.lenientString() { values.append(value) }
        }
        return values
    }

    /// A list of dependency entries (`UsesFromMacOS`); nil when not a list. A null element is
    /// `Unusual`: how `JSONDecoder` hands a null to an entry's initialiser is its business.
    mutating func lenientEntries() throws(Unusual) -> [ReadEntry]? {
        guard try peekKind() == .array else { try skipValue(); return nil }
        var entries: [ReadEntry] = []
        try readArray { reader throws(Unusual) in
            switch try reader.peekKind() {
            case .string:
                entries.append(ReadEntry(name: try reader.readString(), tags: [], fromString: true))
            case .null:
                throw Unusual()
            case .object:
                var name: String?
                var tags: [String]?
                var keys = 0
                try reader.readObject { reader, key throws(Unusual) in
                    keys += 1
                    // Several keys: `JSONDecoder` takes the first of `allKeys`, in hash order.
                    guard keys == 1 else { throw Unusual() }
                    name = key.string
                    switch try reader.peekKind() {
                    case .string: tags = [try reader.readString()]
                    case .array: tags = try reader.lenientStrings()
                    default: try reader.skipValue()
                    }
                }
                if let name, let tags {
                    entries.append(ReadEntry(name: name, tags: tags.map { $0.hasPrefix(":") ? String($0.dropFirst()) : $0 },
                                             fromString: false))
                } else {
                    entries.append(ReadEntry(name: "", tags: [], fromString: false))
                }
            default:
                try reader.skipValue()
                entries.append(ReadEntry(name: "", tags: [], fromString: false))
            }
        }
        return entries
    }

    /// `uses_from_macos_bounds`: an object element gives its `since`, any other an empty bound;
    /// a null element `Unusual`.
    mutating func lenientBounds() throws(Unusual) -> [FormulaJSON.UsesFromMacOSBound]? {
        guard try peekKind() == .array else { try skipValue(); return nil }
        var bounds: [FormulaJSON.UsesFromMacOSBound] = []
        try readArray { reader throws(Unusual) in
            switch try reader.peekKind() {
            case .null: throw Unusual()
            case .object:
                var since: String?
                var seen = false
                try reader.readObject { reader, key throws(Unusual) in
                    guard key.equals("since") else { return try reader.skipValue() }
                    guard !seen else { throw Unusual() }
                    seen = true
                    since = try reader.lenientString()
                }
                bounds.append(.init(since: since))
            default:
                try reader.skipValue()
                bounds.append(.init(since: nil))
            }
        }
        return bounds
    }

    /// `versions`: `stable` and `head`; nil when not an object.
    mutating func lenientVersions() throws(Unusual) -> FormulaJSON.Versions? {
        guard try peekKind() == .object else { try skipValue(); return nil }
        var versions = FormulaJSON.Versions(stable: nil)
        var seen = (stable: false, head: false)
        try readObject { reader, key throws(Unusual) in
            if key.equals("stable") {
                guard !seen.stable else { throw Unusual() }
                seen.stable = true
                versions.stable = try reader.lenientString()
            } else if key.equals("head") {
                guard !seen.head else { throw Unusual() }
                seen.head = true
                versions.head = try reader.lenientString()
            } else {
                try reader.skipValue()
            }
        }
        return versions
    }

    /// `keg_only_reason`; nil when not an object.
    mutating func lenientKegOnlyReason() throws(Unusual) -> FormulaJSON.KegOnlyReason? {
        guard try peekKind() == .object else { try skipValue(); return nil }
        var reason = FormulaJSON.KegOnlyReason(reason: nil)
        var seen = (reason: false, explanation: false)
        try readObject { reader, key throws(Unusual) in
            if key.equals("reason") {
                guard !seen.reason else { throw Unusual() }
                seen.reason = true
                reason.reason = try reader.lenientString()
            } else if key.equals("explanation") {
                guard !seen.explanation else { throw Unusual() }
                seen.explanation = true
                reason.explanation = try reader.lenientString()
            } else {
                try reader.skipValue()
            }
        }
        return reason
    }

    /// `bottle`: only `stable`; nil when not an object.
    mutating func lenientBottle() throws(Unusual) -> FormulaJSON.BottleSection? {
        guard try peekKind() == .object else { try skipValue(); return nil }
        var section = FormulaJSON.BottleSection(stable: nil)
        var seen = false
        try readObject { reader, key throws(Unusual) in
            guard key.equals("stable") else { return try reader.skipValue() }
            guard !seen else { throw Unusual() }
            seen = true
            section.stable = try reader.lenientBottleSpec()
        }
        return section
    }

    /// `bottle.stable`: `rebuild`, `root_url` and the `files` objects (other elements dropped).
    mutating func lenientBottleSpec() throws(Unusual) -> FormulaJSON.BottleSpec? {
        guard try peekKind() == .object else { try skipValue(); return nil }
        var spec = FormulaJSON.BottleSpec()
        var seen = (rebuild: false, rootURL: false, files: false)
        try readObject { reader, key throws(Unusual) in
            if key.equals("rebuild") {
                guard !seen.rebuild else { throw Unusual() }
                seen.rebuild = true
                spec.rebuild = try reader.lenientInt()
            } else if key.equals("root_url") {
                guard !seen.rootURL else { throw Unusual() }
                seen.rootURL = true
                spec.rootURL = try reader.lenientString()
            } else if key.equals("files") {
                guard !seen.files else { throw Unusual() }
                seen.files = true
                guard try reader.peekKind() == .object else { return try reader.skipValue() }
                var files: [String: FormulaJSON.BottleFile] = [:]
                var tags = Set<String>()
                try reader.readObject { reader, key throws(Unusual) in
                    let tag = key.string
                    guard tags.insert(tag).inserted else { throw Unusual() }
                    if let file = try reader.lenientBottleFile() { files[tag] = file }
                }
                spec.files = files
            } else {
                try reader.skipValue()
            }
        }
        return spec
    }

    /// `bottle.stable.files.<tag>`; nil when not an object.
    mutating func lenientBottleFile() throws(Unusual) -> FormulaJSON.BottleFile? {
        guard try peekKind() == .object else { try skipValue(); return nil }
        var file = FormulaJSON.BottleFile(cellar: nil, url: nil, sha256: nil)
        var seen = (cellar: false, url: false, sha256: false)
        try readObject { reader, key throws(Unusual) in
            if key.equals("cellar") {
                guard !seen.cellar else { throw Unusual() }
                seen.cellar = true
                file.cellar = try reader.lenientString()
            } else if key.equals("url") {
                guard !seen.url else { throw Unusual() }
                seen.url = true
                file.url = try reader.lenientString()
            } else if key.equals("sha256") {
                guard !seen.sha256 else { throw Unusual() }
                seen.sha256 = true
                file.sha256 = try reader.lenientString()
            } else {
                try reader.skipValue()
            }
        }
        return file
    }

    /// `variations`: the object entries (only `onlyVariation`'s when given); nil when not an object.
    mutating func lenientVariations(onlyVariation: String?) throws(Unusual) -> [String: FormulaJSON]? {
        guard try peekKind() == .object else { try skipValue(); return nil }
        var variations: [String: FormulaJSON] = [:]
        var tags = Set<String>()
        try readObject { reader, key throws(Unusual) in
            let tag = key.string
            guard tags.insert(tag).inserted else { throw Unusual() }
            guard onlyVariation == nil || onlyVariation == tag, try reader.peekKind() == .object else {
                return try reader.skipValue()
            }
            variations[tag] = try FormulaJSON(reading: &reader, onlyVariation: onlyVariation)
        }
        return variations
    }
}
