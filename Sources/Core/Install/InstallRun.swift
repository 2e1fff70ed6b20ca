import Foundation

/// One `install` call from start to report: resolve → download → extract → commit → link.
///
/// Queues (Docs/Design.md has the picture):
/// - `runQueue` (serial) owns every mutable property below and every `PackageJob`. All stage
///   completions hop back onto it; it decides what runs next. It never blocks.
/// - Downloads run on the transfer engine (one I/O thread); each download's sink queue hashes and
///   writes its bytes.
/// - `extractions` (an `OperationQueue`, width = active cores, QoS utility — below the I/O thread's
///   user-initiated) extracts, relocates and writes the receipt in a private staging directory.
/// - `StreamingExtraction`'s queues (one untargeted serial queue each, at most 4, QoS utility)
///   extract large bottles while their bytes arrive; relocation and the receipt then run on
///   `extractions` once the download verified them. They wait for the network, hence not on
///   `extractions` nor on the global pool.
/// - `ActivationScheduler`'s link queue (serial, utility) commits kegs into the Cellar and links
///   them, one batch at a time, dependencies first. A commit+link unit is never interrupted, so a
///   package is either fully installed and linked or absent.
/// - Set-up (`PrefixPreparation`: lock, directories) and tear-down (`RunTeardown`: staging removal,
///   engine shutdown, unlock) run on a global utility queue because they block.
/// - `stages` (a DispatchGroup) joins every piece of work the run hands to another queue
///   (extractions, streamed extractions, staging removals, activation batches); tear-down waits on it with `notify`.
///
/// Errors: a package's failure finishes it as `.failed` and every package depending on it as
/// `.skipped`; independent packages carry on. Cancellation finishes every unfinished package as
/// `.skipped(reason: .cancelled)` once its in-flight stage has stopped.
///
/// `@unchecked Sendable`: state is confined to `runQueue` as described.
final class InstallRun: @unchecked Sendable {
    private let configuration: InstallConfiguration
    private let requestedNames: [String]
    private let options: InstallOptions
    /// Events and the completion reach the callback queue through it, in batches (`EventDelivery`).
    private let delivery: EventDelivery<InstallEvent>
    private let emit: @Sendable (InstallEvent) -> Void
    private var completion: (@Sendable (Result<InstallReport, InstallError>) -> Void)?

    private let runQueue = DispatchQueue(label: "pour.install.run", qos: .userInitiated)
    /// The formula fetcher's queue: index (SQLite) and cache-file reads happen there.
    private let metadataQueue = DispatchQueue(label: "pour.install.metadata", qos: .userInitiated)
    private let extractions: OperationQueue
    private let streaming: StreamingExtraction
    private let stages = DispatchGroup()
    private let activations: ActivationScheduler
    private let cancellation = CancellationFlag()
    private let startTime = DispatchTime.now()
    /// This run's private staging directory (immutable; created by `PrefixPreparation`, removed by
    /// `RunTeardown`). Each extraction owns its `<name>/` subdirectory while it runs.
    private let stagingRoot: String

    // runQueue state
    private var engine: TransferEngine?
    private var fetcher: FormulaFetcher?
    private var lock: PrefixLock?
    private var jobs: [String: PackageJob] = [:]
    private var order: [String] = []
    /// Jobs not finished yet, and jobs whose download has not reported yet: the run ends when
    /// both are 0 (counted, so that no event scans every job).
    private var unfinishedJobs = 0
    private var jobsWithDownload = 0
    /// Staged jobs whose dependencies are all installed, waiting for the next activation batch.
    private var readyToCommit: [PackageJob] = []
    private var alreadyInstalled: [(name: String, pkgVersion: String)] = []
    /// Packages whose verified bottle was already in the cache when planning (no manifest wait).
    private var cachedBottles: Set<String> = []
    private var networkBytes: Int64 = 0
    /// Installed formulae whose post_install pour did not run (for the report).
    private var postInstallNotRun: [InstallReport.PendingPostInstall] = []
    private var cancelled = false
    /// True once `plan` has created the jobs; before that only `finishRun` can end the run.
    private var planned = false
    private var finishing = false
    /// Bottle downloads started during resolution, by formula name, until they report
    /// (`EarlyDownload`): `plan` hands each to its job or discards it.
    private var earlyDownloads: [String: EarlyDownload] = [:]
    /// Downloads worth streaming that found every streaming slot taken, in arrival order; one
    /// starts following its file when a slot comes back (`admitWaitingStream`). Entries whose
    /// download ended or whose generation was abandoned meanwhile are dropped there.
    private var streamsWaitingForSlot: [PackageJob] = []
    /// `finishRun` was asked for before the plan while early downloads were still stopping; it
    /// runs (with this error) once the last of them has reported.
    private var endAwaitingEarlyDownloads: (error: InstallError?, pending: Bool) = (nil, false)

