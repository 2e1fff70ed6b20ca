import CCrypto
import Foundation

/// Verifies a JWS in JSON serialisation with an unencoded payload (RFC 7797), the format of
/// Homebrew's `formula.jws.json`, and returns the payload bytes.
///
/// The rules are brew's (`Library/Homebrew/api.rb#verify_and_parse_jws`): the signature entry is
/// chosen by its unprotected `header.kid` (`homebrew-1` for Homebrew's key); its protected header
/// must say `"alg":"PS512"` and `"b64":false` (a JSON boolean; absent means true and is refused)
/// and any other protected parameter is ignored, as brew ignores it; the signing input is
/// `protected + "." + payload`, verified with RSA-PSS, SHA-512, MGF1-SHA-512 and a 64-byte salt.
/// base64url is read with or without `=` padding (Ruby's `urlsafe_encode64` pads by default and
/// brew's `urlsafe_decode64` pads before decoding). A verifier without a key ID (a key configured
/// without `POUR_API_PUBLIC_KEY_ID`) tries every entry. Stateless; safe from any queue.
package struct JWSVerifier: Sendable {
    /// PEM text of the trusted RSA public key.
    package let publicKeyPEM: String
    /// Where the key came from, for error messages.
    package let keySource: String
    /// The `kid` whose signature entry is verified; nil to try every entry.
    package let keyID: String?

    package init(publicKeyPEM: String, keySource: String, keyID: String? = nil) {
        self.publicKeyPEM = publicKeyPEM
        self.keySource = keySource
        self.keyID = keyID
    }

    /// Homebrew's own `homebrew-1` key.
    package static let homebrew = JWSVerifier(publicKeyPEM: HomebrewAPIKey.pem, keySource: "built-in homebrew-1 key",
                                             keyID: "homebrew-1")

    /// The verifier `settings` name: a PEM file when configured, else Homebrew's key.
    package static func configured(_ settings: IndexSettings) throws(IndexError) -> JWSVerifier {
        guard let path = settings.publicKeyPath else { return .homebrew }
        guard let data = FileManager.default.contents(atPath: path), let pem = String(data: data, encoding: .utf8) else {
            throw .publicKey(path: path, reason: "cannot read the file")
        }
        return JWSVerifier(publicKeyPEM: pem, keySource: path, keyID: settings.publicKeyID)
    }

    private struct Signature: Decodable {
        struct Header: Decodable { var kid: String? }
        var protected: String?
        var header: Header?
        var signature: String?

        enum CodingKeys: String, CodingKey { case protected, header, signature }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            protected = try? c.decodeIfPresent(String.self, forKey: .protected)
            header = try? c.decodeIfPresent(Header.self, forKey: .header)
            signature = try? c.decodeIfPresent(String.self, forKey: .signature)
        }
    }

    /// What verification established: where the payload starts in the envelope, and the digest
    /// the signature covers, for the decoding pass to check it reads the same bytes.
    package struct VerifiedPayload {
        var offset: Int64
        var protectedHeader: String
        var digest: [UInt8]
    }

    /// Verifies the envelope `reader` reads, streaming its payload through SHA-512 without
    /// holding it; `.signature` names why it was refused.
    package func verify(_ reader: CatalogueReader, url: String) throws(IndexError) -> VerifiedPayload {
        guard let envelope = JWSEnvelope.scan(reader) else {
            throw .signature(url: url, reason: reader.readFailure ?? "not a JWS JSON document")
        }
        guard let offset = envelope.payloadOffset else { throw .signature(url: url, reason: "no payload") }
        guard let signatureData = envelope.signatures,
              let signatures = try? JSONDecoder().decode([Signature].self, from: signatureData), !signatures.isEmpty else {
            throw .signature(url: url, reason: "no signature")
        }
        var candidates = signatures
        if let keyID {
            // api.rb#homebrew_jws_signature: the entry whose header names our key, and only it.
            guard let chosen = signatures.first(where: { $0.header?.kid == keyID }) else {
                throw .signature(url: url, reason: "no signature by key \(keyID)")
            }
            candidates = [chosen]
        }
        var firstReason: String?
        for entry in candidates {
            switch check(entry, reader: reader, payloadOffset: offset) {
            case .success(let verified): return verified
            case .failure(let reason):
                if case .badKey(let detail) = reason { throw .publicKey(path: keySource, reason: detail) }
                if firstReason == nil { firstReason = reason.text }
            }
        }
        throw .signature(url: url, reason: firstReason ?? "no valid signature")
    }

    /// The verified payload of `envelope`, whole (small envelopes and tests; `pour update`
    /// streams instead).
    package func payload(of envelope: Data, url: String) throws(IndexError) -> Data {
        let reader = CatalogueReader(data: envelope)
        let verified = try verify(reader, url: url)
        var payload = Data()
        _ = JWSEnvelope.streamPayload(reader, from: verified.offset) { (run: UnsafeRawBufferPointer) throws(Never) in
            payload.append(contentsOf: run)
        }
        return payload
    }

    /// The protected header: `alg` and `b64` (a JSON boolean; a number or string reads as nil
    /// and is refused); other parameters are ignored, as brew ignores them.
    private struct ProtectedHeader: Decodable {
        var alg: String?
        var b64: Bool?

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: HeaderKey.self)
            alg = try? container.decode(String.self, forKey: HeaderKey("alg"))
            b64 = try? container.decode(Bool.self, forKey: HeaderKey("b64"))
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

    private func check(_ entry: Signature, reader: CatalogueReader,
                       payloadOffset: Int64) -> Result<VerifiedPayload, Rejection> {
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
        guard let signature = JWSVerifier.base64URLDecode(signatureText), !signature.isEmpty else {
            return .failure(.header("signature is not base64url"))
        }
        let hasher = SigningInputDigest(protectedHeader: protected)
        guard JWSEnvelope.streamPayload(reader, from: payloadOffset, into: { (run: UnsafeRawBufferPointer) throws(Never) in
            hasher.update(run)
        }) else {
            return .failure(.header("the payload is not a well-formed JSON string"))
        }
        let digest = hasher.finish()
        let pem = Array(publicKeyPEM.utf8)
        let verdict = pem.withUnsafeBufferPointer { key in
            digest.withUnsafeBufferPointer { message in
                signature.withUnsafeBytes { sig in
                    key.withMemoryRebound(to: CChar.self) { keyChars in
                        pour_ps512_verify_digest(keyChars.baseAddress, keyChars.count, message.baseAddress, message.count,
                                                 sig.bindMemory(to: UInt8.self).baseAddress, sig.count)
                    }
                }
            }
        }
        switch verdict {
        case 1: return .success(VerifiedPayload(offset: payloadOffset, protectedHeader: protected, digest: digest))
        case 0: return .failure(.invalid)
        default: return .failure(.badKey("not an RSA package key in PEM form"))
        }
    }

    /// Base64url (RFC 4648 §5) with or without trailing `=` padding; nil for anything else
    /// (standard-alphabet `+`/`/`, padding in the middle, a wrong amount of padding).
    package static func base64URLDecode(_ text: String) -> Data? {
        var body = Substring(text)
        var padding = 0
        while body.hasSuffix("=") { body.removeLast(); padding += 1 }
        guard padding <= 2, !body.contains("="), !body.contains("+"), !body.contains("/") else { return nil }
        if padding > 0 && (body.count + padding) % 4 != 0 { return nil }
        var standard = body.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard.append("=") }
        return Data(base64Encoded: standard)
    }

    package static func base64URLEncode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
