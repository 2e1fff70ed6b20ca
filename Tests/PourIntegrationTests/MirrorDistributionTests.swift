import Foundation
import PourCore
import PourTestSupport
import XCTest

/// A fleet mirror on real registry software: a generated registry pushed into CNCF Distribution
/// (`docker-registry`, started here on 127.0.0.1) in ghcr.io's layout, then installed from it by
/// the real `pour` binary and by the Installer API. Docs/Mirrors.md cites these tests.
final class MirrorDistributionTests: XCTestCase {
    private var fixture: RegistryFixture!
    private var distribution: DistributionProcess!
    private var scratch: URL!

    override func setUpWithError() throws {
        fixture = try RegistryFixture(recipe: MirrorSupport.recipe())
        distribution = try DistributionProcess()
        scratch = fixture.root.appendingPathComponent("machines")
    }

    override func tearDown() {
        distribution?.stop()
        distribution = nil
        fixture = nil
    }

    private func machine(_ name: String) -> (prefix: String, cache: String) {
        (scratch.appendingPathComponent("\(name)/prefix").path, scratch.appendingPathComponent("\(name)/cache").path)
    }

    /// What a fleet machine sets to use the mirror with no way back to ghcr.io.
    private var mirrorEnvironment: [String: String] {
        ["HOMEBREW_API_DOMAIN": MirrorSupport.apiDomain(fixture),
         "HOMEBREW_ARTIFACT_DOMAIN": distribution.baseURL,
         "HOMEBREW_ARTIFACT_DOMAIN_NO_FALLBACK": "1"]
    }

