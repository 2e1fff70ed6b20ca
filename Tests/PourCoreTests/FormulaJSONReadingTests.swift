import Foundation
import XCTest
@testable import PourCore

/// The byte reader behind `FormulaJSON.decodeObject` against `JSONDecoder`: wherever the reader
/// answers, its `FormulaJSON` equals the decoder's; where the meaning is not certain it steps
/// aside (nil) and the decoder decides.
final class FormulaJSONReadingTests: XCTestCase {
    private static let tags: [String?] = [nil, "x86_64_linux", "arm64_linux", "arm64_sonoma"]

    private var plainDocuments: [String] {
        [FormulaFixtures.caCertificates, FormulaFixtures.openssl3, FormulaFixtures.curl, FormulaFixtures.zlib,
         FormulaFixtures.node20, FormulaFixtures.gnupg, FormulaFixtures.eza, FormulaFixtures.make,
         FormulaFixtures.hello, FormulaFixtures.youtubeDL] + FormulaFixtures.leaves
    }

    /// Asserts both paths agree on `text` and returns whether the reader answered.
    @discardableResult
    private func compare(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        var answered = false
        for tag in Self.tags {
            let data = Data(text.utf8)
            let fast = FormulaJSON.read(data, onlyVariation: tag)
            let reference = try? FormulaJSON.decodeObjectWithDecoder(data, source: "t", tag: tag.map(BottleTag.init))
            if let fast {
                answered = true
                XCTAssertEqual(fast, reference, "tag \(tag ?? "none"): \(text)", file: file, line: line)
            }
            // Whatever path it takes, the public entry point gives the decoder's answer.
            XCTAssertEqual(try? FormulaJSON.decodeObject(data, source: "t", tag: tag.map(BottleTag.init)), reference,
                           file: file, line: line)
        }
        return answered
    }

    func testFixturesReadAsTheDecoderReadsThem() {
        for text in plainDocuments {
            XCTAssertTrue(compare(text), "the fast path is taken for an API document: \(text.prefix(60))")
        }
        let json = FormulaJSON.read(Data(FormulaFixtures.curl.utf8), onlyVariation: "arm64_linux")
        XCTAssertEqual(json?.variations?.keys.sorted(), ["arm64_linux"])
        XCTAssertEqual(json?.usesFromMacOS?.map(\.name), ["krb5", "python", "zlib", "m4"])
    }

    func testWrongTypesWithACertainMeaningAreReadLikeTheDecoder() {
        let text = """
        {"name": "odd", "versions": {"stable": "1.0", "head": 3}, "revision": "2", "version_scheme": -4,
         "desc": 5, "license": {"any_of": ["MIT", "Apache-2.0"]}, "aliases": "not-a-list",
         "dependencies": ["a", 3, {"x": 1}, "b", {"y": [":build", 4, null]}, {}, {"z": []}],
         "keg_only": "yes", "caveats": ["x"], "deprecated": null, "oldnames": ["o", null, true, "p"],
         "uses_from_macos": ["zlib", 7, {}, {"bzip2": ":build"}], "uses_from_macos_bounds": [{}, "junk", {"since": 2}, {"since": "x"}],
         "bottle": {"stable": {"rebuild": "1", "files": {"x86_64_linux": "junk", "all": {"sha256": 9, "url": "u"}}}},
         "keg_only_reason": {"reason": ":provided_by_macos", "explanation": false},
         "conflicts_with": null, "variations": {"x86_64_linux": "junk", "arm64_linux": {"revision": 1, "dependencies": []}},
         "brand_new_field": {"a": [1, 2.5e-3, -0.0, true, null, "\\u00e9\\ud83d\\ude00\\n"]}}
        """
        XCTAssertTrue(compare(text))
        let json = FormulaJSON.read(Data(text.utf8), onlyVariation: nil)
        XCTAssertEqual(json?.dependencies, ["a", "b", "z"])
        XCTAssertEqual(json?.taggedDependencies, [.init(name: "y", tags: ["build"])])
    }

