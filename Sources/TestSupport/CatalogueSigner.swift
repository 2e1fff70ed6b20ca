import CCrypto
import Foundation
import PourCore

/// Writes `formula.jws.json` envelopes the way Homebrew publishes them (RFC 7797 JSON
/// serialisation, unencoded payload), plus deliberately broken variants for tests.
package enum CatalogueSigner {
    /// The protected header Homebrew uses.
    package static let standardHeader = #"{"alg":"PS512","b64":false,"crit":["b64"]}"#

    /// A signed envelope around `payload` (JSON text). `protectedHeader` lets tests sign with a
    /// header pour must refuse (wrong `alg`, `b64: true`…).
    /// `padded`: base64url with `=` padding, as Ruby's `Base64.urlsafe_encode64` writes by default.
    package static func envelope(payload: Data, key: TestSigningKey, protectedHeader: String = standardHeader,
                                keyID: String = "pour-test", padded: Bool = false) throws(RegistryError) -> Data {
        let entry = try signature(payload: payload, key: key, protectedHeader: protectedHeader, keyID: keyID, padded: padded)
        return envelope(payload: payload, signatures: [entry])
    }

    /// One entry of `signatures`: protected header, `header.kid` and signature, all as written.
    package struct SignatureEntry: Sendable {
        package var protected: String
        package var keyID: String
        package var signature: String

        package init(protected: String, keyID: String, signature: String) {
            self.protected = protected
            self.keyID = keyID
            self.signature = signature
        }
    }

    /// A signature entry over `payload` made with `key`.
    package static func signature(payload: Data, key: TestSigningKey, protectedHeader: String = standardHeader,
                                 keyID: String = "pour-test", padded: Bool = false) throws(RegistryError) -> SignatureEntry {
        func encode(_ data: Data) -> String {
            padded ? data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                : JWSVerifier.base64URLEncode(data)
        }
        let protected = encode(Data(protectedHeader.utf8))
        var input = Data(protected.utf8)
        input.append(UInt8(ascii: "."))
        input.append(payload)
        return SignatureEntry(protected: protected, keyID: keyID, signature: encode(try sign(input, key: key)))
    }

    /// An envelope carrying several signature entries, in order.
    package static func envelope(payload: Data, signatures: [SignatureEntry]) -> Data {
        var text = String(decoding: envelope(payload: payload, protected: "", signature: nil), as: UTF8.self)
        let entries = signatures.map { entry in
            #"{"protected":"\#(entry.protected)","header":{"kid":"\#(entry.keyID)"},"signature":"\#(entry.signature)"}"#
        }
        text.removeLast(2)  // "]}"
        text += entries.joined(separator: ",") + "]}"
        return Data(text.utf8)
    }

    /// An envelope with the given parts as they are; `signature` nil writes an empty list.
    package static func envelope(payload: Data, protected: String, signature: String?, keyID: String = "pour-test") -> Data {
        var writer = JSONTextWriter(reserving: payload.count + payload.count / 8 + 2048)
        writer.raw("{\"payload\":\"")
        var escaped: [UInt8] = []
        escaped.reserveCapacity(payload.count + payload.count / 8)
        JSONTextWriter.escape(payload, into: &escaped)
        var bytes = writer.bytes
        bytes.append(contentsOf: escaped)
        var tail = JSONTextWriter()
        tail.raw("\",\"signatures\":[")
        if let signature {
            tail.raw("{")
            tail.key("protected", first: true)
            tail.string(protected)
            tail.key("header")
            tail.raw("{")
            tail.key("kid", first: true)
            tail.string(keyID)
            tail.raw("}")
            tail.key("signature")
            tail.string(signature)
            tail.raw("}")
        }
        tail.raw("]}")
        bytes.append(contentsOf: tail.bytes)
        return Data(bytes)
    }

    static func sign(_ message: Data, key: TestSigningKey) throws(RegistryError) -> Data {
        var output = [UInt8](repeating: 0, count: 1024)
        let pem = Array(key.privatePEM.utf8)
        let capacity = output.count
        let length = pem.withUnsafeBufferPointer { pemBuffer in
            message.withUnsafeBytes { messageBuffer in
                output.withUnsafeMutableBufferPointer { out in
                    pemBuffer.withMemoryRebound(to: CChar.self) { chars in
                        pour_ps512_sign(chars.baseAddress, chars.count,
                                        messageBuffer.bindMemory(to: UInt8.self).baseAddress, messageBuffer.count,
                                        out.baseAddress, capacity)
                    }
                }
            }
        }
        guard length > 0 else { throw .invalidSpec("OpenSSL could not sign the catalogue") }
        return Data(output[0 ..< length])
    }
}