    /// `pour-registry push` fills Distribution; `pour install` with HOMEBREW_ARTIFACT_DOMAIN on
    /// it installs the closure, takes the tab from Distribution's image index, and never asks the
    /// test server for a bottle or manifest.
    func testPushedMirrorInstallsTheClosureAndReadsTheTabFromTheIndex() throws {
        let tool = PourProcess.executable.deletingLastPathComponent().appendingPathComponent("pour-registry").path
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: tool), "pour-registry not built next to the tests")
        let push = Process()
        push.executableURL = URL(fileURLWithPath: tool)
        push.arguments = ["push", fixture.registry.path, "--to", distribution.baseURL]
        let output = Pipe()
        push.standardOutput = output
        try push.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        push.waitUntilExit()
        XCTAssertEqual(push.terminationStatus, 0, printed)
        XCTAssertTrue(printed.contains("pushed 3 formulae"), printed)

        // ghcr's layout in the registry's own catalogue: `@` → `/`, `+` → `x`.
        XCTAssertEqual(try distribution.repositories(), ["homebrew/core/app", "homebrew/core/gtkx3", "homebrew/core/libcore/2"])

        let (prefix, cache) = machine("a")
        let run = try MirrorSupport.runPour(["install", "app", "--quiet"], prefix: prefix, cache: cache,
                                            environment: mirrorEnvironment)
        XCTAssertEqual(run.status, 0, run.lines.joined(separator: "\n") + distribution.logText.suffix(2000))
        MirrorSupport.assertInstalledWithTab(MirrorSupport.closure, prefix: prefix, manifest: fixture.manifest)
        // Distribution served the index under `<pkg_version>` (revision included) and the blob.
        let log = distribution.logText
        let libcore = try XCTUnwrap(fixture.manifest.formulae["libcore@2"])
        XCTAssertTrue(log.contains("uri=/v2/homebrew/core/libcore/2/manifests/2.1.0_1 "), "index fetched by tag")
        XCTAssertTrue(log.contains("uri=\"/v2/homebrew/core/libcore/2/blobs/sha256:\(libcore.sha256)\""), "blob fetched")
        XCTAssertFalse(fixture.log.entries.contains { $0.path.hasPrefix("/v2/") || $0.listener == .blob },
                       "the origin server was asked for registry content: \(fixture.log.entries.map(\.uri))")
    }

    /// HOMEBREW_BOTTLE_DOMAIN may name the mirror's repository root instead (ghcr-shaped, `/v2/`):
    /// bottles and the index come from Distribution, with the tab.
    func testBottleDomainOnTheMirrorRepositoryRootInstallsWithTheTab() throws {
        _ = try RegistryPusher(registry: fixture.registry, target: distribution.baseURL).push()
        let (prefix, cache) = machine("b")
        let environment = ["HOMEBREW_API_DOMAIN": MirrorSupport.apiDomain(fixture),
                           "HOMEBREW_BOTTLE_DOMAIN": distribution.baseURL + "/v2/homebrew/core"]
        let run = try MirrorSupport.runPour(["install", "app", "--quiet"], prefix: prefix, cache: cache, environment: environment)
        XCTAssertEqual(run.status, 0, run.lines.joined(separator: "\n"))
        MirrorSupport.assertInstalledWithTab(MirrorSupport.closure, prefix: prefix, manifest: fixture.manifest)
    }

    /// A registry that keeps the ghcr content under a project prefix (`<project>/homebrew/core/…`,
    /// as Harbor's proxy projects do) is named with its API path: HOMEBREW_ARTIFACT_DOMAIN=
    /// `http://host/v2/ghcr-io`; pour, like brew, does not double the `/v2/`.
    func testArtifactDomainWithARegistryPathUsesTheProjectPrefix() throws {
        _ = try RegistryPusher(registry: fixture.registry, target: distribution.baseURL,
                               namespace: "ghcr-io/homebrew/core").push()
        XCTAssertEqual(try distribution.repositories().first, "ghcr-io/homebrew/core/app")
        let (prefix, cache) = machine("e")
        var environment = mirrorEnvironment
        environment["HOMEBREW_ARTIFACT_DOMAIN"] = distribution.baseURL + "/v2/ghcr-io"
        let run = try MirrorSupport.runPour(["install", "app", "--quiet"], prefix: prefix, cache: cache, environment: environment)
        XCTAssertEqual(run.status, 0, run.lines.joined(separator: "\n"))
        MirrorSupport.assertInstalledWithTab(MirrorSupport.closure, prefix: prefix, manifest: fixture.manifest)
    }

    /// A push is idempotent: a second run uploads nothing and the mirror still installs.
    func testSecondPushUploadsNothing() throws {
        let pusher = RegistryPusher(registry: fixture.registry, target: distribution.baseURL)
        let first = try pusher.push()
        XCTAssertEqual(first.formulae, ["app", "gtk+3", "libcore@2"])
        // One bottle and one image config per bottle tag (two tags) for each formula.
        XCTAssertEqual(first.blobsUploaded, 9)
        let second = try pusher.push()
        XCTAssertEqual(second.blobsUploaded, 0)
        XCTAssertEqual(second.blobsPresent, 9)
    }

    /// The mirror lacks one bottle and fallback is off: that package fails with the mirror's URL
    /// in the message, its dependents are not installed, and nothing else is tried.
    func testMissingBottleWithNoFallbackFailsNamingTheMirrorURL() throws {
        _ = try RegistryPusher(registry: fixture.registry, target: distribution.baseURL).push(skipping: ["libcore@2"])
        let (prefix, cache) = machine("c")
        let run = install(["app"], configuration: MirrorSupport.configuration(prefix: prefix, cache: cache,
                                                                              environment: mirrorEnvironment))
        let libcore = try XCTUnwrap(fixture.manifest.formulae["libcore@2"])
        guard case .failed(let failure)? = run.outcome("libcore@2") else {
            return XCTFail("libcore@2 should fail: \(run.result)")
        }
        let mirrorURL = "\(distribution.baseURL)/v2/homebrew/core/libcore/2/blobs/sha256:\(libcore.sha256)"
        XCTAssertTrue("\(failure)".contains(mirrorURL), "\(failure)")
        XCTAssertTrue("\(failure)".contains("404"), "\(failure)")
        XCTAssertFalse("\(failure)".contains("ghcr.io"), "\(failure)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(prefix)/Cellar/libcore@2"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(prefix)/Cellar/app"))
    }

    /// Without `_NO_FALLBACK`, the same gap sends pour to the original ghcr.io URL after the
    /// mirror's 404. The test keeps that off the internet: `https_proxy` names the local test
    /// server, which records the `CONNECT ghcr.io:443` and refuses it.
    func testMissingBottleFallsBackToTheOriginalGhcrURL() throws {
        _ = try RegistryPusher(registry: fixture.registry, target: distribution.baseURL).push(skipping: ["libcore@2"])
        let (prefix, cache) = machine("d")
        var environment = mirrorEnvironment
        environment["HOMEBREW_ARTIFACT_DOMAIN_NO_FALLBACK"] = nil
        // libcurl reads the lower-case variables first; a CI's own proxy settings are put back after.
        let saved = ["https_proxy", "no_proxy"].map { ($0, ProcessInfo.processInfo.environment[$0]) }
        setenv("https_proxy", fixture.server.registryBaseURL, 1)
        setenv("no_proxy", "127.0.0.1,localhost", 1)
        defer {
            for (name, value) in saved {
                if let value { setenv(name, value, 1) } else { unsetenv(name) }
            }
        }
        let run = install(["app"], configuration: MirrorSupport.configuration(prefix: prefix, cache: cache,
                                                                              environment: environment))
        let libcore = try XCTUnwrap(fixture.manifest.formulae["libcore@2"])
        guard case .failed(let failure)? = run.outcome("libcore@2") else {
            return XCTFail("libcore@2 should fail (its fallback is refused): \(run.result)")
        }
        XCTAssertTrue("\(failure)".contains("https://ghcr.io/v2/homebrew/core/libcore/2/blobs/sha256:\(libcore.sha256)"),
                      "the last source tried is the original: \(failure)")
        // The mirror was asked first (404 in its log), then the tunnel to ghcr.io was requested.
        XCTAssertTrue(distribution.logText.contains("uri=\"/v2/homebrew/core/libcore/2/blobs/sha256:\(libcore.sha256)\""))
        let connects = fixture.log.entries.filter { $0.method == "CONNECT" }
        XCTAssertFalse(connects.isEmpty, "no fallback attempt reached the proxy")
        XCTAssertTrue(connects.allSatisfy { $0.uri == "ghcr.io:443" }, "\(connects.map(\.uri))")
    }
}
