import CCurl
import Foundation
import PourCore

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

    /// Collects one response and feeds a file body. Touched only by the thread inside
    /// `curl_easy_perform`.
    private final class Sink {
        var body = Data()
        var headers: [String: String] = [:]
        var uploadDescriptor: Int32 = -1
    }

    /// Sends one request. `body` is sent as-is (with `Content-Length`) for POST/PUT; `bodyFile`
    /// (PUT only) is streamed from disk instead, so a large bottle is never held in memory.
    func send(_ method: String, _ url: String, headers: [String] = [], body: Data? = nil, bodyFile: String? = nil,
              followRedirects: Bool = false) throws(MirrorError) -> Response {
        guard LibraryBootstrap.ensure(), let easy = pour_curl_easy_init() else {
            throw .transport(method: method, url: url, message: "libcurl could not be loaded or initialised")
        }
        defer { pour_curl_easy_cleanup(easy) }
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
        for header in headers + ["Expect:"] { list = pour_curl_slist_append(list, header) }
        defer { pour_curl_slist_free_all(list) }
        _ = pour_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list)

        if let bodyFile {
            var info = stat()
            let descriptor = open(bodyFile, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0, fstat(descriptor, &info) == 0 else {
                if descriptor >= 0 { close(descriptor) }
                throw .transport(method: method, url: url, message: "cannot read \(bodyFile): \(String(cString: strerror(errno)))")
            }
            sink.uploadDescriptor = descriptor
        }
        defer { if sink.uploadDescriptor >= 0 { close(sink.uploadDescriptor) } }

        switch method {
        case "GET": break
        case "HEAD": _ = pour_easy_setopt_long(easy, CURLOPT_NOBODY, 1)
        case "PUT" where bodyFile != nil:
            var info = stat()
            _ = fstat(sink.uploadDescriptor, &info)
            _ = pour_easy_setopt_long(easy, CURLOPT_UPLOAD, 1)
            _ = pour_easy_setopt_off(easy, CURLOPT_INFILESIZE_LARGE, curl_off_t(info.st_size))
            // The read callback has the write callback's C signature.
            _ = pour_easy_setopt_write(easy, CURLOPT_READFUNCTION) { pointer, size, count, user in
                guard let pointer, let user else { return Int(CURL_READFUNC_ABORT) }
                let sink = Unmanaged<Sink>.fromOpaque(user).takeUnretainedValue()
                while true {
                    let got = read(sink.uploadDescriptor, pointer, size * count)
                    if got < 0 && errno == EINTR { continue }
                    return got < 0 ? Int(CURL_READFUNC_ABORT) : got
                }
            }
            _ = pour_easy_setopt_ptr(easy, CURLOPT_READDATA, context)
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

        let code = pour_curl_easy_perform(easy)
        guard code == CURLE_OK else {
            throw .transport(method: method, url: url, message: String(cString: pour_curl_easy_strerror(code)))
        }
        var status = 0
        _ = pour_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        return Response(status: status, headers: sink.headers, body: sink.body)
    }
}
