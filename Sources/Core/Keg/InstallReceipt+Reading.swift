import Foundation

/// The fast path of reading a receipt or a bottle's tab: the object read field by field from its
/// bytes (`JSONByteReader`) with the lenient rules of `InstallReceipt.init(from:)` restated for
/// the value kinds whose meaning under `JSONDecoder` is certain. For a number that is not a
/// plain integer, a key given twice, or any syntax outside plain RFC 8259 the reader answers nil
/// and `JSONDecoder` reads the document as before (`InstallReceiptReadingTests` compares the two).
///
/// Why: decoding each bottle's tab with `JSONDecoder` (every unmodelled field through
/// `ReceiptJSONValue`'s chain of `try?`) cost 2 % of an install of 1,000 tiny bottles
/// (Docs/Performance.md, "Fourth pass").
extension InstallReceipt {
    /// What `BottleTab` reads from a tab besides the receipt: `changed_files` as its string
    /// elements whatever the others are (nil when it is not a list).
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    struct ReadTab {
        var receipt: InstallReceipt
        var changedFileStrings: [String]?
    }

    /// The receipt in `data` read by the fast path; nil when `JSONDecoder` must decide.
    static func readTab(_ data: Data) -> ReadTab? {
        data.withUnsafeBytes { raw -> ReadTab? in
            var reader = JSONByteReader(raw)
            do throws(JSONByteReader.Unusual) {
                let tab = try readTab(&reader)
                try reader.finish()
                return tab
            } catch {
                return nil
            }
        }
    }

    private static func readTab(_ reader: inout JSONByteReader) throws(JSONByteReader.Unusual) -> ReadTab {
        guard try reader.peekKind() == .object else { throw JSONByteReader.Unusual() }
        var receipt = InstallReceipt(homebrewVersion: nil, builtAsBottle: false, pouredFromBottle: false, loadedFromAPI: false,
                                     loadedFromInternalAPI: nil, installedAsDependency: false, installedOnRequest: false,
                                     changedFiles: nil, time: nil, compiler: nil, runtimeDependencies: nil,
                                     source: Source(path: nil, tap: nil, tapGitHead: nil, versions: Versions(stable: nil)),
                                     arch: nil, builtOn: nil)
        var changedFileStrings: [String]?
        var seen = Set<CodingKeys>()
        var extra: [String: ReceiptJSONValue] = [:]
        try reader.readObject { reader, key throws(JSONByteReader.Unusual) in
            let name = key.string
            guard let field = CodingKeys(stringValue: name) else {
                guard extra[name] == nil else { throw JSONByteReader.Unusual() }
                extra[name] = try ReceiptJSONValue(reading: &reader)
                return
            }
            guard seen.insert(field).inserted else { throw JSONByteReader.Unusual() }
            switch field {
            case .homebrewVersion: receipt.homebrewVersion = try reader.receiptString()
            case .usedOptions: receipt.usedOptions = try reader.receiptStrings().all ?? []
            case .unusedOptions: receipt.unusedOptions = try reader.receiptStrings().all ?? []
            case .builtAsBottle: receipt.builtAsBottle = try reader.receiptBool() ?? false
            case .pouredFromBottle: receipt.pouredFromBottle = try reader.receiptBool() ?? false
            case .loadedFromAPI: receipt.loadedFromAPI = try reader.receiptBool() ?? false
            case .loadedFromInternalAPI: receipt.loadedFromInternalAPI = try reader.receiptBool()
            case .installedAsDependency: receipt.installedAsDependency = try reader.receiptBool() ?? false
            case .installedOnRequest: receipt.installedOnRequest = try reader.receiptBool() ?? false
            case .changedFiles:
                let strings = try reader.receiptStrings()
                receipt.changedFiles = strings.all
                changedFileStrings = strings.some
            case .time: receipt.time = try reader.receiptInt()
            case .sourceModifiedTime: receipt.sourceModifiedTime = try reader.receiptInt() ?? 0
            case .compiler: receipt.compiler = try reader.receiptString()
            case .stdlib: receipt.stdlib = try reader.receiptString()
            case .aliases: receipt.aliases = try reader.receiptStrings().all ?? []
            case .runtimeDependencies: receipt.runtimeDependencies = try reader.receiptDependencies()
            case .source:
                receipt.source = try reader.receiptSource()
                    ?? Source(path: nil, tap: nil, tapGitHead: nil, versions: Versions(stable: nil))
            case .arch: receipt.arch = try reader.receiptString()
            case .builtOn: receipt.builtOn = try reader.receiptBuiltOn()
            }
        }
        receipt.extra = extra
        return ReadTab(receipt: receipt, changedFileStrings: changedFileStrings)
    }
}

