import Foundation
import XCTest
@testable import PourCore

final class BottleManifestTests: XCTestCase {
    func testPicksTheEntryByDigestAndReadsSizeAndTab() throws {
        let tab = #"{"changed_files":["bin/foo","lib/pkgconfig/foo.pc"],"arch":"x86_64"}"#
        let index: [String: Any] = ["manifests": [
            ["annotations": ["sh.brew.bottle.digest": "aaa", "sh.brew.bottle.size": "1"]],
            ["annotations": ["sh.brew.bottle.digest": "BBB", "sh.brew.bottle.size": "4096",
                             "sh.brew.bottle.installed_size": "9000", "sh.brew.tab": tab]],
        ]]
        let data = try JSONSerialization.data(withJSONObject: index)
        let manifest = try XCTUnwrap(BottleManifest.parse(indexJSON: data, sha256: "bbb"))
        XCTAssertEqual(manifest.size, 4096)
        XCTAssertEqual(manifest.installedSize, 9000)
        XCTAssertEqual(manifest.changedFiles, ["bin/foo", "lib/pkgconfig/foo.pc"])
        XCTAssertNil(BottleManifest.parse(indexJSON: data, sha256: "ccc"))
        XCTAssertNil(BottleManifest.parse(indexJSON: Data("[]".utf8), sha256: "aaa"))
    }

    /// The byte reader behind `parse` answers as `JSONSerialization` did, odd documents included,
    /// and steps aside (nil) where a key it reads is given twice or the text is not plain JSON.
    func testByteReaderAnswersAsJSONSerialization() throws {
        let tab = #"{\"changed_files\":[\"bin/a\"],\"homebrew_version\":\"4.4.0\"}"#
        let entry = #"{"annotations":{"org.opencontainers.image.ref.name":"1.0.x86_64_linux","sh.brew.bottle.digest":"ABC","sh.brew.bottle.installed_size":"66474","sh.brew.bottle.size":"47622","sh.brew.tab":"\#(tab)"},"digest":"sha256:d","size":1024,"platform":{"os":"linux"}}"#
        let answered = [
            #"{"annotations":{"x":"y"},"manifests":[\#(entry)]}"#,
            #"{"manifests":[{"annotations":{"sh.brew.bottle.digest":"abc"}},\#(entry)]}"#,
            #"{"manifests":[{"annotations":[]},{"annotations":{"sh.brew.bottle.digest":1}},\#(entry),{"x":null}]}"#,
            #"{"manifests":[{"annotations":{"sh.brew.bottle.digest":"abc","sh.brew.bottle.size":4096,"sh.brew.tab":{}}}]}"#,
            #"{"manifests":[{"annotations":{"sh.brew.bottle.digest":"abc","sh.brew.bottle.size":"12x"}}]}"#,
            #"{"manifests":[\#(entry), 3]}"#, #"{"manifests":[]}"#, #"{"manifests":{}}"#, #"{"other":[]}"#,
            #"{"manifests":[\#(entry)], "x": [1.5e3, -0, true, null, "\u00e9"]}"#,
        ]
        for text in answered {
            let data = Data(text.utf8)
            let answer = try XCTUnwrap(BottleManifest.read(indexJSON: data, sha256: "abc"), text)
            XCTAssertEqual(answer, BottleManifest.parseWithSerialization(indexJSON: data, sha256: "abc"), text)
            XCTAssertEqual(BottleManifest.parse(indexJSON: data, sha256: "abc"), answer, text)
        }
        XCTAssertEqual(BottleManifest.read(indexJSON: Data(answered[0].utf8), sha256: "abc")??.tabJSON,
                       #"{"changed_files":["bin/a"],"homebrew_version":"4.4.0"}"#)
        XCTAssertEqual(BottleManifest.read(indexJSON: Data(answered[0].utf8), sha256: "abc")??.size, 47622)
        for text in [#"{"manifests":[],"manifests":[]}"#,
                     #"{"manifests":[{"annotations":{"sh.brew.bottle.digest":"abc","sh.brew.bottle.digest":"abc"}}]}"#,
                     #"{"manifests":[{"annotations":{},"annotations":{}}]}"#, #"[]"#, #"{"manifests":[}"#, "x"] {
            XCTAssertNil(BottleManifest.read(indexJSON: Data(text.utf8), sha256: "abc"), text)
            XCTAssertEqual(BottleManifest.parse(indexJSON: Data(text.utf8), sha256: "abc"),
                           BottleManifest.parseWithSerialization(indexJSON: Data(text.utf8), sha256: "abc"), text)
        }
    }

    func testManifestURLFollowsTheBlobSourceAndRebuild() {
        let formula = Formula(name: "openssl@3", version: "3.4.0")
        let bottle = Bottle(tag: BottleTag("x86_64_linux"), url: "https://ghcr.io/v2/homebrew/core/openssl/3/blobs/sha256:abc",
                            sha256: "abc", cellar: .any, rebuild: 1, rootURL: "https://ghcr.io/v2/homebrew/core")
        let sources = DownloadEndpoints(artifactDomain: "http://127.0.0.1:1", artifactDomainNoFallback: true)
            .manifestSources(for: formula, bottle: bottle)
        XCTAssertEqual(sources.map(\.url), ["http://127.0.0.1:1/v2/homebrew/core/openssl/3/manifests/3.4.0-1"])
        XCTAssertTrue(sources[0].headers.contains(BottleManifest.acceptHeader))
        XCTAssertEqual(DownloadEndpoints(bottleDomain: "file:///srv").manifestSources(for: formula, bottle: bottle), [])
    }
}
