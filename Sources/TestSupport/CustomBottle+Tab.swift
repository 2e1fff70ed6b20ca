import Foundation

extension CustomBottle {
    /// Makes the registry's OCI image index for formula `name` describe the bottle with digest
    /// `sha256` (as `publish` left it) and carry `tab` as its `sh.brew.tab` annotation — the way
    /// ghcr publishes a bottle's receipt — or no tab at all when `tab` is nil.
    package static func publishIndexTab(_ tab: [String: Any]?, sha256: String, as name: String, in registry: URL,
                                       manifest: RegistryManifest) throws {
        guard let entry = manifest.formulae[name] else { throw RegistryError.invalidSpec("no formula \(name) in the registry") }
        let url = registry.appendingPathComponent("manifests/\(entry.image)/\(entry.pkgVersion)")
        guard let data = FileManager.default.contents(atPath: url.path),
              var index = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let manifests = index["manifests"] as? [[String: Any]] else {
            throw RegistryError.invalidJSON(path: url.path, message: "not an image index")
        }
        let tabText = try tab.map {
            String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .withoutEscapingSlashes]),
                   as: UTF8.self)
        }
        // The size describes the published blob too (pour checks a download's length against it).
        let blob = registry.appendingPathComponent("blobs/sha256:\(sha256)").path
        let size = (try? FileManager.default.attributesOfItem(atPath: blob)[.size] as? NSNumber)?.int64Value
        index["manifests"] = manifests.map { item -> [String: Any] in
            var item = item
            var annotations = item["annotations"] as? [String: Any] ?? [:]
            annotations["sh.brew.bottle.digest"] = sha256
            if let size { annotations["sh.brew.bottle.size"] = String(size) }
            annotations["sh.brew.tab"] = tabText
            item["annotations"] = annotations
            return item
        }
        do {
            try JSONSerialization.data(withJSONObject: index, options: [.sortedKeys]).write(to: url)
        } catch {
            throw RegistryError.io(path: url.path, message: "\(error)")
        }
    }

    /// Replaces the flat-mirror copies (`bottles/<name>-<pkg_version>.<tag>.bottle.tar.gz`, what a
    /// `HOMEBREW_BOTTLE_DOMAIN` without `/v2/` serves) of formula `name` with the file at `bottlePath`.
    package static func publishFlat(bottleAt bottlePath: String, as name: String, tags: [String], in registry: URL,
                                   manifest: RegistryManifest) throws {
        guard let entry = manifest.formulae[name] else { throw RegistryError.invalidSpec("no formula \(name) in the registry") }
        for tag in tags {
            let flat = registry.appendingPathComponent("bottles/\(name)-\(entry.pkgVersion).\(tag).bottle.tar.gz").path
            try? FileManager.default.removeItem(atPath: flat)
            do { try FileManager.default.copyItem(atPath: bottlePath, toPath: flat) } catch {
                throw RegistryError.io(path: flat, message: "\(error)")
            }
        }
    }
}