extension ReceiptJSONValue {
    /// Any value, as `init(from:)` reads it; a number other than a plain integer is `Unusual`
    /// (whether `JSONDecoder` makes it `.int` or `.double` is its business).
    fileprivate init(reading reader: inout JSONByteReader) throws(JSONByteReader.Unusual) {
        switch try reader.peekKind() {
        case .null: try reader.readNull(); self = .null
        case .bool: self = .bool(try reader.readBool())
        case .number: self = .int(try reader.readPlainInt())
        case .string: self = .string(try reader.readString())
        case .array:
            var values: [ReceiptJSONValue] = []
            try reader.readArray { reader throws(JSONByteReader.Unusual) in values.append(try ReceiptJSONValue(reading: &reader)) }
            self = .array(values)
        case .object:
            var fields: [String: ReceiptJSONValue] = [:]
            try reader.readObject { reader, key throws(JSONByteReader.Unusual) in
                let name = key.string
                guard fields[name] == nil else { throw JSONByteReader.Unusual() }
                fields[name] = try ReceiptJSONValue(reading: &reader)
            }
            self = .object(fields)
        }
    }
}

private extension JSONByteReader {
    /// `(try? decodeIfPresent(String.self, _)) ?? nil`.
    mutating func receiptString() throws(Unusual) -> String? {
        if try peekKind() == .string { return try readString() }
        try skipValue()
        return nil
    }

    /// `Bool` the same way (a number is not a Bool to `JSONDecoder`).
    mutating func receiptBool() throws(Unusual) -> Bool? {
        if try peekKind() == .bool { return try readBool() }
        try skipValue()
        return nil
    }

    /// `Int` the same way: a plain integer; another number `Unusual`; other kinds nil.
    mutating func receiptInt() throws(Unusual) -> Int? {
        switch try peekKind() {
        case .number: return try readPlainInt()
        default: try skipValue(); return nil
        }
    }

    /// A list read as `[String]` (`all`: nil unless every element is a string) and as the tab's
    /// `changed_files` (`some`: the string elements; nil when not a list).
    mutating func receiptStrings() throws(Unusual) -> (all: [String]?, some: [String]?) {
        guard try peekKind() == .array else { try skipValue(); return (nil, nil) }
        var strings: [String] = []
        var others = false
        try readArray { reader throws(Unusual) in
            if try reader.peekKind() == .string {
                strings.append(try reader.readString())
            } else {
                try reader.skipValue()
                others = true
            }
        }
        return (others ? nil : strings, strings)
    }

    /// `[RuntimeDependency]`: nil when not a list or when any element does not decode (not an
    /// object, no string `full_name`, a `version`/`pkg_version` of another kind).
    mutating func receiptDependencies() throws(Unusual) -> [InstallReceipt.RuntimeDependency]? {
        guard try peekKind() == .array else { try skipValue(); return nil }
        var dependencies: [InstallReceipt.RuntimeDependency] = []
        var failed = false
        try readArray { reader throws(Unusual) in
            guard try reader.peekKind() == .object else { try reader.skipValue(); failed = true; return }
            var fullName: String?
            var dependency = InstallReceipt.RuntimeDependency(fullName: "", version: nil, revision: 0, pkgVersion: nil,
                                                              declaredDirectly: false)
            var seen = Set<InstallReceipt.RuntimeDependency.CodingKeys>()
            var extra: [String: ReceiptJSONValue] = [:]
            try reader.readObject { reader, key throws(Unusual) in
                let name = key.string
                guard let field = InstallReceipt.RuntimeDependency.CodingKeys(stringValue: name) else {
                    guard extra[name] == nil else { throw Unusual() }
                    extra[name] = try ReceiptJSONValue(reading: &reader)
                    return
                }
                guard seen.insert(field).inserted else { throw Unusual() }
                switch field {
                case .fullName:
                    fullName = try reader.receiptString()
                    if fullName == nil { failed = true }
                case .version, .pkgVersion:
                    // `decodeIfPresent`: null is nil, another kind fails the element.
                    let value: String?
                    switch try reader.peekKind() {
                    case .string: value = try reader.readString()
                    case .null: try reader.readNull(); value = nil
                    default: try reader.skipValue(); failed = true; value = nil
                    }
                    if field == .version { dependency.version = value } else { dependency.pkgVersion = value }
                case .revision: dependency.revision = try reader.receiptInt() ?? 0
                case .declaredDirectly: dependency.declaredDirectly = try reader.receiptBool() ?? false
                }
            }
            guard let fullName else { failed = true; return }
            dependency.fullName = fullName
            dependency.extra = extra
            dependencies.append(dependency)
        }
        return failed ? nil : dependencies
    }