    /// - Parameters:
    ///   - callbackQueue: a serial queue; `events` and `completion` run there, in order, the
    ///     completion after every event.
    ///   - observe: sees every event synchronously where it happens (any queue), before delivery.
    ///   - coalescing: how long a batch of events waits for more before delivery (`EventDelivery`).
    init(configuration: InstallConfiguration, names: [String], options: InstallOptions, callbackQueue: DispatchQueue,
         observe: @escaping @Sendable (InstallEvent) -> Void = { _ in },
         coalescing: DispatchTimeInterval = EventDelivery<InstallEvent>.defaultCoalescing,
         events: @escaping @Sendable (InstallEvent) -> Void,
         completion: @escaping @Sendable (Result<InstallReport, InstallError>) -> Void) {
        self.configuration = configuration
        self.requestedNames = names
        self.options = options
        let delivery = EventDelivery(queue: callbackQueue, coalescing: coalescing, handler: events)
        self.delivery = delivery
        self.emit = { event in
            observe(event)
            delivery.send(event)
        }
        self.completion = completion
        extractions = OperationQueue()
        extractions.name = "pour.extract"
        extractions.maxConcurrentOperationCount = configuration.extractionWidth
        extractions.qualityOfService = .utility
        streaming = StreamingExtraction(runQueue: runQueue, group: stages, transferSlots: configuration.jobs)
        stagingRoot = "\(configuration.layout.staging)/run-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let layout = configuration.layout
        let stagingRoot = self.stagingRoot
        let link = options.link
        let unlinked = options.unlinked
        activations = ActivationScheduler(runQueue: runQueue, group: stages) { formulae in
            KegActivation.activate(formulae, layout: layout, stagingRoot: stagingRoot, link: link, unlinked: unlinked)
        }
    }

    // MARK: - Start

    func start() {
        let preparation = PrefixPreparation(configuration: configuration, stagingRoot: stagingRoot, cancellation: cancellation)
        let emit = self.emit
        DispatchQueue.global(qos: .utility).async { [self] in
            let prepared = preparation.run { message in emit(.waitingForLock(message: message)) }
            runQueue.async { [self] in
                switch prepared {
                case .failure(.cancelled):
                    finishRun(error: nil)  // cancelled while waiting for the lock; `cancelled` is set
                case .failure(let error):
                    finishRun(error: error)
                case .success(let lock):
                    self.lock = lock
                    guard !cancelled else { return finishRun(error: nil) }
                    fetchMetadata()
                }
            }
        }
    }

    func cancel() {
        runQueue.async { [self] in
            guard !cancelled else { return }
            cancelled = true
            cancellation.cancel()
            fetcher?.cancel()
            for name in order {
                guard let job = jobs[name] else { continue }
                switch job.phase {
                case .downloading:
                    job.streamFile?.abandon("cancelled")  // wakes a blocked streaming reader now
                    if let download = job.download { download.cancel() } else { finish(job, .skipped(reason: .cancelled)) }
                case .staged:
                    finish(job, .skipped(reason: .cancelled))
                case .extracting, .committing, .finished:
                    break // in-flight stages report back and are finished then
                }
            }
            finishIfDone()
        }
    }

    /// Debug builds check the confinement the type's comment states.
    private func assertOnRunQueue() {
        dispatchPrecondition(condition: .onQueue(runQueue))
    }

    // MARK: - Resolve and plan (runQueue)

    private func fetchMetadata() {
        assertOnRunQueue()
        let emit = self.emit
        // The fetcher reads cache files and the SQLite index: it runs on its own queue, and
        // its result is hopped back (the run queue never blocks).
        let fetcher: FormulaFetcher
        switch configuration.makeMetadataFetcher(queue: metadataQueue, onWaiting: { host, seconds in
            emit(.waitingForServer(host: host, seconds: seconds))
        }) {
        case .failure(let error): return finishRun(error: error)
        case .success(let made): (engine, fetcher) = (made.engine, made.fetcher)
        }
        self.fetcher = fetcher
        emit(.resolving(names: requestedNames))
        let layout = configuration.layout
        fetcher.fetchClosure(of: requestedNames, onFormula: { [self] formula in
            // On the metadata queue, which may block: the keg check (two `stat`s) is done here
            // rather than on a global queue between two hops, and a formula that cannot start an
            // early download does not wake the run queue at all (three wake-ups per formula
            // became one on the 1,000-bottle install).
            guard let bottle = Self.earlyDownloadBottle(formula, layout: layout),
                  !Cellar(layout: layout).isInstalled(name: formula.name, pkgVersion: formula.pkgVersion)
            else { return }
            runQueue.async { self.startEarlyDownload(formula, bottle: bottle) }
        }) { [self] result in
            runQueue.async { [self] in
                switch result {
                case .failure(let error): finishRun(error: cancelled ? nil : error)
                case .success(let catalog): gatherPlanFacts(catalog)
                }
            }
        }
    }

