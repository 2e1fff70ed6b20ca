import Foundation

/// Which bound a transfer counts against.
///
/// Thread-safety: an immutable value; safe to share across queues.
package enum TransferLane: Sendable {
    /// Bottles: bounded by `--jobs`.
    case bulk
    /// Small metadata (formula JSON, manifests): a separate bound, so a bottle download never
    /// waits behind metadata and metadata never waits behind a 40 MB bottle.
    case metadata
}

/// One bounded set of transfer slots with a priority-ordered waiting list.
///
/// `slots` is the `DispatchSemaphore` that bounds transfers in flight on this lane. Each
/// `TransferEngine.start` schedules one block on `queue` (serial) that waits for a slot and then
/// admits the *highest-priority* waiting transfer (FIFO among equals), so priorities that change
/// while transfers wait (a bottle's size learnt from its manifest) still order admission. Every
/// admitted transfer signals `slots` exactly once, in `TransferEngine.finish` or right here when it
/// was cancelled while waiting.
///
/// Confinement: `waiting` is a `Locked` list (start, admission and priority updates touch it from
/// different queues); the semaphore is waited on only by `queue`. `@unchecked Sendable` for that.
final class AdmissionLane: @unchecked Sendable {
    let slots: DispatchSemaphore
    private let queue: DispatchQueue
    private let waiting = Locked<[ActiveTransfer]>([])

    init(name: String, width: Int) {
        slots = DispatchSemaphore(value: width)
        queue = DispatchQueue(label: "pour.transfer.admission.\(name)", qos: .userInitiated)
    }

    /// Queues `transfer`; `admit` runs on the lane's queue once a slot is held, with the transfer
    /// chosen at that moment.
    func admit(_ transfer: ActiveTransfer, admit: @escaping @Sendable (ActiveTransfer) -> Void) {
        waiting.withLock { $0.append(transfer) }
        queue.async { [self] in
            slots.wait()
            guard let next = takeHighestPriority() else {
                slots.signal()
                return
            }
            admit(next)
        }
    }

    private func takeHighestPriority() -> ActiveTransfer? {
        waiting.withLock { list -> ActiveTransfer? in
            guard !list.isEmpty else { return nil }
            var best = 0
            var bestPriority = list[0].shared.withLock { $0.priority }
            for index in list.indices.dropFirst() {
                let priority = list[index].shared.withLock { $0.priority }
                if priority > bestPriority {
                    best = index
                    bestPriority = priority
                }
            }
            return list.remove(at: best)
        }
    }
}
