import Foundation
import PourCore
import PourTestSupport
import XCTest

/// `pour update` builds the index from a signed catalogue without holding it: the envelope is
/// read in chunks, the payload verified by streaming it through SHA-512, then decoded in a second
/// pass that must hash to the same digest (Docs/Performance.md, "Streaming index build").
final class IndexStreamingBuildTests: XCTestCase {
    private let tag = BottleTag("x86_64_linux")

    private func metadata(signed: Bool) -> IndexWriter.Metadata {
        IndexWriter.Metadata(sourceURL: "test", etag: nil, lastModified: nil, signed: signed, tag: tag)
    }

    private func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pour-stream-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// An envelope with `signatures` first and `payload` last: the verifier must find the payload
    /// wherever it is, and only after reading the signatures can it hash anything.
    private func signaturesFirst(_ envelope: Data) throws -> Data {
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: envelope) as? [String: Any])
        let signatures = try JSONSerialization.data(withJSONObject: try XCTUnwrap(object["signatures"]))
        let payload = try JSONSerialization.data(withJSONObject: try XCTUnwrap(object["payload"]), options: .fragmentsAllowed)
        var out = Data("{\"signatures\": ".utf8)
        out.append(signatures)
        out.append(Data(", \"extra\": {\"payload\": [1, \"}\"]},\n \"payload\": ".utf8))
        out.append(payload)
        out.append(Data("}".utf8))
        return out
    }

    func testSignedCatalogueStreamsToTheSameIndexAsItsPayloadInEveryLayoutAndChunking() throws {
        let key = try IndexFixture.sharedKey()
        let verifier = JWSVerifier(publicKeyPEM: key.publicPEM, keySource: "test key")
        let payload = try CatalogueGenerator(count: 120).formulaJSON()
        let envelope = try CatalogueSigner.envelope(payload: payload, key: key)
        let directory = try temporaryDirectory()

        let plain = "\(directory)/plain.sqlite"
        let expected = try CatalogueIndexBuild.run(CatalogueReader(data: payload), metadata: metadata(signed: false),
                                                   verifier: verifier, path: plain)
        XCTAssertEqual(expected.formulae, 120)
        let reference = try FormulaIndex(path: plain).allFormulae()

        for (name, document) in [("payload first", envelope), ("signatures first", try signaturesFirst(envelope))] {
            for chunk in [97, 4096, 1 << 20] {
                let path = "\(directory)/signed-\(chunk).sqlite"
                let summary = try CatalogueIndexBuild.run(CatalogueReader(data: document, chunkSize: chunk),
                                                          metadata: metadata(signed: true), verifier: verifier, path: path)
                XCTAssertEqual(summary, expected, "\(name), \(chunk)-byte reads")
                XCTAssertEqual(try FormulaIndex(path: path).allFormulae(), reference, "\(name), \(chunk)-byte reads")
                XCTAssertEqual(try FormulaIndex(path: path).metadata("signed"), "1")
            }
        }
    }

    func testPayloadThatChangesBetweenVerificationAndDecodingIsNotIndexed() throws {
        let key = try IndexFixture.sharedKey()
        let verifier = JWSVerifier(publicKeyPEM: key.publicPEM, keySource: "test key")
        let payload = try CatalogueGenerator(count: 30).formulaJSON()
        let envelope = try CatalogueSigner.envelope(payload: payload, key: key)
        // Same length, same layout, one formula's description changed: what a file rewritten
        // between the two passes (a `file://` catalogue being replaced) would present.
        let text = String(decoding: envelope, as: UTF8.self)
        let swapped = Data(text.replacingOccurrences(of: "Internet file retriever", with: "Internet file retrieveX").utf8)
        XCTAssertNotEqual(swapped, envelope)
        XCTAssertEqual(swapped.count, envelope.count)

        let directory = try temporaryDirectory()
        let path = "\(directory)/index.sqlite"
        let verified = try verifier.verify(CatalogueReader(data: envelope), url: "test")
        XCTAssertThrowsError(try CatalogueIndexBuild.build(CatalogueReader(data: swapped), verified: verified,
                                                           metadata: metadata(signed: true), path: path)) { error in
            guard case .signature(_, let reason) = error as? IndexError else { return XCTFail("\(error)") }
            XCTAssertEqual(reason, "the payload changed between verification and decoding")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), [], "no index and no temporary file")
        // The unchanged bytes pass the same check.
        _ = try CatalogueIndexBuild.build(CatalogueReader(data: envelope), verified: verified,
                                          metadata: metadata(signed: true), path: path)
        XCTAssertEqual(try FormulaIndex(path: path).count, 30)
    }

    /// Nothing of the payload is decoded before the signature is checked: a tampered payload that
    /// is not even JSON any more is refused as a signature failure, not reported as malformed.
    func testATamperedPayloadIsRefusedBeforeAnyOfItIsDecoded() throws {
        let key = try IndexFixture.sharedKey()
        let verifier = JWSVerifier(publicKeyPEM: key.publicPEM, keySource: "test key")
        let payload = CatalogueGenerator(count: 10).formulaJSON()
        let text = String(decoding: try CatalogueSigner.envelope(payload: payload, key: key), as: UTF8.self)
        let broken = Data(text.replacingOccurrences(of: "{\"payload\":\"[", with: "{\"payload\":\"#").utf8)
        XCTAssertNotEqual(Array(broken), Array(text.utf8), "the payload's opening bracket was replaced")
        // The same bytes as a plain array are malformed: decoding them would say so.
        XCTAssertThrowsError(try CatalogueIndexBuild.run(CatalogueReader(data: Data(("#" + String(decoding: payload.dropFirst(), as: UTF8.self)).utf8)),
                                                         metadata: metadata(signed: false), verifier: verifier,
                                                         path: "\(try temporaryDirectory())/plain.sqlite")) { error in
            guard case .malformedCatalogue? = error as? IndexError else { return XCTFail("\(error)") }
        }
        let directory = try temporaryDirectory()
        XCTAssertThrowsError(try CatalogueIndexBuild.run(CatalogueReader(data: broken), metadata: metadata(signed: true),
                                                         verifier: verifier, path: "\(directory)/index.sqlite")) { error in
            guard case .signature(_, let reason)? = error as? IndexError else { return XCTFail("\(error)") }
            XCTAssertEqual(reason, "signature does not match the payload")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), [], "no index, no temporary file")
    }

    func testDownloadedCatalogueLeavesOnlyTheIndexInTheCache() throws {
        let fixture = try IndexFixture(count: 40)
        guard case .success(.rebuilt(let path, 40, 0, true, _)) = runUpdate(fixture.configuration(), force: true) else {
            return XCTFail("update failed")
        }
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).sorted(), [name, name + ".checked"],
                       "the spooled download is unlinked from the start; no temporary file remains")
        // A refused download (tampered) leaves the directory as it was, too.
        let tampered = String(decoding: try CatalogueSigner.envelope(payload: fixture.payload, key: fixture.key), as: UTF8.self)
            .replacingOccurrences(of: "Internet file retriever", with: "Internet file retrieveX")
        try fixture.serveSigned(Data(tampered.utf8))
        guard case .signature? = runUpdate(fixture.configuration(), force: true).failureValue else {
            return XCTFail("tampered catalogue accepted")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).sorted(), [name, name + ".checked"])
        XCTAssertEqual(try fixture.index().count, 40, "the previous index still serves")
    }
}
