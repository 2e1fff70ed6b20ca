import Dispatch

/// Feeds staged kegs to the serial link queue in batches: one batch runs at a time, and packages
/// that become ready while it runs form the next one (see `KegActivation` for why batches).
///
/// Confinement: `pending` and `inFlight` belong to the run queue; `submit` must be called there and
/// `finished` is called there. The batch itself runs on `linkQueue`, whose work joins `group` so
/// that the run's tear-down waits for it.
final class ActivationScheduler: @unchecked Sendable {
    typealias Batch = [PackageJob]

    private let runQueue: DispatchQueue
    private let linkQueue = DispatchQueue(label: "pour.install.link", qos: .utility)
    private let group: DispatchGroup
    private let activate: @Sendable ([Formula]) -> [KegActivation.Outcome]

    private var pending: Batch = []
    private var inFlight = false
    /// The run's handler while work is pending or in flight; dropped when idle, so the scheduler
    /// never keeps the run alive (and no reference cycle outlives the work).
    private var finished: ((Batch, [KegActivation.Outcome]) -> Void)?

    /// - Parameter activate: the blocking commit+link of one batch (runs on the link queue).
    init(runQueue: DispatchQueue, group: DispatchGroup,
         activate: @escaping @Sendable ([Formula]) -> [KegActivation.Outcome]) {
        self.runQueue = runQueue
        self.group = group
        self.activate = activate
    }

    /// Queues `jobs`; `finished` gets each batch's outcomes on the run queue.
    func submit(_ jobs: Batch, finished: @escaping (Batch, [KegActivation.Outcome]) -> Void) {
        dispatchPrecondition(condition: .onQueue(runQueue))
        pending += jobs
        self.finished = finished
        startNextBatch()
    }

    private func startNextBatch() {
        guard !inFlight, !pending.isEmpty else {
            if !inFlight { finished = nil }
            return
        }
        let batch = pending
        pending = []
        inFlight = true
        let formulae = batch.map(\.formula)
        group.enter()
        linkQueue.async { [self] in
            let outcomes = activate(formulae)
            runQueue.async { [self] in
                inFlight = false
                finished?(batch, outcomes)
                startNextBatch()
                group.leave()
            }
        }
    }
}
