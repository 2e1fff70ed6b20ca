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
    /// - Parameter offerEveryReport: false: the test offers a spare slot at the first report only
    ///   (later offers come from the engine's own slot releases).
    /// - Parameter probeSlots: afterwards, check that every bulk slot came back (`assertEverySlotComesBack`).
    /// - Parameter testOffers: false: the test offers no spare slot at all (only the engine's own
    ///   slot releases do).
    private func download(_ fixture: RegistryFixture, policy: RangeSplitPolicy = RangeSplitTests.eager,
                          stream: GrowingFile? = nil, offerEveryReport: Bool = true, testOffers: Bool = true,
                          retryDelay: Double = 0.05, probeSlots: Bool = false,
                          file: StaticString = #filePath, line: UInt = #line,
                          onProgress: @escaping @Sendable (DownloadProgress, VerifiedDownload?) -> Void = { _, _ in }) throws -> Run {
        let engine = try XCTUnwrap(TransferEngine(maxConcurrentTransfers: RangeSplitTests.width, rangeSplit: policy))
        defer { engine.shutdown() }
        defer { if probeSlots { assertEverySlotComesBack(engine, fixture, file: file, line: line) } }
        let offered = Locked(false)
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
            policy: RetryPolicy(maxAttempts: 3, baseDelay: retryDelay, maxDelay: max(0.1, retryDelay), maxRetryAfter: 1),
            timeouts: TransferTimeouts(connect: 5, stallSeconds: 5, stallBytesPerSecond: 1024),
            queue: DispatchQueue(label: "test.range-split"), stream: stream,
            onProgress: { progress in
                onProgress(progress, current.withLock { $0 })
                let first = offered.withLock { let first = !$0; $0 = true; return first }
                if testOffers, progress.receivedBytes > 0, offerEveryReport || first { engine.rangeSplitter.offerSpareSlot() }
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

    private static let width = 4

    /// Every bulk slot of `engine` is free again: `width` transfers that the server accepts and
    /// never answers all reach it (one slot short, the last never would), then are cancelled.
    private func assertEverySlotComesBack(_ engine: TransferEngine, _ fixture: RegistryFixture,
                                          file: StaticString = #filePath, line: UInt = #line) {
        fixture.server.log.waitUntilIdle()
        fixture.server.faults.add(.noResponse, for: .pathSuffix("/slot-probe"), times: nil)
        let before = fixture.server.log.requestCount
        let ended = DispatchGroup()
        let handles = (0..<RangeSplitTests.width).map { _ -> TransferHandle in
            ended.enter()
            return engine.start(TransferRequest(url: fixture.server.registryBaseURL + "/slot-probe"), queue: DispatchQueue(label: "probe"),
                                onResponse: { _ in }, onData: { _ in }, completion: { _ in ended.leave() })
        }
        XCTAssertTrue(fixture.server.log.waitUntilRequestCount(atLeast: before + RangeSplitTests.width, timeout: 20),
                      "every bulk slot came back: \(fixture.server.log.requestCount - before) of \(RangeSplitTests.width) admitted",
                      file: file, line: line)
        handles.forEach { $0.cancel() }
        XCTAssertEqual(ended.wait(timeout: .now() + 30), .success, file: file, line: line)
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
        let run = try download(fixture, probeSlots: true, onProgress: faultForTheFirstSplit(.wrongBytes, fixture))
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
        let run = try download(fixture, probeSlots: true) { progress, download in
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

    // MARK: - Hostile servers and failures (each run also checks that every slot came back)

    /// A server that answers a range with a 206 for something else (another start, fewer bytes
    /// than asked: servers that cap ranges, more: servers that ignore the range's end) is asked
    /// once. The test offers a spare slot once; the refused request's own slot, given back, is
    /// offered by the engine like any other, and used to ask again at once, in a loop that ran
    /// until the download ended.
    func testARefusedRangeIsNotAskedAgainWhenItsOwnSlotComesBack() throws {
        for fault in [Fault.wrongContentRange, .shortRange(maxBytes: 100_000)] {
            let fixture = try fixture()
            fixture.server.faults.add(fault, for: .sha256(fixture.sha256(of: "a")), times: nil, listener: .blob)
            let run = try download(fixture, offerEveryReport: false, probeSlots: true)
            assertVerified(fixture, run)
            let parts = splitRequests(blobRequests(fixture))
            XCTAssertEqual(parts.count, 1, "\(fault): one split asked, then no more: \(parts.map { $0.range ?? "-" })")
            XCTAssertTrue(parts.allSatisfy { $0.fault == fault.label && $0.status == 206 }, "\(fault): \(parts.map { $0.fault ?? "-" })")
            XCTAssertEqual(run.splitsAsked, 1, "\(fault)")
            XCTAssertTrue(run.retries.isEmpty, "\(fault): no retry: \(run.retries)")
        }
    }

    /// A server that ignores the end of a closed range (sends to the end of the body): splits of
    /// the last part (to the end anyway) are exact and accepted; the first range short of the end
    /// gets more than it asked for and is refused before a byte is written, and no more are asked.
    func testARangeAnsweredPastItsEndIsRefused() throws {
        let fixture = try fixture()
        fixture.server.faults.add(.rangeToEnd, for: .sha256(fixture.sha256(of: "a")), times: nil, listener: .blob)
        let run = try download(fixture, probeSlots: true)
        assertVerified(fixture, run)
        let last = (published(fixture)?.count ?? 0) - 1
        let parts = splitRequests(blobRequests(fixture))
        let closed = parts.filter { !($0.range ?? "").hasSuffix("-\(last)") }
        XCTAssertGreaterThanOrEqual(parts.count, 2)
        XCTAssertEqual(closed.count, 1, "one range short of the end asked (refused), then no more: \(parts.map { $0.range ?? "-" })")
        XCTAssertTrue(run.retries.isEmpty, "no retry: \(run.retries)")
    }

    /// A part answered with the right `Content-Range` but whose body ends early (the server closes
    /// cleanly after 30 KB of the announced length) is dropped like a reset one.
    func testAPartWhoseBodyEndsShortOfItsLengthIsDropped() throws {
        let fixture = try fixture()
        let run = try download(fixture, offerEveryReport: false, probeSlots: true,
                               onProgress: faultForTheFirstSplit(.truncate(afterBytes: 30_000), fixture))
        assertVerified(fixture, run)
        let requests = blobRequests(fixture)
        let parts = splitRequests(requests)
        XCTAssertTrue(parts.contains { $0.fault == "truncate(30000)" && $0.status == 206 && !$0.completed },
                      "\(requests.map { ($0.range ?? "-", $0.fault ?? "-") })")
        XCTAssertTrue(run.retries.isEmpty, "the first request carried on: \(run.retries)")
    }

    /// The first request breaks (reset at 400 KB) while a part it gave its second half to is
    /// running: the part is dropped, the file cut back to the hashed prefix, and one request
    /// resumes from there (an open Range from where the reset left it); the cache file is the blob.
    func testTheHeadFailingWhilePartsRunResumesFromTheHashedPrefix() throws {
        let fixture = try fixture()
        fixture.server.faults.add(.resetAfter(bytes: 400_000), for: .sha256(fixture.sha256(of: "a")), times: 1, listener: .blob)
        let run = try download(fixture, offerEveryReport: false, probeSlots: true)
        assertVerified(fixture, run)
        let requests = blobRequests(fixture)
        XCTAssertEqual(requests.first { $0.range == nil }?.fault, "resetAfter(400000)")
        XCTAssertGreaterThanOrEqual(splitRequests(requests).filter { $0.status == 206 }.count, 1, "split before the reset")
        let resumes = requests.compactMap { $0.range }.filter { $0.hasSuffix("-") }
        XCTAssertEqual(resumes.count, 1, "\(requests.map { $0.range ?? "-" })")
        let resumedAt = resumes.first.flatMap { Int($0.dropFirst("bytes=".count).dropLast()) } ?? -1
        XCTAssertTrue((1...400_000).contains(resumedAt), "resumed from the hashed prefix: \(resumes)")
        XCTAssertEqual(run.retries.count, 1, "\(run.retries)")
    }

    /// A part that became the head (its range continues the hashed bytes) and then fails: it was
    /// the head, so the download resumes from `written` with an open Range, under the retry rules.
    /// The part stalls 2 s after 20 KB and closes; the first request reaches it long before.
    func testAPromotedPartThatFailsIsResumedFromTheHashedPrefix() throws {
        let fixture = try fixture()
        let run = try download(fixture, offerEveryReport: false, probeSlots: true,
                               onProgress: faultForTheFirstSplit(.stall(afterBytes: 20_000, seconds: 2), fixture))
        assertVerified(fixture, run)
        let requests = blobRequests(fixture)
        let stalled = try XCTUnwrap(requests.first { $0.fault?.hasPrefix("stall") == true }, "\(requests.map { $0.fault ?? "-" })")
        let partStart = try XCTUnwrap(stalled.range.flatMap { Int($0.dropFirst("bytes=".count).prefix { $0 != "-" }) })
        let resumes = requests.compactMap { $0.range }.filter { $0.hasSuffix("-") }
        XCTAssertEqual(resumes, ["bytes=\(partStart + 20_000)-"], "resumed right after the part's 20 KB: \(requests.map { $0.range ?? "-" })")
        XCTAssertEqual(run.retries.count, 1, "\(run.retries)")
    }

    /// A part fails while the head is itself a promoted range (not the first request, which would
    /// carry on to the end of the body): the head is stopped too and the download resumes from
    /// the hashed prefix with one open Range, under the retry rules. The first request is
    /// trickled; its second half (the first split) sends 600 KB, stalls 1.5 s and closes; the
    /// first request's own second half (the second split, trickled to 100 KB/s) is the head by then.
    func testAPartFailingWhileTheHeadIsAPromotedRangeResumesFromTheHashedPrefix() throws {
        let fixture = try fixture()
        let sha = fixture.sha256(of: "a")
        let server = fixture.server
        server.faults.add(.trickle(bytesPerSecond: 400_000), for: .sha256(sha), times: 1, listener: .blob)
        let first = Locked<Int64?>(nil)
        let splitAgain = Locked(false)
        let run = try download(fixture, offerEveryReport: false, probeSlots: true) { progress, download in
            guard progress.receivedBytes > 0 else { return }
            let start = first.withLock { value -> Int64? in
                if value == nil {
                    value = progress.receivedBytes
                    server.faults.add(.stall(afterBytes: 600_000, seconds: 1.5), for: .sha256(sha), times: 1, listener: .blob)
                    return nil
                }
                return value
            }
            // Once the first split has run well ahead, the first request is the largest part.
            if let start, progress.receivedBytes >= start + 400_000, splitAgain.withLock({ let first = !$0; $0 = true; return first }) {
                server.faults.add(.trickle(bytesPerSecond: 100_000), for: .sha256(sha), times: 1, listener: .blob)
                download?.splitLargestPart()
            }
        }
        assertVerified(fixture, run)
        let requests = blobRequests(fixture)
        func start(_ entry: RequestLogEntry) -> Int? {
            entry.range.flatMap { Int($0.dropFirst("bytes=".count).prefix { $0 != "-" }) }
        }
        let failed = try XCTUnwrap(requests.first { $0.fault?.hasPrefix("stall") == true }, "\(requests.map { $0.fault ?? "-" })")
        let head = try XCTUnwrap(requests.first { $0.fault == "trickle(100000)" && $0.range != nil })
        XCTAssertLessThan(start(head) ?? .max, start(failed) ?? 0, "the slow range precedes the failing one")
        let resumes = requests.filter { ($0.range ?? "").hasSuffix("-") }
        XCTAssertEqual(resumes.count, 1, "\(requests.map { $0.range ?? "-" })")
        let resumedAt = resumes.first.flatMap(start) ?? -1
        XCTAssertTrue(resumedAt > (start(head) ?? .max) && resumedAt < (start(failed) ?? 0),
                      "resumed inside the promoted range, at the hashed prefix: \(requests.map { ($0.range ?? "-", $0.fault ?? "-") })")
        XCTAssertEqual(run.retries.count, 1, "\(run.retries)")
    }

    /// The first request breaks before any split; its slot, given back, is a spare slot while the
    /// download waits to retry, and the splitter offers it to this very download. No split may be
    /// made of a head that no longer runs: one was, and accepted; the retry then re-hashed the file
    /// up to the part's bytes, over the hole before them, resumed there and failed the digest (a
    /// second reset would have failed the download with a SHA-256 mismatch against an honest
    /// server), while the part went on writing beside the resumed request.
    func testNoSplitIsMadeWhileTheDownloadWaitsToRetry() throws {
        let fixture = try fixture()
        fixture.server.faults.add(.resetAfter(bytes: 100_000), for: .sha256(fixture.sha256(of: "a")), times: 1, listener: .blob)
        let run = try download(fixture, testOffers: false, retryDelay: 0.3, probeSlots: true)
        assertVerified(fixture, run)
        XCTAssertEqual(run.retries.count, 1, "one retry, for the reset: \(run.retries)")
        let requests = blobRequests(fixture)
        XCTAssertTrue(splitRequests(requests).isEmpty, "\(requests.map { ($0.range ?? "-", $0.fault ?? "-", $0.bytesSent) })")
        XCTAssertEqual(requests.compactMap(\.range), ["bytes=100000-"], "resumed from the hashed prefix")
    }

    /// The manifest's size (learnt while parts run) is one byte more than the blob: the split
    /// download ends with `sizeMismatch` after one fresh re-download, leaves nothing behind, and
    /// every slot comes back.
    func testASplitDownloadIsCheckedAgainstTheManifestSize() throws {
        let fixture = try fixture()
        let size = Int64(try XCTUnwrap(published(fixture)).count)
        let reports = Locked(0)
        let run = try download(fixture, offerEveryReport: false, probeSlots: true) { _, download in
            // The second report: the first one's offer has split the download by now or soon.
            if reports.withLock({ $0 += 1; return $0 }) == 2 { download?.setExpectedSize(size + 1) }
        }
        guard case .failure(.sizeMismatch(_, let expected, _, _))? = run.result else {
            return XCTFail("\(String(describing: run.result))")
        }
        XCTAssertEqual(expected, size + 1)
        XCTAssertEqual(run.retries.count, 1, "one fresh re-download: \(run.retries)")
        XCTAssertGreaterThanOrEqual(splitRequests(blobRequests(fixture)).filter { $0.status == 206 }.count, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.destination))
        XCTAssertFalse(FileManager.default.fileExists(atPath: DownloadCache.incompletePath(for: run.destination)))
        XCTAssertFalse(FileManager.default.fileExists(atPath: DownloadCache.lockPath(for: run.destination)))
    }

    /// The right manifest size does not stop a split download.
    func testASplitDownloadWithTheRightManifestSizeCompletes() throws {
        let fixture = try fixture()
        let size = Int64(try XCTUnwrap(published(fixture)).count)
        let run = try download(fixture, probeSlots: true) { progress, download in
            if progress.receivedBytes == 0 { return }
            download?.setExpectedSize(size)
        }
        assertVerified(fixture, run)
        XCTAssertGreaterThanOrEqual(splitRequests(blobRequests(fixture)).filter { $0.status == 206 }.count, 1)
    }

    /// Split requests go through the registry's redirect like the first one: the registry gets
    /// the token, the blob host (another origin) never does, ranges included.
    func testSplitRequestsNeverCarryTheTokenToTheBlobHost() throws {
        let fixture = try fixture()
        let run = try download(fixture)
        assertVerified(fixture, run)
        let registry = fixture.server.log.entries(on: .registry).filter { $0.path.contains("/blobs/") }
        let blob = blobRequests(fixture)
        XCTAssertGreaterThanOrEqual(splitRequests(blob).count, 1)
        XCTAssertGreaterThanOrEqual(splitRequests(registry).count, 1, "the ranges went through the registry")
        XCTAssertTrue(registry.allSatisfy { $0.hadAuthorization })
        XCTAssertTrue(blob.allSatisfy { !$0.hadAuthorization }, "Authorization leaked to the blob host")
    }

    /// A part that already has every byte of its (cut) range when the request before it reaches
    /// it is not waited for. The split's part stalls after 10 KB (the first request, trickled to
    /// 400 KB/s, meanwhile becomes the smaller one), so the second split cuts that part; the part
    /// then sends exactly up to the cut and pauses there, its transfer still open. When the first
    /// request reaches the part, the part becomes the head with nothing left to write: it used to
    /// stay the head, waiting for a transfer that, ending with success later, was taken for
    /// "promotion under way", and the download never ended.
    func testAPartWithEveryByteInWhenItBecomesTheHeadIsNotWaitedFor() throws {
        let (run, requests) = try splitWithAPausedPart(restSeconds: 1.5)
        XCTAssertTrue(splitRequests(requests).allSatisfy { $0.status == 206 })
        try assertThePausedPartStoppedAtItsCut(run, requests)
    }

    /// A part cut by a later split stops the moment its last byte before the cut is written, not
    /// only when the request before it reaches it. As above, the paused part sends exactly up to
    /// the cut and pauses; here the pause (0.4 s) ends long before the first request (trickled to
    /// 400 KB/s, ~1.9 s to the part) reaches it. A part whose block ended exactly at its cut was
    /// left running: every byte past the cut (the later part's, fetched by it too) crossed the
    /// network twice and its slot stayed taken until the first request caught up.
    func testAPartCutExactlyAtABlockEndIsStoppedThere() throws {
        // Parts of at least 300 KiB: after the two splits, nothing is left large enough to split
        // again (a later split of the first request would bring it to the part early).
        let policy = RangeSplitPolicy(minimumPartBytes: 300 << 10, minimumResponseMicroseconds: 0)
        let (run, requests) = try splitWithAPausedPart(restSeconds: 0.4, policy: policy)
        try assertThePausedPartStoppedAtItsCut(run, requests)
    }

    /// The scenario of the two tests above: the first request trickled to 400 KB/s; the first
    /// split (offered right after the first report with bytes) pauses after 10 KB for 0.35 s,
    /// then, once it has sent up to its cut, for `restSeconds`; 100 KB later the paused part is
    /// the largest and is split again (its cut). Returns the run and `a`'s blob requests.
    private func splitWithAPausedPart(restSeconds: Double, policy: RangeSplitPolicy = RangeSplitTests.eager) throws
        -> (Run, [RequestLogEntry]) {
        let fixture = try fixture()
        let sha = fixture.sha256(of: "a")
        let server = fixture.server
        server.faults.add(.trickle(bytesPerSecond: 400_000), for: .sha256(sha), times: 1, listener: .blob)
        let first = Locked<Int64?>(nil)
        let offeredAgain = Locked(false)
        let run = try download(fixture, policy: policy, offerEveryReport: false, probeSlots: true) { progress, download in
            guard progress.receivedBytes > 0 else { return }
            let start = first.withLock { value -> Int64? in
                if value == nil {
                    value = progress.receivedBytes
                    server.faults.add(.pauseTwice(afterBytes: 10_000, seconds: 0.35, restSeconds: restSeconds),
                                      for: .sha256(sha), times: 1, listener: .blob)
                    return nil
                }
                return value
            }
            if let start, progress.receivedBytes >= start + 100_000,
               offeredAgain.withLock({ let first = !$0; $0 = true; return first }) {
                download?.splitLargestPart()
            }
        }
        assertVerified(fixture, run)
        return (run, blobRequests(fixture))
    }

    /// The paused part sent exactly up to its cut (10 KB, then half of the rest of its range) and
    /// was stopped there: nothing past the cut, not completed; no retry.
    private func assertThePausedPartStoppedAtItsCut(_ run: Run, _ requests: [RequestLogEntry],
                                                    file: StaticString = #filePath, line: UInt = #line) throws {
        let parts = splitRequests(requests)
        XCTAssertGreaterThanOrEqual(parts.count, 2, "\(requests.map { ($0.range ?? "-", $0.fault ?? "-") })", file: file, line: line)
        let paused = try XCTUnwrap(parts.first { $0.fault?.hasPrefix("pauseTwice") == true }, file: file, line: line)
        let bounds = (paused.range ?? "").dropFirst("bytes=".count).split(separator: "-").compactMap { Int($0) }
        XCTAssertEqual(bounds.count, 2, file: file, line: line)
        let length = (bounds.last ?? 0) - (bounds.first ?? 0) + 1
        XCTAssertEqual(paused.bytesSent, 10_000 + (length - 10_000) / 2,
                       "nothing past the cut: \(requests.map { ($0.range ?? "-", $0.bytesSent) })", file: file, line: line)
        XCTAssertFalse(paused.completed, file: file, line: line)
        XCTAssertTrue(run.retries.isEmpty, "\(run.retries)", file: file, line: line)
    }

    /// Ctrl-C that lands while the head reaches a part ends the download as cancelled. The first
    /// request sends 1 byte and pauses (the test splits it there: the part gets every byte of
    /// the second half meanwhile), then sends up to the part in one block; the report of that
    /// block cancels, just before the part's bytes are read back into the digest. The read-back
    /// stops for the cancel, and that used to be reported as a file-system error ("cannot read
    /// back bytes of a split download"), which an install shows as a failed download, not a
    /// skipped one.
    func testACancelDuringThePartsReadBackEndsCancelled() throws {
        let fixture = try fixture(size: 30_000)
        let sha = fixture.sha256(of: "a")
        let total = Int64(try XCTUnwrap(published(fixture)).count)
        fixture.server.faults.add(.pauseTwice(afterBytes: 1, seconds: 0.5, restSeconds: 0.5), for: .sha256(sha), times: 1, listener: .blob)
        // One split only: after it neither half has twice 10,000 bytes left.
        let policy = RangeSplitPolicy(minimumPartBytes: 10_000, minimumResponseMicroseconds: 0)
        let split = Locked(false)
        let cancelled = Locked(false)
        let run = try download(fixture, policy: policy, testOffers: false, probeSlots: true) { progress, download in
            if progress.receivedBytes == 1, split.withLock({ let first = !$0; $0 = true; return first }) {
                download?.splitLargestPart()
            }
            // Every byte is in only once the head's block reaches the part: cancel in that write.
            if progress.receivedBytes == total, cancelled.withLock({ let first = !$0; $0 = true; return first }) {
                download?.cancel()
            }
        }
        XCTAssertTrue(cancelled.withLock { $0 }, "cancelled as the head reached the part")
        guard case .failure(.cancelled)? = run.result else { return XCTFail("\(String(describing: run.result))") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.destination))
        XCTAssertFalse(FileManager.default.fileExists(atPath: DownloadCache.incompletePath(for: run.destination)))
        XCTAssertFalse(FileManager.default.fileExists(atPath: DownloadCache.lockPath(for: run.destination)))
        let parts = splitRequests(blobRequests(fixture))
        XCTAssertEqual(parts.count, 1, "\(parts.map { ($0.range ?? "-", $0.status) })")
        XCTAssertEqual(parts.first?.status, 206)
    }

    /// Two downloads of one bottle into one cache (as two pour processes sharing it: the bottle
    /// lock is an `flock` per open file, so one process shows it too). The one holding the lock
    /// is split; the other waits, then reuses the verified file without a request of its own.
    func testASplitDownloadWhileAnotherWaitsForTheSharedCache() throws {
        let fixture = try fixture()
        let engine = try XCTUnwrap(TransferEngine(maxConcurrentTransfers: RangeSplitTests.width, rangeSplit: RangeSplitTests.eager))
        defer { engine.shutdown() }
        let sha = fixture.sha256(of: "a")
        let destination = fixture.cache + "/a.bottle.tar.gz"
        let source = DownloadSource(url: "\(fixture.server.registryBaseURL)/v2/homebrew/core/a/blobs/sha256:\(sha)",
                                    headers: ["Authorization: Bearer QQ=="])
        let done = DispatchGroup()
        let outcomes = Locked<[Int: Result<DownloadOutcome, TransferError>]>([:])
        let waited = Locked<[Int]>([])
        let first = Locked<VerifiedDownload?>(nil)
        func make(_ index: Int) -> VerifiedDownload {
            done.enter()
            return VerifiedDownload(
                engine: engine, packageName: "a", sources: [source], expectedSHA256: sha, destination: destination,
                policy: RetryPolicy(maxAttempts: 3, baseDelay: 0.05, maxDelay: 0.1, maxRetryAfter: 1),
                timeouts: TransferTimeouts(connect: 5, stallSeconds: 5, stallBytesPerSecond: 1024),
                queue: DispatchQueue(label: "test.range-split.\(index)"),
                onProgress: { progress in
                    if progress.receivedBytes > 0 { engine.rangeSplitter.offerSpareSlot() }
                    // The second starts once the first holds the lock and has bytes.
                    if index == 0, progress.receivedBytes > 0, let other = first.withLock({ let o = $0; $0 = nil; return o }) {
                        other.start()
                    }
                },
                onRetry: { _, _, _ in },
                onWaiting: { _ in waited.withLock { $0.append(index) } },
                completion: { result in
                    outcomes.withLock { $0[index] = result }
                    done.leave()
                })
        }
        let holder = make(0)
        first.withLock { $0 = make(1) }
        holder.start()
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success)
        let results = outcomes.withLock { $0 }
        guard case .success(let a)? = results[0], case .success(let b)? = results[1] else { return XCTFail("\(results)") }
        XCTAssertFalse(a.fromCache)
        XCTAssertTrue(b.fromCache, "the waiter reused the verified file")
        XCTAssertEqual(waited.withLock { $0 }, [1], "the second waited for the lock")
        XCTAssertTrue(FileManager.default.contents(atPath: destination) == published(fixture))
        let requests = blobRequests(fixture)
        XCTAssertEqual(requests.filter { $0.range == nil }.count, 1, "one request for the whole body")
        XCTAssertGreaterThanOrEqual(splitRequests(requests).filter { $0.status == 206 }.count, 1, "the holder was split")
        XCTAssertFalse(FileManager.default.fileExists(atPath: DownloadCache.incompletePath(for: destination)))
        XCTAssertFalse(FileManager.default.fileExists(atPath: DownloadCache.lockPath(for: destination)))
        assertEverySlotComesBack(engine, fixture)
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
