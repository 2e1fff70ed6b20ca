import Foundation

/// `code` (by default the calling thread's current `errno`) as text, for error messages. Call it
/// right after the failing system call when relying on the default.
package func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }
