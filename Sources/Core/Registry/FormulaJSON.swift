import Foundation

/// A tolerant, decode-only mirror of one formula object of Homebrew's JSON API: an element of
/// `formula.json` or the whole of `formula/<name>.json`. Field meanings follow Homebrew's
/// `Formula#to_hash`.
///
/// Every field is optional and decoded leniently: a field of the wrong type reads as nil (and a
/// list element of the wrong type is dropped) instead of failing, because one odd formula must
/// not make the other 8,000 unusable. Unknown fields are ignored. Whether a field is *essential*
/// is decided later, by `FormulaSpecializer`.
///
/// Immutable value once decoded; safe to share across queues.
package struct FormulaJSON: Decodable, Hashable, Sendable {
    package var name: String?
    package var fullName: String?
    package var tap: String?
    package var oldnames: [String]?
    /// Older API documents carried a single `oldname` string instead of `oldnames`.
    package var oldname: String?
    package var aliases: [String]?
    package var desc: String?
    package var homepage: String?
    /// Only the plain SPDX string form; compound licences (`{"any_of": [...]}`) read as nil.
    package var license: String?
    package var versions: Versions?
    package var revision: Int?
    package var versionScheme: Int?
    package var bottle: BottleSection?
    package var kegOnly: Bool?
    package var kegOnlyReason: KegOnlyReason?
    /// Plain runtime dependency names, in declaration order.
    package var dependencies: [String]?
    /// `dependencies` elements written as `{"name": "build"}` / `{"name": ["build", "test"]}`
    /// objects (the shape Homebrew's per-tag internal API uses); routed by tag when specialising.
    package var taggedDependencies: [UsesFromMacOS]?
    package var buildDependencies: [String]?
    package var testDependencies: [String]?
    package var recommendedDependencies: [String]?
    package var optionalDependencies: [String]?
    package var usesFromMacOS: [UsesFromMacOS]?
    /// Parallel to `usesFromMacOS` (same index); an element that is not an object reads as empty
    /// so the alignment survives.
    package var usesFromMacOSBounds: [UsesFromMacOSBound]?
    package var conflictsWith: [String]?
    package var linkOverwrite: [String]?
    package var caveats: String?
    package var deprecated: Bool?
    package var disabled: Bool?
    package var postInstallDefined: Bool?
    /// Partial objects keyed by bottle tag, overlaid onto the top level for that tag (the top
    /// level describes arm64 macOS). Decoding with `FormulaJSON.onlyVariationKey` in the
    /// decoder's `userInfo` keeps just one tag's entry, which saves most of the work when a whole
    /// catalogue is decoded for one machine.
    package var variations: [String: FormulaJSON]?
    /// The known keys that were present in the object, even with a null or unreadable value: a
    /// variation overrides exactly the keys it carries, like Ruby's `Hash#merge`.
    package var presentFields: Set<Field>

    /// `userInfo` key (value: a tag's raw string) restricting which `variations` entry is decoded.
    // The initialiser is failable only in its signature; a constant non-empty key cannot fail.
    package static let onlyVariationKey = CodingUserInfoKey(rawValue: "pour.formula.onlyVariation")!

    /// The formula JSON keys pour reads.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package enum Field: String, CodingKey, Hashable, Sendable, CaseIterable {
        case name, tap, oldnames, oldname, aliases, desc, homepage, license, versions, revision
        case fullName = "full_name"
        case versionScheme = "version_scheme"
        case bottle
        case kegOnly = "keg_only"
        case kegOnlyReason = "keg_only_reason"
        case dependencies
        case buildDependencies = "build_dependencies"
        case testDependencies = "test_dependencies"
        case recommendedDependencies = "recommended_dependencies"
        case optionalDependencies = "optional_dependencies"
        case usesFromMacOS = "uses_from_macos"
        case usesFromMacOSBounds = "uses_from_macos_bounds"
        /// Decoded as present but its content is ignored: requirements are build-time or
        /// macOS-version checks that a published bottle has already satisfied.
        case requirements
        case conflictsWith = "conflicts_with"
        case linkOverwrite = "link_overwrite"
        case caveats, deprecated, disabled, variations
        case postInstallDefined = "post_install_defined"
    }

    /// `versions`: only `stable` matters for bottles.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct Versions: Decodable, Hashable, Sendable {
        package var stable: String?
        package var head: String?

        package init(stable: String?, head: String? = nil) {
            self.stable = stable
            self.head = head
        }

        package init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            stable = container.lenient(String.self, AnyKey("stable"))
            head = container.lenient(String.self, AnyKey("head"))
        }
    }

    /// `bottle`: only the `stable` spec is published for bottles.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct BottleSection: Decodable, Hashable, Sendable {
        package var stable: BottleSpec?

        package init(stable: BottleSpec?) { self.stable = stable }

        package init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            stable = container.lenient(BottleSpec.self, AnyKey("stable"))
        }
    }

    /// `bottle.stable`.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct BottleSpec: Decodable, Hashable, Sendable {
        package var rebuild: Int?
        package var rootURL: String?
        /// Keyed by bottle tag (`x86_64_linux`, `arm64_sonoma`, `all`…); unreadable entries dropped.
        package var files: [String: BottleFile]?

        package init(rebuild: Int? = nil, rootURL: String? = nil, files: [String: BottleFile]? = nil) {
            self.rebuild = rebuild
            self.rootURL = rootURL
            self.files = files
        }

        package init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            rebuild = container.lenientInt(AnyKey("rebuild"))
            rootURL = container.lenient(String.self, AnyKey("root_url"))
            if let filesContainer = try? container.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("files")) {
                var files: [String: BottleFile] = [:]
                for key in filesContainer.allKeys {
                    if let file = try? filesContainer.decode(BottleFile.self, forKey: key) {
                        files[key.stringValue] = file
                    }
                }
                self.files = files
            }
        }
    }

    /// `bottle.stable.files.<tag>`.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct BottleFile: Decodable, Hashable, Sendable {
        package var cellar: String?
        package var url: String?
        package var sha256: String?

        package init(cellar: String?, url: String?, sha256: String?) {
            self.cellar = cellar
            self.url = url
            self.sha256 = sha256
        }

        package init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            cellar = container.lenient(String.self, AnyKey("cellar"))
            url = container.lenient(String.self, AnyKey("url"))
            sha256 = container.lenient(String.self, AnyKey("sha256"))
        }
    }

    /// `keg_only_reason`: `reason` is a Ruby symbol rendered as a string (`":versioned_formula"`).
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct KegOnlyReason: Decodable, Hashable, Sendable {
        package var reason: String?
        package var explanation: String?

        package init(reason: String?, explanation: String? = nil) {
            self.reason = reason
            self.explanation = explanation
        }

        package init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            reason = container.lenient(String.self, AnyKey("reason"))
            explanation = container.lenient(String.self, AnyKey("explanation"))
        }
    }

    /// One `uses_from_macos` entry: `"zlib"`, `{"gperf": "build"}` or `{"llvm": ["build", "test"]}`
    /// (also the shape of a tagged `dependencies` element).
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct UsesFromMacOS: Decodable, Hashable, Sendable {
        package var name: String
        /// Dependency tags without a leading colon (`build`, `test`); empty for a runtime use.
        package var tags: [String]

        package init(name: String, tags: [String] = []) {
            self.name = name
            self.tags = tags
        }

        /// Never throws: an unreadable entry keeps its slot with an empty `name` (skipped when
        /// specialising) so that `uses_from_macos_bounds`, a parallel array, stays aligned.
        package init(from decoder: Decoder) throws {
            if let single = try? decoder.singleValueContainer(), let plain = try? single.decode(String.self) {
                self.init(name: plain)
                return
            }
            // One key per entry in every real catalogue (`{"zlib": "build"}`). With several, brew
            // keeps the first in document order (`software_spec.rb#uses_from_macos`: `dep, tags =
            // bounds.shift` on the Ruby Hash; the rest are bounds), which `JSONDecoder` does not expose:
            // its `allKeys` come in hash order, which differed between two decodes of one document
            // (`FormulaJSONReadingTests.testRandomlyMutatedDocumentsReadLikeTheDecoder`). The
            // smallest key at least gives the same answer every time.
            guard let container = try? decoder.container(keyedBy: AnyKey.self),
                  let key = container.allKeys.min(by: { $0.stringValue < $1.stringValue }) else {
                self.init(name: "")
                return
            }
            let tags: [String]
            if let one = container.lenient(String.self, key) {
                tags = [one]
            } else if let many = container.lenientArray(String.self, key) {
                tags = many
            } else {
                self.init(name: "")  // `{"x": 1}`: not a dependency we can read
                return
            }
            self.init(name: key.stringValue, tags: tags.map { $0.hasPrefix(":") ? String($0.dropFirst()) : $0 })
        }
    }

    /// One `uses_from_macos_bounds` element, e.g. `{"since": "catalina"}`: on macOS older than
    /// `since` the entry is a real dependency.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct UsesFromMacOSBound: Decodable, Hashable, Sendable {
        package var since: String?

        package init(since: String? = nil) { self.since = since }

        /// Never throws, so that a malformed element keeps its slot in the parallel array.
        package init(from decoder: Decoder) throws {
            let container = try? decoder.container(keyedBy: AnyKey.self)
            since = container?.lenient(String.self, AnyKey("since"))
        }
    }

    package init(name: String? = nil, versions: Versions? = nil) {
        self.name = name
        self.versions = versions
        presentFields = []
        if name != nil { presentFields.insert(.name) }
        if versions != nil { presentFields.insert(.versions) }
    }

    package init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Field.self)
        presentFields = Set(container.allKeys)
        name = container.lenient(String.self, .name)
        fullName = container.lenient(String.self, .fullName)
        tap = container.lenient(String.self, .tap)
        oldnames = container.lenientArray(String.self, .oldnames)
        oldname = container.lenient(String.self, .oldname)
        aliases = container.lenientArray(String.self, .aliases)
        desc = container.lenient(String.self, .desc)
        homepage = container.lenient(String.self, .homepage)
        license = container.lenient(String.self, .license)
        versions = container.lenient(Versions.self, .versions)
        revision = container.lenientInt(.revision)
        versionScheme = container.lenientInt(.versionScheme)
        bottle = container.lenient(BottleSection.self, .bottle)
        kegOnly = container.lenient(Bool.self, .kegOnly)
        kegOnlyReason = container.lenient(KegOnlyReason.self, .kegOnlyReason)
        // Fast path: the public API lists plain strings; only a list with other elements pays
        // for decoding every element as a possibly tagged entry.
        if let plain = container.lenientArray(String.self, .dependencies) {
            let total = (try? container.nestedUnkeyedContainer(forKey: .dependencies))?.count
            if plain.count == total {
                dependencies = plain
            } else if let entries = container.lenientArray(UsesFromMacOS.self, .dependencies) {
                dependencies = entries.filter { $0.tags.isEmpty && !$0.name.isEmpty }.map(\.name)
                let tagged = entries.filter { !$0.tags.isEmpty }
                taggedDependencies = tagged.isEmpty ? nil : tagged
            }
        }
        buildDependencies = container.lenientArray(String.self, .buildDependencies)
        testDependencies = container.lenientArray(String.self, .testDependencies)
        recommendedDependencies = container.lenientArray(String.self, .recommendedDependencies)
        optionalDependencies = container.lenientArray(String.self, .optionalDependencies)
        usesFromMacOS = container.lenientArray(UsesFromMacOS.self, .usesFromMacOS)
        usesFromMacOSBounds = container.lenientArray(UsesFromMacOSBound.self, .usesFromMacOSBounds)
        conflictsWith = container.lenientArray(String.self, .conflictsWith)
        linkOverwrite = container.lenientArray(String.self, .linkOverwrite)
        caveats = container.lenient(String.self, .caveats)
        deprecated = container.lenient(Bool.self, .deprecated)
        disabled = container.lenient(Bool.self, .disabled)
        postInstallDefined = container.lenient(Bool.self, .postInstallDefined)
        if let variationsContainer = try? container.nestedContainer(keyedBy: AnyKey.self, forKey: .variations) {
            var variations: [String: FormulaJSON] = [:]
            if let only = decoder.userInfo[FormulaJSON.onlyVariationKey] as? String {
                if let variation = try? variationsContainer.decode(FormulaJSON.self, forKey: AnyKey(only)) {
                    variations[only] = variation
                }
            } else {
                for key in variationsContainer.allKeys {
                    if let variation = try? variationsContainer.decode(FormulaJSON.self, forKey: key) {
                        variations[key.stringValue] = variation
                    }
                }
            }
            self.variations = variations
        }
    }
}

