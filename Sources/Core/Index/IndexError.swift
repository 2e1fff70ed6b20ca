extension FormulaIndex {
    /// Everything that can go wrong while fetching, verifying, building or reading the formula index.
    /// Each description names the thing and what the user can do about it.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    public enum IndexError: Error, Equatable, Sendable, CustomStringConvertible {
        /// The signed catalogue failed verification (tampered, wrong algorithm, no signature…).
        case signature(url: String, reason: String)
        /// Only an unsigned `formula.json` is available and it is not local or loopback.
        case unsignedRefused(url: String)
        /// The configured public key cannot be read or is not an RSA key.
        case publicKey(path: String, reason: String)
        /// Neither `formula.jws.json` nor `formula.json` exists at the API domain.
        case catalogueUnavailable(apiDomain: String)
        /// The catalogue could not be downloaded.
        case transfer(TransferError)
        /// The catalogue is not the expected JSON.
        case malformedCatalogue(source: String, detail: String)
        /// The downloaded catalogue could not be written beside the index (disk full, permissions).
        case spool(directory: String, message: String)
        /// SQLite refused an operation on the index file.
        case database(path: String, message: String)
        /// The index was written by another pour version (schema mismatch) or is not an index.
        case incompatible(path: String)
        /// No index exists yet and refreshing it was not allowed or failed.
        case missing(path: String)
        /// The transfer engine could not be started.
        case engineUnavailable
        /// A name resolves to no formula in the index.
        case unknownFormula(name: String, suggestions: [String])

        public var description: String {
            switch self {
            case .signature(let url, let reason):
                return "the formula catalogue \(url) failed signature verification (\(reason)); possible tampering — retry `pour update`, or pass --insecure-unsigned only if you trust this mirror"
            case .unsignedRefused(let url):
                return "refusing the unsigned catalogue \(url) from a remote host; serve formula.jws.json or opt out with --insecure-unsigned / POUR_ALLOW_UNSIGNED_API=1"
            case .publicKey(let path, let reason):
                return "the API public key \(path) is unusable (\(reason)); point POUR_API_PUBLIC_KEY at an RSA public key in PEM form"
            case .catalogueUnavailable(let apiDomain):
                return "\(apiDomain) serves neither formula.jws.json nor formula.json; check HOMEBREW_API_DOMAIN"
            case .transfer(let error):
                if error.isPolicyRefusal { return "could not download the formula catalogue: \(error)" }
                return "could not download the formula catalogue: \(error); check the network and retry `pour update`"
            case .malformedCatalogue(let source, let detail):
                return "the formula catalogue \(source) is malformed (\(detail)); retry `pour update` or check the mirror"
            case .spool(let directory, let message):
                return "could not store the downloaded formula catalogue in \(directory) (\(message)); free some space there or fix its permissions, then retry `pour update`"
            case .database(let path, let message):
                return "the formula index \(path) could not be used (\(message)); remove it and run `pour update`"
            case .incompatible(let path):
                return "the formula index \(path) was written by a different pour version; run `pour update` to rebuild it"
            case .missing(let path):
                return "no formula index at \(path); run `pour update` first"
            case .engineUnavailable:
                return "could not start the transfer engine (libcurl failed to initialise); reinstall libcurl"
            case .unknownFormula(let name, let suggestions):
                let hint = suggestions.isEmpty ? "" : " (did you mean \(suggestions.joined(separator: ", "))?)"
                return "no formula named \(name)\(hint); try `pour search \(name)`"
            }
        }
    }
}

package typealias IndexError = FormulaIndex.IndexError
