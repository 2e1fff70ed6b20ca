import Foundation
import PourTestSupport
import XCTest

final class RegistryServerTests: XCTestCase {
    private var server: RegistryServer?
    private var root: URL!
    private var manifest: RegistryManifest!

    override func setUpWithError() throws {
        (root, manifest) = try Fixtures.sample.get()
    }

    override func tearDown() {
        server?.shutdown()
        server = nil
    }

    private func startServer(_ configuration: ServerConfiguration = ServerConfiguration(),
                             root: URL? = nil) throws -> RegistryServer {
        let server = try RegistryServer(root: root ?? self.root, configuration: configuration)
        try server.start()
        self.server = server
        return server
    }

    /// The server's log once every request has been recorded (see `RequestLog.waitUntilIdle`).
    private func settled(_ server: RegistryServer, file: StaticString = #filePath, line: UInt = #line) -> RequestLog {
        XCTAssertTrue(server.log.waitUntilIdle(), "requests still in flight", file: file, line: line)
        return server.log
    }

    private func sha(_ name: String) throws -> String { try XCTUnwrap(manifest.formulae[name]?.sha256) }

    private func blobURL(_ server: RegistryServer, _ name: String) throws -> String {
        let entry = try XCTUnwrap(manifest.formulae[name])
        return "\(server.registryBaseURL)/v2/homebrew/core/\(entry.image)/blobs/sha256:\(entry.sha256)"
    }

    private let auth = ["-H", "Authorization: Bearer QQ=="]

