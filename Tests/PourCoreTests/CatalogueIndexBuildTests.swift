import Foundation
import XCTest
@testable import PourCore

/// The streaming index build (`CatalogueIndexBuild`: reader → array splitter → one formula at a
/// time → `IndexWriter`) must index exactly what the whole-array decoder (`FormulaCatalog(tag:
/// formulaArray:)`) sees in the same `formula.json`, wherever the read chunks happen to cut it;
/// and a malformed document must leave the previous index as it was and nothing beside it.
final class CatalogueIndexBuildTests: XCTestCase {
    private let tag = BottleTag("x86_64_linux")
    private var directory: String!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pour-stream-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func metadata(_ source: String = "formula.json") -> IndexWriter.Metadata {
        IndexWriter.Metadata(sourceURL: source, etag: nil, lastModified: nil, signed: false, tag: tag)
    }

    /// Formula objects in Homebrew's API shape, plus entries the decoder must treat as brew's
    /// loader would: a later duplicate replacing an earlier formula in place, elements that are
    /// not formula objects, a formula refused for an unsafe name, escapes and non-ASCII text.
    private var trickyCatalogue: String {
        let duplicateHello = FormulaFixtures.hello.replacingOccurrences(of: "\"tap\":", with: "\"oldname\": \"hullo\", \"tap\":")
        let unsafe = FormulaFixtures.leaf("../escape", "e")
        let escaped = #"""
        {"name": "caf\u00e9-tool", "full_name": "caf\u00e9-tool", "tap": "homebrew/core", "aliases": ["cafe"],
         "desc": "quote \" brace } bracket ] slash \/ tab\t emoji \ud83d\ude00 caf\u00e9",
         "versions": {"stable": "2.0", "bottle": true}, "revision": 1, "dependencies": ["zlib"],
         "bottle": {"stable": {"rebuild": 0, "root_url": "https://ghcr.io/v2/homebrew/core",
           "files": {"x86_64_linux": {"cellar": ":any_skip_relocation",
             "url": "https://ghcr.io/v2/homebrew/core/cafe/blobs/sha256:\#(FormulaFixtures.sha("c"))",
             "sha256": "\#(FormulaFixtures.sha("c"))"}}}}}
        """#
        let elements = [FormulaFixtures.caCertificates, FormulaFixtures.openssl3, "5", FormulaFixtures.curl,
                        FormulaFixtures.zlib, "\"a string ] with , delimiters\"", FormulaFixtures.hello, "null",
                        "[{\"name\": \"nested\"}]", escaped, unsafe, FormulaFixtures.youtubeDL, duplicateHello,
                        "{\"name\": \"no-version\"}", "true"] + FormulaFixtures.leaves
        return " \n[" + elements.joined(separator: " ,\n\t") + "\r\n] \n"
    }

    /// Builds the reference index the way the whole-array path sees the catalogue.
    private func referenceIndex(_ json: String, at path: String) throws -> FormulaCatalog {
        let catalog = try FormulaCatalog(tag: tag, formulaArray: Data(json.utf8), source: "formula.json")
        let writer = try IndexWriter(path: path, metadata: metadata())
        for formula in catalog.formulae { try writer.add(formula) }
        for error in catalog.rejected { writer.reject(error) }
        try writer.commit()
        return catalog
    }

    private func assertSameIndex(_ path: String, _ reference: String, catalog: FormulaCatalog,
                                 file: StaticString = #filePath, line: UInt = #line) throws {
        let index = try FormulaIndex(path: path)
        let expected = try FormulaIndex(path: reference)
        XCTAssertEqual(try index.allFormulae(), try expected.allFormulae(), file: file, line: line)
        XCTAssertEqual(try index.allFormulae().map(\.name), catalog.names, file: file, line: line)
        var queries = ["unknown", "homebrew/core/zlib", "HELLO"]
        for formula in catalog.formulae {
            queries += [formula.name, formula.fullName, "\(formula.tap)/\(formula.name)"] + formula.aliases + formula.oldnames
        }
        for query in queries {
            XCTAssertEqual(try index.canonicalName(for: query), try expected.canonicalName(for: query), query,
                           file: file, line: line)
        }
        for key in ["formula_count", FormulaIndex.nameListKey, FormulaIndex.refusedKey("../escape")] {
            XCTAssertEqual(index.metadata(key), expected.metadata(key), key, file: file, line: line)
        }
        XCTAssertEqual(try index.search("caf"), try expected.search("caf"), file: file, line: line)
    }

    func testStreamingBuildIndexesWhatTheWholeArrayDecoderSeesAtEveryChunkSize() throws {
        let json = trickyCatalogue
        let reference = "\(directory!)/reference.sqlite"
        let catalog = try referenceIndex(json, at: reference)
        // The fixture exercises what it claims to: replaced, rejected and escaped entries.
        XCTAssertEqual(catalog.formula(named: "hello")?.oldnames, ["hullo"], "the later hello replaced the first")
        XCTAssertEqual(catalog.rejected.count, 7, "5, a string, null, an array, true, no version, an unsafe name")
        XCTAssertNotNil(catalog.formula(named: "caf\u{e9}-tool"))

        for chunk in [1, 2, 3, 7, 64, 4096, 1 << 20] {
            let path = "\(directory!)/streamed-\(chunk).sqlite"
            let summary = try CatalogueIndexBuild.run(CatalogueReader(data: Data(json.utf8), chunkSize: chunk),
                                                      metadata: metadata(), verifier: .homebrew, path: path)
            XCTAssertEqual(summary, CatalogueIndexBuild.Summary(formulae: catalog.count, rejected: catalog.rejected.count))
            try assertSameIndex(path, reference, catalog: catalog)
        }
    }

    func testMalformedCatalogueKeepsThePreviousIndexAndLeavesNothingBeside() throws {
        let path = "\(directory!)/index.sqlite"
        let good = FormulaFixtures.catalogueJSON
        _ = try CatalogueIndexBuild.run(CatalogueReader(data: Data(good.utf8)), metadata: metadata(),
                                        verifier: .homebrew, path: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = good.index(good.startIndex, offsetBy: good.utf8.count / 2)
        let cases: [(String, String)] = [
            (String(good[..<cut]), "ends inside the array"),
            (String(good.dropLast()), "ends inside the array"),
            (good + " x", "unexpected 'x'"),
            ("[" + FormulaFixtures.zlib + "\n" + FormulaFixtures.make + "]", "unexpected '{'"),
            ("[" + FormulaFixtures.zlib + ",]", "unexpected ']'"),
            ("{\"formulae\": []}", "not a JSON array"),
            ("", "ends inside the array"),
            ("[" + FormulaFixtures.zlib + ", {\"name\": nul}]", "is not valid JSON"),
        ]
        for (document, expected) in cases {
            for chunk in [5, 1 << 20] {
                XCTAssertThrowsError(try CatalogueIndexBuild.run(CatalogueReader(data: Data(document.utf8), chunkSize: chunk),
                                                                 metadata: metadata("bad.json"), verifier: .homebrew,
                                                                 path: path), "\(document.suffix(40))") { error in
                    guard case .malformedCatalogue(let source, let detail) = error as? IndexError else {
                        return XCTFail("\(error)")
                    }
                    XCTAssertEqual(source, "bad.json")
                    XCTAssertTrue(detail.contains(expected) || (expected == "ends inside the array" && detail.contains("not a JSON array")),
                                  "\(detail) for \(document.suffix(30))")
                }
                XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before, "the previous index is untouched")
                XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["index.sqlite"],
                               "no temporary file is left beside the index")
            }
        }
    }

    func testAnElementLargerThanTheLimitIsRefusedWithoutBeingHeld() {
        let splitter = JSONArraySplitter(elementLimit: 1000)
        let document = Data(("[{\"desc\": \"" + String(repeating: "x", count: 5000) + "\"}]").utf8)
        var step: JSONArraySplitter.Step = .needMore
        document.withUnsafeBytes { bytes in
            var index = 0
            // Fed in 100-byte pieces: the element is refused once 1,000 bytes of it are pending.
            while index < bytes.count {
                let piece = UnsafeRawBufferPointer(rebasing: bytes[index ..< min(index + 100, bytes.count)])
                var offset = 0
                step = splitter.next(in: piece, from: &offset)
                if case .failure = step { break }
                index += piece.count
            }
            XCTAssertLessThan(index, 1200)
        }
        guard case .failure(.elementTooLarge(at: 0)) = step else { return XCTFail("\(step)") }
    }
}
