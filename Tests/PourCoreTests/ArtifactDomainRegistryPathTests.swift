import XCTest
@testable import PourCore

/// HOMEBREW_ARTIFACT_DOMAIN that already names a registry API path (a proxy project such as
/// `https://harbor.example/v2/ghcr-io`): brew drops ghcr's own `/v2/` instead of doubling it
/// (Library/Homebrew/download_strategy/curl_download_strategy.rb, `domain_contains_v2`).
final class ArtifactDomainRegistryPathTests: XCTestCase {
    private let formula = Formula(name: "openssl@3", version: "3.4.0", revision: 1)
    private let bottle = Bottle(tag: BottleTag("x86_64_linux"),
                                url: "https://ghcr.io/v2/homebrew/core/openssl/3/blobs/sha256:abc",
                                sha256: "abc", cellar: .any, rebuild: 2, rootURL: "https://ghcr.io/v2/homebrew/core")

    func testDomainWithV2PathTakesThePathAfterGhcrsV2() {
        let proxy = DownloadEndpoints(artifactDomain: "https://harbor.example.test/v2/ghcr-io/")
        XCTAssertEqual(proxy.sources(for: formula, bottle: bottle).map(\.url),
                       ["https://harbor.example.test/v2/ghcr-io/homebrew/core/openssl/3/blobs/sha256:abc", bottle.url])
        XCTAssertEqual(proxy.manifestSources(for: formula, bottle: bottle).first?.url,
                       "https://harbor.example.test/v2/ghcr-io/homebrew/core/openssl/3/manifests/3.4.0_1-2")
        let bare = DownloadEndpoints(artifactDomain: "http://127.0.0.1:5000/v2")
        XCTAssertEqual(bare.sources(for: formula, bottle: bottle).first?.url,
                       "http://127.0.0.1:5000/v2/homebrew/core/openssl/3/blobs/sha256:abc")
    }

    func testV2ElsewhereInThePathIsNotTheRegistryAPI() {
        // Only a path starting with /v2 counts; `/mirror/v2x` and `/v20` are ordinary prefixes.
        for domain in ["https://m.example.test/mirror/v2", "https://m.example.test/v20", "https://v2.example.test"] {
            let url = DownloadEndpoints(artifactDomain: domain).sources(for: formula, bottle: bottle).first?.url
            XCTAssertEqual(url, domain + "/v2/homebrew/core/openssl/3/blobs/sha256:abc", domain)
        }
    }
}