    func testServesFormulaAPIWithGetAndHead() throws {
        let server = try startServer()
        let all = try Curl.run("\(server.registryBaseURL)/api/formula.json")
        XCTAssertEqual(all.status, 200)
        XCTAssertEqual(all.headers["content-type"], "application/json")
        XCTAssertEqual(all.body, try Data(contentsOf: root.appendingPathComponent("api/formula.json")))
        let one = try Curl.run("\(server.registryBaseURL)/api/formula/openssl@3.json")
        XCTAssertEqual(one.status, 200)
        let object = try JSONSerialization.jsonObject(with: one.body) as? [String: Any]
        XCTAssertEqual(object?["name"] as? String, "openssl@3")
        let head = try Curl.run("\(server.registryBaseURL)/api/formula/curl.json", arguments: ["-I"])
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.headers["content-length"], String(try Data(contentsOf:
            root.appendingPathComponent("api/formula/curl.json")).count))
        XCTAssertEqual(try Curl.run("\(server.registryBaseURL)/api/formula/nope.json").status, 404)
        XCTAssertEqual(try Curl.run("\(server.registryBaseURL)/api/../manifest.json", arguments: ["--path-as-is"]).status, 400)
        XCTAssertEqual(settled(server).requestCount, 5)
        XCTAssertEqual(server.homebrewEnvironment["HOMEBREW_API_DOMAIN"], server.registryBaseURL + "/api")
        XCTAssertEqual(server.registryBaseURL, "http://127.0.0.1:\(server.registryPort)")
        XCTAssertNotEqual(server.registryPort, server.blobPort)
        XCTAssertEqual(settled(server).entries.map(\.method), ["GET", "GET", "HEAD", "GET", "GET"])
    }

    func testBlobWithoutTokenIsUnauthorized() throws {
        let server = try startServer()
        let result = try Curl.run(try blobURL(server, "zlib"))
        XCTAssertEqual(result.status, 401)
        let challenge = try XCTUnwrap(result.headers["www-authenticate"])
        XCTAssertTrue(challenge.hasPrefix("Bearer realm=\"\(server.registryBaseURL)/token\""), challenge)
        let token = try Curl.run("\(server.registryBaseURL)/token?scope=repository:homebrew/core/zlib:pull")
        XCTAssertEqual(token.status, 200)
        XCTAssertEqual((try JSONSerialization.jsonObject(with: token.body) as? [String: String])?["token"], "QQ==")
        let wrong = try Curl.run(try blobURL(server, "zlib"), arguments: ["-H", "Authorization: Bearer nope"])
        XCTAssertEqual(wrong.status, 401)
        XCTAssertTrue(settled(server).entries(on: .blob).isEmpty)
    }

    func testBlobRedirectsToBlobHostWithoutForwardingAuthorization() throws {
        let server = try startServer()
        let noFollow = try Curl.run(try blobURL(server, "curl"), arguments: auth)
        XCTAssertEqual(noFollow.status, 307)
        XCTAssertEqual(noFollow.headers["location"], "\(server.blobBaseURL)/blobs/sha256:\(try sha("curl"))")

        settled(server).reset()
        let result = try Curl.run(try blobURL(server, "curl"), arguments: auth + ["-L"])
        XCTAssertEqual(result.status, 200)
        XCTAssertEqual(try sha256Hex(result.body), try sha("curl"))
        let registry = settled(server).entries(on: .registry)
        let blob = settled(server).entries(on: .blob)
        XCTAssertEqual(registry.map(\.status), [307])
        XCTAssertEqual(registry.first?.hadAuthorization, true)
        XCTAssertEqual(blob.map(\.status), [200])
        XCTAssertEqual(blob.first?.hadAuthorization, false, "Authorization must not reach the blob host")
        XCTAssertEqual(blob.first?.bytesSent, manifest.formulae["curl"]?.size)
        XCTAssertEqual(blob.first?.completed, true)

        let unknown = try Curl.run("\(server.registryBaseURL)/v2/homebrew/core/curl/blobs/sha256:\(String(repeating: "0", count: 64))",
                                   arguments: auth)
        XCTAssertEqual(unknown.status, 404)
    }

    func testManifestAndFlatBottleRoutes() throws {
        let server = try startServer()
        let index = try Curl.run("\(server.registryBaseURL)/v2/homebrew/core/openssl/3/manifests/3.4.0", arguments: auth)
        XCTAssertEqual(index.status, 200)
        XCTAssertEqual(index.headers["content-type"], "application/vnd.oci.image.index.v1+json")
        XCTAssertEqual(try Curl.run("\(server.registryBaseURL)/v2/homebrew/core/openssl/3/manifests/3.4.0").status, 401)
        let flat = try Curl.run("\(server.registryBaseURL)/bottles/zlib-1.3.1.arm64_linux.bottle.tar.gz")
        XCTAssertEqual(flat.status, 200)
        XCTAssertEqual(try sha256Hex(flat.body), try sha("zlib"))
    }

    func testRangeRequests() throws {
        let server = try startServer()
        let url = "\(server.blobBaseURL)/blobs/sha256:\(try sha("wget"))"
        let size = try XCTUnwrap(manifest.formulae["wget"]?.size)
        let whole = try Data(contentsOf: root.appendingPathComponent("blobs/sha256:\(try sha("wget"))"))

        let middle = try Curl.run(url, arguments: ["-H", "Range: bytes=100-199"])
        XCTAssertEqual(middle.status, 206)
        XCTAssertEqual(middle.headers["content-range"], "bytes 100-199/\(size)")
        XCTAssertEqual(middle.headers["content-length"], "100")
        XCTAssertEqual(middle.body, whole.subdata(in: 100..<200))

        let tail = try Curl.run(url, arguments: ["-H", "Range: bytes=\(size - 10)-"])
        XCTAssertEqual(tail.status, 206)
        XCTAssertEqual(tail.body, whole.suffix(10))

        let suffix = try Curl.run(url, arguments: ["-H", "Range: bytes=-7"])
        XCTAssertEqual(suffix.status, 206)
        XCTAssertEqual(suffix.body, whole.suffix(7))
        // Multi-range requests are answered with the whole body, as many servers do.
        XCTAssertEqual(try Curl.run(url, arguments: ["-H", "Range: bytes=0-1,5-6"]).status, 200)

        let clamped = try Curl.run(url, arguments: ["-H", "Range: bytes=\(size - 5)-\(size + 100)"])
        XCTAssertEqual(clamped.headers["content-range"], "bytes \(size - 5)-\(size - 1)/\(size)")

        let beyond = try Curl.run(url, arguments: ["-H", "Range: bytes=\(size)-"])
        XCTAssertEqual(beyond.status, 416)
        XCTAssertEqual(beyond.headers["content-range"], "bytes */\(size)")
        XCTAssertTrue(beyond.body.isEmpty)

        let plain = try Curl.run(url)
        XCTAssertEqual(plain.status, 200)
        XCTAssertEqual(plain.headers["accept-ranges"], "bytes")
        XCTAssertEqual(plain.body, whole)
        XCTAssertEqual(settled(server).entries.compactMap(\.range), ["bytes=100-199", "bytes=\(size - 10)-", "bytes=-7",
                                                                 "bytes=0-1,5-6", "bytes=\(size - 5)-\(size + 100)",
                                                                 "bytes=\(size)-"])
    }

    func testKeepAliveServesSeveralRequestsOnOneConnection() throws {
        let server = try startServer()
        let base = "\(server.blobBaseURL)/blobs/sha256:"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-o", "/dev/null", "-o", "/dev/null", "-w", "%{num_connects}\n",
                             base + (try sha("zlib")), base + (try sha("hello"))]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(output.split(separator: "\n"), ["1", "0"], "the second transfer must reuse the connection")
        XCTAssertEqual(settled(server).entries.filter(\.completed).count, 2)
    }

    // MARK: Faults

    func testStatusFaultFailsNTimesThenSucceeds() throws {
        let server = try startServer()
        server.faults.add(.status(503, retryAfter: 2), for: .sha256(try sha("zlib")), times: 2)
        let url = try blobURL(server, "zlib")
        let first = try Curl.run(url, arguments: auth + ["-L"])
        XCTAssertEqual(first.status, 503)
        XCTAssertEqual(first.headers["retry-after"], "2")
        XCTAssertEqual(try Curl.run(url, arguments: auth + ["-L"]).status, 503)
        let third = try Curl.run(url, arguments: auth + ["-L"])
        XCTAssertEqual(third.status, 200)
        XCTAssertEqual(try sha256Hex(third.body), try sha("zlib"))
        XCTAssertTrue(server.faults.pending.isEmpty)
        XCTAssertEqual(settled(server).entries.compactMap(\.fault), ["status(503)", "status(503)"])

        server.faults.add(.status(429), for: .pathSuffix("/formula.json"), times: 1)
        XCTAssertEqual(try Curl.run("\(server.registryBaseURL)/api/formula.json").status, 429)
        XCTAssertEqual(try Curl.run("\(server.registryBaseURL)/api/formula.json").status, 200)
    }

    func testResetAfterClosesAbruptly() throws {
        let server = try startServer()
        server.faults.add(.resetAfter(bytes: 20000), for: .sha256(try sha("openssl@3")))
        let result = try Curl.run(try blobURL(server, "openssl@3"), arguments: auth + ["-L"])
        XCTAssertEqual(result.exitCode, 56, "curl sees a connection reset (56), not a clean short close (18)")
        XCTAssertEqual(result.body.count, 20000)
        let entry = try XCTUnwrap(settled(server).entries(on: .blob).first)
        XCTAssertEqual(entry.bytesSent, 20000)
        XCTAssertFalse(entry.completed)
        XCTAssertEqual(entry.fault, "resetAfter(20000)")
        // Consumed: the next attempt succeeds.
        XCTAssertEqual(try Curl.run(try blobURL(server, "openssl@3"), arguments: auth + ["-L"]).exitCode, 0)
    }

    func testTruncateAnnouncesFullLengthButSendsLess() throws {
        let server = try startServer()
        let size = try XCTUnwrap(manifest.formulae["gettext"]?.size)
        server.faults.add(.truncate(afterBytes: 5000), for: .sha256(try sha("gettext")))
        let result = try Curl.run("\(server.blobBaseURL)/blobs/sha256:\(try sha("gettext"))")
        XCTAssertEqual(result.exitCode, 18, "curl reports a partial file")
        XCTAssertEqual(result.headers["content-length"], String(size))
        XCTAssertEqual(result.body.count, 5000)
        let whole = try Data(contentsOf: root.appendingPathComponent("blobs/sha256:\(try sha("gettext"))"))
        XCTAssertEqual(result.body, whole.prefix(5000))
    }

    func testStallSendsSomeBytesThenNothing() throws {
        let server = try startServer()
        server.faults.add(.stall(afterBytes: 3000, seconds: 0.5), for: .sha256(try sha("hello")))
        let result = try Curl.run("\(server.blobBaseURL)/blobs/sha256:\(try sha("hello"))")
        XCTAssertNotEqual(result.exitCode, 0)
        XCTAssertEqual(result.body.count, 3000)
        let entry = try XCTUnwrap(settled(server).entries.first)
        XCTAssertEqual(entry.bytesSent, 3000)
        XCTAssertGreaterThanOrEqual(entry.end.timeIntervalSince(entry.start), 0.5, "the connection stayed silent")
    }

    func testWrongBytesKeepLengthButChangeDigest() throws {
        let server = try startServer()
        server.faults.add(.wrongBytes, for: .sha256(try sha("zlib")))
        let result = try Curl.run("\(server.blobBaseURL)/blobs/sha256:\(try sha("zlib"))")
        XCTAssertEqual(result.exitCode, 0)
        XCTAssertEqual(result.body.count, manifest.formulae["zlib"]?.size)
        XCTAssertNotEqual(try sha256Hex(result.body), try sha("zlib"))
    }

    func testRedirectLoopNeverEnds() throws {
        let server = try startServer()
        server.faults.add(.redirectLoop, for: .sha256(try sha("zlib")), times: nil)
        let result = try Curl.run(try blobURL(server, "zlib"), arguments: auth + ["-L", "--max-redirs", "5"])
        XCTAssertEqual(result.exitCode, 47, "curl gives up: too many redirects")
        XCTAssertEqual(settled(server).entries(on: .registry).count, 6)
        XCTAssertTrue(settled(server).entries(on: .blob).isEmpty)
    }

    func testRedirectToAuthHostYields401ForAWellBehavedClient() throws {
        let server = try startServer()
        server.faults.add(.redirectToAuthHost, for: .sha256(try sha("zlib")))
        let result = try Curl.run(try blobURL(server, "zlib"), arguments: auth + ["-L"])
        XCTAssertEqual(result.status, 401)
        let blob = try XCTUnwrap(settled(server).entries(on: .blob).first)
        XCTAssertTrue(blob.path.hasPrefix("/protected/blobs/"))
        XCTAssertFalse(blob.hadAuthorization)
        // With the token the protected path does serve the blob.
        let direct = try Curl.run("\(server.blobBaseURL)/protected/blobs/sha256:\(try sha("zlib"))", arguments: auth)
        XCTAssertEqual(direct.status, 200)
    }

    func testTrickleSlowsOneResponse() throws {
        let server = try startServer()
        let size = try XCTUnwrap(manifest.formulae["libidn2"]?.size)
        let rate = size * 2 // ~0.5 s for the whole body
        server.faults.add(.trickle(bytesPerSecond: rate), for: .sha256(try sha("libidn2")))
        let result = try Curl.run("\(server.blobBaseURL)/blobs/sha256:\(try sha("libidn2"))")
        XCTAssertEqual(result.exitCode, 0)
        XCTAssertEqual(try sha256Hex(result.body), try sha("libidn2"))
        let entry = try XCTUnwrap(settled(server).entries.first)
        XCTAssertEqual(entry.fault, "trickle(\(rate))")
        XCTAssertGreaterThanOrEqual(entry.end.timeIntervalSince(entry.start), 0.4)
    }

    func testFaultsLoadFromJSONFile() throws {
        let server = try startServer()
        let file = Fixtures.temporaryDirectory("faults").appendingPathComponent("faults.json")
        try Data("""
        [{"sha256": "\(try sha("zlib"))", "fault": "status", "code": 500, "times": 1},
         {"path_suffix": "/curl.json", "fault": "truncate", "after_bytes": 10},
         {"fault": "trickle", "bytes_per_second": 100000, "times": null, "listener": "blob"}]
        """.utf8).write(to: file)
        try server.faults.load(fromFile: file.path)
        XCTAssertEqual(server.faults.pending.count, 3)
        XCTAssertEqual(server.faults.pending.last?.remaining, nil)
        XCTAssertEqual(server.faults.pending.last?.listener, .blob)
        XCTAssertEqual(try Curl.run(try blobURL(server, "zlib"), arguments: auth).status, 500)
        XCTAssertEqual(try Curl.run("\(server.registryBaseURL)/api/formula/curl.json").body.count, 10)

        try Data(#"[{"fault": "explode"}]"#.utf8).write(to: file)
        XCTAssertThrowsError(try server.faults.load(fromFile: file.path))
    }

    // MARK: Throttling and concurrency

    func testPerConnectionRateIsAccurate() throws {
        let (largeRoot, largeManifest) = try Fixtures.large.get()
        let rate = 3 << 20
        let server = try startServer(ServerConfiguration(perConnectionRate: rate), root: largeRoot)
        let big = try XCTUnwrap(largeManifest.formulae["big"])
        XCTAssertGreaterThan(big.size, 5 << 20)
        let result = try Curl.run("\(server.blobBaseURL)/blobs/sha256:\(big.sha256)")
        XCTAssertEqual(result.body.count, big.size)
        XCTAssertEqual(result.speed, Double(rate), accuracy: Double(rate) * 0.15,
                       "measured \(result.speed) B/s for a configured \(rate) B/s")
    }

    func testAggregateRateIsSharedByConnections() throws {
        let (largeRoot, largeManifest) = try Fixtures.large.get()
        let rate = 4 << 20
        let server = try startServer(ServerConfiguration(aggregateRate: rate), root: largeRoot)
        let big = try XCTUnwrap(largeManifest.formulae["big"])
        let url = "\(server.blobBaseURL)/blobs/sha256:\(big.sha256)"
        let transfers = try (0..<2).map { _ in try Curl.start(url) }
        let results = try transfers.map { try $0.finish() }
        XCTAssertEqual(results.map(\.body.count), [big.size, big.size])
        let entries = settled(server).entries
        let start = try XCTUnwrap(entries.map(\.start).min())
        let end = try XCTUnwrap(entries.map(\.end).max())
        let measured = Double(2 * big.size) / end.timeIntervalSince(start)
        XCTAssertEqual(measured, Double(rate), accuracy: Double(rate) * 0.15,
                       "measured \(measured) B/s aggregate for a configured \(rate) B/s")
        XCTAssertEqual(settled(server).peakConcurrentBlobTransfers, 2)
    }

    func testPeakConcurrencyIsCounted() throws {
        let (largeRoot, largeManifest) = try Fixtures.large.get()
        // 1 MB at 1 MB/s per connection: each transfer lasts about a second, so four started
        // together overlap.
        let server = try startServer(ServerConfiguration(perConnectionRate: 1 << 20), root: largeRoot)
        let urls = try ["mid-a", "mid-b", "mid-a", "mid-b"].map { name in
            "\(server.blobBaseURL)/blobs/sha256:\(try XCTUnwrap(largeManifest.formulae[name]).sha256)"
        }
        let running = try urls.map { try Curl.start($0) }
        for transfer in running { XCTAssertEqual(try transfer.finish().status, 200) }
        XCTAssertEqual(settled(server).peakConcurrentBlobTransfers, 4)
        XCTAssertEqual(settled(server).peakConcurrentRequests(on: .blob), 4)

        settled(server).reset()
        XCTAssertEqual(settled(server).peakConcurrentBlobTransfers, 0)
        XCTAssertTrue(settled(server).entries.isEmpty)
        _ = try Curl.run(urls[0])
        _ = try Curl.run(urls[1])
        XCTAssertEqual(settled(server).peakConcurrentBlobTransfers, 1)
        XCTAssertEqual(settled(server).requestCount, 2)
    }

    func testClientAbortIsLoggedAndReleasesTheTransfer() throws {
        let (largeRoot, largeManifest) = try Fixtures.large.get()
        let server = try startServer(ServerConfiguration(perConnectionRate: 1 << 20), root: largeRoot)
        let big = try XCTUnwrap(largeManifest.formulae["big"])
        let result = try Curl.run("\(server.blobBaseURL)/blobs/sha256:\(big.sha256)", arguments: ["--max-time", "0.5"])
        XCTAssertEqual(result.exitCode, 28, "curl timed out")
        let entry = try XCTUnwrap(settled(server).entries.first)
        XCTAssertFalse(entry.completed)
        XCTAssertGreaterThan(entry.bytesSent, 0)
        XCTAssertLessThan(entry.bytesSent, big.size)
        // The server keeps serving after an abort.
        server.faults.add(.status(404), for: .any, times: 1)
        XCTAssertEqual(try Curl.run("\(server.registryBaseURL)/api/formula.json").status, 404)
    }

    func testLatencyDelaysEveryResponseHead() throws {
        let server = try startServer(ServerConfiguration(latency: 0.3))
        _ = try Curl.run("\(server.registryBaseURL)/api/formula/zlib.json")
        let entry = try XCTUnwrap(settled(server).entries.first)
        XCTAssertGreaterThanOrEqual(entry.end.timeIntervalSince(entry.start), 0.3)
    }
}
