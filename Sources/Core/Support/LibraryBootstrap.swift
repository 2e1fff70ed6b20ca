import CCrypto
import CCurl
import Foundation

/// One-time process set-up for the C libraries pour links.
///
/// `curl_global_init` is not thread-safe on every build and must run once before any handle is
/// made; OpenSSL must be told not to register its atexit handler (it races handle clean-up at
/// exit); and because every curl handle sets `CURLOPT_NOSIGNAL`, SIGPIPE must be ignored by us.
/// `ensure()` is idempotent and thread-safe (a `static let` is initialised exactly once).
package enum LibraryBootstrap {
    private static let once: Bool = {
        _ = pour_openssl_init_no_atexit()
        signal(SIGPIPE, SIG_IGN)
        return curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK
    }()

    /// Initialises libcurl and OpenSSL once per process. Returns false if libcurl refused.
    @discardableResult
    package static func ensure() -> Bool { once }
}
