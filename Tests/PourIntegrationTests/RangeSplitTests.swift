import Foundation
@testable import PourCore
import PourTestSupport
import XCTest

/// Range splitting (`RangeSplitter`, `VerifiedDownload` "Range splitting"): a running download's
/// largest part gives its second half to a `Range: bytes=m-e` request when a bulk slot would stay
/// empty. Every test talks HTTP to the local registry server (per-connection rate limits stand in
/// for a slow link; RFC 9110 §14 ranges as the server implements them) and checks the bytes in the
/// cache against the published blob.
final class RangeSplitTests: XCTestCase {
    /// Parts of at least 64 KiB, on loopback (no response-time gate).
    private static let eager = RangeSplitPolicy(minimumPartBytes: 64 << 10, minimumResponseMicroseconds: 0)

    private func fixture(size: Int = 1_500_000, rate: Int = 1_000_000, latency: Double = 0,
                         extra: [FormulaSpec] = []) throws -> RegistryFixture {
        try RegistryFixture(recipe: .custom([FormulaSpec(name: "a", targetCompressedSize: size)] + extra),
                            server: ServerConfiguration(perConnectionRate: rate, latency: latency))
    }

    private func published(_ fixture: RegistryFixture, _ name: String = "a") -> Data? {
        FileManager.default.contents(atPath: fixture.registry.appendingPathComponent("blobs/sha256:\(fixture.sha256(of: name))").path)
    }

    private func blobRequests(_ fixture: RegistryFixture, _ name: String = "a") -> [RequestLogEntry] {
        let sha = fixture.sha256(of: name)
        return fixture.log.entries.filter { $0.listener == .blob && $0.path.hasSuffix("sha256:\(sha)") }
    }

    /// Requests that asked for a closed range `bytes=m-e` (split parts; a resume is open-ended).
    private func splitRequests(_ entries: [RequestLogEntry]) -> [RequestLogEntry] {
        entries.filter { entry in
            guard let range = entry.range, range.hasPrefix("bytes="), !range.hasSuffix("-") else { return false }
            return true
        }
    }

    private struct Run {
        var result: Result<DownloadOutcome, TransferError>?
        var splitsAsked: Int
        var destination: String
        var retries: [TransferError]
    }

