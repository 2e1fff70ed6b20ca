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
    /// Accept the request and never answer (no status line, no headers), keeping the connection.
    case noResponse
    /// Redirect to this URL (any scheme or host), once per use.
    case redirect(to: String)
    /// Answer a `Range` request with 200 and the whole body, as servers that ignore Range do
    /// (Python's `http.server`, many mirrors). Fires only on requests that carry a Range.
    case ignoreRange
    /// Answer a `Range` request with 206 and a `Content-Range` that starts at byte 0 (with the
    /// body from byte 0), not where the client asked. Fires only on requests with a Range.
    case wrongContentRange
    /// Answer a `Range` request with 200 and a whole body of different bytes (the resource
    /// changed under the client). Fires only on requests with a Range.
    case differentBody
    /// Answer a `Range` request with 206 for at most this many bytes from the asked start, with a
    /// `Content-Range` saying so (servers and CDNs that cap the size of a range). Fires only on
    /// requests with a Range.
    case shortRange(maxBytes: Int)
    /// Answer a closed `Range` (`bytes=m-e`) with 206 from `m` to the end of the body, with a
    /// `Content-Range` saying so (more than asked for). Fires only on requests with a Range.
    case rangeToEnd
    /// Send `afterBytes` body bytes, pause `seconds`, send up to half of what is left after
    /// `afterBytes` (where a client splits a part that stalled at `afterBytes`: position plus half
    /// the remaining bytes), pause `restSeconds`, then send the rest.
    case pauseTwice(afterBytes: Int, seconds: Double, restSeconds: Double)

    /// When the fault is applied: before any response, at the Range decision, or on the body.
    var phase: FaultPhase {
        switch self {
        case .status, .redirectLoop, .redirectToAuthHost, .noResponse, .redirect: return .beforeBody
        case .ignoreRange, .wrongContentRange, .differentBody, .shortRange, .rangeToEnd: return .range
        case .resetAfter, .stall, .truncate, .wrongBytes, .trickle, .pauseTwice: return .body
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
        case .noResponse: return "noResponse"
        case .redirect(let url): return "redirect(\(url))"
        case .ignoreRange: return "ignoreRange"
        case .wrongContentRange: return "wrongContentRange"
        case .differentBody: return "differentBody"
        case .shortRange(let bytes): return "shortRange(\(bytes))"
        case .rangeToEnd: return "rangeToEnd"
        case .pauseTwice(let bytes, let seconds, let rest): return "pauseTwice(\(bytes), \(seconds)s, \(rest)s)"
        }
    }
}

/// The moment in a response at which a fault acts.
enum FaultPhase: Sendable {
    case beforeBody, range, body
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
