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
    /// Abort the transfer when the body grows beyond this many bytes.
    package var maxBodyBytes: Int64?
    package var timeouts: TransferTimeouts
    /// Offer gzip/zstd/brotli content encoding and let libcurl decode it (JSON, not bottles: a
    /// bottle is already compressed and its bytes must hash exactly as published).
    package var acceptCompressed: Bool

    package init(url: String, headers: [String] = [], resumeOffset: Int64 = 0,
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
package struct TransferTimeouts: Sendable, Equatable {
    /// Seconds allowed to establish a connection (TCP + TLS).
    package var connect: Double
    /// A transfer slower than `stallBytesPerSecond` for `stallSeconds` is aborted as stalled.
    package var stallSeconds: Int
    package var stallBytesPerSecond: Int

    package init(connect: Double = 15, stallSeconds: Int = 30, stallBytesPerSecond: Int = 100) {
        self.connect = connect
        self.stallSeconds = stallSeconds
        self.stallBytesPerSecond = stallBytesPerSecond
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
