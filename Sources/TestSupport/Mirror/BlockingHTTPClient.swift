import CCurl
import Foundation

/// A minimal blocking HTTP client for tools and tests (`pour-registry push`, readiness probes):
/// one curl easy handle per request, performed on the calling thread. pour's own transfers do
/// not use it; they run on `TransferEngine`'s multi handle.
///
/// Thread-safety: stateless value; every call owns its own easy handle, so calls from several
/// threads are independent.
struct BlockingHTTPClient: Sendable {
    struct Response {
        var status: Int
        /// Header fields of the last response (after redirects), names lower-cased.
        var headers: [String: String]
        var body: Data

        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Seconds allowed for the whole request.
    var timeout: Int = 120

    /// Collects one response. Touched only by the thread inside `curl_easy_perform`.
    private final class Sink {
        var body = Data()
        var headers: [String: String] = [:]
    }

    /// Sends one request. `body` is sent as-is (with `Content-Length`) for POST/PUT.
    func send(_ method: String, _ url: String, headers: [String] = [], body: Data? = nil,
              followRedirects: Bool = false) throws(MirrorError) -> Response {
        guard let easy = curl_easy_init() else {
            throw .transport(method: method, url: url, message: "curl_easy_init failed")
        }
        defer { curl_easy_cleanup(easy) }
        let sink = Sink()
        let context = Unmanaged.passUnretained(sink).toOpaque()
        _ = pour_easy_setopt_string(easy, CURLOPT_URL, url)
        _ = pour_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = pour_easy_setopt_long(easy, CURLOPT_TIMEOUT, timeout)
        _ = pour_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT, 10)
        _ = pour_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, followRedirects ? 1 : 0)
        _ = pour_easy_setopt_write(easy, CURLOPT_WRITEFUNCTION) { pointer, size, count, user in
            guard let pointer, let user else { return 0 }
            let sink = Unmanaged<Sink>.fromOpaque(user).takeUnretainedValue()
            sink.body.append(UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: size * count)
            return size * count
        }
        _ = pour_easy_setopt_ptr(easy, CURLOPT_WRITEDATA, context)
        _ = pour_easy_setopt_write(easy, CURLOPT_HEADERFUNCTION) { pointer, size, count, user in
            guard let pointer, let user else { return 0 }
            let sink = Unmanaged<Sink>.fromOpaque(user).takeUnretainedValue()
            let line = String(decoding: UnsafeRawBufferPointer(start: pointer, count: size * count), as: UTF8.self)
            if line.hasPrefix("HTTP/") {
                sink.headers = [:]  // a new response (redirect or 100-continue) starts
            } else if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
                sink.headers[name] = value
            }
            return size * count
        }
        _ = pour_easy_setopt_ptr(easy, CURLOPT_HEADERDATA, context)

        var list: UnsafeMutablePointer<curl_slist>?
        // No `Expect: 100-continue` round trip before a blob body.
        for header in headers + ["Expect:"] { list = curl_slist_append(list, header) }
        defer { curl_slist_free_all(list) }
        _ = pour_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list)

        switch method {
        case "GET": break
        case "HEAD": _ = pour_easy_setopt_long(easy, CURLOPT_NOBODY, 1)
        default:
            let payload = body ?? Data()
            _ = pour_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(payload.count))
            // COPYPOSTFIELDS copies the bytes now, so the buffer need not outlive this call.
            payload.withUnsafeBytes { raw in
                let bytes = raw.baseAddress ?? UnsafeRawPointer(("" as StaticString).utf8Start)
                _ = pour_easy_setopt_ptr(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes))
            }
            if method != "POST" { _ = pour_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method) }
        }

        let code = curl_easy_perform(easy)
        guard code == CURLE_OK else {
            throw .transport(method: method, url: url, message: String(cString: curl_easy_strerror(code)))
        }
        var status = 0
        _ = pour_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        return Response(status: status, headers: sink.headers, body: sink.body)
    }
}
