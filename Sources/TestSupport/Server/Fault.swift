/// A misbehaviour the server can be scripted to show on one request.
///
/// Immutable value; safe to share across queues.
package enum Fault: Hashable, Sendable {
    /// Answer with this status (503, 429, 500, 404, 403…) and an optional `Retry-After` in seconds.
    case status(Int, retryAfter: Int? = nil)
    /// Close the connection abruptly (TCP reset) after this many body bytes.
    case resetAfter(bytes: Int)
    /// Send this many body bytes, then nothing for `seconds`, then close.
    case stall(afterBytes: Int, seconds: Double)
    /// Announce the full Content-Length but close cleanly after this many body bytes.
    case truncate(afterBytes: Int)
    /// Serve different bytes of the same length (the digest will not match).
    case wrongBytes
    /// Redirect the request to its own URL, forever.
    case redirectLoop
    /// Redirect a blob to a path on the blob host that demands the token (→ 401 for a client
    /// that correctly drops Authorization across hosts).
    case redirectToAuthHost
    /// Serve the body at this rate (bytes/s), on top of any other limit.
    case trickle(bytesPerSecond: Int)

    /// Whether the fault replaces the response before any body (vs. acting on a body stream).
    var actsBeforeBody: Bool {
        switch self {
        case .status, .redirectLoop, .redirectToAuthHost: return true
        case .resetAfter, .stall, .truncate, .wrongBytes, .trickle: return false
        }
    }

    /// A short label for the request log.
    package var label: String {
        switch self {
        case .status(let code, _): return "status(\(code))"
        case .resetAfter(let bytes): return "resetAfter(\(bytes))"
        case .stall(let bytes, let seconds): return "stall(\(bytes), \(seconds)s)"
        case .truncate(let bytes): return "truncate(\(bytes))"
        case .wrongBytes: return "wrongBytes"
        case .redirectLoop: return "redirectLoop"
        case .redirectToAuthHost: return "redirectToAuthHost"
        case .trickle(let rate): return "trickle(\(rate))"
        }
    }
}

/// Which requests a fault rule applies to.
package enum FaultMatch: Hashable, Sendable {
    /// Requests for this blob (by sha256), whatever path reaches it.
    case sha256(String)
    /// Requests whose path (without query) ends with this string.
    case pathSuffix(String)
    /// Every request.
    case any

    func matches(path: String, sha256 blob: String?) -> Bool {
        switch self {
        case .any: return true
        case .pathSuffix(let suffix): return path.hasSuffix(suffix)
        case .sha256(let sha):
            return blob?.lowercased() == sha.lowercased() || path.hasSuffix("sha256:\(sha.lowercased())")
        }
    }
}