    /// Resolution and the filesystem checks planning needs, off the run queue (`PlanFacts`).
    private func gatherPlanFacts(_ catalog: FormulaCatalog) {
        assertOnRunQueue()
        guard !cancelled else { return finishRun(error: nil) }
        let names = requestedNames
        let layout = configuration.layout
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let facts = PlanFacts.gather(catalog: catalog, names: names, layout: layout)
            runQueue.async { [self] in
                switch facts {
                case .failure(let error): finishRun(error: error)
                case .success(let facts): plan(facts)
                }
            }
        }
    }

    private func plan(_ facts: PlanFacts) {
        assertOnRunQueue()
        guard !cancelled else { return finishRun(error: nil) }
        var plannedPackages: [PlannedPackage] = []
        for fact in facts.items {
            let item = fact.resolved
            let formula = item.formula
            let forced = options.force && item.requested
            // A keg whose activation was cut short by a kill is installed again (commit replaces
            // it, linking completes), not reported as already installed (see PlanFacts).
            if !forced && fact.installed {
                alreadyInstalled.append((formula.name, formula.pkgVersion))
                continue
            }
            guard let bottle = formula.bottle else { continue } // the resolver rejects bottle-less formulae
            if fact.cached { cachedBottles.insert(formula.name) }
            let job = PackageJob(formula: formula, bottle: bottle, requested: item.requested,
                                 dependencies: item.dependencies, runtimeClosure: fact.runtimeClosure)
            jobs[formula.name] = job
            order.append(formula.name)
            plannedPackages.append(PlannedPackage(name: formula.name, pkgVersion: formula.pkgVersion,
                                          requested: item.requested, kegOnly: formula.kegOnly))
        }
        for (index, name) in order.enumerated() {
            guard let job = jobs[name] else { continue }
            job.planIndex = index
            for dependency in Set(job.dependencies) {
                guard let dependencyJob = jobs[dependency] else { continue } // already installed
                dependencyJob.dependents.append(job)
                job.unmetDependencies += 1
            }
        }
        unfinishedJobs = order.count
        emit(.planned(install: plannedPackages, alreadyInstalled: alreadyInstalled.map(\.name)))
        self.planned = true
        for name in order {
            guard let job = jobs[name], !job.isFinished else { continue }
            // pkg_version from the metadata becomes a file name (cache file, keg directory):
            // refuse one that cannot be — or that climbs with `/`/`..` — before any download.
            // 64 bytes keeps the cache file name (digest, name, version, tag) under NAME_MAX.
            let version = job.formula.pkgVersion
            guard KegEntryPath.isSafeComponent(version), version.utf8.count <= 64 else {
                fail(job, .unpack(.invalidKegName(package: "\(name) \(version.prefix(64))")))
                continue
            }
            if case .pinned(let path) = job.bottle.cellar, path != configuration.layout.cellar {
                fail(job, .pinnedCellar(package: name, bottleCellar: path, prefixCellar: configuration.layout.cellar))
                continue
            }
            scheduleDownload(job)
        }
        discardUnadoptedEarlyDownloads()
        finishIfDone()
    }

    // MARK: - Download (runQueue)

    /// Every download starts the moment its URL is known; a bottle not in the cache also
    /// fetches its manifest alongside (metadata lane), and nothing waits for it: the manifest is
    /// needed only before relocation (`changed_files`), and its size merely re-orders the
    /// downloads still waiting for a transfer slot, largest first (with 8 slots and a
    /// per-connection cap the largest bottle is the tail). Holding every download until the
    /// manifests had answered cost up to a second with the link idle, and a static mirror
    /// without manifests (404) lost the sizes anyway (Docs/Performance.md, deep-closure).
    private func scheduleDownload(_ job: PackageJob) {
        assertOnRunQueue()
        guard let engine else { return }
        // `cachedBottles` was gathered off the run queue (PlanFacts).
        if !cachedBottles.contains(job.name) { fetchManifest(job, engine: engine) }
        if let early = earlyDownloads[job.name], early.job == nil, early.download.expectedSHA256 == job.bottle.sha256,
           early.download.destination == DownloadCache.bottlePath(layout: configuration.layout, formula: job.formula, bottle: job.bottle) {
            return adopt(early, into: job)
        }
        startDownload(job)
    }

    private func startDownload(_ job: PackageJob) {
        assertOnRunQueue()
        if !cachedBottles.contains(job.name) { job.streamFile = streamCandidate(for: job.name) }
        guard let download = makeDownload(formula: job.formula, bottle: job.bottle, expectedSize: job.manifest?.size,
                                          announced: nil, stream: job.streamFile, completion: { [self] result in
            runQueue.async { self.downloadEnded(job, result) }
        }) else { return }
        setDownload(job, download)
        emit(.downloadStarted(name: job.name))
        download.start()
    }

    // MARK: - Downloads during resolution (runQueue)

    /// The bottle an early download of `formula` would fetch, when one may start: a bottle with a
    /// safe version for a Cellar this prefix has. Reads only its arguments (any queue).
    private static func earlyDownloadBottle(_ formula: Formula, layout: PrefixLayout) -> Bottle? {
        guard let bottle = formula.bottle else { return nil }
        let version = formula.pkgVersion
        guard KegEntryPath.isSafeComponent(version), version.utf8.count <= 64 else { return nil }
        if case .pinned(let path) = bottle.cellar, path != layout.cellar { return nil }
        return bottle
    }

    /// Starts `formula`'s bottle download while the rest of the closure is still resolving,
    /// unless the plan will not download it anyway (unsafe version, pinned to another Cellar,
    /// keg already installed: `fetchMetadata` checked these on the metadata queue). See `EarlyDownload`.
    private func startEarlyDownload(_ formula: Formula, bottle: Bottle) {
        assertOnRunQueue()
        guard !planned, !cancelled, !finishing, earlyDownloads[formula.name] == nil else { return }
        let announced = Locked(false)
        let stream = streamCandidate(for: formula.name)
        guard let download = makeDownload(formula: formula, bottle: bottle, expectedSize: nil, announced: announced,
                                          stream: stream, completion: { [self] result in
            runQueue.async { self.earlyDownloadEnded(formula.name, result) }
        }) else { return }
        earlyDownloads[formula.name] = EarlyDownload(download: download, announced: announced)
        earlyDownloads[formula.name]?.stream = stream
        download.start()
    }

    /// Hands an early download to its job: from now on it reports as the job's download.
    private func adopt(_ early: EarlyDownload, into job: PackageJob) {
        assertOnRunQueue()
        setDownload(job, early.download)
        early.announced.withLock { $0 = true }
        emit(.downloadStarted(name: job.name))
        if let result = early.result {
            earlyDownloads[job.name] = nil
            runQueue.async { self.downloadEnded(job, result) }
        } else {
            early.job = job
            // A stream that began before the plan starts now: the reader starts at byte 0 anyway.
            job.streamFile = early.stream
            if let declaredLength = early.streamBegan { streamBegan(job, declaredLength: declaredLength) }
        }
    }

    private func earlyDownloadEnded(_ name: String, _ result: Result<DownloadOutcome, TransferError>) {
        assertOnRunQueue()
        guard let early = earlyDownloads[name] else { return }
        if let job = early.job {
            earlyDownloads[name] = nil
            return downloadEnded(job, result)
        }
        guard early.discarded else {
            early.result = result  // `plan` hands it to its job
            return
        }
        earlyDownloads[name] = nil
        if case .success(let outcome) = result { networkBytes += outcome.networkBytes }
        if endAwaitingEarlyDownloads.pending {
            if earlyDownloads.isEmpty { finishRun(error: endAwaitingEarlyDownloads.error) }
        } else {
            finishIfDone()
        }
    }

    /// After planning (or when the run ends before it): early downloads no job adopted are
    /// cancelled (their cancel deletes the `.incomplete`); one that already finished leaves its
    /// verified bottle in the cache, as `pour fetch` would.
    private func discardUnadoptedEarlyDownloads() {
        assertOnRunQueue()
        for (name, early) in earlyDownloads where early.job == nil {
            if let result = early.result {
                earlyDownloads[name] = nil
                if case .success(let outcome) = result { networkBytes += outcome.networkBytes }
            } else if !early.discarded {
                early.discarded = true
                early.download.cancel()
            }
        }
    }

    private func makeDownload(formula: Formula, bottle: Bottle, expectedSize: Int64?, announced: Locked<Bool>?,
                              stream: GrowingFile?,
                              completion: @escaping @Sendable (Result<DownloadOutcome, TransferError>) -> Void) -> VerifiedDownload? {
        assertOnRunQueue()
        guard let engine else { return nil }
        let name = formula.name
        let destination = DownloadCache.bottlePath(layout: configuration.layout, formula: formula, bottle: bottle)
        // Serial per download, but on the width-limited global pool: a queue of its own (an
        // overcommit queue) would get a thread of its own, and a closure's ~230 downloads all
        // start at once — 150 threads and ~25 MB of stacks and arenas (Docs/Performance.md, RSS).
        let queue = DispatchQueue(label: "pour.download.\(name)", qos: .userInitiated, target: .global(qos: .userInitiated))
        let emit = self.emit
        // An early download's events wait until a job has adopted it (the stream starts with `.planned`).
        let shown: @Sendable () -> Bool = { announced?.withLock { $0 } ?? true }
        return VerifiedDownload(
            engine: engine, packageName: name,
            sources: configuration.endpoints.sources(for: formula, bottle: bottle),
            expectedSHA256: bottle.sha256, destination: destination,
            policy: configuration.retryPolicy, timeouts: configuration.timeouts, queue: queue,
            expectedSize: expectedSize, stream: stream,
            onProgress: { progress in
                guard shown() else { return }
                emit(.downloadProgress(name: name, receivedBytes: progress.receivedBytes, totalBytes: progress.totalBytes))
            },
            onRetry: { attempt, delay, error in
                guard shown() else { return }
                emit(.downloadRetrying(name: name, attempt: attempt, delaySeconds: delay, reason: error.description))
            },
            onWaiting: { message in if shown() { emit(.downloadWaiting(name: name, message: message)) } },
            completion: completion)
    }

    /// Sets `job.download`, keeping `jobsWithDownload` in step.
    private func setDownload(_ job: PackageJob, _ download: VerifiedDownload?) {
        assertOnRunQueue()
        jobsWithDownload += (download == nil ? 0 : 1) - (job.download == nil ? 0 : 1)
        job.download = download
    }

    /// Fetches the bottle's OCI manifest beside its blob: the size re-orders admission while the
    /// download still waits for a slot (largest first, which shortens the tail when a CDN caps
    /// each connection) and the tab's `changed_files` spares relocation a scan. Failure is
    /// harmless: the blob is all we need.
    private func fetchManifest(_ job: PackageJob, engine: TransferEngine) {
        assertOnRunQueue()
        guard let source = configuration.endpoints.manifestSources(for: job.formula, bottle: job.bottle).first else { return }
        let sha = job.bottle.sha256
        let fetch = MemoryFetch(engine: engine, source: source, policy: RetryPolicy(maxAttempts: 2),
                                timeouts: configuration.timeouts, maxBytes: 4 << 20, queue: runQueue) { [self] result in
            job.manifestFetch = nil
            if case .success(let data) = result, let manifest = BottleManifest.parse(indexJSON: data, sha256: sha) {
                job.manifest = manifest
                if let size = manifest.size {
                    job.download?.setPriority(size)
                    job.download?.setExpectedSize(size)
                }
            }
            startAwaitedPreparation(job)
        }
        job.manifestFetch = fetch
        fetch.start()
    }

    private func downloadEnded(_ job: PackageJob, _ result: Result<DownloadOutcome, TransferError>) {
        assertOnRunQueue()
        setDownload(job, nil)
        // A job skipped while downloading (a dependency failed) waited only for this report.
        guard !job.isFinished else { return finishIfDone() }
        switch result {
        case .failure(.cancelled):
            finish(job, .skipped(reason: .cancelled))
        case .failure(let error):
            fail(job, .download(error))
        case .success(let outcome):
            networkBytes += outcome.networkBytes
            emit(.downloadFinished(name: job.name, bytes: outcome.networkBytes, fromCache: outcome.fromCache))
            if cancelled { return finish(job, .skipped(reason: .cancelled)) }
            if job.streaming {
                // The streamed extraction decides when it reports (`streamEnded`).
                job.verifiedWhileStreaming = outcome.path
            } else if let streamed = job.streamResult {
                resolveStream(job, streamed, verifiedPath: outcome.path)
            } else {
                job.streamFile = nil
                bottleVerified(job, path: outcome.path)
            }
        }
        if !options.overlapExtraction { startDeferredPreparations() }
        finishIfDone()
    }

    // MARK: - Streamed extraction (runQueue; see StreamingExtraction)

    /// A generation `name`'s download may feed to a streamed extraction, when streaming is on.
    private func streamCandidate(for name: String) -> GrowingFile? {
        assertOnRunQueue()
        guard options.streamExtraction, options.overlapExtraction else { return nil }
        // A body that declares itself too small to stream is dropped by the file as it begins,
        // on the download's queue: `streamBegan` would decide the same one run-queue wake-up
        // later, for every small bottle. (A manifest size that disagrees with the body's length
        // fails the download's size check anyway.)
        return GrowingFile(minimumDeclaredLength: options.streamingMinimumBytes) { [weak self] file, declaredLength in
            guard let self else { return }
            runQueue.async { self.streamBegan(file, name: name, declaredLength: declaredLength) }
        }
    }

    /// `file`'s download (of formula `name`) began writing a fresh body at byte 0: hands it to its
    /// job, or, for an early download not adopted yet, remembers it until `adopt` (no job, no
    /// extraction yet). Looked up by name, not by scanning every job for the file (that scan ran
    /// once per download: O(n²) per run).
    private func streamBegan(_ file: GrowingFile, name: String, declaredLength: Int64?) {
        assertOnRunQueue()
        if let job = jobs[name], job.streamFile === file {
            return streamBegan(job, declaredLength: declaredLength)
        }
        if let early = earlyDownloads[name], early.stream === file, early.job == nil, !early.discarded {
            early.streamBegan = .some(declaredLength)
            return
        }
        file.abandon("not streamed")
    }

    /// A fresh download of `job` began writing at byte 0: stream it now if a slot is free, later
    /// if one comes back before its download ends, never if it is too small to be worth it.
    private func streamBegan(_ job: PackageJob, declaredLength: Int64?) {
        assertOnRunQueue()
        guard let file = job.streamFile else { return }
        let size = job.manifest?.size ?? declaredLength
        guard stillStreamable(job), StreamingExtraction.worthStreaming(size: size, minimumBytes: options.streamingMinimumBytes)
        else {
            file.abandon("not streamed")
            job.streamFile = nil
            return
        }
        job.streamSize = size
        guard streaming.admit() else {
            // Measured: on the deep closure the bottles that took the four slots first were not
            // the ones that finished last; the largest (30 MB) then extracted whole after its last
            // byte, 0.17–0.23 s of the run's tail (Docs/Performance.md, sixth pass).
            streamsWaitingForSlot.append(job)
            return
        }
        startStream(job, file: file)
    }

    /// `job`'s download still writes the generation its stream file follows.
    private func stillStreamable(_ job: PackageJob) -> Bool {
        guard !cancelled, !job.isFinished, !job.streaming, let file = job.streamFile, file.currentState == .growing,
              case .downloading = job.phase, job.download != nil
        else { return false }
        return true
    }

    /// A streaming slot came back: the waiting download with the most bytes still to arrive
    /// follows its file from byte 0 (the one likely to end last gains the most: its extraction
    /// would otherwise all come after its last byte). One with fewer than `streamingMinimumBytes`
    /// still to arrive is dropped: by the same reasoning as the threshold, following it would buy
    /// little more than extracting the verified file.
    private func admitWaitingStream() {
        assertOnRunQueue()
        let remaining = { (job: PackageJob) -> Int64 in
            (job.streamSize ?? 0) - (job.streamFile?.writtenBytes ?? 0)
        }
        streamsWaitingForSlot.removeAll { !stillStreamable($0) || remaining($0) < options.streamingMinimumBytes }
        guard !streamsWaitingForSlot.isEmpty else { return }
        guard let best = streamsWaitingForSlot.indices.max(by: { remaining(streamsWaitingForSlot[$0]) < remaining(streamsWaitingForSlot[$1]) }),
              let file = streamsWaitingForSlot[best].streamFile, streaming.admit()
        else { return }
        startStream(streamsWaitingForSlot.remove(at: best), file: file)
    }

    /// Starts following `file`, `job`'s generation, on a streaming slot `admit` granted.
    private func startStream(_ job: PackageJob, file: GrowingFile) {
        assertOnRunQueue()
        job.streaming = true
        job.extractingAnnounced = true
        emit(.extracting(name: job.name))
        let incomplete = DownloadCache.incompletePath(
            for: DownloadCache.bottlePath(layout: configuration.layout, formula: job.formula, bottle: job.bottle))
        streaming.run(preparation(job, bottlePath: incomplete), file: file) { [self] result in
            streamEnded(job, result)
        }
    }

    private func streamEnded(_ job: PackageJob, _ result: Result<ExtractedKeg, PackageFailure>) {
        assertOnRunQueue()
        job.streaming = false
        defer { admitWaitingStream() }  // its slot came back
        if job.isFinished {
            // Failed, skipped or cancelled meanwhile: a failed extraction removed its staging itself.
            job.streamFile = nil
            if case .success = result { removeStaged(job) }
            return finishIfDone()
        }
        if let path = job.verifiedWhileStreaming {
            job.verifiedWhileStreaming = nil
            resolveStream(job, result, verifiedPath: path)
        } else {
            job.streamResult = result  // the download reports next
        }
        finishIfDone()
    }

    /// Both halves are known and the download verified `verifiedPath`. If it verified the streamed
    /// generation, the extraction's outcome stands (relocation and receipt follow, with the manifest
    /// as known now); otherwise the package extracts the verified file as without streaming.
    private func resolveStream(_ job: PackageJob, _ result: Result<ExtractedKeg, PackageFailure>, verifiedPath: String) {
        assertOnRunQueue()
        let streamedVerified = job.streamFile?.currentState == .verified
        job.streamFile = nil
        job.streamResult = nil
        switch (streamedVerified, result) {
        case (true, .success(let keg)):
            job.streamedKeg = keg
            bottleVerified(job, path: verifiedPath)
        case (_, .failure(.unpack(.cancelled))) where cancelled:
            finish(job, .skipped(reason: .cancelled))
        case (true, .failure(let failure)):
            fail(job, failure)  // the verified bytes themselves are refused (e.g. a hostile entry)
        case (false, _):
            bottleVerified(job, path: verifiedPath)  // abandoned generation: fall back
        }
    }

    /// A verified bottle goes on to extraction (or, streamed, to relocation), after a short wait
    /// for an in-flight manifest.
    private func bottleVerified(_ job: PackageJob, path: String) {
        assertOnRunQueue()
        if !options.overlapExtraction {
            job.deferredBottlePath = path
        } else if job.manifestFetch != nil {
            // The manifest is a few KB and normally already here; wait for it a little so
            // relocation can use its changed_files and the receipt its build facts.
            job.bottleAwaitingManifest = path
            runQueue.asyncAfter(deadline: .now() + InstallRun.manifestGrace) { [self] in startAwaitedPreparation(job) }
        } else {
            startPreparation(job, bottlePath: path)
        }
    }

    /// Without overlap: once no download is left, extracts every verified bottle.
    private func startDeferredPreparations() {
        assertOnRunQueue()
        let unfinished = order.compactMap { jobs[$0] }.filter { !$0.isFinished }
        guard !cancelled, unfinished.allSatisfy({ $0.deferredBottlePath != nil }) else { return }
        // Added as one batch (the queue held meanwhile), so the queue orders the whole batch by
        // priority instead of starting whichever came first.
        extractions.isSuspended = true
        for job in unfinished {
            guard let path = job.deferredBottlePath else { continue }
            job.deferredBottlePath = nil
            startPreparation(job, bottlePath: path)
        }
        extractions.isSuspended = false
    }

    // MARK: - Extract, relocate, receipt (extraction queue)

    /// How long a verified bottle waits for its in-flight manifest before extraction goes ahead.
    static let manifestGrace: DispatchTimeInterval = .seconds(2)

    /// Starts the extraction that waited for the manifest, once (manifest arrived or grace over).
    private func startAwaitedPreparation(_ job: PackageJob) {
        assertOnRunQueue()
        guard let path = job.bottleAwaitingManifest else { return }
        job.bottleAwaitingManifest = nil
        guard !job.isFinished else { return finishIfDone() }
        if cancelled {
            finish(job, .skipped(reason: .cancelled))
            return finishIfDone()
        }
        startPreparation(job, bottlePath: path)
    }

    private func preparation(_ job: PackageJob, bottlePath: String) -> KegPreparation {
        var work = KegPreparation(configuration: configuration, formula: job.formula, bottle: job.bottle,
                                  requested: job.requested, runtimeClosure: job.runtimeClosure,
                                  manifest: job.manifest,
                                  bottlePath: bottlePath, stagingRoot: stagingRoot, cancellation: cancellation)
        work.warn = { [self, name = job.name] message in runQueue.async { self.emit(.warning(name: name, message: message)) } }
        return work
    }

    private func startPreparation(_ job: PackageJob, bottlePath: String) {
        assertOnRunQueue()
        job.move(to: .extracting)
        if !job.extractingAnnounced { emit(.extracting(name: job.name)) }
        job.extractingAnnounced = true
        job.manifestFetch?.cancel()
        let work = preparation(job, bottlePath: bottlePath)
        // A streamed keg is already in staging: only relocation and the receipt are left.
        let streamed = job.streamedKeg
        job.streamedKeg = nil
        // The group is left only after the outcome has been handled on the run queue, so that a
        // staging removal it schedules joins the group before the group can drain.
        stages.enter()
        let operation = BlockOperation { [self, work] in
            let result = streamed.map { work.complete($0) } ?? work.run()
            runQueue.async { [self] in
                preparationEnded(job, result)
                stages.leave()
            }
        }
        operation.queuePriority = Self.extractionPriority(bottleBytes: job.manifest?.size)
        extractions.addOperation(operation)
    }

    /// Largest bottles first among extractions waiting for a core: on 2 cores the run ends when
    /// the longest extraction does, so it should not start behind smaller ones (longest job
    /// first; ffmpeg-like on loopback 0.57 → 0.53 s, Docs/Performance.md "third pass"). Five
    /// levels are what `Operation.QueuePriority` has; a bottle of unknown size (no manifest)
    /// stays `.normal`.
    static func extractionPriority(bottleBytes: Int64?) -> Operation.QueuePriority {
        guard let bytes = bottleBytes else { return .normal }
        switch bytes {
        case (8 << 20)...: return .veryHigh
        case (2 << 20)...: return .high
        case (512 << 10)...: return .normal
        case (128 << 10)...: return .low
        default: return .veryLow
        }
    }

    private func preparationEnded(_ job: PackageJob, _ result: Result<ExtractedKeg, PackageFailure>) {
        assertOnRunQueue()
        switch result {
        case .failure(.unpack(.cancelled)):
            finish(job, .skipped(reason: .cancelled))
        case .failure(let failure):
            fail(job, failure)
        case .success(let keg):
            emit(.extracted(name: job.name, files: keg.fileCount, bytes: keg.totalBytes))
            if job.isFinished || cancelled {
                // A dependency failed (or Ctrl-C) while this one was extracting: discard it.
                if !job.isFinished { finish(job, .skipped(reason: .cancelled)) }
                removeStaged(job)
            } else {
                job.move(to: .staged)
                if job.unmetDependencies == 0 { readyToCommit.append(job) }
                commitReadyPackages()
            }
        }
        finishIfDone()
    }

    // MARK: - Commit and link (link queue), dependencies first

    /// Moves every staged package whose dependencies are installed into the next activation
    /// batch, in plan order; one batch runs on the link queue at a time, and packages that become
    /// ready meanwhile form the next one. `readyToCommit` holds exactly those packages: a package
    /// enters it when it is staged with `unmetDependencies == 0`, or when its last dependency
    /// installs while it is staged (`finish`).
    private func commitReadyPackages() {
        assertOnRunQueue()
        guard !cancelled, !readyToCommit.isEmpty else { return }
        var ready: [PackageJob] = []
        for job in readyToCommit.sorted(by: { $0.planIndex < $1.planIndex }) {
            guard case .staged = job.phase else { continue } // skipped meanwhile
            job.move(to: .committing)
            ready.append(job)
        }
        readyToCommit = []
        guard !ready.isEmpty else { return }
        activations.submit(ready) { [self] batch, outcomes in
            for (job, outcome) in zip(batch, outcomes) { activationEnded(job, outcome) }
            commitReadyPackages()
            finishIfDone()
        }
    }

    private func activationEnded(_ job: PackageJob, _ result: KegActivation.Outcome) {
        assertOnRunQueue()
        switch result {
        case .failure(let failure):
            fail(job, failure)
        case .success(let activated):
            emit(.committed(name: job.name, kegPath: activated.kegPath))
            if options.link { emit(.linked(name: job.name, links: activated.links)) }
            finish(job, .installed)
            emit(.installed(name: job.name, pkgVersion: job.formula.pkgVersion))
            if let caveats = job.formula.caveats(in: configuration.layout), !caveats.isEmpty {
                emit(.caveats(name: job.name, text: caveats))
            }
            if let postInstall = activated.postInstall { reportPostInstall(job.name, postInstall) }
        }
    }

    private func reportPostInstall(_ name: String, _ outcome: PostInstallOutcome) {
        let event = PostInstallRunner.event(name: name, outcome)
        if case .postInstallNotRun(_, let reason, let command) = event {
            postInstallNotRun.append(InstallReport.PendingPostInstall(name: name, reason: reason, command: command))
        }
        emit(event)
    }

    // MARK: - Outcomes (runQueue)

    private func fail(_ job: PackageJob, _ failure: PackageFailure) {
        assertOnRunQueue()
        guard !job.isFinished else { return }
        finish(job, .failed(failure))
        emit(.failed(name: job.name, message: failure.description))
        skipDependents(of: job.name, reason: .dependencyFailed(job.name))
    }

    private func finish(_ job: PackageJob, _ outcome: PackageOutcome) {
        assertOnRunQueue()
        guard !job.isFinished else { return }
        let previous = job.phase
        job.move(to: .finished(outcome))
        unfinishedJobs -= 1
        if outcome == .installed {
            for dependent in job.dependents {
                dependent.unmetDependencies -= 1
                if dependent.unmetDependencies == 0, case .staged = dependent.phase { readyToCommit.append(dependent) }
            }
        }
        job.manifestFetch?.cancel()
        // A streamed keg that will not be committed (its extraction has reported).
        if job.streamedKeg != nil || (try? job.streamResult?.get()) != nil { removeStaged(job) }
        job.streamedKeg = nil
        job.streamResult = nil
        if case .skipped(let reason) = outcome {
            emit(.skipped(name: job.name, reason: reason))
            if case .staged = previous { removeStaged(job) }
            job.download?.cancel()
        }
    }

    /// Finishes every package that (transitively) depends on `name` as skipped. Their downloads are
    /// cancelled; their extractions are discarded when they report back.
    private func skipDependents(of name: String, reason: InstallReport.SkipReason) {
        assertOnRunQueue()
        var failed: Set<String> = [name]
        for candidate in order {
            guard let job = jobs[candidate] else { continue }
            if job.dependencies.contains(where: failed.contains) {
                failed.insert(candidate)
                if !job.isFinished, case .committing = job.phase { continue }
                finish(job, .skipped(reason: reason))
            }
        }
    }

    private func removeStaged(_ job: PackageJob) {
        assertOnRunQueue()
        let path = "\(stagingRoot)/\(job.name)"
        stages.enter()
        let layout = configuration.layout
        extractions.addOperation { [stages] in
            try? StatePaths.remove(path, layout: layout)
            stages.leave()
        }
    }

    /// Ends the run once the plan exists and every package has an outcome.
    private func finishIfDone() {
        assertOnRunQueue()
        // A skipped job's download may still be winding down (its cancel deletes the
        // `.incomplete`): the run ends only once it has reported, or the process could exit
        // first and leave the partial file behind.
        guard planned, !finishing, earlyDownloads.isEmpty, unfinishedJobs == 0, jobsWithDownload == 0 else { return }
        // The counters stand for this scan (run once per run); debug builds check them.
        assert(order.allSatisfy({ jobs[$0].map { $0.isFinished && $0.download == nil } ?? true }),
               "finishIfDone: counters out of step with the jobs")
        finishRun(error: nil)
    }

    /// Tears down (blocking work off the run queue) and delivers the single completion.
    private func finishRun(error: InstallError?) {
        assertOnRunQueue()
        guard !finishing else { return }
        if !planned {
            // Ending before the plan (an error, a cancel): early downloads are stopped first, and
            // the run ends once they have reported, so no `.incomplete` outlives it.
            discardUnadoptedEarlyDownloads()
            if !earlyDownloads.isEmpty {
                endAwaitingEarlyDownloads = (error, true)
                return
            }
        }
        finishing = true
        // Before the report and the teardown allocate: the run's freed memory is still resident.
        FreePages.release()
        let report = InstallReport(
            packages: alreadyInstalled.map { ($0.name, $0.pkgVersion, PackageOutcome.alreadyInstalled) }
                + order.compactMap { name in jobs[name].map { ($0.name, $0.formula.pkgVersion, $0.outcome ?? .skipped(reason: .cancelled)) } },
            networkBytes: networkBytes,
            seconds: Double(DispatchTime.now().uptimeNanoseconds - startTime.uptimeNanoseconds) / 1e9,
            cancelled: cancelled, postInstallNotRun: postInstallNotRun)
        let delivery = self.delivery
        let completion = self.completion
        self.completion = nil
        let result: Result<InstallReport, InstallError>
        if cancelled {
            result = .failure(.cancelled(report))
        } else if let error {
            result = .failure(error)
        } else {
            result = .success(report)
        }
        RunTeardown(group: stages, stagingRoot: stagingRoot, layout: configuration.layout, engine: engine, lock: lock).perform {
            delivery.finish { completion?(result) }
        }
    }
}
