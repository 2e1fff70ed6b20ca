import Foundation

/// What an install run releases when it ends, in order, once every stage it started has joined
/// `group` (extractions, staging removals, activation batches): remove the run's staging
/// directory, shut the transfer engine down, release the prefix lock.
///
/// Immutable value. `perform` never blocks its caller: it waits with `group.notify` and does the
/// blocking steps (directory removal, joining the I/O thread) on a global utility queue.
struct RunTeardown: Sendable {
    let group: DispatchGroup
    let stagingRoot: String
    let engine: TransferEngine?
    let lock: PrefixLock?

    func perform(then done: @escaping @Sendable () -> Void) {
        group.notify(queue: .global(qos: .utility)) {
            try? FileManager.default.removeItem(atPath: stagingRoot)
            engine?.shutdown()
            lock?.release()
            done()
        }
    }
}
