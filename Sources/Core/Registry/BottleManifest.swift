import Foundation

/// What Homebrew's OCI image index says about one bottle file: its size (pour admits the largest
/// downloads first) and the receipt brew built it with (`sh.brew.tab`), whose `changed_files`
/// tells relocation exactly which files carry placeholders.
///
/// Immutable value; safe to share across queues.
package struct BottleManifest: Sendable, Equatable {
    package var size: Int64?
    package var installedSize: Int64?
    /// The tab's JSON object as published, for fields pour does not model.
    package var tabJSON: String?

    package init(size: Int64? = nil, installedSize: Int64? = nil, tabJSON: String? = nil) {
        self.size = size
        self.installedSize = installedSize
        self.tabJSON = tabJSON
    }

    /// Keg-relative files with placeholders, from the tab; nil when the tab does not say. Read
    /// from `tabJSON` when asked: the install path reads the tab once, through `BottleTab`, and
    /// parsing it here as well for every manifest was wasted work (Docs/Performance.md, "third pass").
    package var changedFiles: [String]? {
        guard let tabJSON, let object = try? JSONSerialization.jsonObject(with: Data(tabJSON.utf8)) as? [String: Any]
        else { return nil }
        return object["changed_files"] as? [String]
    }

    /// The media type brew asks for.
    package static let acceptHeader = "Accept: application/vnd.oci.image.index.v1+json"

    /// Picks the index entry whose `sh.brew.bottle.digest` is `sha256`; nil when none matches or the
    /// document is not an image index.
    ///
    /// A plain document is read by `read(indexJSON:sha256:)` (the same answer without building
    /// `JSONSerialization`'s dictionaries: Docs/Performance.md, "Fourth pass"); any other by
    /// `parseWithSerialization`.
    package static func parse(indexJSON data: Data, sha256: String) -> BottleManifest? {
        if let answer = read(indexJSON: data, sha256: sha256) { return answer }
        return parseWithSerialization(indexJSON: data, sha256: sha256)
    }

    /// `parse` by `JSONSerialization` alone (the reference `read` is tested against).
    static func parseWithSerialization(indexJSON data: Data, sha256: String) -> BottleManifest? {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let manifests = root["manifests"] as? [[String: Any]] else { return nil }
        for entry in manifests {
            guard let annotations = entry["annotations"] as? [String: Any],
                  (annotations["sh.brew.bottle.digest"] as? String)?.lowercased() == sha256.lowercased() else { continue }
            var manifest = BottleManifest()
            manifest.size = (annotations["sh.brew.bottle.size"] as? String).flatMap { Int64($0) }
            manifest.installedSize = (annotations["sh.brew.bottle.installed_size"] as? String).flatMap { Int64($0) }
            manifest.tabJSON = annotations["sh.brew.tab"] as? String
            return manifest
        }
        return nil
    }

    /// The answer of `parseWithSerialization` for a plain RFC 8259 document without repeated
    /// keys among those read; nil (no answer) for any other document.
    static func read(indexJSON data: Data, sha256: String) -> BottleManifest?? {
        let wanted = sha256.lowercased()
        return data.withUnsafeBytes { raw -> BottleManifest?? in
            var reader = JSONByteReader(raw)
            do throws(JSONByteReader.Unusual) {
                guard try reader.peekKind() == .object else { throw JSONByteReader.Unusual() }
                var found: BottleManifest?
                var sawManifests = false
                // `[[String: Any]]`: one element that is not an object and the cast fails.
                var allObjects = true
                var isList = false
                try reader.readObject { reader, key throws(JSONByteReader.Unusual) in
                    guard key.equals("manifests") else { return try reader.skipValue() }
                    guard !sawManifests else { throw JSONByteReader.Unusual() }
                    sawManifests = true
                    guard try reader.peekKind() == .array else { return try reader.skipValue() }
                    isList = true
                    try reader.readArray { reader throws(JSONByteReader.Unusual) in
                        guard try reader.peekKind() == .object else {
                            allObjects = false
                            return try reader.skipValue()
                        }
                        let entry = try readEntry(&reader)
                        if found == nil, let entry, entry.digest?.lowercased() == wanted { found = entry.manifest }
                    }
                }
                try reader.finish()
                return .some(isList && allObjects ? found : nil)
            } catch {
                return nil
            }
        }
    }

    /// One `manifests` element: its annotations' digest and the manifest they describe; nil
    /// when it has no annotations object.
    private static func readEntry(_ reader: inout JSONByteReader) throws(JSONByteReader.Unusual)
        -> (digest: String?, manifest: BottleManifest)? {
        var entry: (digest: String?, manifest: BottleManifest)?
        var sawAnnotations = false
        try reader.readObject { reader, key throws(JSONByteReader.Unusual) in
            guard key.equals("annotations") else { return try reader.skipValue() }
            guard !sawAnnotations else { throw JSONByteReader.Unusual() }
            sawAnnotations = true
            guard try reader.peekKind() == .object else { return try reader.skipValue() }
            var digest: String?
            var manifest = BottleManifest()
            var seen = (digest: false, size: false, installed: false, tab: false)
            func once(_ flag: inout Bool) throws(JSONByteReader.Unusual) {
                guard !flag else { throw JSONByteReader.Unusual() }
                flag = true
            }
            try reader.readObject { reader, key throws(JSONByteReader.Unusual) in
                if key.equals("sh.brew.bottle.digest") {
                    try once(&seen.digest)
                    digest = try reader.stringOrNil()
                } else if key.equals("sh.brew.bottle.size") {
                    try once(&seen.size)
                    manifest.size = try reader.stringOrNil().flatMap { Int64($0) }
                } else if key.equals("sh.brew.bottle.installed_size") {
                    try once(&seen.installed)
                    manifest.installedSize = try reader.stringOrNil().flatMap { Int64($0) }
                } else if key.equals("sh.brew.tab") {
                    try once(&seen.tab)
                    manifest.tabJSON = try reader.stringOrNil()
                } else {
                    try reader.skipValue()
                }
            }
            entry = (digest, manifest)
        }
        return entry
    }
}

private extension JSONByteReader {
    /// A string value; nil for any other kind (`as? String`).
    mutating func stringOrNil() throws(Unusual) -> String? {
        if try peekKind() == .string { return try readString() }
        try skipValue()
        return nil
    }
}