// MARK: - Decoding whole documents

extension FormulaJSON {
    /// Decodes `formula.json` (a JSON array of formula objects) in one `JSONDecoder` pass.
    ///
    /// An element that is not an object becomes nil rather than failing the array, so callers can
    /// report it and carry on. When `tag` is given only that tag's variation is kept.
    package static func decodeArray(_ data: Data, source: String,
                                   tag: BottleTag? = nil) throws(RegistryError) -> [FormulaJSON?] {
        do {
            return try decoder(tag: tag).decode([Lenient].self, from: data).map(\.value)
        } catch {
            throw .malformedJSON(source: source, detail: Self.summary(of: error))
        }
    }

    /// Decodes one formula object (`formula/<name>.json`): by the byte reader when the document
    /// is plain (`FormulaJSON+Reading.swift`, same result), else by `JSONDecoder`.
    package static func decodeObject(_ data: Data, source: String,
                                    tag: BottleTag? = nil) throws(RegistryError) -> FormulaJSON {
        if let formula = read(data, onlyVariation: tag?.rawValue) { return formula }
        return try decodeObjectWithDecoder(data, source: source, tag: tag)
    }

    /// `decodeObject` by `JSONDecoder` alone (the reference the byte reader is tested against).
    package static func decodeObjectWithDecoder(_ data: Data, source: String,
                                               tag: BottleTag? = nil) throws(RegistryError) -> FormulaJSON {
        do {
            return try decoder(tag: tag).decode(FormulaJSON.self, from: data)
        } catch {
            throw .malformedJSON(source: source, detail: Self.summary(of: error))
        }
    }

