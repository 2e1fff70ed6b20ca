import XCTest
@testable import PourCore

final class DownloadEndpointsTests: XCTestCase {
    private let formula = Formula(name: "openssl@3", version: "3.4.0", revision: 1)
    private let bottle = Bottle(tag: BottleTag("x86_64_linux"),
                                url: "https://ghcr.io/v2/homebrew/core/openssl/3/blobs/sha256:abc",
                                sha256: "abc", cellar: .any, rebuild: 2, rootURL: "https://ghcr.io/v2/homebrew/core")

    func testDefaultIsTheBottleURLWithAnonymousRegistryToken() {
        let sources = DownloadEndpoints().sources(for: formula, bottle: bottle)
        XCTAssertEqual(sources, [DownloadSource(url: bottle.url, headers: ["Authorization: Bearer QQ=="])])
    }

    func testArtifactDomainReplacesGhcrAndFallsBackUnlessTold() {
        let mirror = DownloadEndpoints(artifactDomain: "https://artifacts.example.test/ghcr/")
        XCTAssertEqual(mirror.sources(for: formula, bottle: bottle).map(\.url),
                       ["https://artifacts.example.test/ghcr/v2/homebrew/core/openssl/3/blobs/sha256:abc", bottle.url])
        let strict = DownloadEndpoints(artifactDomain: "https://artifacts.example.test/ghcr", artifactDomainNoFallback: true)
        XCTAssertEqual(strict.sources(for: formula, bottle: bottle).count, 1)
    }

    func testFlatBottleDomainUsesHomebrewFileNames() {
        let flat = DownloadEndpoints(bottleDomain: "file:///srv/bottles/")
        let source = flat.sources(for: formula, bottle: bottle)[0]
        XCTAssertEqual(source.url, "file:///srv/bottles/openssl@3-3.4.0_1.x86_64_linux.bottle.2.tar.gz")
        XCTAssertEqual(source.headers, [], "no registry token for a flat mirror")
    }

    func testRegistryShapedBottleDomainKeepsTheBlobLayout() {
        let registry = DownloadEndpoints(bottleDomain: "https://mirror.example.test/v2/homebrew/core")
        XCTAssertEqual(registry.sources(for: formula, bottle: bottle).map(\.url),
                       ["https://mirror.example.test/v2/homebrew/core/openssl/3/blobs/sha256:abc"])
    }

    func testEnvironmentTokensAndAPIDomain() {
        let endpoints = DownloadEndpoints.fromEnvironment(["HOMEBREW_DOCKER_REGISTRY_TOKEN": "t0k",
                                                           "HOMEBREW_API_DOMAIN": "http://127.0.0.1:9/api/"])
        XCTAssertEqual(endpoints.registryAuthorization, "Bearer t0k")
        XCTAssertEqual(endpoints.formulaJSONURL("a@1"), "http://127.0.0.1:9/api/formula/a@1.json")
        XCTAssertEqual(DownloadEndpoints.fromEnvironment(["HOMEBREW_DOCKER_REGISTRY_BASIC_AUTH_TOKEN": "dTpw"]).registryAuthorization,
                       "Basic dTpw")
    }
}

final class RetryPolicyTests: XCTestCase {
    func testBackoffGrowsIsCappedAndJittered() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: 1, maxDelay: 8)
        for attempt in 1...8 {
            let ceiling = min(8, pow(2, Double(attempt - 1)))
            let delay = policy.delay(afterAttempt: attempt, retryAfter: nil)
            XCTAssertGreaterThanOrEqual(delay, ceiling / 2)
            XCTAssertLessThanOrEqual(delay, ceiling)
        }
    }

    func testRetryAfterWinsButIsCapped() {
        let policy = RetryPolicy(maxRetryAfter: 30)
        XCTAssertEqual(policy.delay(afterAttempt: 1, retryAfter: 7), 7)
        XCTAssertEqual(policy.delay(afterAttempt: 1, retryAfter: 3600), 30)
    }

    func testRetryAfterParsesSecondsAndHTTPDates() {
        XCTAssertEqual(RetryAfter.seconds(from: "120"), 120)
        let now = Date(timeIntervalSince1970: 1_000_000_000)
        XCTAssertEqual(RetryAfter.seconds(from: "Sun, 09 Sep 2001 01:47:00 GMT", now: now), 20)
        XCTAssertNil(RetryAfter.seconds(from: "soon"))
    }

    func testClassification() {
        XCTAssertTrue(TransferError.httpStatus(code: 503, url: "u", retryAfter: nil).isRetryable)
        XCTAssertTrue(TransferError.httpStatus(code: 429, url: "u", retryAfter: 1).isRetryable)
        XCTAssertFalse(TransferError.httpStatus(code: 404, url: "u", retryAfter: nil).isRetryable)
        XCTAssertFalse(TransferError.checksumMismatch(package: "p", expected: "a", actual: "b", url: "u").isRetryable)
        XCTAssertTrue(TransferError.network(code: 56, message: "reset", url: "u").isRetryable)
        XCTAssertFalse(TransferError.network(code: 60, message: "bad certificate", url: "u").isRetryable)
    }
}

final class SHA256HasherTests: XCTestCase {
    func testKnownDigestsAndIncrementalUpdates() throws {
        XCTAssertEqual(SHA256Hasher.hex(of: ""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let hasher = SHA256Hasher()
        hasher.update(Data("a".utf8))
        hasher.update(Data("bc".utf8))
        XCTAssertEqual(hasher.finalizeHex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)")
        try Data("abcdef".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let prefix = SHA256Hasher()
        try prefix.update(contentsOf: file.path, length: 3)
        XCTAssertEqual(prefix.finalizeHex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