    func testStringsWithEscapesAndUnicodeReadLikeTheDecoder() {
        let text = #"""
        {"name": "caf\u00e9\/x", "desc": "tab\there \"quoted\" \\ slash\/ emoji \ud83d\ude00 raw é 😀",
         "versions": {"stable": "1.0"}, "caveats": "line\r\nnext\b\f", "n\u0061me2": 1, "aliases": ["\u0000"]}
        """#
        XCTAssertTrue(compare(text))
        XCTAssertEqual(FormulaJSON.read(Data(text.utf8), onlyVariation: nil)?.name, "café/x")
    }

    /// Documents whose meaning under `JSONDecoder` the reader does not restate: it steps aside.
    func testUncertainOrMalformedDocumentsAreLeftToTheDecoder() {
        let uncertain = [
            #"{"name": "a", "name": "b"}"#,                      // a key twice
            #"{"name": "a", "revision": 1.0}"#,                  // an integer written as a float
            #"{"name": "a", "revision": 99999999999999999999}"#, // does not fit
            #"{"name": "a", "keg_only": 1}"#,                    // a number where a Bool is read
            #"{"name": "a", "dependencies": ["x", null]}"#,      // a null entry
            #"{"name": "a", "uses_from_macos": [null]}"#,
            #"{"name": "a", "uses_from_macos_bounds": [null]}"#,
            #"{"name": "a", "uses_from_macos": [{"x": "build", "y": "test"}]}"#, // which key is first
            #"{"name": "a", "bottle": {"stable": {"files": {"all": {}, "all": {}}}}}"#,
            "\u{FEFF}{\"name\": \"a\"}",                            // byte-order mark
            #"{"name": "a",}"#, #"{"name": "a"} x"#, #"[{"name": "a"}]"#, #"{"name": 01}"#, #"{"name": "\x"}"#,
            #"{"name": "\ud800"}"#, #"{"name": "a"#, "", #"{"name": NaN}"#, "{\"name\": \"a\u{01}\"}",
            String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
        ]
        for text in uncertain {
            XCTAssertNil(FormulaJSON.read(Data(text.utf8), onlyVariation: nil), text)
            compare(text)
        }
        var invalidUTF8 = Data(#"{"name": ""#.utf8)
        invalidUTF8.append(contentsOf: [0xC3, 0x28])
        invalidUTF8.append(contentsOf: Data(#""}"#.utf8))
        XCTAssertNil(FormulaJSON.read(invalidUTF8, onlyVariation: nil))
        XCTAssertThrowsError(try FormulaJSON.decodeObject(Data("[1,".utf8), source: "formula/x.json")) { error in
            guard case RegistryError.malformedJSON(let source, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(source, "formula/x.json")
        }
    }

    /// Random values of every kind put at random places of the fixtures (seeded): the reader
    /// either steps aside or agrees with the decoder.
    func testRandomlyMutatedDocumentsReadLikeTheDecoder() throws {
        let pool: [Any] = [
            NSNull(), true, false, 1, -3, 1.5, "2", "x", ":build", "", [Any](), ["a", NSNull(), 2, ["b"]],
            [["a": "build"], "c", ["d": [":test", "build"]]], [String: Any](), ["a": 1], ["stable": "1", "head": NSNull()],
            ["a": "b", "c": "d"], [NSNull()], [["since": "x"], "y", 3], ["cellar": ":any", "url": "u", "sha256": "s"],
            ["x86_64_linux": ["caveats": "c", "dependencies": ["q"]], "all": "junk"], ["stable": ["rebuild": 2, "files": [:]]],
        ]
        let keys = FormulaJSON.Field.allCases.map(\.rawValue) + ["stable", "head", "files", "rebuild", "root_url", "cellar",
                                                                 "url", "sha256", "since", "reason", "x86_64_linux", "all"]
        var answered = 0
        for text in try JSONMutation.documents(from: plainDocuments, count: 400, keys: keys, pool: pool, seed: 0x5EED_F00D)
        where compare(text) {
            answered += 1
        }
        XCTAssertGreaterThan(answered, 100, "most mutated documents take the fast path")
    }
}
