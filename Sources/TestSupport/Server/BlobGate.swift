import Foundation
import PourCore

/// Holds the blob listener's first responses until a given number of blob requests are in flight
/// at once, then releases them all: a test can then assert an exact concurrency peak without
/// depending on timing (the client must really have had that many transfers open to get past the
/// gate). The gate opens by itself after `timeout`, so a client that never reaches the count makes
/// the test fail on its assertion instead of hanging.
///
/// Confinement: all state is behind one `Locked`; releases run outside the lock, on the
/// connections' own event loops (the closures hop there).
package final class BlobGate: Sendable {
    private struct State {
        var threshold: Int?
        var held: [@Sendable () -> Void] = []
    }
    private let state = Locked(State())

    /// Hold blob responses until `count` are waiting (or `timeout` passes), once.
    package func hold(until count: Int, timeout: TimeInterval = 30) {
        state.withLock { $0.threshold = count }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [self] in open() }
    }

    /// Called for each blob request: `release` runs now if the gate is open, else when it opens.
    func arrive(_ release: @escaping @Sendable () -> Void) {
        let ready: [@Sendable () -> Void]? = state.withLock { state in
            guard let threshold = state.threshold else { return [release] }
            state.held.append(release)
            guard state.held.count >= threshold else { return nil }
            let all = state.held
            state = State()
            return all
        }
        ready?.forEach { $0() }
    }

    private func open() {
        let held = state.withLock { state -> [@Sendable () -> Void] in
            let all = state.held
            state = State()
            return all
        }
        held.forEach { $0() }
    }
}