    /// `source`: nil when not an object.
    mutating func receiptSource() throws(Unusual) -> InstallReceipt.Source? {
        guard try peekKind() == .object else { try skipValue(); return nil }
        var source = InstallReceipt.Source(path: nil, tap: nil, tapGitHead: nil, versions: .init(stable: nil))
        var seen = Set<InstallReceipt.Source.CodingKeys>()
        var extra: [String: ReceiptJSONValue] = [:]
        try readObject { reader, key throws(Unusual) in
            let name = key.string
            guard let field = InstallReceipt.Source.CodingKeys(stringValue: name) else {
                guard extra[name] == nil else { throw Unusual() }
                extra[name] = try ReceiptJSONValue(reading: &reader)
                return
            }
            guard seen.insert(field).inserted else { throw Unusual() }
            switch field {
            case .path: source.path = try reader.receiptString()
            case .tap: source.tap = try reader.receiptString()
            case .tapGitHead: source.tapGitHead = try reader.receiptString()
            case .spec: source.spec = try reader.receiptString() ?? "stable"
            case .versions: source.versions = try reader.receiptVersions() ?? .init(stable: nil)
            }
        }
        source.extra = extra
        return source
    }

    /// `source.versions`: nil when not an object; an empty version string reads as nil.
    mutating func receiptVersions() throws(Unusual) -> InstallReceipt.Versions? {
        guard try peekKind() == .object else { try skipValue(); return nil }
        var versions = InstallReceipt.Versions(stable: nil)
        var seen = Set<InstallReceipt.Versions.CodingKeys>()
        var extra: [String: ReceiptJSONValue] = [:]
        try readObject { reader, key throws(Unusual) in
            let name = key.string
            guard let field = InstallReceipt.Versions.CodingKeys(stringValue: name) else {
                guard extra[name] == nil else { throw Unusual() }
                extra[name] = try ReceiptJSONValue(reading: &reader)
                return
            }
            guard seen.insert(field).inserted else { throw Unusual() }
            switch field {
            case .stable: versions.stable = try reader.receiptString().flatMap { $0.isEmpty ? nil : $0 }
            case .head: versions.head = try reader.receiptString().flatMap { $0.isEmpty ? nil : $0 }
            case .versionScheme: versions.versionScheme = try reader.receiptInt() ?? 0
            }
        }
        versions.extra = extra
        return versions
    }

    /// `built_on`: nil when not an object.
    mutating func receiptBuiltOn() throws(Unusual) -> InstallReceipt.BuiltOn? {
        guard try peekKind() == .object else { try skipValue(); return nil }
        var builtOn = InstallReceipt.BuiltOn(os: nil, osVersion: nil, cpuFamily: nil)
        var seen = Set<InstallReceipt.BuiltOn.CodingKeys>()
        var extra: [String: ReceiptJSONValue] = [:]
        try readObject { reader, key throws(Unusual) in
            let name = key.string
            guard let field = InstallReceipt.BuiltOn.CodingKeys(stringValue: name) else {
                guard extra[name] == nil else { throw Unusual() }
                extra[name] = try ReceiptJSONValue(reading: &reader)
                return
            }
            guard seen.insert(field).inserted else { throw Unusual() }
            switch field {
            case .os: builtOn.os = try reader.receiptString()
            case .osVersion: builtOn.osVersion = try reader.receiptString()
            case .cpuFamily: builtOn.cpuFamily = try reader.receiptString()
            }
        }
        builtOn.extra = extra
        return builtOn
    }
}
