import CCurl
import Foundation

/// Progress of one download, as reported to the installer.
///
/// Thread-safety: an immutable value; safe to share across queues.
package struct DownloadProgress: Sendable {
    package var receivedBytes: Int64
    package var totalBytes: Int64?
}

/// What a finished download reports.
///
/// Thread-safety: an immutable value; safe to share across queues.
package struct DownloadOutcome: Sendable {
    package var path: String
    /// Bytes that crossed the network in this run (0 for a cache hit).
    package var networkBytes: Int64
    package var fromCache: Bool
    package var attempts: Int
}

/// Downloads one bottle into the cache, hashing every byte as it arrives, and renames it to its
/// final name only when the SHA-256 (and the manifest's size, when known) match.
///
/// Behaviour:
/// - A verified cache entry is reused without network.
/// - **Shared cache.** Several pour processes (other prefixes, CI runners) may share one cache.
///   Each bottle has a lock file beside its `.incomplete` (`<final>.lock`, opened `O_NOFOLLOW`,
///   `flock`ed). Whoever holds it owns the `.incomplete`; a second process waits for it (polling
///   on this queue, cancellable, reporting "waiting for another pour downloading X" once) and
///   then reuses the verified file the first one renamed into place. A process never deletes a
///   `.incomplete` or lock file it does not hold the lock for.
/// - **Resume, correct by construction.** Bytes are written with `pwrite` at the explicit offset
///   `written`, never at "the end of the file", and the digest always covers exactly bytes
///   `0..<written`. A partial file is re-hashed and resumed with a Range request; a 200 answer to
///   it restarts at byte 0 with a fresh digest; a 206 whose `Content-Range` does not start at
///   `written` is dropped and the download restarts from byte 0 without a Range.
/// - Transient failures are retried per `RetryPolicy` (a `Retry-After` beyond its cap ends the
///   download with that reason); a checksum or size mismatch deletes the file and gets one
///   fresh re-download; permanent failures move to the next source.
/// - A `file://` source (only from a mirror the user configured) is read on a utility queue,
///   never by curl on the I/O thread, and fed through the same hash-and-write path with at most
///   `localWindow` chunks in flight (backpressure).
///
/// - **Streaming (optional `stream`).** The first attempt of a fresh download that starts at byte 0
///   (a 200 with no partial file, no shared-cache wait, not `file://`) begins the `GrowingFile`
///   generation, advances its frontier after every write and marks it verified once the digest
///   (and size) match; every restart, failure or cancel abandons it (`generation` counts the
///   file's restarts, so a later attempt can never feed it). The writer never waits for it.
///
/// - **Range splitting.** When the engine's `RangeSplitter` finds a bulk slot that would stay empty,
///   it may ask this download to split: the part with the most bytes left (at least twice
///   `RangeSplitPolicy.minimumPartBytes`) gives its second half to a new `Range: bytes=m-e`
///   request (`TransferRequest.rangeEnd`) on the same file descriptor. The download is then a row
///   of parts: the **head** writes at `written` and is hashed as it arrives; each later part (a
///   `RangePart`) `pwrite`s at its own offset, never hashed yet. A new part is **accepted** only
///   when its answer is a 206 whose `Content-Range` starts at `m` and whose length is `e - m`, and
///   only while the part it splits has not reached `m`; only then is that part's end moved to
///   `m` (its bytes past `m` are cut and its transfer stopped there), so two parts never write the
///   same byte. When the head reaches its end, the next part becomes the head: the bytes it has
///   already written are read back from the file and hashed (`promoteNextPart`), so the digest
///   still covers exactly bytes `0..<written` in order and the streamed generation still grows
///   from the front; a part that already holds every byte of its range is passed over at once
///   (its transfer stopped, its completion stale). Any other answer to a split (200: the server
///   ignores Range; another range or length; 416; an error) drops that request alone, and the
///   download is not split again. Splits are made only while a head runs (never between a failed
///   attempt and its retry), and the end of each attempt drops every part. A part failing after it was
///   accepted drops every part past the head (the file is truncated to `written`); the download
///   then continues or resumes from `written` as for any failure. Only the head's request may
///   be open-ended, and only the original request is ever a candidate for the retry rules.
///   Tests: `RangeSplitTests`.
///
/// Confinement: all mutable state lives on `queue` (serial), which is also the transfer's sink
/// queue, so file writes and hashing happen there, never on the I/O thread. Cancellation and
/// start may be called from any thread; they hop onto `queue`. The local reader shares only
/// `localCancel` (thread-safe) with it. Hence `@unchecked Sendable`.
package final class VerifiedDownload: RangeSplittable, @unchecked Sendable {
    package let packageName: String
    package let expectedSHA256: String
    package let destination: String
    private let engine: TransferEngine
    private let sources: [DownloadSource]
    private let policy: RetryPolicy
    private let timeouts: TransferTimeouts
    private let queue: DispatchQueue
    private let onProgress: @Sendable (DownloadProgress) -> Void
    private let onRetry: @Sendable (Int, Double, TransferError) -> Void
    private let onWaiting: @Sendable (String) -> Void
    private var completion: (@Sendable (Result<DownloadOutcome, TransferError>) -> Void)?

    /// How often a process waiting for another one's bottle lock tries again.
    static let lockPollInterval: DispatchTimeInterval = .milliseconds(100)
    static let localChunk = 1 << 20
    static let localWindow = 4

    // State on `queue`.
    private var sourceIndex = 0
    private var attempt = 0
    private var totalAttempts = 0
    private var mismatchRetried = false
    private var fd: Int32 = -1
    private var lockFD: Int32 = -1
    private var waitReported = false
    private var written: Int64 = 0
    private var expectedTotal: Int64?
    private var expectedSize: Int64?
    private var networkBytes: Int64 = 0
    private var writeError: TransferError?
    private var handle: TransferHandle?
    private var localInFlight = false
    private var localCancel = CancellationFlag()
    /// Set by `cancel()` on the caller's thread (thread-safe), read by the hashing loops.
    private let abandon = CancellationFlag()
    private var cancelled = false
    private var priority: Int64 = 0
    /// Made on first use (on `queue`): an install creates every download at once, and ~1,000
    /// OpenSSL digest contexts waiting for a transfer slot were a share of its peak heap
    /// (Docs/Performance.md, "Fourth pass: RSS").
    private lazy var hasher = SHA256Hasher()
    private var lastProgress = DispatchTime(uptimeNanoseconds: 0)
    /// The streamed generation, until it is verified or abandoned.
    private var stream: GrowingFile?
    /// Bumped whenever the file's bytes start over or a new attempt begins.
    private var generation = 0
    /// The generation `stream` follows (set when it begins).
    private var streamGeneration: Int?

    // Range splitting (see the type's comment), on `queue`.
    /// A part after the head: bytes `start..<end` of the file, `received` of them written.
    private struct RangePart {
        let id: Int
        let start: Int64
        var end: Int64
        /// The end its request asked for (`end` moves back to a later split's start).
        let requestedEnd: Int64
        var received: Int64 = 0
        var handle: TransferHandle?
        /// Its transfer's completion has arrived (successfully, with every byte).
        var completed = false
        var position: Int64 { start + received }
    }

    /// A Range request sent for bytes `start..<end` of the part `predecessor`, not yet answered.
    private struct PendingSplit {
        let id: Int
        let predecessor: Int
        let start: Int64
        let end: Int64
        var handle: TransferHandle?
    }

    /// The transfer whose bytes land at `written` (callbacks of any other id are for parts, or stale).
    private var headID = 0
    /// The attempt's own request (open-ended, to the end of the body); the head is a part's
    /// range request once it has been promoted.
    private var attemptID = 0
    /// Where the head stops: the start of the first part, or its own range's end; nil for an
    /// original request that runs to the end of the body.
    private var headEnd: Int64?
    /// Parts after the head, in file order; `parts[0].start == headEnd`, each `end` the next `start`.
    private var parts: [RangePart] = []
    private var pendingSplit: PendingSplit?
    private var nextPartID = 0
    /// This download may be offered to the splitter (set when the head's response allows it).
    private var splittable = false
    /// Set for good once a split was refused or a part failed (or the download ended).
    private var splittingStopped = false

    private var incomplete: String { DownloadCache.incompletePath(for: destination) }
    private var lockPath: String { DownloadCache.lockPath(for: destination) }

    package init(engine: TransferEngine, packageName: String, sources: [DownloadSource], expectedSHA256: String,
                destination: String, policy: RetryPolicy, timeouts: TransferTimeouts, queue: DispatchQueue,
                expectedSize: Int64? = nil, stream: GrowingFile? = nil,
                onProgress: @escaping @Sendable (DownloadProgress) -> Void,
                onRetry: @escaping @Sendable (Int, Double, TransferError) -> Void,
                onWaiting: @escaping @Sendable (String) -> Void = { _ in },
                completion: @escaping @Sendable (Result<DownloadOutcome, TransferError>) -> Void) {
        self.engine = engine
        self.packageName = packageName
        self.sources = sources
        // The caller's string is kept when it is already lower case (a published digest is):
        // `lowercased()` would copy each of a plan's ~1,000 digests.
        self.expectedSHA256 = expectedSHA256.utf8.contains(where: { (0x41...0x5A).contains($0) })
            ? expectedSHA256.lowercased() : expectedSHA256
        self.destination = destination
        self.policy = policy
        self.timeouts = timeouts
        self.queue = queue
        self.expectedSize = expectedSize
        self.stream = stream
        self.onProgress = onProgress
        self.onRetry = onRetry
        self.onWaiting = onWaiting
        self.completion = completion
    }

    package func start() {
        queue.async { self.begin() }
    }

    /// Admission priority while waiting for a transfer slot (pour uses the bottle size).
    package func setPriority(_ priority: Int64) {
        queue.async {
            self.priority = priority
            self.handle?.setPriority(priority)
        }
    }

    /// The bottle's size as its manifest published it: the final length must match it.
    package func setExpectedSize(_ size: Int64) {
        queue.async {
            guard size > 0 else { return }
            self.expectedSize = size
            self.handle?.setExpectedBytes(size - self.written)
        }
    }

    /// Stops the download, deletes the `.incomplete` file it owns and completes with `.cancelled`.
    package func cancel() {
        abandon.cancel()
        queue.async {
            guard !self.cancelled else { return }
            self.cancelled = true
            for part in self.parts { part.handle?.cancel() }
            self.pendingSplit?.handle?.cancel()
            if let handle = self.handle {
                handle.cancel()
            } else if self.localInFlight {
                self.localCancel.cancel()  // the reader stops at its next chunk and reports
            } else {
                self.fail(.cancelled)
            }
        }
    }

    // MARK: - on queue

    private func begin() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !cancelled else { return fail(.cancelled) }
        // Fast path without the lock: a final-named file was renamed into place only after it
        // verified, and nobody rewrites it in place.
        if verifiedCacheEntry() { return succeed(fromCache: true) }
        do {
            try FileManager.default.createDirectory(atPath: PathComponents.deletingLastComponent(destination),
                                                    withIntermediateDirectories: true)
        } catch {
            return fail(.fileSystem(path: destination, message: error.localizedDescription))
        }
        guard !sources.isEmpty else { return fail(.invalidURL("no download source for \(packageName)")) }
        acquireBottleLock()
    }

    private func verifiedCacheEntry() -> Bool {
        let descriptor = open(destination, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        let check = SHA256Hasher()
        return hash(descriptor, length: Int64(info.st_size), into: check) && check.finalizeHex() == expectedSHA256
    }

    private enum LockAttempt { case acquired, busy, failed(TransferError) }

    /// Takes `<final>.lock` without blocking. The file is created `O_NOFOLLOW` (a planted link
    /// is refused) and checked, once locked, to still be the file at that path: the previous
    /// holder unlinks it before releasing, and a waiter that locked the unlinked inode retries.
    private func tryBottleLock() -> LockAttempt {
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            let code = errno
            let message = code == ELOOP ? "it is a symbolic link; remove it" : errnoText(code)
            return .failed(.fileSystem(path: lockPath, message: message))
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(descriptor)
            return code == EWOULDBLOCK || code == EINTR ? .busy : .failed(.fileSystem(path: lockPath, message: errnoText(code)))
        }
        var held = stat()
        var named = stat()
        guard fstat(descriptor, &held) == 0, lstat(lockPath, &named) == 0,
              held.st_ino == named.st_ino, held.st_dev == named.st_dev else {
            close(descriptor)
            return .busy
        }
        lockFD = descriptor
        return .acquired
    }

    private func acquireBottleLock() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard completion != nil else { return }
        guard !cancelled else { return fail(.cancelled) }
        switch tryBottleLock() {
        case .failed(let error):
            return fail(error)
        case .busy:
            abandonStream("another pour is downloading the bottle")
            if !waitReported {
                waitReported = true
                onWaiting("waiting for another pour downloading \(packageName)")
            }
            queue.asyncAfter(deadline: .now() + VerifiedDownload.lockPollInterval) { [self] in acquireBottleLock() }
        case .acquired:
            // The holder we waited for may have finished the bottle: reuse it.
            if verifiedCacheEntry() { return succeed(fromCache: true) }
            var info = stat()
            if lstat(destination, &info) == 0 { unlink(destination) }  // fails to verify: replaced, under the lock
            attemptTransfer()
        }
    }

    private func attemptTransfer() {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !cancelled else { return fail(.cancelled) }
        // A new head starts open-ended at `written`: no part may still own bytes past it.
        if !parts.isEmpty || pendingSplit != nil { dropParts() }
        attempt += 1
        totalAttempts += 1
        writeError = nil
        generation += 1
        if totalAttempts > 1 { abandonStream("the download was retried") }
        if fd < 0 {
            fd = open(incomplete, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard fd >= 0 else { return fail(.fileSystem(path: incomplete, message: errnoText())) }
            // Also locked itself, so `pour cleanup` (FileLockProbe) sees it is in use.
            _ = flock(fd, LOCK_EX | LOCK_NB)
        }
        var info = stat()
        let existing = fstat(fd, &info) == 0 ? Int64(info.st_size) : -1
        if existing != written {
            // A partial file left by an earlier run (or bytes we cannot account for): hash what
            // is there so the digest covers exactly bytes 0..<written.
            hasher.reset()
            written = 0
            if existing > 0, expectedSize.map({ existing < $0 }) ?? true, hashPrefix(length: existing) {
                written = existing
            } else {
                restartFile()
            }
        }
        let source = sources[sourceIndex]
        if source.url.lowercased().hasPrefix("file:") {
            abandonStream("a local source is read whole")
            switch URLPolicy.check(source.url, allowInsecureHTTP: engine.allowInsecureHTTP, allowFile: source.allowFile) {
            case .failure(let refusal): return transferEnded(.failure(refusal))
            case .success(let parsed): return readLocal(parsed)
            }
        }
        let request = TransferRequest(url: source.url, headers: source.headers, resumeOffset: written, timeouts: timeouts)
        let name = packageName
        let onWaiting = self.onWaiting
        nextPartID += 1
        let id = nextPartID
        headID = id
        attemptID = id
        headEnd = nil
        handle = engine.start(request, priority: priority, expectedBytes: expectedSize.map { $0 - written }, queue: queue,
                              onResponse: { [self] response in accept(response, part: id) },
                              onData: { [self] data in write(data, part: id) },
                              onWaiting: { host, seconds in onWaiting("\(name): waiting for \(host) (\(seconds) s)") },
                              completion: { [self] result in partEnded(result, part: id) })
    }

    /// Hashes bytes 0..<length of the open partial file (read through our own descriptor).
    private func hashPrefix(length: Int64) -> Bool { hash(fd, length: length, into: hasher) }

    /// Hashes bytes `start..<start + length` of `descriptor`, 1 MiB at a time; gives up (false)
    /// when the read fails or `cancel()` was called meanwhile (`abandon` is set before `cancel`
    /// hops onto the queue, so a long re-hash of a large bottle does not delay Ctrl-C).
    private func hash(_ descriptor: Int32, from start: Int64 = 0, length: Int64, into digest: SHA256Hasher) -> Bool {
        var buffer = [UInt8](repeating: 0, count: Int(min(Int64(1 << 20), max(length, 1))))
        var offset = start
        let length = start + length
        while offset < length {
            if abandon.isCancelled { return false }
            let want = Int(min(Int64(buffer.count), length - offset))
            let got = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, want, off_t(offset)) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { return false }
            buffer.withUnsafeBytes { digest.update(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
            offset += Int64(got)
        }
        return true
    }

    private func accept(_ response: TransferResponse, part id: Int) {
        dispatchPrecondition(condition: .onQueue(queue))
        if id == headID { return accept(response) }
        if let pending = pendingSplit, pending.id == id { acceptSplit(response, pending) }
    }

    private func accept(_ response: TransferResponse) {
        dispatchPrecondition(condition: .onQueue(queue))
        if written > 0 {
            if !response.isPartialContent {
                // The server ignored our Range and sends the whole body: start the file and the
                // digest over; `pwrite` at `written` (now 0) puts the body at byte 0.
                restartFile()
            } else if response.contentRangeStart != written {
                // A 206 for some other range: its bytes do not continue the file.
                writeError = .badContentRange(url: response.effectiveURL)
                handle?.cancel(reason: .badContentRange(url: response.effectiveURL))
                return
            }
        }
        if let length = response.contentLength { expectedTotal = written + length }
        if let stream {
            // Only a fresh body from byte 0 on the first attempt is followed.
            if streamGeneration == nil, written == 0, totalAttempts == 1, !waitReported, !response.isPartialContent,
               stream.begin(fileDescriptor: fd, declaredLength: response.contentLength) {
                streamGeneration = generation
            } else {
                abandonStream("the download did not start fresh at byte 0")
            }
        }
        if let expectedSize, let total = expectedTotal, total != expectedSize {
            let error = TransferError.sizeMismatch(package: packageName, expected: expectedSize, actual: total, url: response.effectiveURL)
            writeError = error
            handle?.cancel(reason: error)
        }
        splittable = !splittingStopped && engine.rangeSplitter.policy.enabled && writeError == nil && response.acceptsByteRanges
            && !response.multiplexed && response.contentLength != nil && parts.isEmpty && pendingSplit == nil
        reportSplittable()
    }

    private func write(_ data: Data, part id: Int) {
        dispatchPrecondition(condition: .onQueue(queue))
        if id == headID { return write(data) }
        if let index = parts.firstIndex(where: { $0.id == id }) { writePart(data, at: index) }
    }

    private func write(_ data: Data) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard writeError == nil, !cancelled, completion != nil, fd >= 0 else { return }
        // A head that runs into the next part stops at its start (the part owns those bytes).
        var data = data
        if let headEnd, !parts.isEmpty {
            guard written < headEnd else { return }
            if written + Int64(data.count) > headEnd { data = data.prefix(Int(headEnd - written)) }
        }
        if let expectedSize, written + Int64(data.count) > expectedSize {
            let error = TransferError.sizeMismatch(package: packageName, expected: expectedSize, actual: written + Int64(data.count),
                                                   url: sources[sourceIndex].url)
            writeError = error
            handle?.cancel(reason: error)
            localCancel.cancel()
            return
        }
        if !writeAll(data, at: written) {
            let error = TransferError.fileSystem(path: incomplete, message: errnoText())
            writeError = error
            handle?.cancel(reason: error)
            localCancel.cancel()
            return
        }
        hasher.update(data)
        written += Int64(data.count)
        if let stream {
            if streamGeneration == generation { stream.advance(to: written) } else { abandonStream("the download restarted") }
        }
        networkBytes += Int64(data.count)
        reportProgress()
        if let headEnd, written == headEnd, !parts.isEmpty { headReachedNextPart() }
    }

    /// Progress (and the splitter's view of this download), at most every 50 ms.
    private func reportProgress() {
        let now = DispatchTime.now()
        if now.uptimeNanoseconds - lastProgress.uptimeNanoseconds > 50_000_000 {
            lastProgress = now
            let received = written + parts.reduce(0) { $0 + $1.received }
            onProgress(DownloadProgress(receivedBytes: received, totalBytes: expectedTotal))
            reportSplittable()
        }
    }

    // MARK: - Range splitting (on queue)

    package func splitLargestPart() {
        queue.async { self.split() }
    }

    /// The part with the most bytes left: its id, where it is, and where it ends.
    private func largestPart() -> (id: Int, position: Int64, end: Int64)? {
        guard let total = expectedTotal else { return nil }
        var best = (id: headID, position: written, end: headEnd ?? total)
        for part in parts where !part.completed && part.end - part.position > best.end - best.position {
            best = (part.id, part.position, part.end)
        }
        return best
    }

    /// Tells the splitter how many bytes a split could share out now (0: none).
    private func reportSplittable() {
        guard splittable else { return }
        guard completion != nil, !cancelled, pendingSplit == nil, writeError == nil, let largest = largestPart() else {
            return engine.rangeSplitter.update(self, splittableBytes: 0)
        }
        engine.rangeSplitter.update(self, splittableBytes: largest.end - largest.position)
    }

    private func stopSplitting() {
        splittable = false
        splittingStopped = true
        engine.rangeSplitter.withdraw(self)
    }

    /// Asks for the second half of the largest part in a Range request of its own.
    private func split() {
        dispatchPrecondition(condition: .onQueue(queue))
        // Only while a head runs (`handle`): between a failed attempt and its retry the head's slot,
        // given back, is offered to this very download, and a split of the dead head, accepted,
        // left a hole the retry re-hashed (a SHA-256 mismatch against an honest server) and a part
        // writing beside the resumed request (`testNoSplitIsMadeWhileTheDownloadWaitsToRetry`).
        guard splittable, handle != nil, completion != nil, !cancelled, pendingSplit == nil, writeError == nil, fd >= 0,
              let largest = largestPart() else { return }
        let remaining = largest.end - largest.position
        guard remaining >= 2 * engine.rangeSplitter.policy.minimumPartBytes else { return reportSplittable() }
        let start = largest.position + remaining / 2
        let source = sources[sourceIndex]
        let request = TransferRequest(url: source.url, headers: source.headers, resumeOffset: start, rangeEnd: largest.end - 1,
                                      timeouts: timeouts)
        nextPartID += 1
        let id = nextPartID
        pendingSplit = PendingSplit(id: id, predecessor: largest.id, start: start, end: largest.end)
        // Nothing waits for a slot (that is why the splitter asked): the highest priority only
        // keeps it ahead of a transfer that might arrive meanwhile.
        pendingSplit?.handle = engine.start(request, priority: .max, expectedBytes: largest.end - start, queue: queue,
                                            onResponse: { [self] response in accept(response, part: id) },
                                            onData: { [self] data in write(data, part: id) },
                                            completion: { [self] result in partEnded(result, part: id) })
        reportSplittable()  // withdrawn while the split is pending
    }

    /// The answer to a split request: the part is accepted only when it is exactly the range
    /// asked for and the part it splits has not reached its start yet.
    private func acceptSplit(_ response: TransferResponse, _ pending: PendingSplit) {
        pendingSplit = nil
        let exact = response.isPartialContent && response.contentRangeStart == pending.start
            && response.contentLength == pending.end - pending.start
        var predecessor: (position: Int64, end: Int64)?
        var partIndex: Int?
        if pending.predecessor == headID, handle != nil, let total = expectedTotal {
            predecessor = (written, headEnd ?? total)
        } else if let index = parts.firstIndex(where: { $0.id == pending.predecessor }), !parts[index].completed {
            partIndex = index
            predecessor = (parts[index].position, parts[index].end)
        }
        guard exact, completion != nil, !cancelled, writeError == nil, let predecessor,
              predecessor.position < pending.start, predecessor.end == pending.end else {
            pending.handle?.cancel()
            // A server that answered the range with anything else (200: it ignores Range; a 206
            // for another range or length: it caps or mislabels ranges) would answer every split
            // the same way. Only our own race (the part reached `m` meanwhile) may try again:
            // re-offering after a refusal looped, since the refused request's slot, given back,
            // is itself a spare slot that asked for the next split at once
            // (`testARefusedRangeIsNotAskedAgainWhenItsOwnSlotComesBack`).
            if !exact { stopSplitting() } else { reportSplittable() }
            return
        }
        let part = RangePart(id: pending.id, start: pending.start, end: pending.end, requestedEnd: pending.end, handle: pending.handle)
        if let partIndex {
            parts[partIndex].end = pending.start
            parts.insert(part, at: partIndex + 1)
        } else {
            headEnd = pending.start
            parts.insert(part, at: 0)
        }
        reportSplittable()
    }

    /// Bytes for a part after the head: written at its own offset, hashed when it becomes the head.
    private func writePart(_ data: Data, at index: Int) {
        guard writeError == nil, !cancelled, completion != nil, fd >= 0 else { return }
        let room = parts[index].end - parts[index].position
        guard room > 0 else { return }
        let bytes = Int64(data.count) > room ? data.prefix(Int(room)) : data
        guard writeAll(bytes, at: parts[index].position) else {
            return failEveryPart(.fileSystem(path: incomplete, message: errnoText()))
        }
        parts[index].received += Int64(bytes.count)
        networkBytes += Int64(bytes.count)
        // A part cut by a later split is stopped as soon as it reaches the cut, also when its block
        // ended exactly there: it used to run on (a block beyond the cut finds no room and was
        // dropped without stopping it), fetching every byte of the later part a second time and
        // holding its slot until the head reached it (`testAPartCutExactlyAtABlockEndIsStoppedThere`).
        // A part that reaches the end it asked for is left to finish (its connection is reused).
        let reachedCut = parts[index].position == parts[index].end && parts[index].end < parts[index].requestedEnd
        if Int64(data.count) > room || reachedCut {
            // More than the range asked for: stop it (its bytes past `end` are the next part's).
            parts[index].handle?.cancel()
            parts[index].handle = nil
            parts[index].completed = true
        }
        reportProgress()
    }

    /// The head wrote up to the first part's start: stop its transfer and make that part the head.
    private func headReachedNextPart() {
        handle?.cancel()
        handle = nil
        promoteNextPart()
    }

    /// The first part becomes the head: its bytes already in the file are read back and hashed
    /// (in order after `0..<written`), so the digest and the streamed frontier move on with them.
    private func promoteNextPart() {
        while let next = parts.first, next.start == written {
            parts.removeFirst()
            if next.received > 0 {
                guard hash(fd, from: next.start, length: next.received, into: hasher) else {
                    // `hash` also stops for `abandon`, which `cancel()` sets before its block reaches
                    // this queue (`cancelled` may still be false here): that is a cancel, not a
                    // read error (`testACancelDuringThePartsReadBackEndsCancelled`).
                    return failEveryPart(cancelled || abandon.isCancelled ? .cancelled
                        : .fileSystem(path: incomplete, message: "cannot read back bytes of a split download: \(errnoText())"))
                }
                written += next.received
                if let stream, streamGeneration == generation { stream.advance(to: written) }
            }
            headEnd = next.end
            if !next.completed && next.position < next.end {
                headID = next.id
                handle = next.handle
                return
            }
            // Every byte of it is in. Its transfer may not have reported its end yet (its last
            // block and the head's block that reached it can be handed over in one I/O round,
            // before the completion; or it was cut at a later split and stopped there by `writePart`):
            // it has nothing more for us, so it is stopped and its completion is stale. Waiting
            // for that completion as the head left the download hanging when more parts followed
            // (the head's completion with parts left was taken for "promotion under way").
            next.handle?.cancel()
            headID = 0
            handle = nil
            if parts.isEmpty {
                return transferEnded(.success(TransferSummary(status: 206, bodyBytes: next.received,
                                                              effectiveURL: sources[sourceIndex].url, seconds: 0)))
            }
        }
    }

    /// A transfer ended: the head's goes through the retry rules; a part's is bookkeeping.
    private func partEnded(_ result: Result<TransferSummary, TransferError>, part id: Int) {
        dispatchPrecondition(condition: .onQueue(queue))
        if id == headID {
            if !parts.isEmpty || pendingSplit != nil {
                if case .success = result, let headEnd, written == headEnd, !parts.isEmpty {
                    // It ended where the next part begins (its last block did not go past it):
                    // promote, as `write` does when the head reaches the next part.
                    handle = nil
                    return promoteNextPart()
                }
                dropParts()
            }
            return transferEnded(result)
        }
        if let pending = pendingSplit, pending.id == id {
            // Ended before it was answered with the range (refused, failed, or cancelled).
            pendingSplit = nil
            stopSplitting()
            return
        }
        guard let index = parts.firstIndex(where: { $0.id == id }) else { return }  // stale
        if cancelled { return failEveryPart(.cancelled) }
        if parts[index].position == parts[index].end {
            // Every byte of the part is in (a part cut short by a later split is stopped by us).
            parts[index].completed = true
            parts[index].handle = nil
            return
        }
        // An accepted part failed (or ended short): drop every part past the head. An original
        // head runs on to the end of the body; a head that is itself a range is stopped and the
        // download resumes from `written`, under the retry rules, as after any failure.
        let error: TransferError
        switch result {
        case .failure(let failure): error = failure
        case .success(let summary):
            error = .network(code: Int(CURLE_PARTIAL_FILE.rawValue), message: "a range ended early", url: summary.effectiveURL)
        }
        let headIsRange = headID != attemptID
        dropParts()
        if headIsRange {
            handle?.cancel()
            headID = 0
            transferEnded(.failure(error))
        }
    }

    /// Cancels every part after the head and the pending split, and truncates the file to the
    /// hashed prefix (their bytes are beyond it); the download is not split again.
    private func dropParts() {
        for part in parts { part.handle?.cancel() }
        pendingSplit?.handle?.cancel()
        parts.removeAll()
        pendingSplit = nil
        headEnd = nil
        stopSplitting()
        if fd >= 0 { _ = ftruncate(fd, off_t(written)) }
    }

    /// Stops every transfer of this download and fails it.
    private func failEveryPart(_ error: TransferError) {
        let head = handle
        dropParts()
        head?.cancel()
        handle = nil
        headID = 0
        fail(error)
    }

    /// `pwrite`s all of `data` at `offset` (explicit offsets: the file position never decides
    /// where bytes land).
    private func writeAll(_ data: Data, at offset: Int64) -> Bool {
        data.withUnsafeBytes { raw -> Bool in
            var done = 0
            while done < raw.count {
                let n = pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(offset + Int64(done)))
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                done += n
            }
            return true
        }
    }

    /// Reads a `file://` source on a utility queue and feeds it through `write`, with at most
    /// `localWindow` chunks queued (backpressure); reports like a transfer.
    private func readLocal(_ url: ParsedURL) {
        dispatchPrecondition(condition: .onQueue(queue))
        restartFile()  // a local read is cheap: always whole
        localInFlight = true
        let flag = CancellationFlag()
        localCancel = flag
        let queue = self.queue
        let normalized = url.normalized
        DispatchQueue.global(qos: .utility).async { [self] in
            let source = open(url.path, O_RDONLY | O_CLOEXEC)
            guard source >= 0 else {
                let code = errno
                let error: TransferError = code == ENOENT ? .httpStatus(code: 404, url: normalized, retryAfter: nil)
                    : .fileSystem(path: url.path, message: errnoText(code))
                return queue.async { self.localEnded(.failure(error)) }
            }
            defer { close(source) }
            var info = stat()
            if fstat(source, &info) == 0 {
                let size = Int64(info.st_size)
                queue.async { self.expectedTotal = size }
            }
            // Created at 0 and signalled up: libdispatch traps when a semaphore is released
            // below its initial value, which a cancelled read would otherwise leave it at.
            let window = DispatchSemaphore(value: 0)
            for _ in 0..<VerifiedDownload.localWindow { window.signal() }
            var total: Int64 = 0
            var failure: TransferError?
            while true {
                window.wait()
                if flag.isCancelled { failure = .cancelled; break }
                var chunk = Data(count: VerifiedDownload.localChunk)
                let got = chunk.withUnsafeMutableBytes { read(source, $0.baseAddress, VerifiedDownload.localChunk) }
                if got < 0 && errno == EINTR { window.signal(); continue }
                if got < 0 { failure = .fileSystem(path: url.path, message: errnoText()); break }
                if got == 0 { break }
                chunk.count = got
                total += Int64(got)
                let filled = chunk
                queue.async {
                    self.write(filled)
                    window.signal()
                }
            }
            let outcome: Result<TransferSummary, TransferError> = failure.map { .failure($0) }
                ?? .success(TransferSummary(status: 0, bodyBytes: total, effectiveURL: normalized, seconds: 0))
            queue.async { self.localEnded(outcome) }
        }
    }

    private func localEnded(_ result: Result<TransferSummary, TransferError>) {
        localInFlight = false
        networkBytes = 0  // nothing crossed the network
        transferEnded(result)
    }

    private func transferEnded(_ result: Result<TransferSummary, TransferError>) {
        dispatchPrecondition(condition: .onQueue(queue))
        handle = nil
        // The head's end is the attempt's end: a split still unanswered (the last part may have
        // become the head before its answer) is stopped now rather than left to run a request
        // into a finished, failed or restarted download.
        if !parts.isEmpty || pendingSplit != nil { dropParts() }
        // No head runs until the next attempt: not a candidate meanwhile (its next response
        // decides again; a `file://` source that takes over never answers one, so its progress
        // reports must not make it a candidate either).
        splittable = false
        engine.rangeSplitter.withdraw(self)
        if cancelled { return fail(.cancelled) }
        if case .badContentRange? = writeError {
            // Restart from byte 0 without a Range (a server that mislabels ranges once will again).
            restartFile()
            writeError = nil
            return attemptTransfer()
        }
        if case .sizeMismatch = writeError { return mismatch(writeError!) }
        // A failed write (disk full) cancels the transfer, but curl may have delivered the whole
        // body before the cancel lands: the transfer then "succeeds" with bytes missing from the
        // file, which used to surface as a misleading checksum mismatch (and a pointless re-download).
        if let writeError { return fail(writeError) }
        switch result {
        case .success:
            onProgress(DownloadProgress(receivedBytes: written, totalBytes: written))
            let url = sources[sourceIndex].url
            if let expectedSize, written != expectedSize {
                return mismatch(.sizeMismatch(package: packageName, expected: expectedSize, actual: written, url: url))
            }
            let actual = hasher.finalizeHex()
            if actual == expectedSHA256 {
                closeFile()
                if rename(incomplete, destination) != 0 {
                    return fail(.fileSystem(path: destination, message: errnoText()))
                }
                if let stream, streamGeneration == generation {
                    stream.verify(length: written)
                    self.stream = nil
                }
                releaseBottleLock()
                return succeed(fromCache: false)
            }
            return mismatch(.checksumMismatch(package: packageName, expected: expectedSHA256, actual: actual, url: url))
        case .failure(let error):
            if case .httpStatus(416, _, _) = error, written > 0 {
                // Our partial file is longer than the resource: it is not a prefix of it.
                restartFile()
                return attemptTransfer()
            }
            switch policy.decision(after: error, attempt: attempt, url: sources[sourceIndex].url) {
            case .retry(let delay):
                onRetry(totalAttempts, delay, error)
                queue.asyncAfter(deadline: .now() + delay) { [self] in attemptTransfer() }
                return
            case .giveUp(let final) where final != error:
                return fail(final) // the server asked for longer than we wait: not another source's fault
            case .giveUp:
                break
            }
            if sourceIndex + 1 < sources.count {
                sourceIndex += 1
                attempt = 0
                restartFile()
                onRetry(totalAttempts, 0, error)
                return attemptTransfer()
            }
            return fail(error)
        }
    }

    /// A complete body that does not match: one fresh re-download, then the error.
    private func mismatch(_ error: TransferError) {
        restartFile()
        writeError = nil
        if !mismatchRetried {
            mismatchRetried = true
            onRetry(totalAttempts, 0, error)
            return attemptTransfer()
        }
        fail(error)
    }

    /// Empties the partial file and the digest; the next byte is written at offset 0.
    private func restartFile() {
        generation += 1
        abandonStream("the download restarted from byte 0")
        if fd >= 0 { _ = ftruncate(fd, 0) }
        hasher.reset()
        written = 0
        expectedTotal = nil
    }

    private func closeFile() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
    }

    /// Unlinks the lock file while still holding it, then releases it (see `tryBottleLock`).
    private func releaseBottleLock() {
        guard lockFD >= 0 else { return }
        unlink(lockPath)
        close(lockFD)
        lockFD = -1
    }

    /// Ends the streamed generation for good (before the file is touched again).
    private func abandonStream(_ reason: String) {
        stream?.abandon(reason)
        stream = nil
    }

    private func succeed(fromCache: Bool) {
        guard let completion else { return }
        self.completion = nil
        stopSplitting()
        abandonStream("the bottle came from the cache")  // no-op once verified
        releaseBottleLock()
        completion(.success(DownloadOutcome(path: destination, networkBytes: networkBytes, fromCache: fromCache, attempts: totalAttempts)))
    }

    private func fail(_ error: TransferError) {
        guard let completion else { return }
        self.completion = nil
        stopSplitting()
        abandonStream(error.description)
        closeFile()
        // The partial file belongs to this download only while it holds the bottle lock: then it
        // is removed on every failure (a later run starts clean); otherwise it is someone else's.
        if lockFD >= 0 { unlink(incomplete) }
        releaseBottleLock()
        completion(.failure(error))
    }
}

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif
