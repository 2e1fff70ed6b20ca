import CCrypto
import Foundation

/// Verifies a JWS in JSON serialisation with an unencoded payload (RFC 7797), the format of
/// Homebrew's `formula.jws.json`, and returns the payload bytes.
///
/// Only one shape is accepted, on purpose: a protected header of exactly
/// `{"alg":"PS512","b64":false,"crit":["b64"]}` (an optional `kid` is tolerated), signing input
/// `protected + "." + payload`, RSA-PSS with SHA-512, MGF1-SHA-512 and a 64-byte salt. Anything
/// else — other algorithms, `b64` true or absent, unknown critical parameters — is refused, so a
/// downgrade cannot be negotiated by whoever serves the file. Stateless; safe from any queue.
package struct JWSVerifier: Sendable {
    /// PEM text of the trusted RSA public key.
    package let publicKeyPEM: String
    /// Where the key came from, for error messages.
    package let keySource: String

    package init(publicKeyPEM: String, keySource: String) {
        self.publicKeyPEM = publicKeyPEM
        self.keySource = keySource
    }

    /// Homebrew's own `homebrew-1` key.
    package static let homebrew = JWSVerifier(publicKeyPEM: HomebrewAPIKey.pem, keySource: "built-in homebrew-1 key")

    /// The verifier `settings` name: a PEM file when configured, else Homebrew's key.
    package static func configured(_ settings: IndexSettings) throws(IndexError) -> JWSVerifier {
        guard let path = settings.publicKeyPath else { return .homebrew }
        guard let data = FileManager.default.contents(atPath: path), let pem = String(data: data, encoding: .utf8) else {
            throw .publicKey(path: path, reason: "cannot read the file")
        }
        return JWSVerifier(publicKeyPEM: pem, keySource: path)
    }

    private struct Signature: Decodable {
        var protected: String?
        var signature: String?
    }

    /// The verified payload of `envelope`, or `.signature` naming why it was refused.
    package func payload(of envelope: Data, url: String) throws(IndexError) -> Data {
        guard let parts = JWSEnvelopeScanner.scan(envelope) else {
            throw .signature(url: url, reason: "not a JWS JSON document")
        }
        guard let payloadBytes = parts.payload else { throw .signature(url: url, reason: "no payload") }
        guard let signatureData = parts.signatures,
              let signatures = try? JSONDecoder().decode([Signature].self, from: signatureData), !signatures.isEmpty else {
            throw .signature(url: url, reason: "no signature")
        }
        var firstReason: String?
        for entry in signatures {
            switch check(entry, payload: payloadBytes) {
            case .success: return payloadBytes
            case .failure(let reason):
                if case .badKey(let detail) = reason { throw .publicKey(path: keySource, reason: detail) }
                if firstReason == nil { firstReason = reason.text }
            }
        }
        throw .signature(url: url, reason: firstReason ?? "no valid signature")
    }

    /// The protected header, typed strictly: `b64` must be a JSON boolean (a number or string
    /// reads as nil and is refused).
    private struct ProtectedHeader: Decodable {
        var alg: String?
        var b64: Bool?
        var crit: [String]?
        var keys: Set<String>

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: HeaderKey.self)
            keys = Set(container.allKeys.map(\.stringValue))
            alg = try? container.decode(String.self, forKey: HeaderKey("alg"))
            b64 = try? container.decode(Bool.self, forKey: HeaderKey("b64"))
            crit = try? container.decode([String].self, forKey: HeaderKey("crit"))
        }
    }

    private struct HeaderKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }

    private enum Rejection: Error {
        case header(String)
        case invalid
        case badKey(String)

        var text: String {
            switch self {
            case .header(let detail): return detail
            case .invalid: return "signature does not match the payload"
            case .badKey(let detail): return detail
            }
        }
    }

    private func check(_ entry: Signature, payload: Data) -> Result<Void, Rejection> {
        guard let protected = entry.protected, let signatureText = entry.signature else {
            return .failure(.header("signature entry lacks protected header or signature"))
        }
        guard let headerData = JWSVerifier.base64URLDecode(protected),
              let header = try? JSONDecoder().decode(ProtectedHeader.self, from: headerData) else {
            return .failure(.header("protected header is not base64url JSON"))
        }
        guard header.alg == "PS512" else {
            return .failure(.header("algorithm \(header.alg ?? "none") is not PS512"))
        }
        guard header.b64 == false else { return .failure(.header("b64 must be false (unencoded payload)")) }
        guard header.crit == ["b64"] else { return .failure(.header("crit must be exactly [\"b64\"]")) }
        let unexpected = header.keys.subtracting(["alg", "b64", "crit", "kid"])
        guard unexpected.isEmpty else {
            return .failure(.header("unexpected protected header parameters \(unexpected.sorted())"))
        }
        guard let signature = JWSVerifier.base64URLDecode(signatureText), !signature.isEmpty else {
            return .failure(.header("signature is not base64url"))
        }
        var input = Data(protected.utf8)
        input.append(UInt8(ascii: "."))
        input.append(payload)
        let pem = Array(publicKeyPEM.utf8)
        let verdict = pem.withUnsafeBufferPointer { key in
            input.withUnsafeBytes { message in
                signature.withUnsafeBytes { sig in
                    key.withMemoryRebound(to: CChar.self) { keyChars in
                        pour_ps512_verify(keyChars.baseAddress, keyChars.count,
                                          message.bindMemory(to: UInt8.self).baseAddress, message.count,
                                          sig.bindMemory(to: UInt8.self).baseAddress, sig.count)
                    }
                }
            }
        }
        switch verdict {
        case 1: return .success(())
        case 0: return .failure(.invalid)
        default: return .failure(.badKey("not an RSA package key in PEM form"))
        }
    }

    /// Base64url without padding (RFC 4648 §5), as JWS uses it; nil for anything else.
    package static func base64URLDecode(_ text: String) -> Data? {
        guard !text.contains("="), !text.contains("+"), !text.contains("/") else { return nil }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard.append("=") }
        return Data(base64Encoded: standard)
    }

    package static func base64URLEncode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
