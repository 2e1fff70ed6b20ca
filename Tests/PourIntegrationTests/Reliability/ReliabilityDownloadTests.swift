import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Issue #14, items 1, 3, 5 and 7, and issue #13 class 5: downloads that never lie. Resumes
/// against servers that ignore or mislabel `Range`, deadlines with small configured limits,
/// `file://` mirrors read off the I/O thread, and the URL policy decided on parsed URLs and
/// checked at every redirect hop. Every test runs the real installer against the local server.
final class ReliabilityDownloadTests: XCTestCase {
    static let size = 400_000

    private func fixture(size: Int = ReliabilityDownloadTests.size) throws -> RegistryFixture {
        try RegistryFixture(recipe: .custom([FormulaSpec(name: "a", targetCompressedSize: size),
                                             FormulaSpec(name: "b", dependencies: ["a"], targetCompressedSize: 20_000)]))
    }

    private func blob(_ fixture: RegistryFixture, _ name: String) -> String {
        fixture.registry.appendingPathComponent("blobs/sha256:\(fixture.sha256(of: name))").path
    }

    private func blobRequests(_ fixture: RegistryFixture, _ name: String) -> [RequestLogEntry] {
        let sha = fixture.sha256(of: name)
        return fixture.log.entries.filter { $0.listener == .blob && $0.path.hasSuffix("sha256:\(sha)") }
    }

    /// Installs into a scratch prefix with the fixture's cache to learn the cache file name of
    /// `name`'s bottle, then leaves a `.incomplete` holding its first `keep` bytes (as a killed run
    /// would) and removes the verified file. Returns the final cache path.
    private func leavePartialDownload(_ fixture: RegistryFixture, _ name: String, keep: Int) throws -> String {
        let warm = install([name], configuration: fixture.configuration(prefix: fixture.root.path + "/warm"))
        XCTAssertEqual(warm.report?.succeeded, true, "\(warm.result)")
        let downloads = fixture.configuration().layout.downloads
        guard let file = try FileManager.default.contentsOfDirectory(atPath: downloads)
            .first(where: { $0.contains("--\(name)--") && $0.hasSuffix(".tar.gz") }) else {
            XCTFail("no cache file for \(name)")
            return ""
        }
        let final = downloads + "/" + file
        let bytes = try Data(contentsOf: URL(fileURLWithPath: final))
        try bytes.prefix(keep).write(to: URL(fileURLWithPath: DownloadCache.incompletePath(for: final)))
        try FileManager.default.removeItem(atPath: final)
        fixture.server.log.reset()
        return final
    }

