import ArgumentParser
import Foundation
import PourCore

/// `pour bundle [install]`: installs a Brewfile's formulae in one install run.
struct BundleInstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install (and upgrade) every formula a Brewfile lists, in one run.",
        discussion: """
            One resolve, one set of parallel downloads and one activation order for the whole file. \
            Outdated listed formulae are upgraded (pinned ones are left alone) unless --no-upgrade. \
            `link: false` entries are installed without links, and unlinked if they are linked.
            """)

    @OptionGroup var fileOptions: BundleFileOptions

    @Flag(name: .customLong("no-upgrade"), help: "Leave installed formulae at their version (also HOMEBREW_BUNDLE_NO_UPGRADE).")
    var noUpgrade = false

    @OptionGroup var prefixOptions: PrefixOptions

    @OptionGroup var runOptions: RunOptions

    func run() throws {
        var configuration = prefixOptions.configuration()
        if let jobs = runOptions.jobs { configuration.jobs = jobs }
        configuration.waitForLock = !runOptions.noWait
        let brewfile = try BundleSupport.read(fileOptions, configuration: configuration)
        BundleSupport.report(brewfile)
        let layout = configuration.layout
        let inventory = PrefixInventory.read(layout: layout)
        let skipUpgrade = noUpgrade || ProcessInfo.processInfo.environment["HOMEBREW_BUNDLE_NO_UPGRADE"].map { !$0.isEmpty } == true
        var plan = BundlePlan(brewfile: brewfile, inventory: inventory, noUpgrade: skipUpgrade)
        for name in plan.pinned { writeStderr("==> Not upgrading \(name): pinned (`pour unpin \(name)` to allow it)\n") }
        for name in plan.keptVersion { writeStderr("==> \(name) is installed; not upgraded (--no-upgrade)\n") }

        var failed = false
        if !plan.install.isEmpty {
            for rejected in try screen(&plan, brewfile: brewfile, configuration: configuration) {
                writeStderr("Error: \(brewfile.path):\(rejected.line): brew \"\(rejected.name)\" not installed: \(rejected.error.description)\n")
                failed = true
            }
        }
        var installed: [(name: String, pkgVersion: String)] = []
        if !plan.install.isEmpty {
            var options = InstallOptions()
            options.unlinked = brewfile.unlinkedNames
            let renderer = ProgressRenderers.make(json: runOptions.json, quiet: runOptions.quiet)
            let outcome = InstallSession.run(Installer(configuration: configuration), names: plan.install, options: options,
                                             renderer: renderer)
            if case .failure(.cancelled)? = outcome.result { try outcome.check() }
            if case .success(let report)? = outcome.result {
                installed = report.packages.filter { $0.outcome == .installed || $0.outcome == .alreadyInstalled }
                    .map { ($0.name, $0.pkgVersion) }
            }
            if (try? outcome.check()) == nil { failed = true }
        } else {
            writeStderr("==> Nothing to install\n")
        }
        if !brewfile.formulae.isEmpty,
           !settle(brewfile, layout: layout, installed: installed, previous: RequestFlags(inventory: inventory).requested) {
            failed = true
        }
        if failed { throw ExitCode.failure }
        writeStderr("==> `pour bundle` complete: \(brewfile.formulae.count) Brewfile formulae now installed\n")
    }

    /// Drops the entries that cannot resolve (see `BundlePlan.reject`), with the metadata the
    /// install is about to read anyway (index, or the API files it caches).
    private func screen(_ plan: inout BundlePlan, brewfile: Brewfile, configuration: InstallConfiguration) throws -> [BundlePlan.Rejected] {
        let done = DispatchSemaphore(value: 0)
        let outcome = Locked<Result<FormulaCatalog, InstallError>?>(nil)
        Installer(configuration: configuration).fetchFormulae(plan.install, callbackQueue: DispatchQueue(label: "pour.cli.bundle")) { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        switch outcome.current {
        case .success(let catalog)?:
            return plan.reject(unresolvableIn: catalog, brewfile: brewfile)
        case .failure(let error)?:
            writeStderr("Error: \(error.description)\n")
            throw ExitCode.failure
        case nil:
            throw ExitCode.failure
        }
    }

    /// After the run, under the prefix lock: listed formulae are marked installed on request
    /// (brew's install marks them so), dependencies the run upgraded keep their old flag
    /// (`RequestFlags`), `link: false` entries that are linked are unlinked and `link: true` ones
    /// that are not are linked (brew bundle's `link_change_state!`). Returns false (after printing why) when something could not be done.
    /// `previous` holds the flags read before the run: a dependency the run upgraded has a new
    /// receipt saying "dependency" even if it had been requested.
    private func settle(_ brewfile: Brewfile, layout: PrefixLayout, installed: [(name: String, pkgVersion: String)],
                        previous: [String: Bool]) -> Bool {
        let inventory = PrefixInventory.read(layout: layout)
        let listed = Set(brewfile.formulae.map(\.name))
        var wanted = previous
        for name in listed { wanted[name] = true }
        // Listed formulae that were already installed are flagged too (their receipt was not rewritten).
        var touched = installed
        for name in listed where !installed.contains(where: { $0.name == name }) {
            if let version = inventory.formula(named: name)?.activeKeg?.pkgVersion { touched.append((name, version)) }
        }
        do throws(LifecycleError) {
            let lock = try LifecycleLock.acquire(layout: layout, wait: !runOptions.noWait) { message in
                writeStderr("==> \(message)\n")
            }
            defer { lock.release() }
            _ = try RequestFlags(requested: wanted).restore(installed: touched, layout: layout, lock: lock)
            for name in brewfile.unlinkedNames {
                guard let formula = inventory.formula(named: name), formula.linkedVersion != nil else { continue }
                let result = try Linking(layout: layout).unlink(formula, dryRun: false, lock: lock)
                writeStderr("==> Unlinked \(name) (link: false): \(result.links.count) links removed\n")
            }
            // `link: true` links even a keg-only formula (brew's `link --force`); `:overwrite`
            // replaces other formulae's conflicting files (`link --overwrite`).
            for entry in brewfile.forceLinked {
                guard let formula = inventory.formula(named: entry.name), !formula.kegs.isEmpty, formula.linkedVersion == nil else { continue }
                let report = try Linking(layout: layout).link(formula, inventory: inventory, overwrite: entry.linkOverwrite,
                                                              dryRun: false, lock: lock)
                writeStderr("==> Linked \(entry.name) (link: \(entry.linkOverwrite ? ":overwrite" : "true")): \(report.linksCreated) links\n")
            }
            return true
        } catch {
            writeStderr("Error: \(error.description)\n")
            return false
        }
    }
}