    private static func decoder(tag: BottleTag?) -> JSONDecoder {
        let decoder = JSONDecoder()
        if let tag { decoder.userInfo[onlyVariationKey] = tag.rawValue }
        return decoder
    }

    /// A short, single-line reason for a decoding failure (the full `DecodingError` dump is long).
    private static func summary(of error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        case DecodingError.typeMismatch(let type, let context):
            return "expected \(type) at \(path(context.codingPath))"
        case DecodingError.keyNotFound(let key, let context):
            return "missing '\(key.stringValue)' at \(path(context.codingPath))"
        case DecodingError.valueNotFound(let type, let context):
            return "null instead of \(type) at \(path(context.codingPath))"
        default:
            return String(describing: error)
        }
    }

    private static func path(_ codingPath: [CodingKey]) -> String {
        codingPath.isEmpty ? "top level" : codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    /// An array element that never fails: nil when it is not a formula object.
    private struct Lenient: Decodable {
        let value: FormulaJSON?
        init(from decoder: Decoder) throws { value = try? FormulaJSON(from: decoder) }
    }
}

// MARK: - Lenient decoding helpers

/// A coding key for objects whose keys are data (bottle tags, dependency names). File-private,
/// like the helpers below, so other layers' decoding helpers cannot clash with these names.
private struct AnyKey: CodingKey, Hashable {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

/// Consumes any JSON value; used to step over list elements of the wrong type.
private struct SkippedValue: Decodable {
    init(from decoder: Decoder) throws {}
}

fileprivate extension KeyedDecodingContainer {
    /// The value, or nil when absent, null or of another type.
    func lenient<T: Decodable>(_ type: T.Type, _ key: Key) -> T? {
        (try? decodeIfPresent(type, forKey: key)) ?? nil
    }

    /// An integer, also accepted as a whole-number float or a numeric string.
    func lenientInt(_ key: Key) -> Int? {
        if let int = lenient(Int.self, key) { return int }
        if let double = lenient(Double.self, key), double.rounded() == double, abs(double) < 1e15 { return Int(double) }
        if let string = lenient(String.self, key) { return Int(string) }
        return nil
    }

    /// A list whose unreadable elements are dropped; nil when absent or not a list.
    func lenientArray<T: Decodable>(_ type: T.Type, _ key: Key) -> [T]? {
        guard var list = try? nestedUnkeyedContainer(forKey: key) else { return nil }
        var values: [T] = []
        if let count = list.count { values.reserveCapacity(count) }
        while !list.isAtEnd {
            if let value = try? list.decode(T.self) {
                values.append(value)
            } else if (try? list.decodeNil()) == true {
                continue
            } else if (try? list.decode(SkippedValue.self)) == nil {
                break  // cannot step over the element: stop rather than loop forever
            }
        }
        return values
    }
}