    /// Downloads `a`'s blob through the registry (redirect and token, as ghcr) with one
    /// `VerifiedDownload`, offering the splitter a spare slot at every progress report; `onProgress`
    /// sees each report first (on the download's queue).
    private func download(_ fixture: RegistryFixture, policy: RangeSplitPolicy = RangeSplitTests.eager,
                          stream: GrowingFile? = nil,
                          onProgress: @escaping @Sendable (DownloadProgress, VerifiedDownload?) -> Void = { _, _ in }) throws -> Run {
        let engine = try XCTUnwrap(TransferEngine(maxConcurrentTransfers: 4, rangeSplit: policy))
        defer { engine.shutdown() }
        let sha = fixture.sha256(of: "a")
        let destination = fixture.cache + "/a.bottle.tar.gz"
        let source = DownloadSource(url: "\(fixture.server.registryBaseURL)/v2/homebrew/core/a/blobs/sha256:\(sha)",
                                    headers: ["Authorization: Bearer QQ=="])
        let done = DispatchSemaphore(value: 0)
        let outcome = Locked<Result<DownloadOutcome, TransferError>?>(nil)
        let retries = Locked<[TransferError]>([])
        let current = Locked<VerifiedDownload?>(nil)
        let download = VerifiedDownload(
            engine: engine, packageName: "a", sources: [source], expectedSHA256: sha, destination: destination,
            policy: RetryPolicy(maxAttempts: 3, baseDelay: 0.05, maxDelay: 0.1, maxRetryAfter: 1),
            timeouts: TransferTimeouts(connect: 5, stallSeconds: 5, stallBytesPerSecond: 1024),
            queue: DispatchQueue(label: "test.range-split"), stream: stream,
            onProgress: { progress in
                onProgress(progress, current.withLock { $0 })
                if progress.receivedBytes > 0 { engine.rangeSplitter.offerSpareSlot() }
            },
            onRetry: { _, _, error in retries.withLock { $0.append(error) } },
            completion: { result in
                outcome.withLock { $0 = result }
                done.signal()
            })
        current.withLock { $0 = download }
        download.start()
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success, "the download ends")
        return Run(result: outcome.withLock { $0 }, splitsAsked: engine.rangeSplitter.splitsAsked,
                   destination: destination, retries: retries.withLock { $0 })
    }

    /// A progress observer that scripts `fault` for the next request of `a`'s blob at the first
    /// report with bytes, just before the first split is asked (the offer follows the observer):
    /// that request is the split.
    private func faultForTheFirstSplit(_ fault: Fault, _ fixture: RegistryFixture) -> @Sendable (DownloadProgress, VerifiedDownload?) -> Void {
        let armed = Locked(false)
        let sha = fixture.sha256(of: "a")
        let server = fixture.server
        return { progress, _ in
            guard progress.receivedBytes > 0, armed.withLock({ let first = !$0; $0 = true; return first }) else { return }
            server.faults.add(fault, for: .sha256(sha), times: 1, listener: .blob)
        }
    }

    private func assertVerified(_ fixture: RegistryFixture, _ run: Run, file: StaticString = #filePath, line: UInt = #line) {
        guard case .success(let outcome)? = run.result else {
            return XCTFail("download failed: \(String(describing: run.result))", file: file, line: line)
        }
        XCTAssertEqual(outcome.path, run.destination, file: file, line: line)
        let cached = FileManager.default.contents(atPath: run.destination)
        XCTAssertNotNil(cached, file: file, line: line)
        XCTAssertTrue(cached == published(fixture), "the cache file is byte for byte the published blob", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: DownloadCache.incompletePath(for: run.destination)), file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: DownloadCache.lockPath(for: run.destination)), file: file, line: line)
    }

    // MARK: - Splitting

    /// The streamed reader sees every byte in order although later parts arrive first: a part's
    /// bytes reach the digest and the frontier only when the part before it is complete.
    func testASplitDownloadIsHashedAndStreamedInOrder() throws {
        let fixture = try fixture()
        let streamed = Locked(Data())
        let readerDone = DispatchSemaphore(value: 0)
        let stream = GrowingFile { file, _ in
            Thread.detachNewThread {
                var buffer = [UInt8](repeating: 0, count: 32 << 10)
                var offset: Int64 = 0
                reading: while true {
                    let read = buffer.withUnsafeMutableBytes { file.read(at: offset, into: $0.baseAddress!, count: $0.count, cancellation: nil) }
                    switch read {
                    case .bytes(let count):
                        streamed.withLock { $0.append(contentsOf: buffer[0..<count]) }
                        offset += Int64(count)
                    case .end, .failed:
                        break reading
                    }
                }
                readerDone.signal()
            }
        }
        let run = try download(fixture, stream: stream)
        assertVerified(fixture, run)
        XCTAssertEqual(readerDone.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(stream.currentState, .verified)
        XCTAssertTrue(streamed.withLock { $0 } == published(fixture), "the streamed bytes are the blob, in order")
        let requests = blobRequests(fixture)
        let parts = splitRequests(requests)
        XCTAssertGreaterThanOrEqual(parts.count, 2, "split more than once: \(requests.map { $0.range ?? "-" })")
        XCTAssertTrue(parts.allSatisfy { $0.status == 206 }, "\(parts.map(\.status))")
        XCTAssertGreaterThanOrEqual(run.splitsAsked, parts.count)
        XCTAssertEqual(requests.filter { $0.range == nil }.count, 1, "one request for the whole body")
        if case .success(let outcome)? = run.result {
            XCTAssertEqual(outcome.attempts, 1)
            // Every byte crossed the network once, plus what the cut parts had in flight.
            XCTAssertGreaterThanOrEqual(outcome.networkBytes, Int64(published(fixture)?.count ?? 0))
        }
    }

    /// A server that answers a range with the whole body (200) is asked once: the split request is
    /// dropped, the first request runs on to the end, and the download is not split again.
    func testAServerThatIgnoresRangeIsAskedOnceAndTheDownloadCompletes() throws {
        let fixture = try fixture()
        fixture.server.faults.add(.ignoreRange, for: .sha256(fixture.sha256(of: "a")), times: nil, listener: .blob)
        let run = try download(fixture)
        assertVerified(fixture, run)
        let parts = splitRequests(blobRequests(fixture))
        XCTAssertEqual(parts.count, 1, "one split asked, then no more: \(parts.map { $0.range ?? "-" })")
        XCTAssertEqual(parts.first?.status, 200)
        XCTAssertTrue(run.retries.isEmpty, "no retry: \(run.retries)")
    }

    /// A 206 for another range (`Content-Range` from byte 0) is refused before any byte is written.
    func testAPartForAnotherRangeIsRefused() throws {
        let fixture = try fixture()
        fixture.server.faults.add(.wrongContentRange, for: .sha256(fixture.sha256(of: "a")), times: nil, listener: .blob)
        let run = try download(fixture)
        assertVerified(fixture, run)
        let parts = splitRequests(blobRequests(fixture))
        XCTAssertGreaterThanOrEqual(parts.count, 1)
        XCTAssertTrue(parts.allSatisfy { $0.fault == "wrongContentRange" })
        XCTAssertTrue(run.retries.isEmpty, "no retry: \(run.retries)")
    }

    /// A part whose bytes are not the blob's (a lying mirror) cannot make it into the cache: the
    /// digest covers every part, the mismatch is caught, and one fresh download gets the blob.
    func testCorruptBytesInAPartAreCaughtByTheDigest() throws {
        let fixture = try fixture()
        // The split gets bytes of the right length but the wrong content.
        let run = try download(fixture, onProgress: faultForTheFirstSplit(.wrongBytes, fixture))
        assertVerified(fixture, run)
        XCTAssertTrue(run.retries.contains { if case .checksumMismatch = $0 { return true } else { return false } },
                      "the corrupt part was caught: \(run.retries)")
        XCTAssertTrue(blobRequests(fixture).contains { $0.fault == "wrongBytes" && $0.status == 206 }, "the corrupt part was a range")
    }

    /// A part that breaks after it was accepted is dropped with everything past the head; the
    /// first request runs on to the end of the body and the download completes without a retry.
    func testAPartThatBreaksIsDroppedAndTheDownloadCompletes() throws {
        let fixture = try fixture()
        let run = try download(fixture, onProgress: faultForTheFirstSplit(.resetAfter(bytes: 20_000), fixture))
        assertVerified(fixture, run)
        let requests = blobRequests(fixture)
        XCTAssertTrue(requests.contains { $0.fault == "resetAfter(20000)" && $0.range != nil }, "\(requests.map { $0.fault ?? "-" })")
        XCTAssertEqual(splitRequests(requests).count, 1, "not split again after a part broke")
        XCTAssertTrue(run.retries.isEmpty, "the head carried on: \(run.retries)")
    }

    /// Ctrl-C in the middle of a split download: every part stops, the partial file and the lock
    /// are removed, and every slot comes back (the engine then shuts down).
    func testCancellingASplitDownloadLeavesNothingBehind() throws {
        let fixture = try fixture(size: 3_000_000)
        let cancelled = Locked(false)
        let run = try download(fixture) { progress, download in
            guard progress.receivedBytes > 1_000_000, let download,
                  cancelled.withLock({ let first = !$0; $0 = true; return first }) else { return }
            download.cancel()
        }
        guard case .failure(.cancelled)? = run.result else { return XCTFail("\(String(describing: run.result))") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.destination))
        XCTAssertFalse(FileManager.default.fileExists(atPath: DownloadCache.incompletePath(for: run.destination)))
        XCTAssertFalse(FileManager.default.fileExists(atPath: DownloadCache.lockPath(for: run.destination)))
        XCTAssertGreaterThanOrEqual(splitRequests(blobRequests(fixture)).count, 1, "it was split before the cancel")
    }

    /// Without a slow link (loopback answers in well under the default 4 ms) nothing is split,
    /// whatever the spare slots.
    func testTheDefaultPolicyDoesNotSplitOnAFastLink() throws {
        let fixture = try fixture(size: 600_000)
        let run = try download(fixture, policy: RangeSplitPolicy(minimumPartBytes: 64 << 10, minimumResponseMicroseconds: 1_000_000))
        assertVerified(fixture, run)
        XCTAssertEqual(run.splitsAsked, 0)
        XCTAssertTrue(splitRequests(blobRequests(fixture)).isEmpty)
    }

    // MARK: - In an install

    /// The tail of a real install: the medium bottles finish, their slots would stay empty while
    /// the large one crawls at one connection's rate, so it is split (the slots' release is the
    /// only trigger); the keg is installed from the verified bytes.
    func testTheTailOfAnInstallIsSplitIntoRanges() throws {
        let fixture = try fixture(size: 1_500_000, rate: 600_000, latency: 0.01,
                                  extra: [FormulaSpec(name: "c", targetCompressedSize: 300_000),
                                          FormulaSpec(name: "d", targetCompressedSize: 300_000),
                                          FormulaSpec(name: "b", dependencies: ["a", "c", "d"], targetCompressedSize: 300_000)])
        var configuration = fixture.configuration()
        // The server's 10 ms before each response passes the default response-time gate.
        configuration.rangeSplit = RangeSplitPolicy(minimumPartBytes: 128 << 10)
        let run = install(["b"], configuration: configuration)
        XCTAssertEqual(run.report?.succeeded, true, "\(run.result)")
        assertConsistentPrefix(layout: configuration.layout, manifest: fixture.manifest)
        let parts = splitRequests(blobRequests(fixture))
        XCTAssertGreaterThanOrEqual(parts.count, 1, "the large bottle was split")
        XCTAssertTrue(parts.allSatisfy { $0.status == 206 })
        let downloads = configuration.layout.downloads
        let file = try XCTUnwrap(FileManager.default.contentsOfDirectory(atPath: downloads)
            .first { $0.contains("--a--") && $0.hasSuffix(".tar.gz") })
        XCTAssertTrue(FileManager.default.contents(atPath: downloads + "/" + file) == published(fixture))
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: downloads).contains { $0.hasSuffix(".incomplete") })
    }
}
