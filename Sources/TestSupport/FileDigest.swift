import Foundation
import PourCore

/// SHA-256 of files and byte arrays for the generator, through PourCore's OpenSSL hasher.
enum FileDigest {
    static func sha256(ofFile path: String) throws -> String {
        let hasher = SHA256Hasher()
        do {
            try hasher.update(contentsOf: path)
        } catch {
            throw RegistryError.io(path: path, message: "cannot hash: \(error)")
        }
        return hasher.finalizeHex()
    }

    static func sha256(of bytes: [UInt8]) -> String {
        let hasher = SHA256Hasher()
        bytes.withUnsafeBytes { hasher.update($0) }
        return hasher.finalizeHex()
    }
}
