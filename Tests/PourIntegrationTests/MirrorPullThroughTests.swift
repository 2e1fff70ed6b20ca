import Foundation
import PourCore
import PourTestSupport
import XCTest

/// A pull-through cache for a fleet: CNCF Distribution in proxy mode in front of the ghcr-like
/// test server (Bearer token flow, blobs redirected to a second host). Docs/Mirrors.md cites it.
final class MirrorPullThroughTests: XCTestCase {
    /// Machine A fills the cache through the token flow; machine B (upstream still up) gets every
    /// bottle from the cache while the proxy re-checks tags upstream; machine C installs with the
    /// upstream stopped. Each machine has its own prefix and cache.
    func testSecondAndThirdMachinesInstallFromTheCacheWithoutUpstreamBottles() throws {
        let fixture = try RegistryFixture(recipe: MirrorSupport.recipe())
        let proxy = try DistributionProcess(proxyRemoteURL: fixture.server.registryBaseURL)
        defer { proxy.stop() }
        let environment = ["HOMEBREW_API_DOMAIN": MirrorSupport.apiDomain(fixture),
                           "HOMEBREW_ARTIFACT_DOMAIN": proxy.baseURL,
                           "HOMEBREW_ARTIFACT_DOMAIN_NO_FALLBACK": "1"]
        func machine(_ name: String) -> (String, String) {
            (fixture.root.appendingPathComponent("\(name)/prefix").path, fixture.root.appendingPathComponent("\(name)/cache").path)
        }
        let bottles = Set(MirrorSupport.closure.compactMap { fixture.manifest.formulae[$0]?.sha256 })

        // Machine A: through the proxy to the upstream.
        let (prefixA, cacheA) = machine("a")
        let first = try MirrorSupport.runPour(["install", "app", "--quiet"], prefix: prefixA, cache: cacheA, environment: environment)
        XCTAssertEqual(first.status, 0, first.lines.joined(separator: "\n") + proxy.logText.suffix(2000))
        MirrorSupport.assertInstalledWithTab(MirrorSupport.closure, prefix: prefixA, manifest: fixture.manifest)
        let upstream = fixture.log.entries
        // Distribution did the Docker token flow: `/v2/` → 401 challenge → realm → token.
        XCTAssertTrue(upstream.contains { $0.path == "/v2/" && $0.status == 401 }, "\(upstream.map(\.uri))")
        XCTAssertTrue(upstream.contains { $0.path == "/token" && $0.status == 200 && $0.uri.contains("scope=repository") })
        XCTAssertTrue(upstream.filter { $0.listener == .registry && $0.path.contains("/blobs/") }.allSatisfy {
            $0.headers["authorization"] == "Bearer QQ=="
        })
        // Blobs came from the blob host, without the token (it must not cross hosts).
        let blobGets = upstream.filter { $0.listener == .blob && $0.method == "GET" }
        XCTAssertEqual(Set(blobGets.map { String($0.path.split(separator: ":").last ?? "") }), bottles)
        XCTAssertFalse(blobGets.contains(where: \.hadAuthorization))
        print("pull-through: upstream blob-host GETs per bottle on first pull:",
              bottles.sorted().map { sha in blobGets.filter { $0.path.hasSuffix(sha) }.count })
        for sha in bottles {
            // Distribution 2.8 streams to the client and commits its copy from a second fetch.
            let fetches = blobGets.filter { $0.path.hasSuffix(sha) }.count
            XCTAssertTrue((1...2).contains(fetches), "\(sha) fetched \(fetches) times from upstream")
        }
        XCTAssertTrue(proxy.waitForBlobs(MirrorSupport.blobs(MirrorSupport.closure, manifest: fixture.manifest)),
                      "the proxy did not commit the bottles to its storage")

        // Machine B: the cache serves every bottle; only tags are re-checked upstream.
        let before = fixture.log.entries.count
        let (prefixB, cacheB) = machine("b")
        let second = try MirrorSupport.runPour(["install", "app", "--quiet"], prefix: prefixB, cache: cacheB, environment: environment)
        XCTAssertEqual(second.status, 0, second.lines.joined(separator: "\n"))
        MirrorSupport.assertInstalledWithTab(MirrorSupport.closure, prefix: prefixB, manifest: fixture.manifest)
        let later = Array(fixture.log.entries.dropFirst(before))
        print("pull-through: upstream requests during a cached install:", later.map { "\($0.method) \($0.path) \($0.status)" })
        XCTAssertFalse(later.contains { $0.listener == .blob || $0.path.contains("/blobs/") },
                       "bottles fetched upstream again: \(later.map(\.uri))")
        XCTAssertTrue(later.contains { $0.path.contains("/manifests/") }, "tags are re-checked upstream: \(later.map(\.uri))")

        // Machine C: the upstream is gone; the cache alone installs the closure with its tabs.
        fixture.server.shutdown()
        let (prefixC, cacheC) = machine("c")
        let third = try MirrorSupport.runPour(["install", "app", "--quiet"], prefix: prefixC, cache: cacheC, environment: environment)
        XCTAssertEqual(third.status, 0, third.lines.joined(separator: "\n") + proxy.logText.suffix(2000))
        MirrorSupport.assertInstalledWithTab(MirrorSupport.closure, prefix: prefixC, manifest: fixture.manifest)
    }
}
