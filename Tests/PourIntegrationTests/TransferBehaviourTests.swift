import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Concurrency bound, overlap of extraction with downloads, auth handling and cache reuse.
final class TransferBehaviourTests: XCTestCase {
    /// Twelve independent bottles of ~1.5 MB, each served at 3 MB/s per connection, so that
    /// transfers overlap long enough for the bound to be reached.
    static func twelveBottles() -> RegistryRecipe {
        .custom((1...12).map { FormulaSpec(name: "pkg\($0)", targetCompressedSize: 1_500_000) })
    }

    func testPeakConcurrentTransfersEqualsJobsAndExtractionOverlapsDownloads() throws {
        let fixture = try RegistryFixture(recipe: Self.twelveBottles(),
                                          server: ServerConfiguration(perConnectionRate: 3_000_000))
        // The server answers no blob until three are open at once: reaching the peak does not
        // depend on timing, and the semaphore must keep it from going past three.
        fixture.server.blobGate.hold(until: 3)
        let run = install((1...12).map { "pkg\($0)" }, configuration: fixture.configuration(jobs: 3))
        XCTAssertEqual(run.report?.installed.count, 12, "\(run.result)")
        XCTAssertEqual(fixture.log.peakConcurrentBlobTransfers, 3)

        // Event order (delivered one at a time, in emission order), not clock readings.
        let firstExtraction = try XCTUnwrap(run.events.firstIndex { if case .extracting = $0.event { return true }; return false })
        let lastDownload = try XCTUnwrap(run.events.lastIndex { if case .downloadFinished = $0.event { return true }; return false })
        XCTAssertLessThan(firstExtraction, lastDownload, "extraction must start while downloads are still running")
    }

    func testAuthorizationReachesTheRegistryButNeverTheRedirectHost() throws {
        let fixture = try RegistryFixture(recipe: .sample())
        let run = install(["wget"], configuration: fixture.configuration())
        XCTAssertEqual(run.report?.succeeded, true, "\(run.result)")
        let registryBlobRequests = fixture.log.entries(on: .registry).filter { $0.path.contains("/blobs/") }
        XCTAssertFalse(registryBlobRequests.isEmpty)
        XCTAssertTrue(registryBlobRequests.allSatisfy(\.hadAuthorization))
        let blobHostRequests = fixture.log.entries(on: .blob)
        XCTAssertFalse(blobHostRequests.isEmpty)
        XCTAssertTrue(blobHostRequests.allSatisfy { !$0.hadAuthorization }, "Authorization leaked to the redirect host")
    }

    func testSecondInstallFromTheSameCacheMakesNoRequests() throws {
        let fixture = try RegistryFixture(recipe: .sample())
        XCTAssertEqual(install(["wget"], configuration: fixture.configuration()).report?.succeeded, true)
        let requestsAfterFirst = fixture.log.requestCount
        XCTAssertGreaterThan(requestsAfterFirst, 0)
        // A fresh prefix (as after an uninstall) sharing the cache: bottles and metadata come from it.
        let second = install(["wget"], configuration: fixture.configuration(prefix: fixture.root.path + "/prefix2"))
        XCTAssertEqual(second.report?.succeeded, true, "\(second.result)")
        XCTAssertEqual(second.report?.networkBytes, 0)
        XCTAssertEqual(fixture.log.requestCount, requestsAfterFirst, "the second install must not touch the network")
    }

    func testCorruptCacheEntryIsReplacedByAFreshDownload() throws {
        let fixture = try RegistryFixture(recipe: .sample())
        let configuration = fixture.configuration()
        XCTAssertEqual(install(["zlib"], configuration: configuration).report?.succeeded, true)
        let cached = try XCTUnwrap(tree(configuration.layout.downloads).first { $0.contains("--zlib--") })
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: configuration.layout.downloads + "/" + cached))
        let run = install(["zlib"], configuration: fixture.configuration(prefix: fixture.root.path + "/prefix2"))
        XCTAssertEqual(run.report?.succeeded, true, "\(run.result)")
        XCTAssertGreaterThan(run.report?.networkBytes ?? 0, 0)
    }
}

/// `HOMEBREW_BOTTLE_DOMAIN=file://…` (a flat mirror directory) and a file:// API domain: no server.
final class FileMirrorTests: XCTestCase {
    func testInstallsFromAFileRootWithoutTheNetwork() throws {
        let fixture = try RegistryFixture(recipe: .sample())
        var environment = [String: String]()
        environment["HOMEBREW_API_DOMAIN"] = "file://" + fixture.registry.path + "/api"
        environment["HOMEBREW_BOTTLE_DOMAIN"] = "file://" + fixture.registry.path + "/bottles"
        let configuration = InstallConfiguration(layout: PrefixLayout(prefix: fixture.prefix, cache: fixture.cache),
                                                 endpoints: .fromEnvironment(environment))
        let run = install(["libidn2"], configuration: configuration)
        XCTAssertEqual(run.report?.installed.count, 3, "\(run.result)")
        XCTAssertEqual(fixture.log.requestCount, 0)
    }
}
