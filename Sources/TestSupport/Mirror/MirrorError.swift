import Foundation

/// What can go wrong when filling a mirror registry or running CNCF Distribution for tests.
package enum MirrorError: Error, CustomStringConvertible, Equatable {
    /// The generated registry directory lacks a file the push needs, or a file is malformed.
    case invalidRegistry(path: String, message: String)
    /// The request could not be sent or its answer not read (connection refused, reset…).
    case transport(method: String, url: String, message: String)
    /// The registry answered with an unexpected status.
    case http(method: String, url: String, status: Int, body: String)
    /// The `docker-registry` binary is missing or did not come up.
    case distribution(String)

    package var description: String {
        switch self {
        case .invalidRegistry(let path, let message):
            return "\(path): \(message); regenerate it with `pour-registry generate`"
        case .transport(let method, let url, let message):
            return "\(method) \(url): \(message); is the registry running?"
        case .http(let method, let url, let status, let body):
            let excerpt = body.prefix(300).replacingOccurrences(of: "\n", with: " ")
            return "\(method) \(url): HTTP \(status) \(excerpt)"
        case .distribution(let message):
            return "CNCF Distribution: \(message)"
        }
    }
}
