import CCrypto
import Foundation

/// Incremental SHA-256 through OpenSSL's EVP interface (uses SHA-NI where the CPU has it).
///
/// Confinement: not thread-safe; owned by one serial queue at a time (a download's sink queue).
/// `@unchecked Sendable` so the owner can move it between queues it serialises itself.
package final class SHA256Hasher: @unchecked Sendable {
    private let context: OpaquePointer

    package init() {
        LibraryBootstrap.ensureCrypto()
        // EVP_MD_CTX_new only fails on allocation failure, which Swift treats as fatal anyway.
        context = EVP_MD_CTX_new()!
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    package func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    package func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    /// Starts over, as if newly created.
    package func reset() {
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    /// The lower-case hex digest. The hasher must be `reset()` before further use.
    package func finalizeHex() -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return SHA256Hasher.hex(digest)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Hashes a string (cache names are keyed by the SHA-256 of the URL, as Homebrew does).
    package static func hex(of string: String) -> String {
        let hasher = SHA256Hasher()
        hasher.update(Data(string.utf8))
        return hasher.finalizeHex()
    }

    /// Hashes the first `length` bytes of a file (all of it when nil) in 1 MiB reads. Blocking:
    /// call it on a sink or worker queue, never on the I/O thread.
    package func update(contentsOf path: String, length: Int64? = nil) throws(TransferError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .fileSystem(path: path, message: errnoText()) }
        defer { close(fd) }
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var remaining = length ?? Int64.max
        while remaining > 0 {
            let want = Int(min(Int64(chunk), remaining))
            let got = read(fd, buffer.baseAddress, want)
            if got < 0 {
                if errno == EINTR { continue }
                throw .fileSystem(path: path, message: errnoText())
            }
            if got == 0 { break }
            update(UnsafeRawBufferPointer(rebasing: buffer[0..<got]))
            remaining -= Int64(got)
        }
    }
}
