import CArchive
import Foundation
import PourCore

/// SHA-256 of a gzip file's inflated bytes: an OCI image config's `rootfs.diff_ids` names the
/// uncompressed tar, as `brew bottle` uploads do (Library/Homebrew/github_packages.rb hashes the
/// gunzipped bottle for `write_image_config`).
enum UncompressedDigest {
    static func sha256(ofGzipFile path: String) throws(MirrorError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidRegistry(path: path, message: "cannot read bottle")
        }
        let hasher = SHA256Hasher()
        var stream = z_stream()
        guard pour_inflate_init_gzip(&stream) == Z_OK else {
            throw .invalidRegistry(path: path, message: "zlib inflateInit failed")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: 256 * 1024)
        var result = Z_OK
        data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(input.count)
            while result == Z_OK {
                output.withUnsafeMutableBytes { buffer in
                    stream.next_out = buffer.bindMemory(to: Bytef.self).baseAddress
                    stream.avail_out = uInt(buffer.count)
                    result = inflate(&stream, Z_NO_FLUSH)
                    hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<(buffer.count - Int(stream.avail_out))]))
                }
            }
        }
        guard result == Z_STREAM_END else {
            throw .invalidRegistry(path: path, message: "not a complete gzip stream (zlib \(result))")
        }
        return hasher.finalizeHex()
    }
}
