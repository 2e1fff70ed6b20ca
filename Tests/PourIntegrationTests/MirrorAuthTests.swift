import Foundation
import PourCore
import PourTestSupport
import XCTest

/// A private mirror: CNCF Distribution with htpasswd (basic) auth. pour authenticates with
/// HOMEBREW_DOCKER_REGISTRY_BASIC_AUTH_TOKEN (base64 `user:password`, sent as `Basic …`, as brew
/// does); without it the install fails naming the mirror URL. Docs/Mirrors.md cites it.
final class MirrorAuthTests: XCTestCase {
    /// bcrypt (cost 4) of `fleet-secret`; a constant so the test needs no htpasswd tool.
    private static let htpasswd = "fleet:$2b$04$jADOYV6QliVVDH/fT.OOYuK8YnnA1d7OSnsrSTtrDHhTygiihIeiO\n"
    private static let basicToken = Data("fleet:fleet-secret".utf8).base64EncodedString()

    func testPrivateMirrorNeedsTheBasicAuthToken() throws {
        let fixture = try RegistryFixture(recipe: MirrorSupport.recipe())
        let mirror = try DistributionProcess(htpasswd: MirrorAuthTests.htpasswd)
        defer { mirror.stop() }
        XCTAssertThrowsError(try RegistryPusher(registry: fixture.registry, target: mirror.baseURL).push(),
                             "an anonymous push must be refused")
        _ = try RegistryPusher(registry: fixture.registry, target: mirror.baseURL,
                               authorization: "Basic \(MirrorAuthTests.basicToken)").push()
        let environment = ["HOMEBREW_API_DOMAIN": MirrorSupport.apiDomain(fixture),
                           "HOMEBREW_ARTIFACT_DOMAIN": mirror.baseURL,
                           "HOMEBREW_ARTIFACT_DOMAIN_NO_FALLBACK": "1"]

        let anonymousPrefix = fixture.root.appendingPathComponent("anonymous/prefix").path
        let refused = install(["app"], configuration: MirrorSupport.configuration(
            prefix: anonymousPrefix, cache: fixture.root.appendingPathComponent("anonymous/cache").path,
            environment: environment))
        let libcore = try XCTUnwrap(fixture.manifest.formulae["libcore@2"])
        guard case .failed(let failure)? = refused.outcome("libcore@2") else {
            return XCTFail("libcore@2 should fail without credentials: \(refused.result)")
        }
        XCTAssertTrue("\(failure)".contains("401"), "\(failure)")
        XCTAssertTrue("\(failure)".contains("\(mirror.baseURL)/v2/homebrew/core/libcore/2/blobs/sha256:\(libcore.sha256)"), "\(failure)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: anonymousPrefix + "/Cellar/app"))

        let prefix = fixture.root.appendingPathComponent("member/prefix").path
        var withToken = environment
        withToken["HOMEBREW_DOCKER_REGISTRY_BASIC_AUTH_TOKEN"] = MirrorAuthTests.basicToken
        let run = try MirrorSupport.runPour(["install", "app", "--quiet"], prefix: prefix,
                                            cache: fixture.root.appendingPathComponent("member/cache").path,
                                            environment: withToken)
        XCTAssertEqual(run.status, 0, run.lines.joined(separator: "\n"))
        MirrorSupport.assertInstalledWithTab(MirrorSupport.closure, prefix: prefix, manifest: fixture.manifest)
    }
}
