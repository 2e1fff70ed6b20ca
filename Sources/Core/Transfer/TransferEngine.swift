import CCurl
import Foundation

/// Drives every transfer of one installer through ONE libcurl multi handle on ONE I/O thread.
///
/// Queues and ownership (see Docs/Design.md, "Transfer"):
/// - The **I/O thread** (`pour.transfer.io`) owns the multi handle and every easy handle: it is the
///   only thread that creates, configures, performs, pauses, resumes, removes or cleans them up.
///   It never blocks on disk: body bytes are copied and handed to each transfer's serial sink
///   queue, where the caller hashes and writes them.
/// - Other threads talk to the I/O thread only through `inbox` (a `Locked` command list) followed
///   by `curl_multi_wakeup`, the one libcurl call documented as safe from any thread.
/// - Two `AdmissionLane`s bound the transfers in flight: `bulk` (bottles, `--jobs`) and `metadata`
///   (formula JSON, manifests). Each lane's `DispatchSemaphore` is waited on only by that lane's
///   admission queue, so neither the I/O thread nor callers ever block on it; each admitted
///   transfer signals it exactly once, from `finish` (success, failure or cancellation) on its
///   sink queue once the bytes handed over before the end are consumed, or, when it was cancelled
///   while waiting for admission, right after the wait. Waiting transfers are
///   admitted highest priority first (pour uses the bottle size: largest first). Bottles known to
///   be small (≤ `smallTransferBytes`) may also take one of the bulk lane's small-transfer slots,
///   so they do not queue behind the big ones (`AdmissionLane`).
/// - Backpressure: when a transfer's sink has more than `highWaterBytes` queued (or gathered,
///   not yet handed over), the write
///   callback returns `CURL_WRITEFUNC_PAUSE`; the sink queue asks for a resume once it has drained
///   below `lowWaterBytes`. Memory per transfer is therefore bounded by the high-water mark plus
///   one libcurl buffer, whatever the bottle size, and a finished transfer's last bytes hold its
///   slot until consumed, so the lane's width bounds the bytes waiting for sinks overall.
///
/// `@unchecked Sendable`: mutable state is either I/O-thread-confined (`active`, `multi`,
/// `running`) or inside `Locked` boxes, as documented per property.
package final class TransferEngine: @unchecked Sendable {
    /// Upper bound on transfers in flight (the semaphore's value).
    package let maxConcurrentTransfers: Int
    package let userAgent: String
    /// A CA bundle to verify TLS peers with instead of the system default (`--cacert`).
    package let caBundle: String?
    /// Whether plain `http://` to non-loopback hosts is allowed (`InsecureURLPolicy`).
    package let allowInsecureHTTP: Bool

    /// Pause at 256 KiB pending, resume below 64 KiB, 64 KiB curl receive buffers (were 1 MiB,
    /// 256 KiB, 128 KiB): the kernel's socket buffer already holds what arrives while a transfer
    /// is paused, so deeper queues only added RSS (8 transfers × 1 MiB was the largest part of the
    /// heap); same wall and CPU on ffmpeg-like loopback (Docs/Performance.md, "Issue 16, third pass: RSS").
    static let highWaterBytes = 256 << 10
    static let lowWaterBytes = 64 << 10
    static let curlBufferSize = 64 << 10
    /// Metadata bodies (formula JSON, manifests) are a few KB: a small receive buffer keeps a wide
    /// metadata lane cheap in memory.
    static let metadataCurlBufferSize = 16 << 10
    /// Metadata transfers in flight at most (never fewer than `--jobs`). A deep closure is
    /// resolved one dependency level per round trip, and each level can be a hundred formula
    /// JSONs; 8 at a time made the metadata, not the bottles, the critical path (230 JSONs ≈ 30
    /// round trips; Docs/Performance.md, deep-closure).
    static let metadataLaneWidth = 32
    /// Bottles whose expected length (from the manifest) is at most this many bytes may also run
    /// in the bulk lane's small-transfer slots, `smallSlotsPerJob` per `--jobs` slot: they are
    /// latency-bound (each is a registry request, a redirect and a blob request), and 16 of them
    /// in flight hold at most 4 MiB of the link (`AdmissionLane`, Docs/Performance.md).
    package static let smallTransferBytes: Int64 = 256 << 10
    static let smallSlotsPerJob = 2
    /// Body bytes are gathered on the I/O thread into blocks of up to this size (or whatever one
    /// `curl_multi_perform` round delivered) before one hop to the sink queue: on a slow link
    /// curl calls back with a few KB at a time, and a queue hop per callback cost more CPU in
    /// wake-ups than hashing and writing the bytes (Docs/Performance.md).
    static let coalesceBytes = 128 << 10
    /// After a `curl_multi_perform` round, a transfer's gathered bytes are handed over only once
    /// they reach `handOverBytes` or the oldest of them has waited `handOverDelayNanoseconds`
    /// (and always when the transfer ends). On a 100 Mbit/s link shared by 8 transfers every
    /// round brought each one a segment or two, and a hop per round per transfer woke a worker
    /// thread thousands of times a second; waiting a few ms costs nothing in throughput (the
    /// bytes are already in memory) and makes each wake-up carry tens of KB.
    static let handOverBytes = 64 << 10
    static let handOverDelayNanoseconds: UInt64 = 20_000_000

    /// Splits the largest remaining downloads into Range requests when a bulk slot would
    /// otherwise stay empty (`RangeSplitter`).
    package let rangeSplitter: RangeSplitter
    private let defaultOnWaiting: (@Sendable (String, Int) -> Void)?
    private let bulk: AdmissionLane
    private let metadata: AdmissionLane
    /// Commands for the I/O thread; any thread appends, only the I/O thread drains. `closed` is
    /// set (under the same lock) when the I/O thread has exited, so a late command cannot be lost.
    private let inbox = Locked<(commands: [Command], closed: Bool)>(([], false))
    /// The multi handle. Created in `init`, then touched only on the I/O thread (and
    /// `curl_multi_wakeup`, which is thread-safe).
    private let multi: UnsafeMutableRawPointer
    /// Easy handle → transfer. I/O thread only.
    private var active: [UnsafeMutableRawPointer: ActiveTransfer] = [:]
    /// Set when the I/O thread applies the `.shutdown` command that `shutdown()` posts; read by
    /// the I/O loop. I/O thread only.
    private var stopping = false
    /// The I/O thread, recorded by the thread itself when it starts (for `assertOnIOThread`).
    private var ioThreadID: pthread_t?
    /// Body bytes received during the current `curl_multi_perform` round, and the shortest
    /// request-to-first-byte time seen (µs; the link's round-trip time plus the server's answer
    /// time): the inputs of `WakeCoalescing`. I/O thread only.
    private var roundBytes = 0
    private var shortestResponseMicroseconds: Int64?
    private let stopped = DispatchGroup()

    private enum Command {
        case add(ActiveTransfer)
        case cancel(ActiveTransfer, TransferError)
        case resume(ActiveTransfer)
        case shutdown
    }

    /// Starts the I/O thread. Returns nil only if libcurl cannot be initialised.
    /// - Parameter onWaiting: told (on the I/O thread; it must only hop) when a transfer that has
    ///   no `onWaiting` of its own (formula JSON, catalogue, manifests) has received nothing for
    ///   2 s or more, once per further second: the host and the seconds of silence.
    /// - Parameter rangeSplit: when a download may be split into Range requests (`RangeSplitter`).
    package init?(maxConcurrentTransfers: Int, userAgent: String = "pour/\(PourVersion.string)", caBundle: String? = nil,
                 allowInsecureHTTP: Bool = false, rangeSplit: RangeSplitPolicy = RangeSplitPolicy(),
                 onWaiting: (@Sendable (_ host: String, _ seconds: Int) -> Void)? = nil) {
        guard LibraryBootstrap.ensure(), let multi = pour_curl_multi_init() else { return nil }
        self.defaultOnWaiting = onWaiting
        self.maxConcurrentTransfers = max(1, maxConcurrentTransfers)
        self.userAgent = userAgent
        self.caBundle = caBundle
        self.allowInsecureHTTP = allowInsecureHTTP
        self.multi = multi
        // `--jobs 1` means one at a time: no small-transfer slots beside it.
        let splitter = RangeSplitter(policy: rangeSplit)
        rangeSplitter = splitter
        bulk = AdmissionLane(name: "bulk", width: self.maxConcurrentTransfers,
                             smallWidth: self.maxConcurrentTransfers > 1 ? self.maxConcurrentTransfers * TransferEngine.smallSlotsPerJob : 0,
                             smallTransferBytes: TransferEngine.smallTransferBytes,
                             onSpareSlot: { splitter.offerSpareSlot() })
        metadata = AdmissionLane(name: "metadata", width: max(TransferEngine.metadataLaneWidth, self.maxConcurrentTransfers))
        // Connection reuse (Docs/Design.md, "Connection reuse and HTTP/2"; H2MultiplexingTests):
        // - idle connections stay cached for later transfers (HTTP/1.1 keep-alive). libcurl's
        //   cache limit counts the connections in use too, and on every return beyond it closes
        //   the oldest idle one (7.88 lib/conncache.c, Curl_conncache_return_conn), so a limit
        //   below the slots in flight closed nearly every HTTP/1.1 connection after one request
        //   (2 × `--jobs` = 16 against 56 slots: 598 connections for 647 requests of a 230-bottle
        //   closure over TLS). The limit is twice the slot count: a connection per slot to each
        //   of two hosts (ghcr.io and the CDN its blobs redirect to; formula JSON and bottles);
        // - where a server offers h2 (ALPN), every transfer to that host is a stream on one
        //   connection (`CURLPIPE_MULTIPLEX`; per handle: `CURLOPT_HTTP_VERSION`, `CURLOPT_PIPEWAIT`
        //   in `configure`);
        // - one connection may carry every slot of both lanes (`--jobs`, the small-transfer slots,
        //   the metadata lane; 56 at `--jobs 8`); libcurl's own default is 100 streams, fewer than
        //   that from `--jobs 25` up. The server's SETTINGS_MAX_CONCURRENT_STREAMS (nginx: 128)
        //   still caps it: libcurl then opens another connection rather than queueing (lib/url.c,
        //   ConnectionExists).
        // - no `CURLMOPT_MAX_HOST_CONNECTIONS`: the lanes already bound transfers in flight, and a
        //   host limit makes libcurl park transfers in its own pending queue, unseen by admission
        //   priorities, serialising HTTP/1.1 mirrors below `--jobs`.
        let jobs = self.maxConcurrentTransfers
        let laneWidths = jobs + (jobs > 1 ? jobs * TransferEngine.smallSlotsPerJob : 0) + max(TransferEngine.metadataLaneWidth, jobs)
        _ = pour_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, laneWidths * 2)
        _ = pour_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        _ = pour_multi_setopt_long(multi, CURLMOPT_MAX_CONCURRENT_STREAMS, laneWidths)
        stopped.enter()
        let thread = Thread { [self] in runLoop() }
        thread.name = "pour.transfer.io"
        thread.qualityOfService = .userInitiated
        thread.start()
    }

    deinit { pour_curl_multi_cleanup(multi) }

    /// Starts a transfer once a slot is free. Callbacks run on `queue` (which must be serial), in
    /// order: `onResponse` once per response whose body follows, `onData` for each chunk, then
    /// `completion` exactly once.
    @discardableResult
    /// - Parameter expectedBytes: the body length the caller expects, when known; a small one may
    ///   use a small-transfer slot (`AdmissionLane`). `TransferHandle.setExpectedBytes` sets it later.
    package func start(_ request: TransferRequest, lane: TransferLane = .bulk, priority: Int64 = 0,
                      expectedBytes: Int64? = nil, queue: DispatchQueue,
                      onResponse: @escaping @Sendable (TransferResponse) -> Void,
                      onData: @escaping @Sendable (Data) -> Void,
                      onWaiting: (@Sendable (_ host: String, _ seconds: Int) -> Void)? = nil,
                      completion: @escaping @Sendable (Result<TransferSummary, TransferError>) -> Void) -> TransferHandle {
        let admission = lane == .bulk ? bulk : metadata
        let transfer = ActiveTransfer(request: request, lane: admission, priority: priority, queue: queue,
                                      onResponse: onResponse, onData: onData, completion: completion)
        transfer.shared.withLock { $0.expectedBytes = expectedBytes }
        transfer.onWaiting = onWaiting
        let handle = TransferHandle(engine: self, transfer: transfer)
        admission.admit(transfer) { [self] admitted in
            if let reason = admitted.shared.withLock({ $0.cancelReason }) {
                admitted.lane.release(admitted)
                admitted.deliverCompletion(.failure(reason))
                return
            }
            send(.add(admitted))
        }
        return handle
    }

    /// Cancels every transfer and stops the I/O thread once they are gone. Blocks until then;
    /// must not be called on the I/O thread or on a sink queue of a live transfer.
    package func shutdown() {
        send(.shutdown)
        stopped.wait()
    }

    func cancel(_ transfer: ActiveTransfer, reason: TransferError) {
        // Recorded first so that whichever of admission, `.add` or `.cancel` sees it next ends the
        // transfer; the command covers the case where it is already running.
        let first = transfer.shared.withLock { state -> Bool in
            guard state.cancelReason == nil else { return false }
            state.cancelReason = reason
            return true
        }
        if first { send(.cancel(transfer, reason)) }
    }

    func resume(_ transfer: ActiveTransfer) { send(.resume(transfer)) }

    private func send(_ command: Command) {
        let accepted = inbox.withLock { box -> Bool in
            guard !box.closed else { return false }
            box.commands.append(command)
            return true
        }
        if accepted {
            pour_curl_multi_wakeup(multi)
        } else if case .add(let transfer) = command {
            // The engine has shut down: give the slot back and report the transfer as cancelled.
            transfer.lane.release(transfer)
            transfer.deliverCompletion(.failure(.cancelled))
        }
    }

    // MARK: - I/O thread

    private func runLoop() {
        ioThreadID = pthread_self()
        var running: Int32 = 0
        while true {
            let commands = inbox.withLock { box -> [Command] in
                let taken = box.commands
                box.commands.removeAll()
                return taken
            }
            for command in commands { apply(command) }
            if stopping && active.isEmpty {
                let drained = inbox.withLock { box -> Bool in
                    if box.commands.isEmpty { box.closed = true }
                    return box.closed
                }
                if drained { break }
                continue
            }
            roundBytes = 0
            pour_curl_multi_perform(multi, &running)
            let delay = WakeCoalescing.delayMicroseconds(roundBytes: roundBytes,
                                                         shortestResponseMicroseconds: shortestResponseMicroseconds)
            let now = DispatchTime.now().uptimeNanoseconds
            var nextDue: UInt64?
            for transfer in active.values where !transfer.gathered.isEmpty {
                let due = transfer.gatheredSince + TransferEngine.handOverDelayNanoseconds
                if transfer.gathered.count >= TransferEngine.handOverBytes || due <= now {
                    handOver(transfer)
                } else {
                    nextDue = min(nextDue ?? due, due)
                }
            }
            drainFinished()
            enforceDeadlines()
            // Wake up in time to hand over bytes that are waiting, even if nothing else arrives,
            // and at least 4 times a second while transfers run (deadlines).
            let handOverDue = nextDue.map { Int32(clamping: ($0 - min($0, now)) / 1_000_000 + 1) } ?? 1000
            let timeout = active.isEmpty ? handOverDue : min(handOverDue, 250)
            pour_curl_multi_poll(multi, nil, 0, timeout, nil)
            // Let a slow link's packets pile up in the socket buffers for a moment before the next
            // round, so one wake-up reads many segments instead of one (`WakeCoalescing`); never
            // with commands waiting (a new transfer or a cancel is applied at once).
            if delay > 0 && inbox.withLock({ $0.commands.isEmpty }) { usleep(delay) }
        }
        stopped.leave()
    }

    /// Debug builds check that I/O-thread-only state is touched on the I/O thread (the thread is
    /// not a dispatch queue, so `dispatchPrecondition` cannot say it).
    private func assertOnIOThread() {
        assert(ioThreadID.map { pthread_equal($0, pthread_self()) != 0 } ?? false,
               "TransferEngine state touched off the I/O thread")
    }

    private func apply(_ command: Command) {
        assertOnIOThread()
        switch command {
        case .add(let transfer):
            if stopping {
                finish(transfer, easy: nil, outcome: .failure(.cancelled))
                return
            }
            if let reason = transfer.shared.withLock({ $0.cancelReason }) {
                finish(transfer, easy: nil, outcome: .failure(reason))
                return
            }
            let parsed: ParsedURL
            switch URLPolicy.check(transfer.request.url, allowInsecureHTTP: allowInsecureHTTP,
                                   allowFile: transfer.request.allowFile) {
            case .failure(let refusal):
                finish(transfer, easy: nil, outcome: .failure(refusal))
                return
            case .success(let value):
                parsed = value
            }
            transfer.parsedURL = parsed
            guard let easy = configure(transfer, url: parsed) else {
                finish(transfer, easy: nil, outcome: .failure(.invalidURL(transfer.request.url)))
                return
            }
            active[easy] = transfer
            pour_curl_multi_add_handle(multi, easy)
        case .cancel(let transfer, let reason):
            guard let easy = transfer.easy, active[easy] != nil else { return }
            finish(transfer, easy: easy, outcome: .failure(reason))
        case .resume(let transfer):
            guard let easy = transfer.easy, active[easy] != nil else { return }
            _ = pour_easy_unpause(easy)
        case .shutdown:
            stopping = true
            for (easy, transfer) in active { finish(transfer, easy: easy, outcome: .failure(.cancelled)) }
        }
    }

    private func configure(_ transfer: ActiveTransfer, url: ParsedURL) -> UnsafeMutableRawPointer? {
        assertOnIOThread()
        guard let easy = pour_curl_easy_init() else { return nil }
        transfer.easy = easy
        transfer.startTime = DispatchTime.now()
        transfer.lastActivity = transfer.startTime.uptimeNanoseconds
        let request = transfer.request
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        // The URL curl fetches is the one the policy judged (curl's own re-serialisation).
        _ = pour_easy_setopt_string(easy, CURLOPT_URL, url.normalized)
        _ = pour_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = pour_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 1)
        _ = pour_easy_setopt_long(easy, CURLOPT_MAXREDIRS, 10)
        // Protocols per handle: the first request's scheme only where the policy allowed it;
        // redirects never to file, to http only where allowed; each hop's host is checked again
        // in the header callback (`checkRedirect`).
        _ = pour_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR,
                                    URLPolicy.protocols(for: url, allowInsecureHTTP: allowInsecureHTTP))
        _ = pour_easy_setopt_string(easy, CURLOPT_REDIR_PROTOCOLS_STR,
                                    URLPolicy.redirectProtocols(for: url, allowInsecureHTTP: allowInsecureHTTP))
        _ = pour_easy_setopt_string(easy, CURLOPT_USERAGENT, userAgent)
        // Metadata and small bottles get a small receive buffer: many of them are in flight.
        let small = transfer.lane === metadata || transfer.shared.withLock { $0.heldSlot } == .small
        transfer.gatherCapacity = small ? TransferEngine.metadataCurlBufferSize : TransferEngine.coalesceBytes
        _ = pour_easy_setopt_long(easy, CURLOPT_BUFFERSIZE, small ? TransferEngine.metadataCurlBufferSize
                                                                  : TransferEngine.curlBufferSize)
        _ = pour_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
        // h2 over TLS when the server offers it in ALPN, HTTP/1.1 otherwise and for http://
        // (libcurl ≥ 7.62's default, said explicitly: a handle wanting less than h2 may not join
        // an h2 connection, lib/url.c ConnectionExists).
        _ = pour_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        // https: a transfer to a host whose first connection is still in its TLS handshake waits
        // for ALPN's answer and then becomes a stream on it (h2), or opens its own connection
        // (HTTP/1.1), instead of racing to open one connection per transfer — a burst of bottles
        // to a fresh host is otherwise up to `--jobs` handshakes and as many TCP slow starts.
        // Not for http://: there is no h2 without TLS here, and libcurl learns "no multiplexing"
        // only from the first *response* and then does not wake the waiting transfers until a
        // transfer ends (7.88: lib/http.c sets the bundle's multiuse without
        // Curl_multiuse_state), which would serialise a burst to a plain-HTTP mirror.
        _ = pour_easy_setopt_long(easy, CURLOPT_PIPEWAIT, url.scheme == "https" ? 1 : 0)
        _ = pour_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(request.timeouts.connect * 1000))
        // Time to first byte and the throughput floor are enforced by `enforceDeadlines`.
        // Allocated only now: a transfer waiting for a slot has no handle to report into, and
        // a closure's transfers all wait at once (Docs/Performance.md, "Fourth pass: RSS").
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        transfer.errorBuffer = errorBuffer
        _ = pour_easy_setopt_ptr(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        if request.acceptCompressed { _ = pour_easy_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, "") }
        if let caBundle { _ = pour_easy_setopt_string(easy, CURLOPT_CAINFO, caBundle) }
        if let last = request.rangeEnd {
            _ = pour_easy_setopt_string(easy, CURLOPT_RANGE, "\(request.resumeOffset)-\(last)")
        } else if request.resumeOffset > 0 {
            _ = pour_easy_setopt_string(easy, CURLOPT_RANGE, "\(request.resumeOffset)-")
        }
        var list: UnsafeMutablePointer<curl_slist>?
        for header in request.headers { list = pour_curl_slist_append(list, header) }
        transfer.headerList = list
        if let list { _ = pour_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list) }
        _ = pour_easy_setopt_write(easy, CURLOPT_WRITEFUNCTION, { buffer, size, count, context in
            guard let buffer, let context else { return 0 }
            let transfer = Unmanaged<ActiveTransfer>.fromOpaque(context).takeUnretainedValue()
            return transfer.engine?.receiveBody(transfer, buffer, size * count) ?? 0
        })
        _ = pour_easy_setopt_ptr(easy, CURLOPT_WRITEDATA, context)
        _ = pour_easy_setopt_write(easy, CURLOPT_HEADERFUNCTION, { buffer, size, count, context in
            guard let buffer, let context else { return 0 }
            let transfer = Unmanaged<ActiveTransfer>.fromOpaque(context).takeUnretainedValue()
            return transfer.receiveHeaderLine(buffer, size * count) ? size * count : 0
        })
        _ = pour_easy_setopt_ptr(easy, CURLOPT_HEADERDATA, context)
        transfer.engine = self
        return easy
    }

    /// The write callback (I/O thread): hand bytes to the sink queue or pause for backpressure.
    fileprivate func receiveBody(_ transfer: ActiveTransfer, _ buffer: UnsafeMutablePointer<CChar>, _ count: Int) -> Int {
        guard let easy = transfer.easy else { return 0 }
        if transfer.abortReason != nil { return 0 }
        transfer.lastActivity = DispatchTime.now().uptimeNanoseconds
        roundBytes += count
        if !transfer.responseSeen {
            transfer.responseSeen = true
            noteResponseTime(easy)
            var code = 0
            _ = pour_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code)
            transfer.status = code
            if code >= 400 {
                transfer.discardingErrorBody = true
            } else {
                var length: curl_off_t = -1
                _ = pour_easy_getinfo_off(easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length)
                // A compressed body's decoded length is unknown (Content-Length counts the wire bytes).
                if length >= 0 && !transfer.request.acceptCompressed { transfer.declaredLength = Int64(length) }
                var version = 0
                _ = pour_easy_getinfo_long(easy, CURLINFO_HTTP_VERSION, &version)
                let response = TransferResponse(status: code, isPartialContent: code == 206,
                                                contentLength: length >= 0 ? Int64(length) : nil,
                                                effectiveURL: transfer.effectiveURL(),
                                                contentRangeStart: transfer.contentRangeStart,
                                                acceptsByteRanges: transfer.acceptsByteRanges,
                                                multiplexed: version >= Int(CURL_HTTP_VERSION_2_0))
                transfer.queue.async { transfer.onResponse(response) }
            }
        }
        if transfer.discardingErrorBody {
            // Error pages are read (so the connection can be reused) but never reach the sink.
            transfer.bodyBytes += Int64(count)
            return transfer.bodyBytes > 1 << 20 ? 0 : count
        }
        let mustPause = transfer.shared.withLock { state -> Bool in
            if state.pendingBytes >= TransferEngine.highWaterBytes {
                state.paused = true
                return true
            }
            state.pendingBytes += count
            return false
        }
        if mustPause { return pour_writefunc_pause() }
        transfer.bodyBytes += Int64(count)
        if let limit = transfer.request.maxBodyBytes, transfer.bodyBytes > limit {
            transfer.abortReason = .tooLarge(url: transfer.request.url, limit: limit)
            return 0
        }
        if transfer.gathered.isEmpty {
            transfer.gatheredSince = DispatchTime.now().uptimeNanoseconds
            // Reserved per block, not per hand-over: an idle or finished transfer holds no buffer,
            // and a metadata body (a few KB) never reserves a bottle-sized one (Docs/Performance.md, RSS);
            // nor more than the rest of a body of declared length: a 30 KB bottle in a 128 KiB
            // block wasted three quarters of it while the block waited on a busy sink queue
            // (Docs/Performance.md, "Issue 16, third pass: RSS").
            var capacity = transfer.gatherCapacity
            if let declared = transfer.declaredLength {
                let rest = declared - (transfer.bodyBytes - Int64(count))
                capacity = Int(max(Int64(count), min(Int64(capacity), rest)))
            }
            transfer.gathered.reserveCapacity(capacity)
        }
        transfer.gathered.append(UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: count)
        if transfer.gathered.count >= TransferEngine.coalesceBytes { handOver(transfer) }
        return count
    }

    /// Records how long this transfer's request waited for its first byte (the link's round trip
    /// plus the server's answer time; summed over the hops of a redirect, so the shortest over
    /// all transfers is the estimate) for `WakeCoalescing` (I/O thread).
    private func noteResponseTime(_ easy: UnsafeMutableRawPointer) {
        var requestSent: curl_off_t = 0
        var firstByte: curl_off_t = 0
        guard pour_easy_getinfo_off(easy, CURLINFO_PRETRANSFER_TIME_T, &requestSent) == CURLE_OK,
              pour_easy_getinfo_off(easy, CURLINFO_STARTTRANSFER_TIME_T, &firstByte) == CURLE_OK,
              firstByte > requestSent else { return }
        let wait = Int64(firstByte - requestSent)
        if wait < shortestResponseMicroseconds ?? .max {
            shortestResponseMicroseconds = wait
            rangeSplitter.noteResponseTime(microseconds: wait)
        }
    }

    /// Sends the bytes gathered so far to the sink queue (I/O thread). Called when a block is
    /// full, after every `curl_multi_perform` round, and before a transfer's completion.
    private func handOver(_ transfer: ActiveTransfer) {
        assertOnIOThread()
        guard !transfer.gathered.isEmpty else { return }
        let chunk = transfer.gathered
        transfer.gathered = Data()
        let count = chunk.count
        transfer.queue.async { [weak self] in
            transfer.onData(chunk)
            let resume = transfer.shared.withLock { state -> Bool in
                state.pendingBytes -= count
                if state.paused && state.pendingBytes <= TransferEngine.lowWaterBytes {
                    state.paused = false
                    return true
                }
                return false
            }
            if resume { self?.resume(transfer) }
        }
    }

    /// Time to first byte, the throughput floor and "waiting for HOST" reports (I/O thread).
    ///
    /// The floor is measured over a sliding window of samples taken on every loop round; a
    /// transfer paused for backpressure (our own disk being slower) restarts its window, so only
    /// the server's slowness counts.
    private func enforceDeadlines() {
        guard !active.isEmpty else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        var expired: [(UnsafeMutableRawPointer, ActiveTransfer, TransferError)] = []
        for (easy, transfer) in active {
            let timeouts = transfer.request.timeouts
            // Read from curl (a copy of its C string) only for a report: this loop runs every
            // round for every transfer, and the URL was copied there each time (Docs/Performance.md,
            // "Foundation string search").
            if !transfer.headerSeen {
                if transfer.requestSent == nil {
                    // The clock starts once libcurl has sent the request (its cumulative
                    // pretransfer time grows past the mark of this request). Before that the
                    // transfer is connecting (CURLOPT_CONNECTTIMEOUT_MS bounds it) or waiting to
                    // become a stream on a connection still in its handshake (PIPEWAIT), which
                    // is not the server failing to answer.
                    var pretransfer: curl_off_t = 0
                    _ = pour_easy_getinfo_off(easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer)
                    if pretransfer > transfer.pretransferMark { transfer.requestSent = now }
                }
                if let sent = transfer.requestSent, Double(now - sent) / 1e9 >= timeouts.firstByte {
                    expired.append((easy, transfer, .noResponse(url: transfer.effectiveURL(), seconds: timeouts.firstByte)))
                    continue
                }
            }
            let idle = Int((now - transfer.lastActivity) / 1_000_000_000)
            if idle >= 2 && idle != transfer.lastWaitReport {
                transfer.lastWaitReport = idle
                let host = transfer.parsedURL?.host ?? transfer.effectiveURL()
                if let onWaiting = transfer.onWaiting {
                    transfer.queue.async { onWaiting(host, idle) }
                } else {
                    defaultOnWaiting?(host, idle)
                }
            } else if idle < 2 {
                transfer.lastWaitReport = 0
            }
            guard timeouts.stallBytesPerSecond > 0, transfer.headerSeen else { continue }
            if transfer.shared.withLock({ $0.paused }) {
                transfer.samples.removeAll()
                continue
            }
            transfer.samples.append((now, transfer.bodyBytes))
            let window = UInt64(timeouts.stallSeconds) * 1_000_000_000
            // Keep the newest sample at least one window old as the base of the measurement.
            while transfer.samples.count >= 2 && now - transfer.samples[1].time >= window { transfer.samples.removeFirst() }
            guard let base = transfer.samples.first, now - base.time >= window else { continue }
            let seconds = Double(now - base.time) / 1e9
            let rate = Double(transfer.bodyBytes - base.bytes) / seconds
            if rate < Double(timeouts.stallBytesPerSecond) {
                expired.append((easy, transfer, .tooSlow(url: transfer.effectiveURL(), bytesPerSecond: Int(rate), floor: timeouts.stallBytesPerSecond,
                                                         window: timeouts.stallSeconds)))
            }
        }
        for (easy, transfer, reason) in expired { finish(transfer, easy: easy, outcome: .failure(reason)) }
    }

    private func drainFinished() {
        assertOnIOThread()
        var remaining: Int32 = 0
        while let message = pour_curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                  let transfer = active[easy] else { continue }
            let code = pour_curlmsg_result(message)
            finish(transfer, easy: easy, outcome: outcome(of: transfer, easy: easy, code: code))
        }
    }

    private func outcome(of transfer: ActiveTransfer, easy: UnsafeMutableRawPointer, code: CURLcode) -> Result<TransferSummary, TransferError> {
        if let reason = transfer.abortReason { return .failure(reason) }
        var status = 0
        _ = pour_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        let url = transfer.effectiveURL()
        if code == CURLE_FILE_COULDNT_READ_FILE {
            // A missing file under a file:// root means what a 404 means over HTTP.
            return .failure(.httpStatus(code: 404, url: url, retryAfter: nil))
        }
        if code != CURLE_OK {
            let detail = transfer.errorBuffer.map { String(cString: $0) } ?? ""
            let message = detail.isEmpty ? String(cString: pour_curl_easy_strerror(code)) : detail
            return .failure(.network(code: Int(code.rawValue), message: message, url: url))
        }
        if status >= 400 {
            return .failure(.httpStatus(code: status, url: url, retryAfter: transfer.retryAfter))
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - transfer.startTime.uptimeNanoseconds) / 1e9
        return .success(TransferSummary(status: status, bodyBytes: transfer.bodyBytes, effectiveURL: url, seconds: seconds,
                                        etag: transfer.etag, lastModified: transfer.lastModified))
    }

    /// The single exit of an admitted transfer: releases curl resources, gives the slot back and
    /// queues the completion behind every chunk already handed to the sink.
    private func finish(_ transfer: ActiveTransfer, easy: UnsafeMutableRawPointer?, outcome: Result<TransferSummary, TransferError>) {
        if let easy {
            active[easy] = nil
            pour_curl_multi_remove_handle(multi, easy)
            pour_curl_easy_cleanup(easy)
        }
        // Bytes already received reach the sink even on failure: a resumed download keeps them.
        handOver(transfer)
        transfer.easy = nil
        transfer.releaseCurlResources()
        // The slot is given back on the sink queue, after the blocks already handed over: a
        // finished transfer's bytes still waiting there count against the lane until written.
        // Releasing it here let a burst of small bottles outrun busy sink queues (1,000 small
        // bottles: ~10 MB of finished bodies queued; Docs/Performance.md, "Issue 16, third pass: RSS").
        let lane = transfer.lane
        transfer.queue.async { lane.release(transfer) }
        transfer.deliverCompletion(outcome)
    }
}

