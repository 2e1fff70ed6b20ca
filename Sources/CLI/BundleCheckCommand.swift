import ArgumentParser
import Foundation
import PourCore

/// `pour bundle check`: exit 0 when a Brewfile's formulae are installed (and current), else 1
/// with the list of what is missing.
struct BundleCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check that a Brewfile's formulae are installed and up to date (exit 1 with the list if not).")

    @OptionGroup var fileOptions: BundleFileOptions

    @Flag(name: .customLong("no-upgrade"), help: "Do not count outdated formulae as missing (also HOMEBREW_BUNDLE_NO_UPGRADE).")
    var noUpgrade = false

    @OptionGroup var prefixOptions: PrefixOptions

    func run() throws {
        let configuration = prefixOptions.configuration()
        let brewfile = try BundleSupport.read(fileOptions, configuration: configuration)
        BundleSupport.report(brewfile)
        let inventory = PrefixInventory.read(layout: configuration.layout)
        let skipUpgrade = noUpgrade || ProcessInfo.processInfo.environment["HOMEBREW_BUNDLE_NO_UPGRADE"].map { !$0.isEmpty } == true
        var outdated: Set<String>?
        if !skipUpgrade {
            let installed = brewfile.formulae.compactMap { inventory.formula(named: $0.name) }.filter { !$0.kegs.isEmpty }
            outdated = installed.isEmpty ? [] : try outdatedNames(installed, configuration: configuration)
        }
        let problems = BundleCheck.problems(brewfile, inventory: inventory, outdated: outdated)
        if problems.isEmpty {
            LifecycleCLI.say("The Brewfile's dependencies are satisfied.")
            return
        }
        for problem in problems { LifecycleCLI.say("→ \(problem)") }
        writeStderr("pour bundle can't satisfy \(brewfile.path)'s dependencies; run `pour bundle install`.\n")
        throw ExitCode.failure
    }

    /// The catalogue's view, fetched as `pour outdated` does (index or API, same freshness rules).
    private func outdatedNames(_ formulae: [InstalledFormula], configuration: InstallConfiguration) throws -> Set<String> {
        let done = DispatchSemaphore(value: 0)
        let outcome = Locked<Result<FormulaCatalog, InstallError>?>(nil)
        Installer(configuration: configuration).fetchFormulae(formulae.map(\.name), callbackQueue: DispatchQueue(label: "pour.cli.check")) { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        switch outcome.current {
        case .success(let catalog)?:
            return Set(Outdated.evaluate(formulae, catalog: catalog).outdated.map(\.name))
        case .failure(let error)?:
            writeStderr("Error: cannot check for outdated formulae: \(error.description) (or pass --no-upgrade)\n")
            throw ExitCode.failure
        case nil:
            throw ExitCode.failure
        }
    }
}
