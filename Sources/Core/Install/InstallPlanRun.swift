import Foundation

/// One `Installer.plan` call: fetch metadata → resolve → inspect the Cellar and the download cache
/// → fetch the bottles' OCI manifests for their sizes → the `InstallPlan`.
///
/// Side-effect free by construction: no prefix lock (it would create the lock file), no prefix
/// or cache directory is created, the formula fetcher runs read-only (no API cache write, no
/// index refresh; an existing index is used whatever its age), and manifests are read into memory.
///
/// Confinement: every mutable property lives on `queue` (serial); the transfer engine's shutdown
/// blocks, so it runs on a global utility queue. Hence `@unchecked Sendable`.
final class InstallPlanRun: @unchecked Sendable {
    private let configuration: InstallConfiguration
    private let names: [String]
    private let options: InstallOptions
    private let callbackQueue: DispatchQueue
    private var completion: (@Sendable (Result<InstallPlan, InstallError>) -> Void)?
    private let queue = DispatchQueue(label: "pour.plan", qos: .userInitiated)

    // queue state
    private var engine: TransferEngine?
    private var fetcher: FormulaFetcher?
    private var manifestFetches: [MemoryFetch] = []
    private var pendingManifests = 0
    private var plan = InstallPlan(packages: [], alreadyInstalled: [])
    private var cancelled = false

    init(configuration: InstallConfiguration, names: [String], options: InstallOptions, callbackQueue: DispatchQueue,
         completion: @escaping @Sendable (Result<InstallPlan, InstallError>) -> Void) {
        self.configuration = configuration
        self.names = names
        self.options = options
        self.callbackQueue = callbackQueue
        self.completion = completion
    }

    func start() {
        queue.async { [self] in
            let fetcher: FormulaFetcher
            switch configuration.makeMetadataFetcher(queue: queue, readOnly: true) {
            case .failure(let error): return finish(.failure(error))
            case .success(let made): (engine, fetcher) = (made.engine, made.fetcher)
            }
            self.fetcher = fetcher
            fetcher.fetchClosure(of: names) { [self] result in
                switch result {
                case .failure(let error): finish(.failure(cancelled ? .cancelled(FormulaFetcher.emptyReport) : error))
                case .success(let catalog): planned(catalog)
                }
            }
        }
    }

    func cancel() {
        queue.async { [self] in
            guard !cancelled else { return }
            cancelled = true
            fetcher?.cancel()
            manifestFetches.forEach { $0.cancel() }
        }
    }

    private func planned(_ catalog: FormulaCatalog) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !cancelled else { return finish(.failure(.cancelled(FormulaFetcher.emptyReport))) }
        let resolved: [ResolvedFormula]
        do {
            resolved = try DependencyResolver(catalog: catalog).resolve(names.map(FormulaFetcher.canonicalRequestName))
        } catch {
            return finish(.failure(.resolve(error)))
        }
        let layout = configuration.layout
        let cellar = Cellar(layout: layout)
        for item in resolved {
            let formula = item.formula
            // The same test as the install's plan (InstallRun.plan): forced requests and kegs whose
            // activation was interrupted are poured again.
            let forced = options.force && item.requested
            if !forced && cellar.isInstalled(name: formula.name, pkgVersion: formula.pkgVersion)
                && !KegActivation.wasInterrupted(name: formula.name, layout: layout) {
                plan.alreadyInstalled.append(.init(name: formula.name, pkgVersion: formula.pkgVersion, requested: item.requested))
                continue
            }
            guard let bottle = formula.bottle else { continue } // the resolver rejects bottle-less formulae
            var problem: String?
            if case .pinned(let path) = bottle.cellar, path != layout.cellar {
                problem = PackageFailure.pinnedCellar(package: formula.name, bottleCellar: path, prefixCellar: layout.cellar).description
            } else if !KegEntryPath.isSafeComponent(formula.pkgVersion) || formula.pkgVersion.utf8.count > 64 {
                problem = UnpackError.invalidKegName(package: "\(formula.name) \(formula.pkgVersion.prefix(64))").description
            }
            let installed = cellar.activeVersion(of: formula.name).flatMap { $0 == formula.pkgVersion ? nil : $0 }
            let cached = FileManager.default.fileExists(atPath: DownloadCache.bottlePath(layout: layout, formula: formula, bottle: bottle))
            plan.packages.append(.init(name: formula.name, pkgVersion: formula.pkgVersion, requested: item.requested,
                                       kegOnly: formula.kegOnly, installedVersion: installed, bottleSize: nil,
                                       installedSize: nil, cached: cached,
                                       wouldLink: options.link && !formula.kegOnly && !options.unlinked.contains(formula.name),
                                       bottleURL: bottle.url, problem: problem))
            fetchManifest(index: plan.packages.count - 1, formula: formula, bottle: bottle)
        }
        finishIfDone()
    }

    /// The manifest names the bottle's size (as the install reads it for admission order).
    private func fetchManifest(index: Int, formula: Formula, bottle: Bottle) {
        guard let engine, let source = configuration.endpoints.manifestSources(for: formula, bottle: bottle).first else { return }
        pendingManifests += 1
        let fetch = MemoryFetch(engine: engine, source: source, policy: RetryPolicy(maxAttempts: 2),
                                timeouts: configuration.timeouts, maxBytes: 4 << 20, queue: queue) { [self] result in
            pendingManifests -= 1
            if case .success(let data) = result, let manifest = BottleManifest.parse(indexJSON: data, sha256: bottle.sha256) {
                plan.packages[index].bottleSize = manifest.size
                plan.packages[index].installedSize = manifest.installedSize
            }
            finishIfDone()
        }
        manifestFetches.append(fetch)
        fetch.start()
    }

    private func finishIfDone() {
        guard pendingManifests == 0 else { return }
        finish(cancelled ? .failure(.cancelled(FormulaFetcher.emptyReport)) : .success(plan))
    }

    private func finish(_ result: Result<InstallPlan, InstallError>) {
        guard let completion else { return }
        self.completion = nil
        manifestFetches = []
        let engine = self.engine
        self.engine = nil
        let callbackQueue = self.callbackQueue
        DispatchQueue.global(qos: .utility).async {
            engine?.shutdown()
            callbackQueue.async { completion(result) }
        }
    }
}