    /// The cache file holds exactly the published bottle, and the keg was extracted from it.
    private func assertVerifiedAndInstalled(_ fixture: RegistryFixture, _ run: InstallRecording, cacheFile: String,
                                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(run.report?.succeeded, true, "\(run.result)", file: file, line: line)
        let cached = FileManager.default.contents(atPath: cacheFile)
        let published = FileManager.default.contents(atPath: blob(fixture, "a"))
        XCTAssertNotNil(cached, file: file, line: line)
        XCTAssertEqual(cached?.count, published?.count, "cache file length", file: file, line: line)
        XCTAssertTrue(cached == published, "cache file bytes equal the published bottle", file: file, line: line)
        assertConsistentPrefix(layout: fixture.configuration().layout, manifest: fixture.manifest, file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: DownloadCache.lockPath(for: cacheFile)), "lock file removed", file: file, line: line)
    }

    // MARK: - Item 1: resume correct by construction

    func testServerIgnoringRangeRestartsTheFileAtByteZero() throws {
        let fixture = try fixture()
        let cacheFile = try leavePartialDownload(fixture, "a", keep: 150_000)
        fixture.server.faults.add(.ignoreRange, for: .sha256(fixture.sha256(of: "a")), times: nil, listener: .blob)
        let run = install(["b"], configuration: fixture.configuration())
        assertVerifiedAndInstalled(fixture, run, cacheFile: cacheFile)
        let requests = blobRequests(fixture, "a")
        XCTAssertEqual(requests.map(\.range), ["bytes=150000-"], "one resume request")
        XCTAssertEqual(requests.map(\.status), [200], "answered with the whole body")
        XCTAssertEqual(requests.first?.fault, "ignoreRange")
    }

    func testWrongContentRangeRestartsCleanlyWithoutRange() throws {
        let fixture = try fixture()
        let cacheFile = try leavePartialDownload(fixture, "a", keep: 150_000)
        fixture.server.faults.add(.wrongContentRange, for: .sha256(fixture.sha256(of: "a")), times: nil, listener: .blob)
        let run = install(["b"], configuration: fixture.configuration())
        assertVerifiedAndInstalled(fixture, run, cacheFile: cacheFile)
        let requests = blobRequests(fixture, "a")
        XCTAssertEqual(requests.map(\.range), ["bytes=150000-", nil], "the mislabelled 206 is dropped; restart without Range")
        XCTAssertEqual(requests.map(\.status), [206, 200])
    }

    func testDifferentBodyOnResumeIsCaughtByTheDigestAndDownloadedAfresh() throws {
        let fixture = try fixture()
        let cacheFile = try leavePartialDownload(fixture, "a", keep: 150_000)
        fixture.server.faults.add(.differentBody, for: .sha256(fixture.sha256(of: "a")), times: 1, listener: .blob)
        let run = install(["b"], configuration: fixture.configuration())
        assertVerifiedAndInstalled(fixture, run, cacheFile: cacheFile)
        let reasons = run.events.compactMap { event -> String? in
            if case .downloadRetrying("a", _, _, let reason) = event.event { return reason }
            return nil
        }
        XCTAssertEqual(reasons.count, 1, "\(reasons)")
        XCTAssertTrue(reasons.first?.contains("SHA-256 mismatch") == true, "\(reasons)")
        XCTAssertEqual(blobRequests(fixture, "a").map(\.range), ["bytes=150000-", nil])
    }

    func testLengthIsCheckedAgainstTheManifestSize() throws {
        let fixture = try fixture()
        // The registry's OCI index announces one byte more than the blob has.
        let entry = try XCTUnwrap(fixture.manifest.formulae["a"])
        let manifests = fixture.registry.appendingPathComponent("manifests")
        var edited = 0
        for file in (try? FileManager.default.subpathsOfDirectory(atPath: manifests.path)) ?? [] {
            let path = manifests.appendingPathComponent(file).path
            guard let text = try? String(contentsOfFile: path, encoding: .utf8), text.contains(entry.sha256) else { continue }
            let changed = text.replacingOccurrences(of: "\"sh.brew.bottle.size\":\"\(entry.size)\"",
                                                    with: "\"sh.brew.bottle.size\":\"\(entry.size + 1)\"")
                .replacingOccurrences(of: "\"sh.brew.bottle.size\": \"\(entry.size)\"",
                                      with: "\"sh.brew.bottle.size\": \"\(entry.size + 1)\"")
            if changed != text { edited += 1 }
            try changed.write(toFile: path, atomically: true, encoding: .utf8)
        }
        try XCTSkipIf(edited == 0, "the generated manifests carry no bottle size")
        let run = install(["a"], configuration: fixture.configuration())
        guard case .failed(.download(.sizeMismatch("a", Int64(entry.size + 1), _, _)))? = run.outcome("a") else {
            return XCTFail("\(String(describing: run.outcome("a")))")
        }
        assertConsistentPrefix(layout: fixture.configuration().layout, manifest: fixture.manifest)
    }

    // MARK: - Item 3: deadlines

    func testServerThatNeverAnswersEndsWithTheFirstByteDeadline() throws {
        let fixture = try fixture()
        fixture.server.faults.add(.noResponse, for: .sha256(fixture.sha256(of: "a")), times: nil, listener: .blob)
        var configuration = fixture.configuration()
        configuration.timeouts.firstByte = 3.5
        configuration.retryPolicy = RetryPolicy(maxAttempts: 1)
        let run = install(["b"], configuration: configuration)
        guard case .failed(.download(.noResponse(_, 3.5)))? = run.outcome("a") else {
            return XCTFail("\(String(describing: run.outcome("a")))")
        }
        XCTAssertEqual(run.outcome("b"), .skipped(reason: .dependencyFailed("a")))
        // Progress said what it was waiting for while nothing arrived (from the 2nd second on).
        let waits = run.events.compactMap { event -> String? in
            if case .downloadWaiting("a", let message) = event.event { return message }
            return nil
        }
        XCTAssertTrue(waits.contains { $0.hasPrefix("a: waiting for 127.0.0.1 (") }, "\(waits)")
        print("never answers → \(run.outcome("a").map { "\($0)" } ?? "")")
        assertConsistentPrefix(layout: configuration.layout, manifest: fixture.manifest)
    }

    func testMetadataServerThatNeverAnswersEndsWithTheFirstByteDeadline() throws {
        let fixture = try fixture()
        // Catalogue and per-formula JSON alike: accepted, never answered.
        fixture.server.faults.add(.noResponse, for: .pathSuffix(".json"), times: nil, listener: .registry)
        var configuration = fixture.configuration()
        configuration.timeouts.firstByte = 3.5
        configuration.retryPolicy = RetryPolicy(maxAttempts: 1)
        let run = install(["b"], configuration: configuration)
        guard case .failure(.metadata(.noResponse)) = run.result else { return XCTFail("\(run.result)") }
        // "==> Resolving b" is no longer all the user sees: the silence is reported.
        XCTAssertTrue(run.events.contains { if case .waitingForServer("127.0.0.1", _) = $0.event { return true }; return false },
                      "\(run.events.map(\.event))")
        print("metadata never answers → \(run.result)")
    }

    func testTrickleBelowTheThroughputFloorFails() throws {
        let fixture = try fixture()
        // 2 KB/s sits above curl's default low-speed limit but below the configured floor.
        fixture.server.faults.add(.trickle(bytesPerSecond: 2_000), for: .sha256(fixture.sha256(of: "a")), times: nil, listener: .blob)
        var configuration = fixture.configuration()
        configuration.timeouts = TransferTimeouts(connect: 5, stallSeconds: 1, stallBytesPerSecond: 20_000, firstByte: 5)
        configuration.retryPolicy = RetryPolicy(maxAttempts: 2, baseDelay: 0.05, maxDelay: 0.1)
        let run = install(["b"], configuration: configuration)
        guard case .failed(.download(.tooSlow(_, let rate, 20_000, 1)))? = run.outcome("a") else {
            return XCTFail("\(String(describing: run.outcome("a")))")
        }
        XCTAssertLessThan(rate, 20_000)
        XCTAssertEqual(blobRequests(fixture, "a").count, 2, "each attempt cut by the floor")
        assertConsistentPrefix(layout: configuration.layout, manifest: fixture.manifest)
    }

    func testRetryAfterLongerThanTheCapIsReportedAsSuch() throws {
        let fixture = try fixture()
        fixture.server.faults.add(.status(503, retryAfter: 3600), for: .sha256(fixture.sha256(of: "a")), times: nil, listener: .registry)
        let run = install(["b"], configuration: fixture.configuration())
        guard case .failed(.download(.retryAfterTooLong(_, 3600, 2)))? = run.outcome("a") else {
            return XCTFail("\(String(describing: run.outcome("a")))")
        }
        guard case .failed(let failure)? = run.outcome("a") else { return }
        XCTAssertTrue(failure.description.contains("asked to retry after 3600 s"), failure.description)
        let sha = fixture.sha256(of: "a")
        XCTAssertEqual(fixture.log.entries.filter { $0.path.hasSuffix("sha256:\(sha)") }.count, 1, "not retried early")
    }

    // MARK: - Item 5: file:// mirrors off the I/O thread

    func testLargeBottleFromAFileMirrorInstallsWithoutTheNetwork() throws {
        let fixture = try fixture(size: 10 << 20)
        var environment = [String: String]()
        environment["HOMEBREW_API_DOMAIN"] = "file://" + fixture.registry.path + "/api"
        environment["HOMEBREW_BOTTLE_DOMAIN"] = "file://" + fixture.registry.path + "/bottles"
        let configuration = InstallConfiguration(layout: PrefixLayout(prefix: fixture.prefix, cache: fixture.cache),
                                                 endpoints: .fromEnvironment(environment))
        XCTAssertGreaterThan(fixture.manifest.formulae["a"]?.size ?? 0, 8 << 20)
        let run = install(["b"], configuration: configuration)
        XCTAssertEqual(run.report?.installed.count, 2, "\(run.result)")
        XCTAssertEqual(run.report?.networkBytes, 0)
        XCTAssertEqual(fixture.log.requestCount, 0)
        assertConsistentPrefix(layout: configuration.layout, manifest: fixture.manifest)
    }

    // MARK: - Issue 13 class 5: URL policy on parsed URLs, every hop

    func testRegistrySuppliedFileURLIsRefusedAndNothingIsRead() throws {
        let fixture = try fixture()
        try CustomBottle.editFormulaJSON(in: fixture.registry, name: "a") { text in
            text.replacingOccurrences(of: "https://ghcr.io/v2/homebrew/core/a/blobs/sha256:\(fixture.sha256(of: "a"))",
                                      with: "file:///etc/passwd")
        }
        let run = install(["b"], configuration: fixture.configuration())
        guard case .failed(.download(.refusedURL(let url, _)))? = run.outcome("a") else {
            return XCTFail("\(String(describing: run.outcome("a")))")
        }
        XCTAssertEqual(url, "file:///etc/passwd")
        // Nothing of /etc/passwd reached the cache, and no message carries its digest.
        let layout = fixture.configuration().layout
        XCTAssertEqual(tree(layout.downloads).filter { !$0.contains("--b--") }, [], "\(tree(layout.downloads))")
        let hasher = SHA256Hasher()
        try hasher.update(contentsOf: "/etc/passwd")
        let passwdDigest = hasher.finalizeHex()
        let messages = run.events.map { "\($0.event)" } + ["\(run.result)"]
        XCTAssertFalse(messages.contains { $0.contains(passwdDigest) }, "a digest of /etc/passwd was disclosed")
        guard case .failed(let failure)? = run.outcome("a") else { return }
        print("file:///etc/passwd → \(failure.description)")
    }

    func testFileMirrorMismatchNamesNoDigestOfWhatWasRead() throws {
        let fixture = try fixture()
        // A mirror the user configured, whose file for `a` is someone else's bytes.
        let mirror = fixture.root.appendingPathComponent("mirror").path
        try FileManager.default.createDirectory(atPath: mirror, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: fixture.registry.path + "/bottles") where name.hasPrefix("a-") {
            try Data("not the bottle\n".utf8).write(to: URL(fileURLWithPath: mirror + "/" + name))
        }
        var configuration = fixture.configuration()
        configuration.endpoints.bottleDomain = "file://" + mirror
        let run = install(["a"], configuration: configuration)
        guard case .failed(.download(.checksumMismatch(_, _, let actual, _)))? = run.outcome("a"),
              case .failed(let failure)? = run.outcome("a") else {
            return XCTFail("\(String(describing: run.outcome("a")))")
        }
        XCTAssertFalse(failure.description.contains(actual), failure.description)
        XCTAssertEqual(fixture.log.entries.filter { $0.path.contains("/blobs/") }.count, 0)
    }

    func testOneSlashAndMalformedURLsAreRefusedWithoutARequest() throws {
        let fixture = try fixture()
        let port = fixture.server.registryPort
        for (index, hostile) in ["http:/pour-test.invalid/x.tar.gz", "http:pour-test.invalid/x.tar.gz",
                                 "https:/127.0.0.1:\(port)/x.tar.gz", "ftp://127.0.0.1/x.tar.gz"].enumerated() {
            let previous = index == 0 ? "https://ghcr.io/v2/homebrew/core/a/blobs/sha256:\(fixture.sha256(of: "a"))"
                : ["http:/pour-test.invalid/x.tar.gz", "http:pour-test.invalid/x.tar.gz",
                   "https:/127.0.0.1:\(port)/x.tar.gz"][index - 1]
            try CustomBottle.editFormulaJSON(in: fixture.registry, name: "a") { text in
                text.replacingOccurrences(of: previous, with: hostile)
            }
            var configuration = fixture.configuration(prefix: fixture.root.path + "/p\(index)")
            configuration.apiMaxAge = 0
            configuration.index.autoUpdate = false
            let run = install(["a"], configuration: configuration)
            switch run.outcome("a") {
            case .failed(.download(.refusedURL(let url, _)))?, .failed(.download(.insecureURL(let url)))?:
                XCTAssertEqual(url, hostile)
                if case .failed(let failure)? = run.outcome("a") {
                    XCTAssertFalse(failure.description.contains("network"), "a refusal is not a network problem: \(failure)")
                }
            default:
                XCTFail("\(hostile): \(String(describing: run.outcome("a")))")
            }
        }
        XCTAssertEqual(fixture.log.entries.filter { $0.path.hasSuffix(".tar.gz") }.count, 0, "no request for a refused URL")
        XCTAssertTrue(InsecureURLPolicy.isInsecure("http:/ghcr.io/v2/x"))
        XCTAssertTrue(InsecureURLPolicy.isInsecure("HTTP:/ghcr.io/v2/x"))
    }

    func testEveryRedirectHopIsChecked() throws {
        let fixture = try fixture()
        let sha = fixture.sha256(of: "a")
        // Hop 1 (registry → blob host, loopback) is allowed; hop 2 goes to plain http on a
        // non-loopback host and must be refused by pour's policy, not by a DNS failure.
        fixture.server.faults.add(.redirect(to: "http://pour-test.invalid/blobs/sha256:\(sha)"), for: .sha256(sha),
                                  times: nil, listener: .blob)
        let run = install(["a"], configuration: fixture.configuration())
        guard case .failed(.download(.insecureURL(let url)))? = run.outcome("a") else {
            return XCTFail("\(String(describing: run.outcome("a")))")
        }
        XCTAssertEqual(url, "http://pour-test.invalid/blobs/sha256:\(sha)")
        // A redirect to file:// is refused the same way (never read).
        fixture.server.faults.removeAll()
        fixture.server.faults.add(.redirect(to: "file:///etc/passwd"), for: .sha256(sha), times: nil, listener: .blob)
        let second = install(["a"], configuration: fixture.configuration(prefix: fixture.root.path + "/p2"))
        guard case .failed(.download(let error))? = second.outcome("a") else {
            return XCTFail("\(String(describing: second.outcome("a")))")
        }
        XCTAssertTrue("\(error)".contains("file:///etc/passwd") || error.description.contains("file"), "\(error)")
        let layout = fixture.configuration().layout
        XCTAssertEqual(tree(layout.downloads), [], "nothing cached")
    }
}
