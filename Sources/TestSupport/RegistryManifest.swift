import Foundation

/// `REG/manifest.json`: what the generator produced, so tests can check an installed keg has
/// exactly the files its bottle carried and benchmarks can report sizes.
///
/// Immutable value; safe to share across queues.
package struct RegistryManifest: Codable, Hashable, Sendable {
    package struct Entry: Codable, Hashable, Sendable {
        package var name: String
        package var pkgVersion: String
        package var sha256: String
        /// Compressed bottle size in bytes.
        package var size: Int
        /// Sum of regular-file sizes once extracted.
        package var installedSize: Int
        /// `:any`, `:any_skip_relocation` or a pinned path.
        package var cellar: String
        /// ghcr image name (`@`→`/`, `+`→`x`).
        package var image: String
        /// Sorted keg-relative paths of every non-directory member.
        package var files: [String]
        /// Keg-relative text files holding placeholders (the receipt's `changed_files`).
        package var changedFiles: [String]
        package var dependencies: [String]

        enum CodingKeys: String, CodingKey {
            case name, pkgVersion = "pkg_version", sha256, size, installedSize = "installed_size", cellar, image,
                 files, changedFiles = "changed_files", dependencies
        }
    }

    package var seed: UInt64
    package var recipe: String
    package var formulae: [String: Entry]

    /// Sum of the compressed bottle sizes.
    package var totalSize: Int { formulae.values.reduce(0) { $0 + $1.size } }

    package static func load(from registry: URL) throws -> RegistryManifest {
        let path = registry.appendingPathComponent("manifest.json").path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RegistryError.io(path: path, message: "missing")
        }
        do { return try JSONDecoder().decode(RegistryManifest.self, from: data) } catch {
            throw RegistryError.invalidJSON(path: path, message: "\(error)")
        }
    }
}
