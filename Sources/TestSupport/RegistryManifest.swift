import Foundation

/// `REG/manifest.json`: what the generator produced, so tests can check an installed keg has
/// exactly the files its bottle carried and benchmarks can report sizes.
///
/// Immutable value; safe to share across queues.
public struct RegistryManifest: Codable, Hashable, Sendable {
    public struct Entry: Codable, Hashable, Sendable {
        public var name: String
        public var pkgVersion: String
        public var sha256: String
        /// Compressed bottle size in bytes.
        public var size: Int
        /// Sum of regular-file sizes once extracted.
        public var installedSize: Int
        /// `:any`, `:any_skip_relocation` or a pinned path.
        public var cellar: String
        /// ghcr image name (`@`→`/`, `+`→`x`).
        public var image: String
        /// Sorted keg-relative paths of every non-directory member.
        public var files: [String]
        /// Keg-relative text files holding placeholders (the receipt's `changed_files`).
        public var changedFiles: [String]
        public var dependencies: [String]

        enum CodingKeys: String, CodingKey {
            case name, pkgVersion = "pkg_version", sha256, size, installedSize = "installed_size", cellar, image,
                 files, changedFiles = "changed_files", dependencies
        }
    }

    public var seed: UInt64
    public var recipe: String
    public var formulae: [String: Entry]

    /// Sum of the compressed bottle sizes.
    public var totalSize: Int { formulae.values.reduce(0) { $0 + $1.size } }

    public static func load(from registry: URL) throws -> RegistryManifest {
        let path = registry.appendingPathComponent("manifest.json").path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RegistryError.io(path: path, message: "missing")
        }
        do { return try JSONDecoder().decode(RegistryManifest.self, from: data) } catch {
            throw RegistryError.invalidJSON(path: path, message: "\(error)")
        }
    }
}
