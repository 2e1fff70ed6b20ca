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
    package static func envelope(payload: Data, key: TestSigningKey, protectedHeader: String = standardHeader,
                                keyID: String = "pour-test") throws(RegistryError) -> Data {
        let protected = JWSVerifier.base64URLEncode(Data(protectedHeader.utf8))
        var input = Data(protected.utf8)
        input.append(UInt8(ascii: "."))
        input.append(payload)
        let signature = try sign(input, key: key)
        return envelope(payload: payload, protected: protected, signature: JWSVerifier.base64URLEncode(signature), keyID: keyID)
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
