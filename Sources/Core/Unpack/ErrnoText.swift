import Foundation

/// The current `errno` as text, for error messages. Reads the calling thread's `errno`, so call it
/// right after the failing system call.
func errnoText() -> String { String(cString: strerror(errno)) }
