/// One package of an install run and where it is in the pipeline.
///
/// Confinement: mutable properties are read and written only on `InstallRun`'s run queue; other
/// queues merely carry the reference back to it, hence `@unchecked Sendable`.
final class PackageJob: @unchecked Sendable {
    enum Phase {
        /// Waiting for its download to be admitted or finish.
        case downloading
        case extracting
        /// Extracted, relocated and receipted in staging; waiting for its dependencies.
        case staged
        /// Being committed and linked on the link queue (never interrupted once started).
        case committing
        case finished(PackageOutcome)
    }

    let formula: Formula
    let bottle: Bottle
    let requested: Bool
    /// Canonical names of its direct runtime dependencies.
    let dependencies: [String]
    /// Its whole runtime closure, for the receipt's `runtime_dependencies`: computed when the
    /// receipt is written, not at planning, so a run holds one closure per extraction in flight
    /// instead of one per package (a 5,000-deep chain would otherwise hold 12.5 M formula copies).
    /// Called with `formula`: one function shared by every job of the run, so no job holds a
    /// context of its own with a copy of its formula (~400 B each; Docs/Performance.md,
    /// "Fourth pass: RSS").
    let runtimeClosure: @Sendable (Formula) -> [Formula]
    /// Where the package is; changed only through `move(to:)`, which checks the transition.
    private(set) var phase: Phase = .downloading
    var download: VerifiedDownload?
    /// Verified bottle waiting for extraction when `overlapExtraction` is off.
    var deferredBottlePath: String?
    /// The bottle's OCI manifest fetch, when the source is a registry; its result may arrive at
    /// any time before extraction (it is optional information).
    var manifestFetch: MemoryFetch?
    var manifest: BottleManifest?
    /// A verified bottle waiting (briefly) for its manifest before extraction.
    var bottleAwaitingManifest: String?
    /// The generation a streamed extraction may follow (`StreamingExtraction`), until it is resolved.
    var streamFile: GrowingFile?
    /// The bottle's size as known when its generation began (manifest, else `Content-Length`).
    var streamSize: Int64?
    /// A streamed extraction is running.
    var streaming = false
    /// The streamed extraction's result, kept until the download reports (or the verified path,
    /// kept until the extraction reports): the package moves on once both are known.
    var streamResult: Result<ExtractedKeg, PackageFailure>?
    var verifiedWhileStreaming: String?
    /// The streamed keg in staging, verified, waiting for relocation and its receipt.
    var streamedKeg: ExtractedKeg?
    /// `.extracting` was emitted (a streamed package announces it when its extraction starts).
    var extractingAnnounced = false
    /// Its position in the run's plan: a commit batch keeps plan order.
    var planIndex = 0
    /// Direct dependencies planned in this run and not installed yet; 0 with the job staged means
    /// ready to commit (`InstallRun` counts down as dependencies install, instead of re-checking
    /// every staged package on every event).
    var unmetDependencies = 0
    /// The planned packages that depend directly on this one (each counted once).
    var dependents: [PackageJob] = []

    init(formula: Formula, bottle: Bottle, requested: Bool, dependencies: [String], runtimeClosure: @escaping @Sendable (Formula) -> [Formula]) {
        self.formula = formula
        self.bottle = bottle
        self.requested = requested
        self.dependencies = dependencies
        self.runtimeClosure = runtimeClosure
    }

    var name: String { formula.name }

    /// The pipeline's only legal moves: downloading → extracting → staged → committing, and from
    /// any unfinished phase to finished (done, failed or skipped). A finished package never moves
    /// again. An illegal move is a bug in the orchestrator, caught in debug builds.
    func move(to next: Phase) {
        let legal: Bool
        switch (phase, next) {
        case (.finished, _): legal = false
        case (_, .finished): legal = true
        case (.downloading, .extracting), (.extracting, .staged), (.staged, .committing): legal = true
        default: legal = false
        }
        assert(legal, "\(name): illegal phase change \(phase) → \(next)")
        phase = next
    }

    var isFinished: Bool {
        if case .finished = phase { return true }
        return false
    }

    var outcome: PackageOutcome? {
        if case .finished(let outcome) = phase { return outcome }
        return nil
    }
}
