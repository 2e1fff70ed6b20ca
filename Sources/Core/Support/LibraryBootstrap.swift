import CCrypto
import CCurl
import Foundation

/// One-time process set-up for the C libraries pour uses.
///
/// `curl_global_init` is not thread-safe on every build and must run once before any handle is
/// made; OpenSSL must be told not to register its atexit handler (it races handle clean-up at
/// exit), before libcurl initialises it; and because every curl handle sets `CURLOPT_NOSIGNAL`,
/// SIGPIPE must be ignored by us. libcurl is not linked but loaded here, on first use
/// (Sources/CCurl/shim.h): commands that never transfer anything never load it.
/// `ensure()` and `ensureCrypto()` are idempotent and thread-safe (a `static let` is initialised
/// exactly once).
package enum LibraryBootstrap {
    private static let crypto: Bool = {
        _ = pour_openssl_init_no_atexit()
        return true
    }()

    private static let once: Bool = {
        _ = crypto
        signal(SIGPIPE, SIG_IGN)
        guard pour_curl_load() == 1 else { return false }
        return pour_curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK
    }()

    /// Loads and initialises libcurl (and OpenSSL) once per process. Returns false if libcurl
    /// cannot be loaded or refused to initialise.
    @discardableResult
    package static func ensure() -> Bool { once }

    /// Initialises OpenSSL only (hashing needs no libcurl).
    static func ensureCrypto() { _ = crypto }
}
