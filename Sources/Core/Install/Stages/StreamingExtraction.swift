import Foundation

/// Extraction from the socket: a large bottle is extracted into its private staging directory
/// while its download still writes the `.incomplete` file (`GrowingFile`, followed by
/// `GrowingFileSource`), so what is left after the last byte is the last entry's write instead of
/// the whole extraction. Opportunistic and fail-safe: nothing streamed is committed before the
/// download has verified the digest (and size) of exactly the bytes that were read; any other end
/// (abandoned generation, download failure, cancel) discards the staging directory and the package
/// falls back to extracting the verified cache file, as without streaming.
///
/// Admission (`admit`) is non-blocking: a bottle is worth streaming only when its size is known
/// (manifest, else the fresh response's `Content-Length`) and at least `minimumBytes` (4 MiB by
/// default, `InstallOptions.streamingMinimumBytes`): a smaller bottle extracts in a few
/// milliseconds once verified, so following it would only tie up a thread. A bottle worth
/// streaming that finds every slot taken waits in `InstallRun` for a slot to come back and then
/// starts from byte 0 of what its download has written so far (the generation keeps every byte
/// since 0, so a late reader catches up from the page cache); if its download ends first, it
/// takes the ordinary path.
///
/// Queues: a streaming extraction blocks its thread while it waits for the network, so it never
/// runs on the cores-wide `extractions` queue (where it would starve CPU-bound extractions), nor
/// on any queue drawing from the width-limited global pool: there, threads blocked in a
/// condition wait hold the pool's workers, and libdispatch adds more only when its monitor
/// notices (measured on 2 cores: a utility `OperationQueue` operation waited 1.7 s behind four
/// blocked operations of another utility `OperationQueue`; 2 ms behind four blocked untargeted
/// serial queues). Each streaming extraction therefore gets a serial queue of its own
/// (`pour.extract.stream.<name>`, QoS utility, no target: an overcommit queue, i.e. a thread of
/// its own while it works), and at most `width` = min(transfer slots, 4) exist at once: a slot is
/// taken in `admit` and given back in `run`'s completion, which every extraction reaches
/// (success, failure, abandon, cancel). The operation joins `group` (the run's `stages`),
/// so tear-down waits for it; a blocked reader is woken by the generation being abandoned (every
/// download failure and every cancel abandons it) and, as a safety net, rechecks the run's
/// cancellation flag every 250 ms.
///
/// Confinement: `slotsInUse` and every method are confined to the run queue (`runQueue`, checked
/// with `dispatchPrecondition`); the operations run on `queue` and report back on `runQueue`.
/// Hence `@unchecked Sendable`.
final class StreamingExtraction: @unchecked Sendable {
    /// Default smallest bottle worth streaming.
    static let defaultMinimumBytes: Int64 = 4 << 20
    /// Upper bound on concurrent streaming extractions.
    static let maxWidth = 4

    let width: Int
    private let runQueue: DispatchQueue
    private let group: DispatchGroup
    private var slotsInUse = 0

    init(runQueue: DispatchQueue, group: DispatchGroup, transferSlots: Int) {
        self.runQueue = runQueue
        self.group = group
        width = max(1, min(transferSlots, Self.maxWidth))
    }

    /// Whether a bottle of `size` bytes is worth following as it downloads.
    static func worthStreaming(size: Int64?, minimumBytes: Int64) -> Bool {
        guard let size else { return false }
        return size >= minimumBytes
    }

    /// Takes a slot when one is free; never waits.
    func admit() -> Bool {
        dispatchPrecondition(condition: .onQueue(runQueue))
        guard slotsInUse < width else { return false }
        slotsInUse += 1
        return true
    }

    /// Runs `preparation.extractStreamed(from:)` on a streaming queue of its own, then, on the run queue,
    /// gives the slot back and calls `done` before leaving `group` (so a staging removal `done`
    /// schedules joins the group first). Call only after a successful `admit`.
    func run(_ preparation: KegPreparation, file: GrowingFile,
             done: @escaping @Sendable (Result<ExtractedKeg, PackageFailure>) -> Void) {
        dispatchPrecondition(condition: .onQueue(runQueue))
        group.enter()
        let queue = DispatchQueue(label: "pour.extract.stream.\(preparation.formula.name)", qos: .utility)
        queue.async { [self] in
            var result = preparation.extractStreamed(from: file)
            let package = "\(preparation.formula.name) \(preparation.formula.pkgVersion)"
            if case .success = result, let reason = Self.settle(file, package: package, cancellation: preparation.cancellation) {
                // Not every compression needs the last byte (the tar ends first): the keg counts only
                // once the download verified this generation.
                try? StatePaths.remove("\(preparation.stagingRoot)/\(preparation.formula.name)",
                                       layout: preparation.configuration.layout)
                result = .failure(.unpack(reason))
            }
            runQueue.async { [self, result] in
                slotsInUse -= 1
                done(result)
                group.leave()
            }
        }
    }

    /// Waits until the download verified (nil) or abandoned the generation (the failure).
    private static func settle(_ file: GrowingFile, package: String, cancellation: CancellationFlag) -> UnpackError? {
        var probe: UInt8 = 0
        // No generation reaches this offset: the read returns only once the generation is settled.
        switch file.read(at: Int64.max - 1, into: &probe, count: 1, cancellation: cancellation) {
        case .end: return nil
        case .bytes: return .corruptArchive(package: package, entry: nil, reason: "the download is longer than possible")
        case .failed(let reason):
            return cancellation.isCancelled ? .cancelled(package: package) : .corruptArchive(package: package, entry: nil, reason: reason)
        }
    }
}
