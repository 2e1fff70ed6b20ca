import CCurl

/// A URL as libcurl's URL API (`curl_url`) parsed it: what the transfer engine hands to curl and
/// what every policy decision looks at, so a check and the fetch can never disagree about which
/// host or scheme a string names (a string-prefix check did: `http:/host` slipped past it).
///
/// Thread-safety: an immutable value; safe to share across queues.
struct ParsedURL: Sendable, Equatable {
    /// Lower-case scheme (`https`, `http`, `file`).
    var scheme: String
    /// Lower-case host; empty for `file:///…`.
    var host: String
    /// The URL-decoded path (for `file://`, the file to read).
    var path: String
    /// The URL as curl re-serialised it (normalised), which is what is fetched.
    var normalized: String
}

/// Which URLs pour fetches, decided on the parsed URL (never on the text).
///
/// - Only `https`, `http` and `file` exist for pour; the scheme must be followed literally by
///   `://` (curl's parser is lenient and accepts `http:/host`, which a reader of a config or of
///   an error message would not recognise as a URL to that host).
/// - Plain `http` goes only to loopback unless the user opted in (`InsecureURLPolicy`).
/// - `file` is read only when the URL comes from a mirror the user configured
///   (`HOMEBREW_BOTTLE_DOMAIN`, `HOMEBREW_ARTIFACT_DOMAIN`, `HOMEBREW_API_DOMAIN`): a formula's
///   JSON is not signed, so a registry-supplied `file:///etc/passwd` must never be read.
/// - Redirects are checked hop by hop with the same rules and never to `file`.
///
/// Stateless; safe from any thread (each call owns its `CURLU` handle).
enum URLPolicy {
    static func parse(_ text: String) -> ParsedURL? {
        // Control characters and spaces are never part of a URL pour should fetch.
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else { return nil }
        guard let handle = pour_curl_url() else { return nil }
        defer { pour_curl_url_cleanup(handle) }
        guard pour_curl_url_set(handle, CURLUPART_URL, text, 0) == CURLUE_OK else { return nil }
        func part(_ what: CURLUPart, _ flags: UInt32 = 0) -> String? {
            var pointer: UnsafeMutablePointer<CChar>?
            guard pour_curl_url_get(handle, what, &pointer, flags) == CURLUE_OK, let pointer else { return nil }
            defer { pour_curl_free(pointer) }
            return String(cString: pointer)
        }
        guard let scheme = part(CURLUPART_SCHEME)?.lowercased(), let normalized = part(CURLUPART_URL) else { return nil }
        // `scheme://` literally: refuses `http:/host`, `http:host`, `https:\\host`.
        guard text.lowercased().hasPrefix(scheme + "://") else { return nil }
        let host = (part(CURLUPART_HOST) ?? "").lowercased()
        let path = part(CURLUPART_PATH, UInt32(1 << 6) /* CURLU_URLDECODE */) ?? "/"
        return ParsedURL(scheme: scheme, host: host, path: path, normalized: normalized)
    }

    /// Resolves a (possibly relative) `Location` against the URL it was received from, the way
    /// curl will when it follows it.
    static func resolve(_ reference: String, against base: String) -> String? {
        guard let handle = pour_curl_url() else { return nil }
        defer { pour_curl_url_cleanup(handle) }
        guard pour_curl_url_set(handle, CURLUPART_URL, base, 0) == CURLUE_OK,
              pour_curl_url_set(handle, CURLUPART_URL, reference, 0) == CURLUE_OK else { return nil }
        var pointer: UnsafeMutablePointer<CChar>?
        guard pour_curl_url_get(handle, CURLUPART_URL, &pointer, 0) == CURLUE_OK, let pointer else { return nil }
        defer { pour_curl_free(pointer) }
        // An absolute reference is judged as written (so `http:/host` stays refused).
        if ByteSearch.contains(reference, ":") && !reference.hasPrefix("/") { return reference }
        return String(cString: pointer)
    }

    /// Decides whether `url` may be fetched as the first request of a transfer.
    static func check(_ url: String, allowInsecureHTTP: Bool, allowFile: Bool) -> Result<ParsedURL, TransferError> {
        guard let parsed = parse(url) else {
            return .failure(.refusedURL(url: url, reason: "it is not a well-formed https:// URL"))
        }
        switch parsed.scheme {
        case "https":
            guard !parsed.host.isEmpty else { return .failure(.refusedURL(url: url, reason: "it names no host")) }
            return .success(parsed)
        case "http":
            guard !parsed.host.isEmpty else { return .failure(.refusedURL(url: url, reason: "it names no host")) }
            if !allowInsecureHTTP && !InsecureURLPolicy.isLoopback(parsed.host) { return .failure(.insecureURL(url)) }
            return .success(parsed)
        case "file":
            guard allowFile else {
                return .failure(.refusedURL(url: url, reason: "file:// URLs are read only from a mirror you configure (HOMEBREW_BOTTLE_DOMAIN, HOMEBREW_ARTIFACT_DOMAIN, HOMEBREW_API_DOMAIN), never from registry metadata"))
            }
            guard parsed.host.isEmpty || parsed.host == "localhost" else {
                return .failure(.refusedURL(url: url, reason: "file:// URLs must name a local path (file:///…)"))
            }
            return .success(parsed)
        default:
            return .failure(.refusedURL(url: url, reason: "pour fetches only https:// (and http:// or file:// where allowed)"))
        }
    }

    /// Decides whether a redirect from `from` to `target` may be followed (checked for every hop).
    static func checkRedirect(from: ParsedURL, to target: String, allowInsecureHTTP: Bool) -> TransferError? {
        switch check(target, allowInsecureHTTP: allowInsecureHTTP, allowFile: false) {
        case .failure(let error):
            return error
        case .success(let next):
            // A secure transfer is never downgraded, even to loopback, unless the user opted in.
            if from.scheme == "https" && next.scheme == "http" && !allowInsecureHTTP {
                return .refusedURL(url: target, reason: "redirect from https to plain http (pass --insecure to allow it)")
            }
            return nil
        }
    }

    /// The protocols curl may use for this transfer's first request (`CURLOPT_PROTOCOLS_STR`).
    static func protocols(for parsed: ParsedURL, allowInsecureHTTP: Bool) -> String {
        switch parsed.scheme {
        case "file": return "file"
        case "http": return "http,https"
        default: return allowInsecureHTTP ? "https,http" : "https"
        }
    }

    /// The protocols a redirect may switch to (`CURLOPT_REDIR_PROTOCOLS_STR`); never `file`.
    static func redirectProtocols(for parsed: ParsedURL, allowInsecureHTTP: Bool) -> String {
        allowInsecureHTTP || parsed.scheme == "http" ? "https,http" : "https"
    }
}
