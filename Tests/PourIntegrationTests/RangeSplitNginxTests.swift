import Foundation
@testable import PourCore
import PourTestSupport
import XCTest

/// Range splitting against a server pour did not write: nginx over TLS, serving the registry's
/// files with its own `Range` handling (206, `Content-Range`, `Accept-Ranges: bytes`) and a
/// per-request `limit_rate` standing in for a CDN's per-connection cap. Over HTTP/1.1 the large
/// bottle is split and installed from nginx's ranges; over HTTP/2 nothing is split, because a
/// second stream would share the first one's connection (`TransferResponse.multiplexed`).
final class RangeSplitNginxTests: XCTestCase {
    /// `top` → `big` (2.5 MB) and three bottles of 300, 600 and 900 KB that finish first, one after
    /// another, and give back their slots while `big` still runs.
    private static func recipe() -> RegistryRecipe {
        .custom([FormulaSpec(name: "big", targetCompressedSize: 2_500_000),
                 FormulaSpec(name: "m1", targetCompressedSize: 300_000),
                 FormulaSpec(name: "m2", targetCompressedSize: 600_000),
                 FormulaSpec(name: "m3", targetCompressedSize: 900_000),
                 FormulaSpec(name: "top", dependencies: ["big", "m1", "m2", "m3"], targetCompressedSize: 20_000)])
    }

    /// Installs `top` from nginx at 1 MB/s per request, splitting eagerly (64 KiB parts, no
    /// response-time gate: this is loopback); returns nginx's access log.
    private func installFromNginx(http2: Bool) throws -> (fixture: RegistryFixture, log: [NginxRegistry.LogEntry]) {
        let fixture = try RegistryFixture(recipe: Self.recipe())
        let nginx = try NginxRegistry(registry: fixture.registry, directory: fixture.root.appendingPathComponent("nginx"),
                                      http2: http2, limitRate: 1_000_000)
        defer { nginx.stop() }
        var configuration = nginx.configuration(for: fixture, index: false)
        configuration.rangeSplit = RangeSplitPolicy(minimumPartBytes: 64 << 10, minimumResponseMicroseconds: 0)
        let run = install(["top"], configuration: configuration)
        assertOutcomes(run, installed: Set(fixture.manifest.formulae.keys))
        assertConsistentPrefix(layout: configuration.layout, manifest: fixture.manifest)
        let downloads = configuration.layout.downloads
        let cached = try FileManager.default.contentsOfDirectory(atPath: downloads)
        XCTAssertFalse(cached.contains { $0.hasSuffix(".incomplete") || $0.hasSuffix(".lock") }, "\(cached)")
        let big = try XCTUnwrap(cached.first { $0.contains("--big--") && $0.hasSuffix(".tar.gz") })
        let published = fixture.registry.appendingPathComponent("blobs/sha256:\(fixture.sha256(of: "big"))").path
        XCTAssertTrue(FileManager.default.contents(atPath: downloads + "/" + big) == FileManager.default.contents(atPath: published),
                      "the cache file is byte for byte the published bottle")
        nginx.stop()
        return (fixture, nginx.accessLog())
    }

    func testOverHTTP11TheLargeBottleIsSplitIntoNginxRanges() throws {
        let (fixture, log) = try installFromNginx(http2: false)
        let ranged = log.filter { $0.status == 206 }
        let bigBlob = "sha256:\(fixture.sha256(of: "big"))"
        // The medium bottles may be split too once their slots' neighbours finish (64 KiB parts).
        XCTAssertGreaterThanOrEqual(ranged.filter { $0.path.hasSuffix(bigBlob) }.count, 1,
                                    "the large bottle was split: \(log.map { "\($0.status) \($0.path)" })")
        XCTAssertTrue(ranged.allSatisfy { $0.path.contains("/blobs/") }, "only bottles: \(ranged.map(\.path))")
        XCTAssertTrue(log.allSatisfy { $0.proto == "HTTP/1.1" })
    }

    func testOverHTTP2NothingIsSplit() throws {
        let (_, log) = try installFromNginx(http2: true)
        XCTAssertEqual(log.filter { $0.status == 206 }.map(\.path), [], "no range requests")
        XCTAssertEqual(log.filter { $0.proto != "HTTP/2.0" }.map(\.path), [], "every request an h2 stream")
    }
}