/// A caller's grip on one transfer: cancel it from any thread.
package struct TransferHandle: Sendable {
    fileprivate weak var engine: TransferEngine?
    fileprivate let transfer: ActiveTransfer

    /// Cancels the transfer; its completion reports `reason` (default `.cancelled`). Idempotent.
    package func cancel(reason: TransferError = .cancelled) {
        engine?.cancel(transfer, reason: reason)
    }

    /// Changes the admission priority while the transfer still waits for a slot (higher first).
    package func setPriority(_ priority: Int64) {
        transfer.shared.withLock { $0.priority = priority }
        transfer.lane.priorityChanged(transfer)
    }

    /// Records the body length the caller now expects (a manifest arrived); while the transfer
    /// still waits for a slot, a small one may take a small-transfer slot (`AdmissionLane`).
    package func setExpectedBytes(_ bytes: Int64) {
        transfer.shared.withLock { $0.expectedBytes = bytes }
        transfer.lane.expectedBytesLearnt(transfer)
    }
}

/// One transfer's state.
///
/// Confinement: `easy`, `headerList`, `errorBuffer`, `responseSeen`, `status`, `retryAfter`,
/// `bodyBytes`, `declaredLength`, `abortReason`, `discardingErrorBody`, `startTime` and `engine` belong to the I/O
/// thread; `shared` is a `Locked` box read by the admission queue, the I/O thread and the sink
/// queue; the callbacks run on `queue`. Hence `@unchecked Sendable`.
final class ActiveTransfer: @unchecked Sendable {
    struct Shared {
        /// Set once by `cancel`; checked at admission and when the I/O thread adds the handle.
        var cancelReason: TransferError?
        /// Admission order among waiting transfers (higher first).
        var priority: Int64 = 0
        /// The body length the caller expects, when known (small-transfer slots).
        var expectedBytes: Int64?
        /// The admission slot this transfer holds once admitted (given back by `lane.release`).
        var heldSlot: AdmissionLane.Slot?
        var pendingBytes = 0
        var paused = false
        var completed = false
    }

    let request: TransferRequest
    let lane: AdmissionLane
    let queue: DispatchQueue
    let onResponse: @Sendable (TransferResponse) -> Void
    let onData: @Sendable (Data) -> Void
    private let completion: @Sendable (Result<TransferSummary, TransferError>) -> Void
    let shared = Locked(Shared())

    weak var engine: TransferEngine?
    var easy: UnsafeMutableRawPointer?
    var headerList: UnsafeMutablePointer<curl_slist>?
    /// libcurl's error text, from `configure` until the handle is cleaned up (I/O thread).
    var errorBuffer: UnsafeMutablePointer<CChar>?
    var responseSeen = false
    var discardingErrorBody = false
    var status = 0
    var retryAfter: Double? { get { running?.retryAfter } set { runningState().retryAfter = newValue } }
    /// Validators of the latest response (I/O thread), reported in the summary.
    var etag: String? { get { running?.etag } set { runningState().etag = newValue } }
    var lastModified: String? { get { running?.lastModified } set { runningState().lastModified = newValue } }
    var bodyBytes: Int64 = 0
    /// Body bytes received but not yet handed to the sink queue (see `coalesceBytes`), and when
    /// the oldest of them arrived (uptime ns; see `handOverDelayNanoseconds`).
    var gathered = Data()
    /// What a block of `gathered` reserves: `coalesceBytes`, or a metadata buffer's size for
    /// metadata and small transfers (I/O thread, set when the handle is configured).
    var gatherCapacity = TransferEngine.coalesceBytes
    /// The latest response's `Content-Length` when its body is not compressed (I/O thread).
    var declaredLength: Int64? { get { running?.declaredLength } set { runningState().declaredLength = newValue } }
    var gatheredSince: UInt64 = 0
    var abortReason: TransferError? { get { running?.abortReason } set { runningState().abortReason = newValue } }
    var startTime = DispatchTime.now()
    /// The URL of the first request as the policy parsed it (I/O thread).
    var parsedURL: ParsedURL? { get { running?.parsedURL } set { runningState().parsedURL = newValue } }
    /// Deadlines (I/O thread): whether any response header arrived, when the last byte (header
    /// or body) arrived, the throughput samples and the last "waiting" second reported.
    var headerSeen = false
    /// When the current request (the first, or the latest redirect hop) was seen sent (uptime
    /// ns; nil until then), and libcurl's cumulative `CURLINFO_PRETRANSFER_TIME_T` when it began:
    /// the value grows once the request is on the wire (libcurl adds each hop's time).
    var requestSent: UInt64? { get { running?.requestSent } set { runningState().requestSent = newValue } }
    var pretransferMark: curl_off_t = 0
    var lastActivity: UInt64 = 0
    /// The latest response's `Location` header, for the per-hop redirect check.
    var location: String? { get { running?.location } set { runningState().location = newValue } }
    var samples: [(time: UInt64, bytes: Int64)] = []
    var lastWaitReport = 0
    var onWaiting: (@Sendable (String, Int) -> Void)?
    /// The start of the latest response's `Content-Range` (I/O thread).
    var contentRangeStart: Int64? { get { running?.contentRangeStart } set { runningState().contentRangeStart = newValue } }
    /// The latest response said `Accept-Ranges: bytes` (I/O thread).
    var acceptsByteRanges: Bool { get { running?.acceptsByteRanges ?? false } set { runningState().acceptsByteRanges = newValue } }

    /// The fields above that only a running transfer sets (I/O thread), kept apart and made on
    /// the first write: an install creates every transfer of its plan at once and most of them
    /// wait for a slot, ~200 B each otherwise (Docs/Performance.md, "Fourth pass: RSS"). Reads
    /// of a transfer that never ran see nil, as before.
    private final class Running {
        var retryAfter: Double?
        var etag: String?
        var lastModified: String?
        var declaredLength: Int64?
        var abortReason: TransferError?
        var parsedURL: ParsedURL?
        var requestSent: UInt64?
        var location: String?
        var contentRangeStart: Int64?
        var acceptsByteRanges = false
    }

    private var running: Running?

    private func runningState() -> Running {
        if let running { return running }
        let made = Running()
        running = made
        return made
    }

    init(request: TransferRequest, lane: AdmissionLane, priority: Int64, queue: DispatchQueue,
         onResponse: @escaping @Sendable (TransferResponse) -> Void,
         onData: @escaping @Sendable (Data) -> Void,
         completion: @escaping @Sendable (Result<TransferSummary, TransferError>) -> Void) {
        self.request = request
        self.lane = lane
        self.queue = queue
        self.onResponse = onResponse
        self.onData = onData
        self.completion = completion
        shared.withLock { $0.priority = priority }
    }

    deinit { errorBuffer?.deallocate() }

    /// After `curl_easy_cleanup`: nothing of libcurl's refers to the list or the buffer any more.
    func releaseCurlResources() {
        if let headerList { pour_curl_slist_free_all(headerList) }
        headerList = nil
        errorBuffer?.deallocate()
        errorBuffer = nil
    }

    /// Delivers the completion exactly once, after every chunk already queued.
    func deliverCompletion(_ outcome: Result<TransferSummary, TransferError>) {
        let first = shared.withLock { state -> Bool in
            defer { state.completed = true }
            return !state.completed
        }
        guard first else { return }
        queue.async { self.completion(outcome) }
    }

    func effectiveURL() -> String {
        guard let easy else { return request.url }
        var pointer: UnsafeMutablePointer<CChar>?
        _ = pour_easy_getinfo_string(easy, CURLINFO_EFFECTIVE_URL, &pointer)
        return pointer.map { String(cString: $0) } ?? request.url
    }

    /// Header callback (I/O thread): remembers `Retry-After`, validators and `Content-Range` of
    /// the latest response, and checks every redirect hop against `URLPolicy` before curl
    /// follows it. Returns false to abort the transfer (`abortReason` says why).
    func receiveHeaderLine(_ buffer: UnsafeMutablePointer<CChar>, _ count: Int) -> Bool {
        headerSeen = true
        lastActivity = DispatchTime.now().uptimeNanoseconds
        let raw = UnsafeRawBufferPointer(start: buffer, count: count)
        // An ASCII line (every header line of every server seen) is read on its bytes: the
        // `String` reading below trimmed every name and value with Foundation, 1.5 % of an
        // install of 1,000 tiny bottles (Docs/Performance.md, "Fourth pass"). On ASCII text both
        // readings are the same (`HeaderNameTests`); other lines keep the `String` reading.
        if raw.allSatisfy({ $0 < 0x80 }) {
            if raw.starts(with: "HTTP/".utf8) { return receiveHeaderLine(String(decoding: raw, as: UTF8.self)) }
            if raw.elementsEqual("\r\n".utf8) || raw.elementsEqual("\n".utf8) { return checkRedirectHop() }
            guard let colon = raw.firstIndex(of: UInt8(ascii: ":")) else { return true }
            guard let name = HeaderName.remembered(UnsafeRawBufferPointer(rebasing: raw[..<colon])) else { return true }
            remember(name, value: HeaderName.trimmedValue(UnsafeRawBufferPointer(rebasing: raw[(colon + 1)...])))
            return true
        }
        return receiveHeaderLine(String(decoding: raw, as: UTF8.self))
    }

    private func remember(_ name: String, value: String) {
        switch name {
        case "retry-after": retryAfter = RetryAfter.seconds(from: value)
        case "etag": etag = value
        case "last-modified": lastModified = value
        case "content-range": contentRangeStart = ActiveTransfer.rangeStart(value)
        case "location": location = value
        case "accept-ranges": acceptsByteRanges = value.lowercased() == "bytes"
        default: break
        }
    }

    private func receiveHeaderLine(_ line: String) -> Bool {
        if line.hasPrefix("HTTP/") {
            retryAfter = nil
            etag = nil
            lastModified = nil
            contentRangeStart = nil
            location = nil
            acceptsByteRanges = false
            return true
        }
        if line == "\r\n" || line == "\n" {
            return checkRedirectHop()
        }
        guard let colon = line.firstIndex(of: ":") else { return true }
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        remember(name, value: value)
        return true
    }

    /// `bytes 100-199/200` → 100.
    static func rangeStart(_ value: String) -> Int64? {
        guard value.lowercased().hasPrefix("bytes ") else { return nil }
        let spec = value.dropFirst("bytes ".count)
        guard let dash = spec.firstIndex(of: "-") else { return nil }
        return Int64(spec[..<dash].trimmingCharacters(in: .whitespaces))
    }

    /// At the end of a 3xx header block, before curl resolves or connects to the next hop: may
    /// it follow the `Location` (resolved against the current URL with curl's URL API)? A hop
    /// that is followed starts a new time-to-first-byte measure.
    private func checkRedirectHop() -> Bool {
        guard let easy, let engine else { return true }
        var code = 0
        _ = pour_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code)
        guard (300...399).contains(code), code != 304, let location else { return true }
        let currentText = effectiveURL()
        guard let current = URLPolicy.parse(currentText) ?? parsedURL else { return true }
        let target = URLPolicy.resolve(location, against: currentText) ?? location
        if let refusal = URLPolicy.checkRedirect(from: current, to: target, allowInsecureHTTP: engine.allowInsecureHTTP) {
            abortReason = refusal
            return false
        }
        headerSeen = false
        requestSent = nil
        _ = pour_easy_getinfo_off(easy, CURLINFO_PRETRANSFER_TIME_T, &pretransferMark)
        samples.removeAll()
        return true
    }
}
