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

/// One bounded set of transfer slots with a priority-ordered waiting list, plus optional
/// *small-transfer* slots.
///
/// `slots` is the `DispatchSemaphore` that bounds transfers in flight on this lane. Each
/// `TransferEngine.start` schedules one block on `queue` (serial) that waits for a slot and then
/// admits the *highest-priority* waiting transfer (FIFO among equals), so priorities that change
/// while transfers wait (a bottle's size learnt from its manifest) still order admission.
///
/// **Small-transfer slots.** A transfer whose expected length is known and at most
/// `smallTransferBytes` is latency-bound, not bandwidth-bound: a 9 KB bottle behind a registry
/// redirect costs two round trips and almost no link time. With only `--jobs` slots, admitted
/// largest first, the ~200 small bottles of a deep closure queued behind the big ones and then
/// crawled through 8 slots at 2 RTT each at the end of the run (Docs/Performance.md,
/// deep-closure). So such a transfer may also take one of `smallSlots`, a second semaphore waited
/// on by a second serial queue (`smallQueue`): whenever a transfer becomes known-small while
/// waiting (at `admit`, or when `expectedBytesLearnt` reports its manifest size), one block there
/// waits for a small slot and admits the smallest waiting known-small transfer, if any is still
/// waiting. The bytes these slots can hold in flight are bounded by `smallSlots × smallTransferBytes`,
/// so the big transfers keep the link.
///
/// Every admitted transfer holds exactly one slot (`ActiveTransfer.Shared.heldSlot`) and gives
/// it back exactly once through `release`: in `TransferEngine.finish`, or right after admission
/// when it was cancelled while waiting. A block that finds nothing to admit gives its slot back
/// at once. Invariant: there are never fewer pending main-queue blocks than waiting transfers
/// (each `admit` adds one of each; a transfer taken by the small path leaves one block spare), so
/// no waiting transfer is ever stranded.
///
/// The waiting transfers are an `AdmissionOrder` (two heaps: by priority, by small size), so an
/// admission costs O(log n) instead of a scan of every waiting transfer; the lane learns each
/// priority and size change through `priorityChanged` and `expectedBytesLearnt`.
///
/// Confinement: `waiting` is a `Locked` `AdmissionOrder` (start, admission, priority and size
/// updates touch it from different queues); `slots` is waited on only by `queue`, `smallSlots` only by `smallQueue`.
/// `@unchecked Sendable` for that.
final class AdmissionLane: @unchecked Sendable {
    /// Which semaphore an admitted transfer holds.
    enum Slot: Sendable {
        case main
        case small
    }

    typealias Admit = @Sendable (ActiveTransfer) -> Void

    let slots: DispatchSemaphore
    /// Largest expected length that may use a small slot (0: no small slots).
    let smallTransferBytes: Int64
    private let smallSlots: DispatchSemaphore
    private let queue: DispatchQueue
    private let smallQueue: DispatchQueue
    private let waiting = Locked(AdmissionOrder<(transfer: ActiveTransfer, admit: Admit)>())
    /// Told when a main slot is given back and no transfer is waiting for it: the slot would stay
    /// empty (the bulk lane's `RangeSplitter` may fill it with a part of a running download).
    private let onSpareSlot: (@Sendable () -> Void)?

    init(name: String, width: Int, smallWidth: Int = 0, smallTransferBytes: Int64 = 0,
         onSpareSlot: (@Sendable () -> Void)? = nil) {
        self.onSpareSlot = onSpareSlot
        slots = DispatchSemaphore(value: width)
        smallSlots = DispatchSemaphore(value: smallWidth)
        self.smallTransferBytes = smallWidth > 0 ? smallTransferBytes : 0
        queue = DispatchQueue(label: "pour.transfer.admission.\(name)", qos: .userInitiated)
        smallQueue = DispatchQueue(label: "pour.transfer.admission.\(name).small", qos: .userInitiated)
    }

    /// Queues `transfer`; `admit` runs on one of the lane's queues once a slot is held, with the
    /// transfer chosen at that moment.
    func admit(_ transfer: ActiveTransfer, admit: @escaping Admit) {
        let (priority, bytes) = transfer.shared.withLock { ($0.priority, $0.expectedBytes) }
        waiting.withLock {
            $0.insert((transfer, admit), id: ObjectIdentifier(transfer), priority: priority, smallBytes: smallBytes(bytes))
        }
        admitNext(on: queue, holding: slots, as: .main)
        offerSmallSlot(to: transfer)
    }

    /// A waiting transfer's expected length became known (its manifest arrived): it may now
    /// qualify for a small slot.
    func expectedBytesLearnt(_ transfer: ActiveTransfer) {
        let bytes = transfer.shared.withLock { $0.expectedBytes }
        waiting.withLock { $0.setSmallBytes(of: ObjectIdentifier(transfer), to: smallBytes(bytes)) }
        offerSmallSlot(to: transfer)
    }

    /// A waiting transfer's priority changed (`TransferHandle.setPriority`): re-orders it.
    func priorityChanged(_ transfer: ActiveTransfer) {
        let priority = transfer.shared.withLock { $0.priority }
        waiting.withLock { $0.setPriority(of: ObjectIdentifier(transfer), to: priority) }
    }

    /// Gives back the slot `transfer` holds. Called exactly once per admitted transfer.
    func release(_ transfer: ActiveTransfer) {
        switch transfer.shared.withLock({ $0.heldSlot }) {
        case .small: smallSlots.signal()
        case .main, nil:
            slots.signal()
            if let onSpareSlot, waiting.withLock({ $0.isEmpty }) { onSpareSlot() }
        }
    }

    private func isSmall(_ transfer: ActiveTransfer) -> Bool {
        smallBytes(transfer.shared.withLock { $0.expectedBytes }) != nil
    }

    /// `bytes` when a transfer of that expected length may take a small slot, else nil.
    private func smallBytes(_ bytes: Int64?) -> Int64? {
        guard smallTransferBytes > 0, let bytes, bytes <= smallTransferBytes else { return nil }
        return bytes
    }

    private func offerSmallSlot(to transfer: ActiveTransfer) {
        guard isSmall(transfer) else { return }
        admitNext(on: smallQueue, holding: smallSlots, as: .small)
    }

    /// One admission: on `queue` (the only waiter on `semaphore`), wait for a slot, then admit the
    /// best waiting transfer for it, or give the slot back when none is left.
    private func admitNext(on queue: DispatchQueue, holding semaphore: DispatchSemaphore, as slot: Slot) {
        queue.async { [self] in
            semaphore.wait()
            guard let next = take(slot) else {
                semaphore.signal()
                return
            }
            next.admit(next.transfer)
        }
    }

    /// Removes and returns the transfer to admit next into a `slot`, recording the slot it holds:
    /// for the main slots the highest priority (FIFO among equals); for a small slot the smallest
    /// waiting known-small transfer.
    private func take(_ slot: Slot) -> (transfer: ActiveTransfer, admit: Admit)? {
        waiting.withLock { order in
            let next = slot == .main ? order.popHighestPriority() : order.popSmallest()
            next?.transfer.shared.withLock { $0.heldSlot = slot }
            return next
        }
    }
}
