import CCrypto
import Foundation

/// An RSA key pair made with OpenSSL for signing test catalogues. Never Homebrew's key: tests
/// and benchmarks point pour at `publicPEM` through `POUR_API_PUBLIC_KEY`.
///
/// Immutable value; safe to share.
package struct TestSigningKey: Sendable {
    package let privatePEM: String
    package let publicPEM: String

    /// A fresh key. 2048 bits by default: generation time matters in tests and the verifier
    /// does not depend on the size.
    package static func generate(bits: Int = 2048) throws(RegistryError) -> TestSigningKey {
        var privatePointer: UnsafeMutablePointer<CChar>?
        var publicPointer: UnsafeMutablePointer<CChar>?
        guard pour_rsa_generate_pem(Int32(bits), &privatePointer, &publicPointer) == 1,
              let privatePointer, let publicPointer else {
            throw .invalidSpec("OpenSSL could not generate an RSA-\(bits) key")
        }
        defer {
            free(privatePointer)
            free(publicPointer)
        }
        return TestSigningKey(privatePEM: String(cString: privatePointer), publicPEM: String(cString: publicPointer))
    }
}
