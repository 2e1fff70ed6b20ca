import Foundation
import PourTestSupport
import XCTest

/// What a generic registry client (CNCF Distribution's pull-through proxy, skopeo…) asks of the
/// ghcr-like server beyond what pour asks: the `/v2/` API check with the Bearer challenge, and
/// image indexes addressed by digest. Checked with the system curl.
final class RegistryServerOCIClientTests: XCTestCase {
    private var server: RegistryServer?

    override func tearDown() {
        server?.shutdown()
        server = nil
    }

    func testAPICheckChallengesWithTheTokenRealmThenAnswersWithTheToken() throws {
        let (root, _) = try Fixtures.sample.get()
        let server = try RegistryServer(root: root)
        try server.start()
        self.server = server
        let anonymous = try Curl.run(server.registryBaseURL + "/v2/")
        XCTAssertEqual(anonymous.status, 401)
        XCTAssertEqual(anonymous.headers["www-authenticate"],
                       "Bearer realm=\"\(server.registryBaseURL)/token\",service=\"127.0.0.1\"")
        let token = try Curl.run(server.registryBaseURL + "/token?scope=repository:homebrew/core/wget:pull&service=127.0.0.1")
        XCTAssertEqual(token.status, 200)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: token.body) as? [String: Any])
        XCTAssertEqual(object["token"] as? String, "QQ==")
        let authorized = try Curl.run(server.registryBaseURL + "/v2/", arguments: ["-H", "Authorization: Bearer QQ=="])
        XCTAssertEqual(authorized.status, 200)
    }

    func testIndexByDigestIsTheSameDocumentAsByTag() throws {
        let (root, manifest) = try Fixtures.sample.get()
        let server = try RegistryServer(root: root)
        try server.start()
        self.server = server
        let entry = try XCTUnwrap(manifest.formulae["openssl@3"])
        let base = "\(server.registryBaseURL)/v2/homebrew/core/\(entry.image)/manifests/"
        let auth = ["-H", "Authorization: Bearer QQ=="]
        let byTag = try Curl.run(base + entry.pkgVersion, arguments: auth)
        XCTAssertEqual(byTag.status, 200)
        let digest = try sha256Hex(byTag.body)
        let byDigest = try Curl.run(base + "sha256:" + digest, arguments: auth)
        XCTAssertEqual(byDigest.status, 200)
        XCTAssertEqual(byDigest.body, byTag.body)
        XCTAssertEqual(byDigest.headers["content-type"], "application/vnd.oci.image.index.v1+json")
        XCTAssertEqual(try Curl.run(base + "sha256:" + String(repeating: "0", count: 64), arguments: auth).status, 404)
        XCTAssertEqual(try Curl.run(base + "sha256:" + digest).status, 401, "the digest route wants the token too")
    }
}
