import Foundation
import PourCore
import PourTestSupport
import XCTest

/// `formula.jws.json` verification: only PS512 with an unencoded payload and a valid signature
/// by the configured key is accepted, directly and through `pour update`.
final class IndexSignatureTests: XCTestCase {
    private var key: TestSigningKey!
    private var verifier: JWSVerifier!
    private let payload = Data(#"[{"name":"zlib","versions":{"stable":"1.3.1"}}]"#.utf8)

    override func setUpWithError() throws {
        key = try IndexFixture.sharedKey()
        verifier = JWSVerifier(publicKeyPEM: key.publicPEM, keySource: "test key")
    }

    private func reason(_ envelope: Data) -> String? {
        do {
            _ = try verifier.payload(of: envelope, url: "test")
            return nil
        } catch {
            if case .signature(_, let reason) = error { return reason }
            return "\(error)"
        }
    }

    func testGoodSignatureYieldsThePayloadExactly() throws {
        let envelope = try CatalogueSigner.envelope(payload: payload, key: key)
        XCTAssertEqual(try verifier.payload(of: envelope, url: "test"), payload)
    }

    func testEscapedPayloadIsVerifiedAfterUnescaping() throws {
        let tricky = Data("[{\"name\":\"caf\u{e9}\",\"desc\":\"quote \\\" slash \\\\ tab\\t \u{1F600} /\"}]".utf8)
        let envelope = try CatalogueSigner.envelope(payload: tricky, key: key)
        XCTAssertEqual(try verifier.payload(of: envelope, url: "test"), tricky)
        // The same payload written with \u escapes (as other JSON writers do) verifies the same.
        let rewritten = String(decoding: envelope, as: UTF8.self)
            .replacingOccurrences(of: "\u{e9}", with: "\\u00e9")
            .replacingOccurrences(of: "\u{1F600}", with: "\\ud83d\\ude00")
            .replacingOccurrences(of: " /", with: " \\/")
        XCTAssertNotEqual(Data(rewritten.utf8), envelope)
        XCTAssertEqual(try verifier.payload(of: Data(rewritten.utf8), url: "test"), tricky)
        // A lone surrogate or a duplicate payload key is not a document we verify.
        let lone = String(decoding: envelope, as: UTF8.self).replacingOccurrences(of: "\u{e9}", with: "\\ud83d")
        XCTAssertEqual(reason(Data(lone.utf8)), "not a JWS JSON document")
        let duplicate = String(decoding: envelope, as: UTF8.self).replacingOccurrences(of: "{\"payload\":", with: "{\"payload\":\"[]\",\"payload\":")
        XCTAssertEqual(reason(Data(duplicate.utf8)), "not a JWS JSON document")
    }

    func testTamperedPayloadIsRejected() throws {
        let envelope = try CatalogueSigner.envelope(payload: payload, key: key)
        let tampered = Data(String(decoding: envelope, as: UTF8.self).replacingOccurrences(of: "1.3.1", with: "6.6.6").utf8)
        XCTAssertEqual(reason(tampered), "signature does not match the payload")
    }

    func testWrongAlgorithmIsRejected() throws {
        let envelope = try CatalogueSigner.envelope(payload: payload, key: key,
                                                    protectedHeader: #"{"alg":"RS512","b64":false,"crit":["b64"]}"#)
        XCTAssertEqual(reason(envelope), "algorithm RS512 is not PS512")
        let none = try CatalogueSigner.envelope(payload: payload, key: key,
                                                protectedHeader: #"{"alg":"none","b64":false,"crit":["b64"]}"#)
        XCTAssertNotNil(reason(none))
    }

    func testMissingSignatureIsRejected() throws {
        let protected = JWSVerifier.base64URLEncode(Data(CatalogueSigner.standardHeader.utf8))
        let envelope = CatalogueSigner.envelope(payload: payload, protected: protected, signature: nil)
        XCTAssertEqual(reason(envelope), "no signature")
        XCTAssertEqual(reason(payload), "not a JWS JSON document", "a bare formula.json is not a JWS")
    }

    func testEncodedPayloadModeIsRejected() throws {
        for header in [#"{"alg":"PS512","b64":true,"crit":["b64"]}"#, #"{"alg":"PS512"}"#,
                       #"{"alg":"PS512","b64":0,"crit":["b64"]}"#] {
            let envelope = try CatalogueSigner.envelope(payload: payload, key: key, protectedHeader: header)
            XCTAssertEqual(reason(envelope), "b64 must be false (unencoded payload)", header)
        }
    }

    // api.rb#verify_jws_signature checks only alg and b64; other protected parameters are ignored.
    func testExtraProtectedHeaderFieldsAreIgnoredAsBrewDoes() throws {
        for header in [#"{"alg":"PS512","b64":false,"crit":["b64","exp"]}"#, #"{"alg":"PS512","b64":false}"#,
                       #"{"b64":false,"alg":"PS512","crit":["b64"],"kid":"homebrew-1","typ":"JOSE+JSON","x5t":"abc"}"#] {
            let envelope = try CatalogueSigner.envelope(payload: payload, key: key, protectedHeader: header)
            XCTAssertNil(reason(envelope), header)
            XCTAssertEqual(try verifier.payload(of: envelope, url: "test"), payload)
        }
    }

    // Ruby's Base64.urlsafe_encode64 pads with "=" by default; api.rb#urlsafe_decode64 accepts it.
    func testPaddedBase64URLIsAccepted() throws {
        // Headers whose base64 needs one and two padding characters.
        for header in [CatalogueSigner.standardHeader, #"{"alg":"PS512","b64":false,"crit":["b64"],"xyz":1}"#,
                       #"{"alg":"PS512","b64":false,"crit":["b64"],"xy":1}"#] {
            let entry = try CatalogueSigner.signature(payload: payload, key: key, protectedHeader: header, padded: true)
            XCTAssertTrue(entry.signature.hasSuffix("="), "a 256-byte signature is padded")
            let envelope = CatalogueSigner.envelope(payload: payload, signatures: [entry])
            XCTAssertEqual(try verifier.payload(of: envelope, url: "test"), payload, header)
        }
        XCTAssertEqual(JWSVerifier.base64URLDecode("YQ=="), Data("a".utf8))
        XCTAssertEqual(JWSVerifier.base64URLDecode("YQ"), Data("a".utf8))
        XCTAssertNil(JWSVerifier.base64URLDecode("YQ="), "wrong amount of padding")
        XCTAssertNil(JWSVerifier.base64URLDecode("Y=Q="), "padding in the middle")
        XCTAssertNil(JWSVerifier.base64URLDecode("YQ==="))
        // A padded tampered envelope is still refused.
        let entry = try CatalogueSigner.signature(payload: payload, key: key, padded: true)
        let tampered = Data(String(decoding: CatalogueSigner.envelope(payload: payload, signatures: [entry]), as: UTF8.self)
            .replacingOccurrences(of: "1.3.1", with: "6.6.6").utf8)
        XCTAssertEqual(reason(tampered), "signature does not match the payload")
    }

    // api.rb#homebrew_jws_signature: the entry is chosen by header.kid, and only that one is checked.
    func testSignatureIsChosenByKeyID() throws {
        let other = try TestSigningKey.generate()
        let byKid = JWSVerifier(publicKeyPEM: key.publicPEM, keySource: "test key", keyID: "homebrew-1")
        let good = try CatalogueSigner.signature(payload: payload, key: key, keyID: "homebrew-1")
        let foreign = try CatalogueSigner.signature(payload: payload, key: other, keyID: "someone-else")
        XCTAssertEqual(try byKid.payload(of: CatalogueSigner.envelope(payload: payload, signatures: [foreign, good]), url: "t"),
                       payload, "the homebrew-1 entry is found after another")
        // A valid signature under another kid does not count.
        let mislabelled = try CatalogueSigner.signature(payload: payload, key: key, keyID: "someone-else")
        XCTAssertThrowsError(try byKid.payload(of: CatalogueSigner.envelope(payload: payload, signatures: [mislabelled]), url: "t")) {
            guard case .signature(_, let reason) = $0 as? IndexError else { return XCTFail("\($0)") }
            XCTAssertEqual(reason, "no signature by key homebrew-1")
        }
        // The chosen entry is the only one checked: a bad homebrew-1 entry is not rescued by a good other one.
        let bad = CatalogueSigner.SignatureEntry(protected: good.protected, keyID: "homebrew-1", signature: foreign.signature)
        XCTAssertThrowsError(try byKid.payload(of: CatalogueSigner.envelope(payload: payload, signatures: [bad, mislabelled]), url: "t"))
        XCTAssertEqual(JWSVerifier.homebrew.keyID, "homebrew-1")
    }

    func testSignatureByAnotherKeyIsRejected() throws {
        let envelope = try CatalogueSigner.envelope(payload: payload, key: key)
        XCTAssertNil(reason(envelope))
        let homebrew = JWSVerifier.homebrew
        XCTAssertThrowsError(try homebrew.payload(of: envelope, url: "test"))
    }

    func testUpdateRefusesATamperedCatalogueAndKeepsNoIndex() throws {
        let fixture = try IndexFixture(count: 40)
        let good = String(decoding: try CatalogueSigner.envelope(payload: fixture.payload, key: fixture.key), as: UTF8.self)
        XCTAssertTrue(good.contains("Internet file retriever"))
        let bytes = Data(good.replacingOccurrences(of: "Internet file retriever", with: "Internet file retrieveX").utf8)
        try fixture.serveSigned(Data(bytes))
        let result = runUpdate(fixture.configuration())
        guard case .signature? = result.failureValue else { return XCTFail("expected a signature failure, got \(result)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.indexPath()))
    }

    func testUnsignedCatalogueOnlyFromLoopbackFileOrOptOut() throws {
        XCTAssertTrue(CatalogueUpdater.isLoopback("http://127.0.0.1:8080/api/formula.json"))
        XCTAssertTrue(CatalogueUpdater.isLoopback("http://localhost/api/formula.json"))
        XCTAssertFalse(CatalogueUpdater.isLoopback("https://formulae.brew.sh/api/formula.json"))
        XCTAssertFalse(CatalogueUpdater.isLoopback("http://127.example.com/api/formula.json"))
        // Loopback server without formula.jws.json: the plain catalogue is accepted, marked unsigned.
        let fixture = try IndexFixture(count: 40)
        try FileManager.default.removeItem(at: fixture.api.appendingPathComponent("formula.jws.json"))
        guard case .success(.rebuilt(_, _, _, let signed, let source)) = runUpdate(fixture.configuration()) else {
            return XCTFail("update failed")
        }
        XCTAssertFalse(signed)
        XCTAssertTrue(source.hasSuffix("/api/formula.json"))
        XCTAssertEqual(try fixture.index().metadata("signed"), "0")
    }
}
