import ArgumentParser
import Foundation
import PourCore

/// `pour outdated`: installed formulae whose keg in use is not the catalogue's version.
struct OutdatedCommand: FormulaNamesCommand {
    static let configuration = CommandConfiguration(
        commandName: "outdated",
        abstract: "List installed formulae with a different version in the catalogue.",
        discussion: "Pinned formulae are not listed. Versions are compared for equality, as brew does for bottles.")

    @Argument(help: "Only these formulae.")
    var names: [String] = []

    @OptionGroup var prefixOptions: PrefixOptions

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(name: .shortAndLong, help: "Show the versions too.")
    var verbose = false

    func run() throws {
        let configuration = prefixOptions.configuration()
        let inventory = PrefixInventory.read(layout: configuration.layout)
        let formulae: [InstalledFormula]
        do { formulae = try Outdated.candidates(inventory, names: names) } catch { throw LifecycleCLI.fail(error) }
        if formulae.isEmpty {
            if json { LifecycleCLI.printJSON([Any]()) }
            return
        }

        let done = DispatchSemaphore(value: 0)
        let result = Locked<Result<FormulaCatalog, InstallError>?>(nil)
        Installer(configuration: configuration).fetchFormulae(formulae.map(\.name), callbackQueue: .global()) { outcome in
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        guard case .success(let catalog)? = result.current else {
            if case .failure(let error)? = result.current { throw LifecycleCLI.fail(.metadata(error.description)) }
            throw ExitCode.failure
        }
        let evaluation = Outdated.evaluate(formulae, catalog: catalog)
        let listed = evaluation.outdated.filter { !$0.pinned }
        if json {
            LifecycleCLI.printJSON(listed.map { item in
                ["name": item.name, "installed_versions": item.installedVersions, "current_version": item.currentVersion,
                 "active_version": item.activeVersion, "pinned": item.pinned] as [String: Any]
            })
        } else {
            for item in listed {
                LifecycleCLI.say(verbose ? "\(item.name) (\(item.activeVersion)) != \(item.currentVersion)" : item.name)
            }
        }
        for name in evaluation.unavailable where !names.isEmpty || verbose {
            LifecycleCLI.note("Warning: \(name) is not in the catalogue; it cannot be checked")
        }
    }
}
