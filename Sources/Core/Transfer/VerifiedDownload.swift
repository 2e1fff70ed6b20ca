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
/// final name only when the SHA-256 matches.
///
/// Behaviour: a verified cache entry is reused without network; a partial `.incomplete` file is
/// resumed with a Range request (its bytes are re-hashed first so the digest still covers the
/// whole file; a server that answers 200 instead of 206 restarts the file); transient failures are
/// retried per `RetryPolicy`; a checksum mismatch deletes the file and gets one fresh re-download;
/// permanent failures move to the next source (the `HOMEBREW_ARTIFACT_DOMAIN` fallback).
///
/// Confinement: all mutable state lives on `queue` (serial), which is also the transfer's sink
/// queue, so file writes and hashing happen there, never on the I/O thread. Cancellation and
/// start may be called from any thread; they hop onto `queue`. Hence `@unchecked Sendable`.
package final class VerifiedDownload: @unchecked Sendable {
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
    private var completion: (@Sendable (Result<DownloadOutcome, TransferError>) -> Void)?

    // State on `queue`.
    private var sourceIndex = 0
    private var attempt = 0
    private var totalAttempts = 0
    private var mismatchRetried = false
    private var fd: Int32 = -1
    private var written: Int64 = 0
    private var expectedTotal: Int64?
    private var networkBytes: Int64 = 0
    private var writeError: TransferError?
    private var handle: TransferHandle?
    private var cancelled = false
    private var priority: Int64 = 0
    private let hasher = SHA256Hasher()
    private var lastProgress = DispatchTime(uptimeNanoseconds: 0)

    private var incomplete: String { DownloadCache.incompletePath(for: destination) }

    package init(engine: TransferEngine, packageName: String, sources: [DownloadSource], expectedSHA256: String,
                destination: String, policy: RetryPolicy, timeouts: TransferTimeouts, queue: DispatchQueue,
                onProgress: @escaping @Sendable (DownloadProgress) -> Void,
                onRetry: @escaping @Sendable (Int, Double, TransferError) -> Void,
                completion: @escaping @Sendable (Result<DownloadOutcome, TransferError>) -> Void) {
        self.engine = engine
        self.packageName = packageName
        self.sources = sources
        self.expectedSHA256 = expectedSHA256.lowercased()
        self.destination = destination
        self.policy = policy
        self.timeouts = timeouts
        self.queue = queue
        self.onProgress = onProgress
        self.onRetry = onRetry
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

    /// Stops the download, deletes the `.incomplete` file it owns and completes with `.cancelled`.
    package func cancel() {
        queue.async {
            guard !self.cancelled else { return }
            self.cancelled = true
            if let handle = self.handle {
                handle.cancel()
            } else {
                self.fail(.cancelled)
            }
        }
    }

    // MARK: - on queue

    private func begin() {
        guard !cancelled else { return fail(.cancelled) }
        if FileManager.default.fileExists(atPath: destination) {
            let check = SHA256Hasher()
            if (try? check.update(contentsOf: destination)) != nil, check.finalizeHex() == expectedSHA256 {
                return succeed(fromCache: true)
            }
            // A cache entry that no longer verifies (bit rot, tampering) is replaced.
            unlink(destination)
        }
        do {
            try FileManager.default.createDirectory(atPath: (destination as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
        } catch {
            return fail(.fileSystem(path: destination, message: error.localizedDescription))
        }
        guard !sources.isEmpty else { return fail(.invalidURL("no download source for \(packageName)")) }
        attemptTransfer()
    }

    private func attemptTransfer() {
        guard !cancelled else { return fail(.cancelled) }
        attempt += 1
        totalAttempts += 1
        writeError = nil
        if fd < 0 {
            fd = open(incomplete, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { return fail(.fileSystem(path: incomplete, message: errnoText())) }
            // Two pour processes sharing one cache must not write the same partial file.
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                close(fd)
                fd = -1
                return fail(.fileSystem(path: incomplete, message: "another process is downloading this bottle; try again when it is done"))
            }
        }
        let existing = Int64(lseek(fd, 0, SEEK_END))
        if existing != written {
            // A partial file left by an earlier run (or a write we cannot account for): hash what
            // is there so the final digest still covers the whole file. After a retry within this
            // run the hasher already covers exactly `written` bytes and is kept as is.
            hasher.reset()
            written = 0
            if existing > 0, (try? hasher.update(contentsOf: incomplete, length: existing)) != nil {
                written = existing
            } else {
                restartFile()
            }
        }
        let resumeFrom = written
        let source = sources[sourceIndex]
        let request = TransferRequest(url: source.url, headers: source.headers, resumeOffset: resumeFrom, timeouts: timeouts)
        handle = engine.start(request, priority: priority, queue: queue,
                              onResponse: { [self] response in accept(response) },
                              onData: { [self] data in write(data) },
                              completion: { [self] result in transferEnded(result) })
    }

    private func accept(_ response: TransferResponse) {
        if written > 0 && !response.isPartialContent {
            // The server ignored our Range: start the file and the digest over.
            restartFile()
        }
        if let length = response.contentLength { expectedTotal = written + length }
    }

    private func write(_ data: Data) {
        guard writeError == nil, !cancelled else { return }
        hasher.update(data)
        let ok = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = systemWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
        if !ok {
            let error = TransferError.fileSystem(path: incomplete, message: errnoText())
            writeError = error
            handle?.cancel(reason: error)
            return
        }
        written += Int64(data.count)
        networkBytes += Int64(data.count)
        let now = DispatchTime.now()
        if now.uptimeNanoseconds - lastProgress.uptimeNanoseconds > 50_000_000 {
            lastProgress = now
            onProgress(DownloadProgress(receivedBytes: written, totalBytes: expectedTotal))
        }
    }

    private func transferEnded(_ result: Result<TransferSummary, TransferError>) {
        handle = nil
        if cancelled { return fail(.cancelled) }
        // A failed write (disk full) cancels the transfer, but curl may have delivered the whole
        // body before the cancel lands: the transfer then "succeeds" with bytes missing from the
        // file, which used to surface as a misleading checksum mismatch (and a pointless re-download).
        if let writeError { return fail(writeError) }
        switch result {
        case .success:
            onProgress(DownloadProgress(receivedBytes: written, totalBytes: written))
            let actual = hasher.finalizeHex()
            if actual == expectedSHA256 {
                closeFile()
                if rename(incomplete, destination) != 0 {
                    return fail(.fileSystem(path: destination, message: errnoText()))
                }
                return succeed(fromCache: false)
            }
            restartFile()
            if !mismatchRetried {
                mismatchRetried = true
                onRetry(totalAttempts, 0, .checksumMismatch(package: packageName, expected: expectedSHA256, actual: actual, url: sources[sourceIndex].url))
                return attemptTransfer()
            }
            return fail(.checksumMismatch(package: packageName, expected: expectedSHA256, actual: actual, url: sources[sourceIndex].url))
        case .failure(let error):
            if let writeError { return fail(writeError) }
            if case .httpStatus(416, _, _) = error, written > 0 {
                // Our partial file is longer than the resource: it is not a prefix of it.
                restartFile()
                return attemptTransfer()
            }
            if error.isRetryable && attempt < policy.maxAttempts {
                let retryAfter: Double?
                if case .httpStatus(_, _, let value) = error { retryAfter = value } else { retryAfter = nil }
                let delay = policy.delay(afterAttempt: attempt, retryAfter: retryAfter)
                onRetry(totalAttempts, delay, error)
                queue.asyncAfter(deadline: .now() + delay) { [self] in attemptTransfer() }
                return
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

    private func restartFile() {
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

    private func succeed(fromCache: Bool) {
        guard let completion else { return }
        self.completion = nil
        completion(.success(DownloadOutcome(path: destination, networkBytes: networkBytes, fromCache: fromCache, attempts: totalAttempts)))
    }

    private func fail(_ error: TransferError) {
        guard let completion else { return }
        self.completion = nil
        closeFile()
        // The partial file belongs to this download: remove it on every failure so nothing stray
        // stays in the cache (a later run starts clean).
        unlink(incomplete)
        completion(.failure(error))
    }
}

#if canImport(Glibc)
    import Glibc
    private let systemWrite = Glibc.write
#else
    import Darwin
    private let systemWrite = Darwin.write
#endif
