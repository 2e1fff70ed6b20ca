import Foundation

/// One generation of a bottle's `.incomplete` file while its download writes it: the bytes
/// `0..<frontier` are in the file (page cache) and belong to that generation, so a reader may
/// extract them while the rest is still arriving (`GrowingFileSource`, "tail-follow").
///
/// A `VerifiedDownload` begins at most one generation, and only for a fresh transfer that starts
/// at byte 0 on its first attempt. Any restart of the file (a retry, a Range answered with 200 or
/// a wrong `Content-Range`, a checksum re-download, another source), a failure or a cancel
/// **abandons** it for good; a later attempt never writes into it again. When the download has
/// checked the SHA-256 (and the manifest size) of exactly this generation's bytes, it is
/// `verified`, and the reader sees the end of the file.
///
/// The writer never waits for the reader: it only moves `frontier` forward under the lock and
/// wakes a waiting reader. The reader blocks on `condition` until the frontier passes its offset,
/// the generation is verified or abandoned, or `cancellation` is set (rechecked every
/// `cancelPollInterval`, a safety net: cancelling a run also abandons the generation explicitly).
/// After each `pread` the reader checks the state again: the writer abandons the generation before
/// it truncates or rewrites the file, so bytes read before that check are this generation's.
///
/// Confinement: every mutable property is guarded by `condition` (an `NSCondition`); methods may
/// be called from any thread (writer: the download's queue; reader: one streaming-extraction
/// thread). Hence `@unchecked Sendable`.
package final class GrowingFile: @unchecked Sendable {
    package enum State: Equatable, Sendable {
        /// Created; no transfer has started writing this generation yet.
        case idle
        /// Bytes `0..<frontier` are written; more may follow.
        case growing
        /// The download verified the file's digest (and size); `frontier` is its length.
        case verified
        /// This generation will never be completed; the reason is for messages.
        case abandoned(String)
    }

    /// What a read returns.
    package enum Read: Equatable {
        case bytes(Int)
        case end
        case failed(String)
    }

    static let cancelPollInterval: TimeInterval = 0.25

    private let condition = NSCondition()
    private var state: State = .idle
    private var frontier: Int64 = 0
    /// Our own descriptor on the file (a `dup` of the writer's), so a rename or unlink of the path
    /// and the writer's close do not affect reads.
    private var descriptor: Int32 = -1
    private var readerWaiting = false
    /// Called once, on the writer's queue, when the generation begins; the declared length is the
    /// response's `Content-Length`, if any.
    private let onBegin: @Sendable (_ file: GrowingFile, _ declaredLength: Int64?) -> Void
    /// A body declaring fewer bytes than this is not worth following: `begin` abandons the
    /// generation itself (no descriptor taken, `onBegin` not called).
    private let minimumDeclaredLength: Int64

    /// - Parameter minimumDeclaredLength: see the property; 0 follows every body.
    package init(minimumDeclaredLength: Int64 = 0,
                 onBegin: @escaping @Sendable (_ file: GrowingFile, _ declaredLength: Int64?) -> Void) {
        self.minimumDeclaredLength = minimumDeclaredLength
        self.onBegin = onBegin
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    package var currentState: State {
        condition.lock()
        defer { condition.unlock() }
        return state
    }

    /// Bytes of this generation written so far (`0..<frontier`).
    package var writtenBytes: Int64 {
        condition.lock()
        defer { condition.unlock() }
        return frontier
    }

    // MARK: - Writer (the download's queue)

    /// The fresh transfer starts writing at byte 0 into `fileDescriptor`. Returns false (and does
    /// nothing) when the generation was already begun or abandoned, or abandons it when the body
    /// declares fewer than `minimumDeclaredLength` bytes.
    @discardableResult
    package func begin(fileDescriptor: Int32, declaredLength: Int64?) -> Bool {
        condition.lock()
        guard state == .idle else {
            condition.unlock()
            return false
        }
        if let declaredLength, declaredLength < minimumDeclaredLength {
            state = .abandoned("not streamed")
            condition.unlock()
            return false
        }
        let copy = dup(fileDescriptor)
        guard copy >= 0 else {
            state = .abandoned("cannot duplicate the download's descriptor: \(errnoText())")
            condition.unlock()
            return false
        }
        descriptor = copy
        state = .growing
        frontier = 0
        condition.unlock()
        onBegin(self, declaredLength)
        return true
    }

    /// Bytes `0..<length` are in the file.
    package func advance(to length: Int64) {
        condition.lock()
        if state == .growing, length > frontier {
            frontier = length
            if readerWaiting { condition.broadcast() }
        }
        condition.unlock()
    }

    /// The download verified exactly these `length` bytes.
    package func verify(length: Int64) {
        condition.lock()
        if state == .growing {
            frontier = length
            state = .verified
            condition.broadcast()
        }
        condition.unlock()
    }

    /// This generation ends without a verified file. Idempotent; a verified generation stays so.
    package func abandon(_ reason: String) {
        condition.lock()
        switch state {
        case .idle, .growing:
            state = .abandoned(reason)
            condition.broadcast()
        case .verified, .abandoned:
            break
        }
        condition.unlock()
    }

    // MARK: - Reader (one extraction thread)

    /// Reads up to `count` bytes at `offset`, waiting until they are written. `.end` once the
    /// generation is verified and `offset` is its length.
    package func read(at offset: Int64, into buffer: UnsafeMutableRawPointer, count: Int,
                      cancellation: CancellationFlag?) -> Read {
        condition.lock()
        var available: Int64 = 0
        while true {
            if case .abandoned(let reason) = state {
                condition.unlock()
                return .failed(reason)
            }
            if cancellation?.isCancelled == true {
                condition.unlock()
                return .failed("cancelled")
            }
            if state != .idle, frontier > offset {
                available = frontier - offset
                break
            }
            if state == .verified {
                condition.unlock()
                return .end
            }
            readerWaiting = true
            _ = condition.wait(until: Date(timeIntervalSinceNow: Self.cancelPollInterval))
            readerWaiting = false
        }
        let fd = descriptor
        condition.unlock()
        let want = Int(min(Int64(count), available))
        var got: Int
        repeat { got = pread(fd, buffer, want, off_t(offset)) } while got < 0 && errno == EINTR
        if got < 0 { return .failed("reading the partial download: \(errnoText())") }
        if got == 0 { return .failed("the partial download is shorter than written") }
        condition.lock()
        defer { condition.unlock() }
        // Abandoned meanwhile: the writer may already be rewriting the file for another attempt.
        if case .abandoned(let reason) = state { return .failed(reason) }
        return .bytes(got)
    }
}

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif
