import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Serves one HTTP/1.1 connection of either listener: routes each request, applies latency,
/// scripted faults and rate limits, and streams file bodies from disk chunk by chunk.
///
/// Confinement: a channel handler lives on its channel's event loop; every callback below is
/// re-entered on that loop through `assumeIsolated()`, so its mutable state needs no lock.
/// Only one response is in progress at a time (NIO's pipelining handler queues the next request
/// until this one's `.end` is written).
final class RegistryConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// One request/response in progress. Confined like its handler.
    private final class Exchange {
        let head: HTTPRequestHead
        let start = Date()
        let isBlobTransfer: Bool
        var status = 0
        var bytesSent = 0
        var fault: String?
        var finished = false
        // Body streaming state (file routes only).
        var descriptor: Int32 = -1
        var offset = 0
        var remaining = 0
        var chunk = 64 * 1024
        /// Stop sending after this many body bytes (reset/stall/truncate faults).
        var cutoff: Int?
        var cutFault: Fault?
        var corrupt = false
        var limiters: [RateLimiter] = []
        var readInFlight = false
        /// Pause the body after this many bytes until the test releases it (`BodyHold`).
        var holdAt: Int?
        /// The blob `holdAt` was armed for (`BodyHold` releases holds by blob).
        var holdKey: String?
        /// Pauses of the `pauseTwice` fault: after `at` body bytes, for `seconds` (in order).
        var pauses: [(at: Int, seconds: Double)] = []

        init(head: HTTPRequestHead, isBlobTransfer: Bool) {
            self.head = head
            self.isBlobTransfer = isBlobTransfer
        }

        /// Closes the file unless a read on the pool still uses the descriptor; that read's
        /// completion closes it instead.
        func closeFileIfIdle() {
            if descriptor >= 0, !readInFlight {
                close(descriptor)
                descriptor = -1
            }
        }
    }

    private struct ReadFailed: Error {}

    private let listener: RegistryListener
    private let server: ServerContext
    private let router: RegistryRouter
    private let connectionLimiter: RateLimiter?
    private var pendingHead: HTTPRequestHead?
    private var exchange: Exchange?
    private var active = true

    init(listener: RegistryListener, server: ServerContext) {
        self.listener = listener
        self.server = server
        router = RegistryRouter(context: server)
        connectionLimiter = server.configuration.perConnectionRate.map { RateLimiter(bytesPerSecond: $0) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): pendingHead = head
        case .body: break
        case .end:
            guard let head = pendingHead else { return }
            pendingHead = nil
            handle(head, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        active = false
        if let exchange, !exchange.finished { finish(exchange, completed: false) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    // MARK: Requests

    private func handle(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let authorization = head.headers.first(name: "authorization")
        var route = router.route(listener: listener, method: head.method.rawValue, path: path,
                                 authorization: authorization)
        var blobSHA: String?
        if case .file(_, let sha, _, _) = route { blobSHA = sha }
        var appliedFault: Fault?
        if let fault = server.faults.take(listener: listener, path: path, sha256: blobSHA, beforeBody: true) {
            appliedFault = fault
            route = faultRoute(fault, path: path, uri: head.uri)
        }
        var isBlobTransfer = false
        if case .file(_, _, _, let blob) = route { isBlobTransfer = blob && listener == .blob }
        let exchange = Exchange(head: head, isBlobTransfer: isBlobTransfer)
        exchange.fault = appliedFault?.label
        self.exchange = exchange
        server.log.begin(listener: listener, isBlobTransfer: isBlobTransfer)
        if case .noResponse? = appliedFault {
            // Accepted and read, never answered: the client's time-to-first-byte deadline must end it.
            return
        }

        if isBlobTransfer {
            // Held (maybe) by the gate, then answered on this connection's event loop.
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context, exchange), eventLoop: loop)
            server.blobGate.arrive {
                loop.execute {
                    let (handler, context, exchange) = bound.value
                    handler.respondAfterLatency(route, exchange: exchange, path: path, context: context)
                }
            }
        } else {
            respondAfterLatency(route, exchange: exchange, path: path, context: context)
        }
    }

    private func respondAfterLatency(_ route: RegistryRouter.Route, exchange: Exchange, path: String,
                                     context: ChannelHandlerContext) {
        let latency = server.configuration.latency
        if latency > 0 {
            context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(latency * 1e9))) {
                self.respond(route, exchange: exchange, path: path, context: context)
            }
        } else {
            respond(route, exchange: exchange, path: path, context: context)
        }
    }

    private func faultRoute(_ fault: Fault, path: String, uri: String) -> RegistryRouter.Route {
        switch fault {
        case .status(let code, let retryAfter):
            var headers: [String: String] = [:]
            if let retryAfter { headers["Retry-After"] = String(retryAfter) }
            return .status(code, headers: headers, body: "scripted failure \(code)\n")
        case .redirectLoop:
            let base = listener == .registry ? server.registryBaseURL : server.blobBaseURL
            return .redirect(location: base + uri)
        case .redirect(let target):
            return .redirect(location: target)
        case .redirectToAuthHost:
            let reference = path.split(separator: "/").last.map(String.init) ?? ""
            return .redirect(location: "\(server.blobBaseURL)/protected/blobs/\(reference)")
        default:
            return .status(500, headers: [:], body: "unexpected fault\n")
        }
    }

    private func respond(_ route: RegistryRouter.Route, exchange: Exchange, path: String,
                         context: ChannelHandlerContext) {
        guard active, !exchange.finished else { return }
        switch route {
        case .status(let code, let extra, let body):
            var headers = HTTPHeaders()
            if extra["Content-Type"] == nil { headers.add(name: "Content-Type", value: "text/plain") }
            for (name, value) in extra { headers.add(name: name, value: value) }
            sendSmall(status: code, headers: headers, body: body, exchange: exchange, context: context)
        case .redirect(let location):
            var headers = HTTPHeaders()
            headers.add(name: "Location", value: location)
            sendSmall(status: 307, headers: headers, body: "", exchange: exchange, context: context)
        case .file(let filePath, let sha, let contentType, _):
            sendFile(filePath, sha256: sha, contentType: contentType, path: path, exchange: exchange, context: context)
        }
    }

    private func sendSmall(status: Int, headers: HTTPHeaders, body: String, exchange: Exchange,
                           context: ChannelHandlerContext) {
        var headers = headers
        let bytes = Array(body.utf8)
        headers.replaceOrAdd(name: "Content-Length", value: String(bytes.count))
        writeHead(status: status, headers: headers, exchange: exchange, context: context)
        if exchange.head.method != .HEAD, !bytes.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            exchange.bytesSent = bytes.count
        }
        endResponse(exchange, context: context)
    }

    private func sendFile(_ filePath: String, sha256: String?, contentType: String, path: String,
                          exchange: Exchange, context: ChannelHandlerContext) {
        let descriptor = open(filePath, O_RDONLY | O_CLOEXEC)
        var info = stat()
        guard descriptor >= 0, fstat(descriptor, &info) == 0 else {
            if descriptor >= 0 { close(descriptor) }
            sendSmall(status: 404, headers: HTTPHeaders(), body: "not found\n", exchange: exchange, context: context)
            return
        }
        let size = Int(info.st_size)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        // Catalogue files get a validator like a CDN's, so conditional requests can be tested.
        if path.hasPrefix("/api/formula"), path.hasSuffix(".json") {
            #if os(Linux)
                let modified = info.st_mtim
            #else
                let modified = info.st_mtimespec
            #endif
            let etag = "\"\(size)-\(modified.tv_sec)-\(modified.tv_nsec)\""
            headers.add(name: "ETag", value: etag)
            if exchange.head.headers.first(name: "if-none-match") == etag {
                close(descriptor)
                writeHead(status: 304, headers: headers, exchange: exchange, context: context)
                endResponse(exchange, context: context)
                return
            }
        }
        headers.add(name: "Accept-Ranges", value: "bytes")
        let status: Int
        var start = 0
        var length = size
        let rangeHeader = exchange.head.headers.first(name: "range")
        var rangeFault: Fault?
        if rangeHeader != nil {
            rangeFault = server.faults.take(listener: listener, path: path, sha256: sha256, phase: .range)
        }
        var range = ByteRange(header: rangeHeader, size: size)
        switch rangeFault {
        case .ignoreRange?, .differentBody?:
            range = .full
            if case .differentBody? = rangeFault { exchange.corrupt = true }
        case .wrongContentRange? where size > 0:
            range = .partial(start: 0, end: size - 1)
        case .shortRange(let cap)?:
            if case .partial(let first, let last) = range { range = .partial(start: first, end: min(last, first + max(1, cap) - 1)) }
        case .rangeToEnd?:
            if case .partial(let first, _) = range { range = .partial(start: first, end: size - 1) }
        default:
            break
        }
        if let rangeFault { exchange.fault = rangeFault.label }
        switch range {
        case .full:
            status = 200
        case .partial(let first, let last):
            status = 206
            start = first
            length = last - first + 1
            headers.add(name: "Content-Range", value: "bytes \(first)-\(last)/\(size)")
        case .unsatisfiable:
            close(descriptor)
            headers.add(name: "Content-Range", value: "bytes */\(size)")
            sendSmall(status: 416, headers: headers, body: "", exchange: exchange, context: context)
            return
        }
        headers.add(name: "Content-Length", value: String(length))
        exchange.descriptor = descriptor
        exchange.offset = start
        exchange.remaining = exchange.head.method == .HEAD ? 0 : length
        exchange.chunk = server.configuration.chunkSize
        if let limiter = connectionLimiter { exchange.limiters.append(limiter) }
        if let limiter = server.aggregateLimiter { exchange.limiters.append(limiter) }
        if exchange.remaining > 0,
           let fault = server.faults.take(listener: listener, path: path, sha256: sha256, beforeBody: false)
        {
            exchange.fault = fault.label
            switch fault {
            case .resetAfter(let bytes), .truncate(let bytes), .stall(let bytes, _):
                exchange.cutoff = max(0, bytes)
                exchange.cutFault = fault
            case .wrongBytes:
                exchange.corrupt = true
            case .pauseTwice(let bytes, let seconds, let rest):
                let first = max(0, min(bytes, exchange.remaining))
                exchange.pauses = [(first, seconds), (first + (exchange.remaining - first) / 2, rest)]
            case .trickle(let rate):
                exchange.limiters.append(RateLimiter(bytesPerSecond: rate))

            default:
                break
            }
        }
        if status == 200, let sha256 {
            exchange.holdAt = server.bodyHold.point(sha256: sha256, start: start)
            exchange.holdKey = sha256
        }
        // Small chunks under a rate limit keep the pacing smooth (~20 ms per chunk).
        for limiter in exchange.limiters { exchange.chunk = min(exchange.chunk, limiter.suggestedChunk) }
        writeHead(status: status, headers: headers, exchange: exchange, context: context)
        context.flush()
        pump(exchange, context: context)
    }

    private func writeHead(status: Int, headers: HTTPHeaders, exchange: Exchange, context: ChannelHandlerContext) {
        var headers = headers
        if !exchange.head.isKeepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        exchange.status = status
        let head = HTTPResponseHead(version: exchange.head.version, status: HTTPResponseStatus(statusCode: status),
                                    headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
    }

    // MARK: Body streaming

    /// Sends the next chunk: read it on the file pool, wait for the rate limiters, write it, and
    /// only after the write completes read the next one. Waiting for each write is what keeps a
    /// slow client from making us buffer the file in memory (backpressure).
    private func pump(_ exchange: Exchange, context: ChannelHandlerContext) {
        guard active, !exchange.finished else { return }
        if exchange.remaining == 0 {
            exchange.closeFileIfIdle()
            endResponse(exchange, context: context)
            return
        }
        if let cutoff = exchange.cutoff, exchange.bytesSent >= cutoff {
            cut(exchange, context: context)
            return
        }
        if let pause = exchange.pauses.first, exchange.bytesSent >= pause.at {
            exchange.pauses.removeFirst()
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, exchange, context), eventLoop: loop)
            loop.scheduleTask(in: .nanoseconds(Int64(max(0, pause.seconds) * 1e9))) {
                let (handler, exchange, context) = bound.value
                handler.pump(exchange, context: context)
            }
            return
        }
        if let holdAt = exchange.holdAt, exchange.bytesSent >= holdAt {
            exchange.holdAt = nil
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, exchange, context), eventLoop: loop)
            server.bodyHold.park(sha256: exchange.holdKey ?? "") {
                loop.execute {
                    let (handler, exchange, context) = bound.value
                    handler.pump(exchange, context: context)
                }
            }
            return
        }
        var wanted = min(exchange.chunk, exchange.remaining)
        if let cutoff = exchange.cutoff { wanted = min(wanted, cutoff - exchange.bytesSent) }
        if let holdAt = exchange.holdAt { wanted = min(wanted, holdAt - exchange.bytesSent) }
        if let pause = exchange.pauses.first { wanted = min(wanted, pause.at - exchange.bytesSent) }
        let count = wanted
        let descriptor = exchange.descriptor
        let offset = exchange.offset
        let corrupt = exchange.corrupt
        let allocator = context.channel.allocator
        exchange.readInFlight = true
        server.fileIO.runIfActive(eventLoop: context.eventLoop) { () throws -> ByteBuffer in
            var buffer = allocator.buffer(capacity: count)
            let read = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw -> Int in
                let got = pread(descriptor, raw.baseAddress, count, off_t(offset))
                guard got > 0 else { throw ReadFailed() }
                if corrupt {
                    // XOR with a non-zero constant changes every byte but keeps the length.
                    for index in 0..<got { raw[index] ^= 0xA5 }
                }
                return got
            }
            guard read > 0 else { throw ReadFailed() }
            return buffer
        }.assumeIsolated().whenComplete { result in
            exchange.readInFlight = false
            guard self.active, !exchange.finished else {
                exchange.closeFileIfIdle()
                return
            }
            switch result {
            case .failure:
                context.close(promise: nil)
            case .success(let buffer):
                let size = buffer.readableBytes
                var delay: UInt64 = 0
                for limiter in exchange.limiters { delay = max(delay, limiter.reserve(size)) }
                if delay > 0 {
                    context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(delay))) {
                        self.writeChunk(buffer, exchange: exchange, context: context)
                    }
                } else {
                    self.writeChunk(buffer, exchange: exchange, context: context)
                }
            }
        }
    }

    private func writeChunk(_ buffer: ByteBuffer, exchange: Exchange, context: ChannelHandlerContext) {
        guard active, !exchange.finished else { return }
        let size = buffer.readableBytes
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer)))).assumeIsolated().whenComplete { result in
            switch result {
            case .success:
                exchange.bytesSent += size
                exchange.offset += size
                exchange.remaining -= size
                self.pump(exchange, context: context)
            case .failure:
                context.close(promise: nil)
            }
        }
    }

    /// Applies a reset/truncate/stall fault once its byte budget is spent.
    private func cut(_ exchange: Exchange, context: ChannelHandlerContext) {
        exchange.closeFileIfIdle()
        switch exchange.cutFault {
        case .resetAfter:
            // SO_LINGER 0 makes close() send a TCP reset instead of a FIN.
            if let provider = context.channel as? SocketOptionProvider {
                provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            } else {
                context.close(promise: nil)
            }
        case .stall(_, let seconds):
            context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(max(0, seconds) * 1e9))) {
                context.close(promise: nil)
            }
        default:
            context.close(promise: nil)
        }
    }

    private func endResponse(_ exchange: Exchange, context: ChannelHandlerContext) {
        let keepAlive = exchange.head.isKeepAlive
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            self.finish(exchange, completed: true)
            if !keepAlive { context.close(promise: nil) }
        }
    }

    private func finish(_ exchange: Exchange, completed: Bool) {
        guard !exchange.finished else { return }
        exchange.finished = true
        exchange.closeFileIfIdle()
        if self.exchange === exchange { self.exchange = nil }
        var headers: [String: String] = [:]
        for (name, value) in exchange.head.headers {
            let key = name.lowercased()
            headers[key] = headers[key].map { "\($0), \(value)" } ?? value
        }
        let entry = RequestLogEntry(listener: listener, method: exchange.head.method.rawValue, uri: exchange.head.uri,
                                    headers: headers, status: exchange.status, bytesSent: exchange.bytesSent,
                                    completed: completed && exchange.remaining == 0 && exchange.cutoff == nil,
                                    fault: exchange.fault, start: exchange.start, end: Date())
        server.log.end(entry, isBlobTransfer: exchange.isBlobTransfer)
    }
}
