import ArgumentParser
import Foundation
import PourCore

/// `pour install NAME...`
struct InstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install formulae and their runtime dependencies from bottles.")

    @Argument(help: "Formula names (aliases and old names work too).")
    var names: [String]

    @OptionGroup var prefixOptions: PrefixOptions

    @OptionGroup var runOptions: RunOptions


    @Flag(help: "Reinstall requested formulae even when already installed.")
    var force = false

    @Flag(name: .customLong("no-link"), help: "Do not link into the prefix (only opt/ links are made).")
    var noLink = false


    @Flag(help: "Allow plain-HTTP downloads from non-loopback hosts (also POUR_ALLOW_INSECURE_HTTP=1).")
    var insecure = false



    @Flag(name: .customLong("no-overlap"),
          help: ArgumentHelp("Benchmark baseline: extract only after every download has ended.", visibility: .hidden))
    var noOverlap = false

    func run() throws {
        // Before any work: a Ctrl-C from here on cancels cleanly (see SignalTrap).
        let trap = SignalTrap.shared
        var configuration = prefixOptions.configuration()
        if let jobs = runOptions.jobs { configuration.jobs = jobs }
        configuration.waitForLock = !runOptions.noWait
        if insecure { configuration.allowInsecureHTTP = true }
        let renderer = ProgressRenderers.make(json: runOptions.json, quiet: runOptions.quiet)
        let installer = Installer(configuration: configuration)
        var installOptions = InstallOptions(force: force, link: !noLink)
        installOptions.overlapExtraction = !noOverlap
        let done = DispatchSemaphore(value: 0)
        let outcome = Locked<Result<InstallReport, InstallError>?>(nil)
        let handle = installer.install(names, options: installOptions,
                                       callbackQueue: renderer.queue,
                                       events: { event in renderer.render(event) },
                                       completion: { result in
                                           renderer.finish(result)
                                           outcome.withLock { $0 = result }
                                           done.signal()
                                       })
        trap.arm { _ in
            renderer.note("cancelling — removing partial downloads and staging (press Ctrl-C again to quit at once)")
            handle.cancel()
        }
        done.wait()
        switch outcome.current {
        case .success(let report)?:
            if !report.succeeded { throw ExitCode.failure }
        case .failure(.cancelled)?:
            throw ExitCode(128 + (trap.firstSignal ?? SIGINT))
        case .failure?, nil:
            throw ExitCode.failure
        }
    }
}
