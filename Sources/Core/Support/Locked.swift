import Foundation

/// A value guarded by a lock: the one way PourCore shares small mutable state between queues.
///
/// Confinement: every access to `value` goes through `withLock`, which holds an `NSLock`, so the
/// box may be used from any thread; that is why the `@unchecked Sendable` below is sound. Keep the
/// closures short and never call out to user code or block while holding the lock.
package final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    package init(_ value: Value) { self.value = value }

    @discardableResult
    package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    /// A snapshot of the current value.
    package var current: Value { withLock { $0 } }
}
