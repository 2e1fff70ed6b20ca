#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a path beneath a root could not be opened, created, linked or removed.
///
/// `code` is the real errno of the failing call, except for the two refusals the containment
/// layer makes itself: `ELOOP` (a symlink stands where pour needs a real directory or a new
/// file) and `EXDEV` (the path or link target leads outside the root).
///
/// Thread-safety: an immutable value; safe to share across queues.
package struct ContainmentError: Error, Equatable, Sendable, CustomStringConvertible {
    package let operation: String
    package let path: String
    package let code: Int32

    package init(_ operation: String, _ path: String, _ code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    /// True when the containment layer refused the path (a planted link, an escape), as opposed
    /// to an ordinary system failure (ENOSPC, EACCES…).
    package var isRefusal: Bool { code == ELOOP || code == EXDEV }

    package var description: String {
        switch code {
        case ELOOP:
            return "\(operation) \(path) refused: a symlink stands in its path; pour never writes, creates or "
                + "removes through a link it did not make (remove the link and retry)"
        case EXDEV:
            return "\(operation) \(path) refused: it leads outside the directory it must stay in"
        default:
            return "\(operation) \(path) failed: \(String(cString: strerror(code)))"
        }
    }
}
