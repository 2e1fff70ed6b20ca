import Foundation

/// One `Installer.fetch` call (`pour fetch`): fetch metadata → resolve → download and verify each
/// bottle into the cache through `VerifiedDownload`, the install's own transfer and checksum path,
/// so a fetched bottle is exactly the file a later install reuses.
///
/// brew's `fetch` (`Library/Homebrew/cmd/fetch.rb`) downloads only the named formulae unless
/// `--deps` is given; so does this (`includeDependencies`). No prefix is touched and no prefix lock
/// is taken: the cache's final names are only ever written by an atomic rename of a verified file.
///
/// Confinement: every mutable property lives on `queue` (serial); each download hashes and writes
/// on its own serial queue and reports back here. Hence `@unchecked Sendable`.
final class BottleFetchRun: @unchecked Sendable {
    private let configuration: InstallConfiguration
    private let names: [String]
    private let includeDependencies: Bool
    /// Events and the completion reach the callback queue through it, in batches (`EventDelivery`).
    private let delivery: EventDelivery<InstallEvent>
    private let emit: @Sendable (InstallEvent) -> Void
    private var completion: (@Sendable (Result<BottleFetchReport, InstallError>) -> Void)?
    private let queue = DispatchQueue(label: "pour.fetch", qos: .userInitiated)

    // queue state
    private var engine: TransferEngine?
    private var fetcher: FormulaFetcher?
    private var downloads: [Int: VerifiedDownload] = [:]
    private var items: [BottleFetchReport.Item] = []
    private var pending = 0
    private var cancelled = false

    init(configuration: InstallConfiguration, names: [String], includeDependencies: Bool, callbackQueue: DispatchQueue,
         events: @escaping @Sendable (InstallEvent) -> Void,
         completion: @escaping @Sendable (Result<BottleFetchReport, InstallError>) -> Void) {
        self.configuration = configuration
        self.names = names
        self.includeDependencies = includeDependencies
        let delivery = EventDelivery(queue: callbackQueue, handler: events)
        self.delivery = delivery
        self.emit = { event in delivery.send(event) }
        self.completion = completion
    }

    func start() {
        queue.async { [self] in
            let fetcher: FormulaFetcher
            switch configuration.makeMetadataFetcher(queue: queue) {
            case .failure(let error): return finish(.failure(error))
            case .success(let made): (engine, fetcher) = (made.engine, made.fetcher)
            }
            self.fetcher = fetcher
            emit(.resolving(names: names))
            fetcher.fetchClosure(of: names) { [self] result in
                switch result {
                case .failure(let error): finish(.failure(cancelled ? .cancelled(FormulaFetcher.emptyReport) : error))
                case .success(let catalog): resolved(catalog)
                }
            }
        }
    }

    func cancel() {
        queue.async { [self] in
            guard !cancelled else { return }
            cancelled = true
            fetcher?.cancel()
            downloads.values.forEach { $0.cancel() }
        }
    }

    private func resolved(_ catalog: FormulaCatalog) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !cancelled else { return finish(.failure(.cancelled(FormulaFetcher.emptyReport))) }
        let plan: [ResolvedFormula]
        do {
            plan = try DependencyResolver(catalog: catalog).resolve(names.map(FormulaFetcher.canonicalRequestName))
        } catch {
            return finish(.failure(.resolve(error)))
        }
        for item in plan where item.requested || includeDependencies {
            guard let bottle = item.formula.bottle else { continue } // the resolver rejects bottle-less formulae
            let formula = item.formula
            let path = DownloadCache.bottlePath(layout: configuration.layout, formula: formula, bottle: bottle)
            items.append(.init(name: formula.name, pkgVersion: formula.pkgVersion, requested: item.requested, path: path,
                               outcome: .skipped("not started")))
            let index = items.count - 1
            // The version becomes part of the cache file name: refuse one that could climb out.
            guard KegEntryPath.isSafeComponent(formula.pkgVersion), formula.pkgVersion.utf8.count <= 64 else {
                let message = UnpackError.invalidKegName(package: "\(formula.name) \(formula.pkgVersion.prefix(64))").description
                items[index].outcome = .failed(message)
                emit(.failed(name: formula.name, message: message))
                continue
            }
            start(index, formula: formula, bottle: bottle)
        }
        finishIfDone()
    }

    private func start(_ index: Int, formula: Formula, bottle: Bottle) {
        guard let engine else { return }
        let name = formula.name
        let emit = self.emit
        pending += 1
        let download = VerifiedDownload(
            engine: engine, packageName: name, sources: configuration.endpoints.sources(for: formula, bottle: bottle),
            expectedSHA256: bottle.sha256, destination: items[index].path, policy: configuration.retryPolicy,
            timeouts: configuration.timeouts, queue: DispatchQueue(label: "pour.fetch.\(name)", qos: .userInitiated,
                                                           target: .global(qos: .userInitiated)),  // as InstallRun's download queues
            onProgress: { progress in
                emit(.downloadProgress(name: name, receivedBytes: progress.receivedBytes, totalBytes: progress.totalBytes))
            },
            onRetry: { attempt, delay, error in
                emit(.downloadRetrying(name: name, attempt: attempt, delaySeconds: delay, reason: error.description))
            },
            completion: { [self] result in queue.async { self.ended(index, result) } })
        downloads[index] = download
        emit(.downloadStarted(name: name))
        download.start()
    }

    private func ended(_ index: Int, _ result: Result<DownloadOutcome, TransferError>) {
        dispatchPrecondition(condition: .onQueue(queue))
        pending -= 1
        downloads[index] = nil
        let name = items[index].name
        switch result {
        case .success(let outcome):
            items[index].outcome = outcome.fromCache ? .cached : .downloaded(bytes: outcome.networkBytes)
            emit(.downloadFinished(name: name, bytes: outcome.networkBytes, fromCache: outcome.fromCache))
        case .failure(.cancelled):
            items[index].outcome = .skipped("cancelled")
            emit(.skipped(name: name, reason: .cancelled))
        case .failure(let error):
            items[index].outcome = .failed(error.description)
            emit(.failed(name: name, message: error.description))
        }
        finishIfDone()
    }

    private func finishIfDone() {
        guard pending == 0 else { return }
        let report = BottleFetchReport(items: items, cancelled: cancelled)
        finish(cancelled ? .failure(.cancelled(FormulaFetcher.emptyReport)) : .success(report))
    }

    private func finish(_ result: Result<BottleFetchReport, InstallError>) {
        guard let completion else { return }
        self.completion = nil
        let engine = self.engine
        self.engine = nil
        let delivery = self.delivery
        DispatchQueue.global(qos: .utility).async {
            engine?.shutdown()
            delivery.finish { completion(result) }
        }
    }
}
