/// What one HTTP(S) or file:// transfer asks for.
///
/// Immutable value; safe to share across queues.
package struct TransferRequest: Sendable {
    package var url: String
    /// Extra request headers, e.g. `Authorization: Bearer QQ==`. libcurl strips `Authorization`
    /// when a redirect leaves the original host (scheme + host + port); pour never re-enables it.
    package var headers: [String]
    /// Resume offset: when non-zero a `Range: bytes=<offset>-` is sent and the sink is told
    /// whether the server honoured it (206) or restarted (200).
    package var resumeOffset: Int64
    /// The last byte wanted (inclusive), with `resumeOffset` as the first: `Range:
    /// bytes=<resumeOffset>-<rangeEnd>` (one part of a split download, `RangeSplitter`). Nil: to
    /// the end of the body.
    package var rangeEnd: Int64?
    /// Abort the transfer when the body grows beyond this many bytes.
    package var maxBodyBytes: Int64?
    package var timeouts: TransferTimeouts
    /// Offer gzip/zstd/brotli content encoding and let libcurl decode it (JSON, not bottles: a
    /// bottle is already compressed and its bytes must hash exactly as published).
    package var acceptCompressed: Bool
    /// Whether a `file://` URL may be read (a mirror the user configured; see `URLPolicy`).
    package var allowFile: Bool

    package init(url: String, headers: [String] = [], resumeOffset: Int64 = 0, rangeEnd: Int64? = nil,
                maxBodyBytes: Int64? = nil, timeouts: TransferTimeouts = TransferTimeouts(),
                acceptCompressed: Bool = false, allowFile: Bool = false) {
        self.acceptCompressed = acceptCompressed
        self.allowFile = allowFile
        self.url = url
        self.headers = headers
        self.resumeOffset = resumeOffset
        self.rangeEnd = rangeEnd
        self.maxBodyBytes = maxBodyBytes
        self.timeouts = timeouts
    }
}

/// The deadlines every transfer runs under, enforced by the engine's I/O thread.
///
/// Defaults a user on a slow link accepts: 15 s to connect (TCP + TLS), 30 s for the first byte
/// of the response, and at least 1 KiB/s averaged over any 30 s window of the body (a trickle
/// below that would take hours for a typical bottle; curl's own low-speed check is per-second
/// and let a 200 B/s trickle run forever). Settings: `POUR_CONNECT_TIMEOUT`,
/// `POUR_FIRST_BYTE_TIMEOUT`, `POUR_MIN_SPEED` (B/s), `POUR_MIN_SPEED_WINDOW` (s).
///
/// Thread-safety: an immutable value; safe to share across queues.
package struct TransferTimeouts: Sendable, Equatable {
    /// Seconds allowed to establish a connection (TCP + TLS).
    package var connect: Double
    /// The sliding window (seconds) over which the throughput floor is measured.
    package var stallSeconds: Int
    /// The throughput floor (bytes/s) over `stallSeconds`; 0 disables it.
    package var stallBytesPerSecond: Int
    /// Seconds from the request being sent to the first byte of its response. The clock starts
    /// once the request is on the wire: connecting, or waiting to become an HTTP/2 stream on a
    /// connection still in its handshake, is bounded by `connect` instead
    /// (H2MultiplexingTests.testStreamsWaitingForASlowHandshakeAreNotTimedOutForNoFirstByte).
    package var firstByte: Double

    package init(connect: Double = 15, stallSeconds: Int = 30, stallBytesPerSecond: Int = 1024, firstByte: Double = 30) {
        self.connect = connect
        self.stallSeconds = max(1, stallSeconds)
        self.stallBytesPerSecond = max(0, stallBytesPerSecond)
        self.firstByte = firstByte
    }

    /// Applies `POUR_CONNECT_TIMEOUT`, `POUR_FIRST_BYTE_TIMEOUT`, `POUR_MIN_SPEED` and
    /// `POUR_MIN_SPEED_WINDOW` from an environment over `self`.
    package func applying(environment: [String: String]) -> TransferTimeouts {
        var result = self
        if let value = environment["POUR_CONNECT_TIMEOUT"].flatMap(Double.init), value > 0 { result.connect = value }
        if let value = environment["POUR_FIRST_BYTE_TIMEOUT"].flatMap(Double.init), value > 0 { result.firstByte = value }
        if let value = environment["POUR_MIN_SPEED"].flatMap(Int.init), value >= 0 { result.stallBytesPerSecond = value }
        if let value = environment["POUR_MIN_SPEED_WINDOW"].flatMap(Int.init), value > 0 { result.stallSeconds = value }
        return result
    }
}

/// The head of the response whose body is about to be delivered (after redirects).
///
/// Thread-safety: an immutable value; safe to share across queues.
package struct TransferResponse: Sendable {
    /// HTTP status; 0 for file:// transfers.
    package var status: Int
    /// `true` when the server answered a resume request with 206 and the body continues the file.
    package var isPartialContent: Bool
    /// Content-Length of this response, when known.
    package var contentLength: Int64?
    package var effectiveURL: String
    /// The first byte position of a 206's `Content-Range` (nil when absent or unparsable).
    package var contentRangeStart: Int64? = nil
    /// The server said `Accept-Ranges: bytes`: a byte range of this resource may be asked for.
    package var acceptsByteRanges = false
    /// The response came over HTTP/2 or later: a second request to the host would be another
    /// stream on the same connection (same congestion window), not a connection of its own.
    package var multiplexed = false
}

/// What a finished transfer reports.
///
/// Thread-safety: an immutable value; safe to share across queues.
package struct TransferSummary: Sendable {
    package var status: Int
    package var bodyBytes: Int64
    package var effectiveURL: String
    package var seconds: Double
    /// Validators of the final response (`ETag`, `Last-Modified`), for conditional re-requests.
    package var etag: String? = nil
    package var lastModified: String? = nil
}
