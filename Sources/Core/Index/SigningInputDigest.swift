import CCrypto
import Foundation

/// SHA-512 of a JWS signing input, `protected + "." + payload` (RFC 7797 §3, unencoded payload),
/// fed as the payload streams by. The verifier checks the signature against it; the decoding
/// pass computes it again over the bytes it decodes, and the index is published only when the
/// two agree — so what is indexed is exactly what was verified, even if the file changed between
/// the passes.
///
/// Confinement: not Sendable; owned by the one queue building the index.
final class SigningInputDigest {
    private let context: OpaquePointer

    init(protectedHeader: String) {
        LibraryBootstrap.ensureCrypto()
        // EVP_MD_CTX_new only fails on allocation failure, which Swift treats as fatal anyway.
        context = EVP_MD_CTX_new()!
        EVP_DigestInit_ex(context, EVP_sha512(), nil)
        var prefix = Array(protectedHeader.utf8)
        prefix.append(UInt8(ascii: "."))
        prefix.withUnsafeBytes { update($0) }
    }

    deinit { EVP_MD_CTX_free(context) }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    /// The 64-byte digest; the object is spent afterwards.
    func finish() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return Array(digest.prefix(Int(length)))
    }
}
