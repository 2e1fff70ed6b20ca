/// What one HTTP(S) or file:// transfer asks for.
///
/// Immutable value; safe to share across queues.
public struct TransferRequest: Sendable {
    public var url: String
    /// Extra request headers, e.g. `Authorization: Bearer QQ==`. libcurl strips `Authorization`
    /// when a redirect leaves the original host (scheme + host + port); pour never re-enables it.
    public var headers: [String]
    /// Resume offset: when non-zero a `Range: bytes=<offset>-` is sent and the sink is told
    /// whether the server honoured it (206) or restarted (200).
    public var resumeOffset: Int64
    /// Abort the transfer when the body grows beyond this many bytes.
    public var maxBodyBytes: Int64?
    public var timeouts: TransferTimeouts
    /// Offer gzip/zstd/brotli content encoding and let libcurl decode it (JSON, not bottles: a
    /// bottle is already compressed and its bytes must hash exactly as published).
    public var acceptCompressed: Bool

    public init(url: String, headers: [String] = [], resumeOffset: Int64 = 0,
                maxBodyBytes: Int64? = nil, timeouts: TransferTimeouts = TransferTimeouts(),
                acceptCompressed: Bool = false) {
        self.acceptCompressed = acceptCompressed
        self.url = url
        self.headers = headers
        self.resumeOffset = resumeOffset
        self.maxBodyBytes = maxBodyBytes
        self.timeouts = timeouts
    }
}

/// Connect and stall limits applied to every transfer.
///
/// Thread-safety: an immutable value; safe to share across queues.
public struct TransferTimeouts: Sendable, Equatable {
    /// Seconds allowed to establish a connection (TCP + TLS).
    public var connect: Double
    /// A transfer slower than `stallBytesPerSecond` for `stallSeconds` is aborted as stalled.
    public var stallSeconds: Int
    public var stallBytesPerSecond: Int

    public init(connect: Double = 15, stallSeconds: Int = 30, stallBytesPerSecond: Int = 100) {
        self.connect = connect
        self.stallSeconds = stallSeconds
        self.stallBytesPerSecond = stallBytesPerSecond
    }
}

/// The head of the response whose body is about to be delivered (after redirects).
///
/// Thread-safety: an immutable value; safe to share across queues.
public struct TransferResponse: Sendable {
    /// HTTP status; 0 for file:// transfers.
    public var status: Int
    /// `true` when the server answered a resume request with 206 and the body continues the file.
    public var isPartialContent: Bool
    /// Content-Length of this response, when known.
    public var contentLength: Int64?
    public var effectiveURL: String
}

/// What a finished transfer reports.
///
/// Thread-safety: an immutable value; safe to share across queues.
public struct TransferSummary: Sendable {
    public var status: Int
    public var bodyBytes: Int64
    public var effectiveURL: String
    public var seconds: Double
    /// Validators of the final response (`ETag`, `Last-Modified`), for conditional re-requests.
    public var etag: String? = nil
    public var lastModified: String? = nil
}
