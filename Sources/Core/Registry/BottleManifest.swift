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
    package static func parse(indexJSON data: Data, sha256: String) -> BottleManifest? {
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
}
