import CCurl
import Foundation

/// Everything that can go wrong while moving bytes, as a value a caller can act on.
///
/// `isRetryable` encodes pour's retry policy: transient network and server failures are retried
/// with backoff; client errors (4xx), TLS verification failures and checksum mismatches are not
/// (a mismatch gets exactly one fresh re-download, decided by the download, not here).
///
/// Thread-safety: an immutable value; safe to share across queues.
public enum TransferError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server answered with an HTTP error status. `retryAfter` is the parsed `Retry-After`.
    case httpStatus(code: Int, url: String, retryAfter: Double?)
    /// libcurl reported a transport failure (connect, reset, timeout, TLS…).
    case network(code: Int, message: String, url: String)
    /// The downloaded bytes do not hash to the published SHA-256.
    case checksumMismatch(package: String, expected: String, actual: String, url: String)
    /// A response body went past the size pour accepts for it.
    case tooLarge(url: String, limit: Int64)
    /// Writing the download to disk failed.
    case fileSystem(path: String, message: String)
    /// A URL pour refuses or cannot parse.
    case invalidURL(String)
    /// A plain `http://` URL to a non-loopback host, refused because the user did not opt in
    /// (`--insecure`, `POUR_ALLOW_INSECURE_HTTP=1`); see `InsecureURLPolicy`.
    case insecureURL(String)
    /// A URL pour refuses by policy (`URLPolicy`): a registry-supplied `file://`, a malformed or
    /// one-slash URL, a redirect hop to a scheme or host that is not allowed.
    case refusedURL(url: String, reason: String)
    /// The server accepted the connection but sent no response within `seconds`
    /// (`TransferTimeouts.firstByte`).
    case noResponse(url: String, seconds: Double)
    /// The body arrived slower than the floor over the sliding window (`TransferTimeouts`).
    case tooSlow(url: String, bytesPerSecond: Int, floor: Int, window: Int)
    /// The server asked to be retried later than pour waits (`RetryPolicy.maxRetryAfter`).
    case retryAfterTooLong(url: String, seconds: Double, cap: Double)
    /// The download's length differs from the size the bottle's manifest published.
    case sizeMismatch(package: String, expected: Int64, actual: Int64, url: String)
    /// A 206 whose `Content-Range` does not start where the partial file ends (internal: the
    /// download restarts from byte 0 without a Range).
    case badContentRange(url: String)
    /// The transfer was cancelled (Ctrl-C or an embedder's `cancel()`).
    case cancelled

    /// True for pour's own refusals (policy decisions), where "check the network" would
    /// send the user looking in the wrong place.
    package var isPolicyRefusal: Bool {
        switch self {
        case .insecureURL, .refusedURL, .invalidURL, .tooLarge, .retryAfterTooLong: return true
        case .network(let code, _, _): return code == Int(CURLE_UNSUPPORTED_PROTOCOL.rawValue)
        default: return false
        }
    }

    public var isRetryable: Bool {
        switch self {
        case .httpStatus(let code, _, _):
            return code == 408 || code == 425 || code == 429 || (500...599).contains(code)
        case .network(let code, _, _):
            return TransferError.retryableCurlCodes.contains(code)
        case .noResponse, .tooSlow, .badContentRange:
            return true
        case .checksumMismatch, .tooLarge, .fileSystem, .invalidURL, .insecureURL, .refusedURL, .retryAfterTooLong,
             .sizeMismatch, .cancelled:
            return false
        }
    }

    /// curl codes that describe a transient condition worth another attempt.
    static let retryableCurlCodes: Set<Int> = [
        Int(CURLE_COULDNT_RESOLVE_HOST.rawValue), Int(CURLE_COULDNT_CONNECT.rawValue),
        Int(CURLE_OPERATION_TIMEDOUT.rawValue), Int(CURLE_PARTIAL_FILE.rawValue),
        Int(CURLE_GOT_NOTHING.rawValue), Int(CURLE_SEND_ERROR.rawValue), Int(CURLE_RECV_ERROR.rawValue),
        Int(CURLE_HTTP2.rawValue), Int(CURLE_HTTP2_STREAM.rawValue), Int(CURLE_SSL_CONNECT_ERROR.rawValue),
        Int(CURLE_WEIRD_SERVER_REPLY.rawValue),
    ]

    /// curl codes for a peer certificate that could not be verified (or a CA file that is unusable).
    static let certificateCurlCodes: Set<Int> = [
        Int(CURLE_PEER_FAILED_VERIFICATION.rawValue), Int(CURLE_SSL_CACERT_BADFILE.rawValue),
    ]

    public var description: String {
        switch self {
        case .httpStatus(let code, let url, _):
            if code == 404 && url.lowercased().hasPrefix("file:") {
                return "\(url) does not exist: check the mirror directory (HOMEBREW_BOTTLE_DOMAIN / HOMEBREW_ARTIFACT_DOMAIN / HOMEBREW_API_DOMAIN)"
            }
            let hint = (400...499).contains(code) && code != 429
                ? "check the formula name, mirror settings (HOMEBREW_BOTTLE_DOMAIN / HOMEBREW_ARTIFACT_DOMAIN) and credentials"
                : "the server is failing; try again later"
            return "HTTP \(code) from \(url): \(hint)"
        case .network(let code, let message, let url):
            if TransferError.certificateCurlCodes.contains(code) {
                // Verification stays on; say how to trust a private CA instead of how to disable it.
                return "TLS certificate verification failed for \(url) (\(message)): if the server uses a private CA, pass --cacert FILE or set CURL_CA_BUNDLE"
            }
            if code == Int(CURLE_TOO_MANY_REDIRECTS.rawValue) {
                return "\(message) (\(url)): the server redirects in a loop; tell the mirror's operator or use another mirror"
            }
            if code == Int(CURLE_UNSUPPORTED_PROTOCOL.rawValue) {
                return "refusing \(url): \(message); pour follows https (and http only where allowed)"
            }
            return "\(message) (\(url)): check the network connection or proxy settings and try again"
        case .checksumMismatch(let package, let expected, let actual, let url):
            // The digest of what was read is shown only for network downloads: for a local file
            // it would disclose a digest of a file the user may not have named.
            let got = url.lowercased().hasPrefix("file:") ? "something else" : actual
            return "\(package): SHA-256 mismatch for \(url): expected \(expected), got \(got); the download was deleted — the mirror may be corrupt, try again or use another mirror"
        case .tooLarge(let url, let limit):
            return "\(url) sent more than \(limit) bytes; refusing it"
        case .fileSystem(let path, let message):
            // The next step follows from the cause, not from a guess.
            let hint: String
            if message.contains("No space") || message.contains("quota") {
                hint = "free some space in the cache (or point HOMEBREW_CACHE elsewhere) and retry"
            } else if message.contains("ermission") || message.contains("Read-only") || message.contains("read only") {
                hint = "fix the permissions of the cache directory (or point HOMEBREW_CACHE elsewhere)"
            } else if message.contains("symbolic link") {
                hint = "pour does not follow links planted in the cache"
            } else {
                hint = "check the cache directory (HOMEBREW_CACHE)"
            }
            return "cannot write \(path): \(message); \(hint)"
        case .invalidURL(let url):
            return "invalid URL \(url)"
        case .refusedURL(let url, let reason):
            return "refusing \(url): \(reason)"
        case .noResponse(let url, let seconds):
            return "\(url): the server accepted the connection but sent nothing for \(seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)) s; try again later or use another mirror (POUR_FIRST_BYTE_TIMEOUT sets the limit)"
        case .tooSlow(let url, let rate, let floor, let window):
            return "\(url): only \(rate) B/s over the last \(window) s, below the \(floor) B/s floor; try again later or use another mirror (POUR_MIN_SPEED / POUR_MIN_SPEED_WINDOW set the floor)"
        case .retryAfterTooLong(let url, let seconds, let cap):
            return "\(url): the server asked to retry after \(Int(seconds)) s, longer than pour waits (\(Int(cap)) s); try again later"
        case .sizeMismatch(let package, let expected, let actual, let url):
            return "\(package): \(url) sent \(actual) bytes but the bottle's manifest says \(expected); the download was deleted — the mirror may be corrupt, try again or use another mirror"
        case .badContentRange(let url):
            return "\(url) answered a resume with the wrong Content-Range; restarting the download"
        case .insecureURL(let url):
            return "refusing plain-HTTP URL \(url): use https, or pass --insecure (POUR_ALLOW_INSECURE_HTTP=1) to allow it"
        case .cancelled:
            return "cancelled"
        }
    }
}
