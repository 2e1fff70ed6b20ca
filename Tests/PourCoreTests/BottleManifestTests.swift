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
