import Foundation
import PourCore

/// Pauses one blob's body after a given number of bytes until the test releases it, so a test can
/// look at the client while the last bytes are still on the server (e.g. a streamed extraction
/// already writing files). Applies to the first full (200) response for the blob once armed.
/// The hold lets go by itself after `timeout`, so a client that never gets there makes the test
/// fail on its assertions instead of hanging.
///
/// Confinement: all state is behind one `Locked`; parked continuations run outside the lock (the
/// closures hop to their connection's event loop).
package final class BodyHold: Sendable {
    private struct State {
        var sha256: String?
        var afterBytes = 0
        var holding = false
        var released = false
        var parked: [@Sendable () -> Void] = []
    }
    private let state = Locked(State())

    package init() {}

    /// Arms the hold: the next full response for `sha256` stops after `afterBytes` body bytes.
    package func hold(sha256: String, afterBytes: Int, timeout: TimeInterval = 60) {
        state.withLock { $0 = State(sha256: sha256, afterBytes: afterBytes) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [self] in release() }
    }

    /// True while a response is parked at the hold point.
    package var isHolding: Bool { state.current.holding }

    /// True once `release` ran (called by the test, or by the timeout): before that, no byte past
    /// the hold point has been sent.
    package var isReleased: Bool { state.current.released }

    /// Lets the held body (and any later one) go on.
    package func release() {
        let parked = state.withLock { state -> [@Sendable () -> Void] in
            state.released = true
            state.holding = false
            state.sha256 = nil
            defer { state.parked = [] }
            return state.parked
        }
        parked.forEach { $0() }
    }

    /// The hold point for a response of `sha256` starting at byte `start`, consuming the arming.
    func point(sha256: String?, start: Int) -> Int? {
        state.withLock { state -> Int? in
            guard let armed = state.sha256, armed == sha256, start == 0, !state.released else { return nil }
            state.sha256 = nil
            return state.afterBytes
        }
    }

    /// Parks `resume` until `release` (runs it now if already released).
    func park(_ resume: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            if state.released { return true }
            state.holding = true
            state.parked.append(resume)
            return false
        }
        if now { resume() }
    }
}
