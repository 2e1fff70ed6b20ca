import Foundation
import PourCore

/// Pauses blobs' bodies after a given number of bytes until the test releases them, so a test can
/// look at the client while the last bytes are still on the server (e.g. a streamed extraction
/// already writing files). Each armed blob applies to its first full (200) response once armed;
/// several blobs may be held at once and released one by one (`release(sha256:)`) or together
/// (`release()`). Each hold lets go by itself after its `timeout`, so a client that never gets
/// there makes the test fail on its assertions instead of hanging.
///
/// Confinement: all state is behind one `Locked`; parked continuations run outside the lock (the
/// closures hop to their connection's event loop).
package final class BodyHold: Sendable {
    private struct State {
        /// Armed blobs and their hold points, until a response takes the arming.
        var armed: [String: Int] = [:]
        /// Responses parked at their hold point, by blob.
        var parked: [String: [@Sendable () -> Void]] = [:]
        /// Blobs released (by the test or a timeout) since they were armed.
        var released: Set<String> = []
        var releasedAll = false
    }
    private let state = Locked(State())

    package init() {}

    /// Arms a hold: the next full response for `sha256` stops after `afterBytes` body bytes.
    package func hold(sha256: String, afterBytes: Int, timeout: TimeInterval = 60) {
        state.withLock { state in
            state.armed[sha256] = afterBytes
            state.released.remove(sha256)
            state.releasedAll = false
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [self] in release(sha256: sha256) }
    }

    /// True while a response is parked at its hold point.
    package var isHolding: Bool { state.current.parked.values.contains { !$0.isEmpty } }

    /// True while a response for `sha256` is parked at its hold point.
    package func isHolding(sha256: String) -> Bool { !(state.current.parked[sha256] ?? []).isEmpty }

    /// True once a release ran (called by the test, or by a timeout): before that, no byte past
    /// any hold point has been sent.
    package var isReleased: Bool {
        let current = state.current
        return current.releasedAll || !current.released.isEmpty
    }

    /// Lets every held body (and any later one) go on.
    package func release() {
        let parked = state.withLock { state -> [@Sendable () -> Void] in
            state.releasedAll = true
            state.armed = [:]
            defer { state.parked = [:] }
            return state.parked.values.flatMap { $0 }
        }
        parked.forEach { $0() }
    }

    /// Lets `sha256`'s held body go on; other holds stay.
    package func release(sha256: String) {
        let parked = state.withLock { state -> [@Sendable () -> Void] in
            state.released.insert(sha256)
            state.armed[sha256] = nil
            return state.parked.removeValue(forKey: sha256) ?? []
        }
        parked.forEach { $0() }
    }

    /// The hold point for a response of `sha256` starting at byte `start`, consuming the arming.
    func point(sha256: String?, start: Int) -> Int? {
        state.withLock { state -> Int? in
            guard let sha256, start == 0, !state.releasedAll, !state.released.contains(sha256),
                  let afterBytes = state.armed.removeValue(forKey: sha256)
            else { return nil }
            return afterBytes
        }
    }

    /// Parks `resume` until `sha256` is released (runs it now if already released).
    func park(sha256: String, _ resume: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            if state.releasedAll || state.released.contains(sha256) { return true }
            state.parked[sha256, default: []].append(resume)
            return false
        }
        if now { resume() }
    }
}
