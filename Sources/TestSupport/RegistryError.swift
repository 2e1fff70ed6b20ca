import Foundation

/// Everything that can go wrong in the local registry: generating it, reading it back, serving it.
package enum RegistryError: Error, CustomStringConvertible, Equatable {
    /// libarchive refused an operation while writing a bottle.
    case archive(operation: String, message: String)
    /// A file or directory could not be created, read or linked.
    case io(path: String, message: String)
    /// `cc` is not installed or a compile failed; ELF bottles cannot be generated without it.
    case compiler(String)
    /// A recipe or spec list is inconsistent (duplicate names, unknown dependency…).
    case invalidSpec(String)
    /// A faults file or other JSON input could not be understood.
    case invalidJSON(path: String, message: String)
    /// The server could not bind or was used in the wrong state.
    case server(String)

    package var description: String {
        switch self {
        case .archive(let op, let message): return "libarchive \(op) failed: \(message)"
        case .io(let path, let message): return "\(path): \(message)"
        case .compiler(let message): return "C compiler: \(message)"
        case .invalidSpec(let message): return "invalid registry spec: \(message)"
        case .invalidJSON(let path, let message): return "\(path): invalid JSON: \(message)"
        case .server(let message): return "registry server: \(message)"
        }
    }
}
