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
        let extraCrit = try CatalogueSigner.envelope(payload: payload, key: key,
                                                     protectedHeader: #"{"alg":"PS512","b64":false,"crit":["b64","exp"]}"#)
        XCTAssertEqual(reason(extraCrit), "crit must be exactly [\"b64\"]")
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
