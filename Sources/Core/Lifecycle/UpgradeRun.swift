import Foundation

/// One `Upgrader.run`: read the prefix → fetch metadata → plan → install → restore flags.
///
/// Confinement: every mutable property lives on `queue` (serial); blocking steps (reading the
/// prefix, taking the lock, rewriting receipts) run on a global utility queue and hop back.
/// Hence `@unchecked Sendable`.
final class UpgradeRun: @unchecked Sendable {
    private let installer: Installer
    private let mode: Upgrader.Mode
    private let names: [String]
    private let callbackQueue: DispatchQueue
    private let onPlan: @Sendable (Upgrader.Plan) -> Void
    private let events: @Sendable (InstallEvent) -> Void
    private var completion: (@Sendable (Result<Upgrader.Report, LifecycleError>) -> Void)?
    private let queue = DispatchQueue(label: "pour.upgrade", qos: .userInitiated)

    // queue state
    private var cancelled = false
    private var stageHandle: InstallHandle?
    private var plan = Upgrader.Plan()
    private var flags: RequestFlags?
    private var inventory: PrefixInventory?

    init(installer: Installer, mode: Upgrader.Mode, names: [String], callbackQueue: DispatchQueue,
         onPlan: @escaping @Sendable (Upgrader.Plan) -> Void, events: @escaping @Sendable (InstallEvent) -> Void,
         completion: @escaping @Sendable (Result<Upgrader.Report, LifecycleError>) -> Void) {
        self.installer = installer
        self.mode = mode
        self.names = names
        self.callbackQueue = callbackQueue
        self.onPlan = onPlan
        self.events = events
        self.completion = completion
    }

    private var layout: PrefixLayout { installer.configuration.layout }

    func start() {
        DispatchQueue.global(qos: .utility).async { [self] in
            let inventory = PrefixInventory.read(layout: layout)
            let formulae: [InstalledFormula]
            do throws(LifecycleError) {
                formulae = try Outdated.candidates(inventory, names: names)
            } catch {
                return queue.async { self.finish(.failure(error)) }
            }
            queue.async { self.fetch(formulae, inventory: inventory) }
        }
    }

    func cancel() {
        queue.async { [self] in
            guard !cancelled else { return }
            cancelled = true
            stageHandle?.cancel()
        }
    }

    private func fetch(_ formulae: [InstalledFormula], inventory: PrefixInventory) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !cancelled else { return finish(.success(report(install: nil))) }
        self.inventory = inventory
        if formulae.isEmpty { return planned(Upgrader.Plan()) }
        flags = RequestFlags(inventory: inventory)
        stageHandle = installer.fetchFormulae(formulae.map(\.name), callbackQueue: queue) { [self] result in
            switch result {
            case .failure(.cancelled):
                finish(.success(report(install: nil)))
            case .failure(let error):
                finish(cancelled ? .success(report(install: nil)) : .failure(.metadata(error.description)))
            case .success(let catalog):
                planned(Upgrader.plan(mode, formulae: formulae, explicit: !names.isEmpty, inventory: inventory,
                                      catalog: catalog))
            }
        }
    }

    private func planned(_ plan: Upgrader.Plan) {
        dispatchPrecondition(condition: .onQueue(queue))
        self.plan = plan
        let onPlan = self.onPlan
        callbackQueue.async { onPlan(plan) }
        guard !cancelled else { return finish(.success(report(install: nil))) }
        guard !plan.packages.isEmpty else { return finish(.success(report(install: nil))) }
        // A keg of the wanted version may already sit in the Cellar unused; force re-pours it so
        // the install switches the links to it instead of reporting "already installed".
        let force = mode == .reinstall || plan.packages.contains { package in
            inventory?.formula(named: package.name)?.kegs.contains { $0.pkgVersion == package.currentVersion } == true
        }
        let events = self.events
        stageHandle = installer.install(plan.packages.map(\.name), options: InstallOptions(force: force),
                                        callbackQueue: callbackQueue, events: events) { [self] result in
            queue.async { self.installed(result) }
        }
    }

    private func installed(_ result: Result<InstallReport, InstallError>) {
        dispatchPrecondition(condition: .onQueue(queue))
        let installReport: InstallReport
        switch result {
        case .success(let report): installReport = report
        case .failure(.cancelled(let report)): installReport = report
        case .failure(let error):
            if case .prefixBusy(let keg) = error { return finish(.failure(.prefixBusy(keg))) }
            return finish(.failure(.install(error.description)))
        }
        let done = installReport.packages.filter { $0.outcome == .installed }.map { (name: $0.name, pkgVersion: $0.pkgVersion) }
        guard let flags, !done.isEmpty else { return finish(.success(report(install: installReport))) }
        let configuration = installer.configuration
        DispatchQueue.global(qos: .utility).async { [self] in
            var restored: [String] = []
            var problem: String?
            do throws(LifecycleError) {
                let lock = try LifecycleLock.acquire(layout: configuration.layout, wait: configuration.waitForLock)
                defer { lock.release() }
                restored = try flags.restore(installed: done, layout: configuration.layout, lock: lock)
            } catch {
                problem = error.description
            }
            let (restoredNames, flagProblem) = (restored, problem)
            queue.async {
                var report = self.report(install: installReport)
                report.restoredFlags = restoredNames
                report.flagProblem = flagProblem
                self.finish(.success(report))
            }
        }
    }

    private func report(install: InstallReport?) -> Upgrader.Report {
        Upgrader.Report(plan: plan, install: install, cancelled: cancelled || install?.cancelled == true)
    }

    private func finish(_ result: Result<Upgrader.Report, LifecycleError>) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard let completion else { return }
        self.completion = nil
        stageHandle = nil
        // Cancellation has one shape across PourCore: a failure carrying the partial report.
        var delivered = result
        if case .success(let report) = result, report.cancelled { delivered = .failure(.cancelled(report)) }
        let final = delivered
        callbackQueue.async { completion(final) }
    }
}
