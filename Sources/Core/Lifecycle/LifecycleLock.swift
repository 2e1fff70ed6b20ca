/// Takes the prefix lock for a command that changes the prefix, mapping "busy with --no-wait"
/// to `LifecycleError.prefixBusy`. Blocking (it may wait for another pour): call it off any I/O
/// thread.
package enum LifecycleLock {
    package static func acquire(layout: PrefixLayout, wait: Bool,
                               onContention: (String) -> Void = { _ in },
                               isCancelled: () -> Bool = { false }) throws(LifecycleError) -> PrefixLock {
        do {
            return try PrefixLock.acquire(layout: layout, wait: wait, onContention: onContention, isCancelled: isCancelled)
        } catch {
            if case .prefixLocked = error { throw LifecycleError.prefixBusy(error) }
            throw LifecycleError.keg(error)
        }
    }

    /// Every mutating lifecycle operation takes the held lock as a parameter, so it cannot be
    /// called without one; this checks the caller did not release it early.
    static func check(_ lock: PrefixLock, layout: PrefixLayout) throws(LifecycleError) {
        guard lock.isHeld, lock.path == layout.lockFile else {
            throw LifecycleError.prefixBusy(.prefixLocked(path: layout.lockFile, pid: nil))
        }
    }
}
