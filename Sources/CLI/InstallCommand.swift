import ArgumentParser
import Foundation
import PourCore

/// `pour install NAME...`
struct InstallCommand: FormulaNamesCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install formulae and their runtime dependencies from bottles.")

    @Argument(help: "Formula names (aliases and old names work too).", completion: FormulaCompletion.available)
    var names: [String]

    @OptionGroup var prefixOptions: PrefixOptions

    @OptionGroup var runOptions: RunOptions


    @Flag(help: "Reinstall requested formulae even when already installed.")
    var force = false

    @Flag(name: .customLong("no-link"), help: "Do not link into the prefix (only opt/ links are made).")
    var noLink = false

    @Flag(name: .customLong("dry-run"),
          help: "Print the plan (versions, bottle sizes, what is installed, what would be linked); change nothing.")
    var dryRun = false

    @Flag(help: "Allow plain-HTTP downloads from non-loopback hosts (also POUR_ALLOW_INSECURE_HTTP=1).")
    var insecure = false



    @Flag(name: .customLong("no-overlap"),
          help: ArgumentHelp("Benchmark baseline: extract only after every download has ended.", visibility: .hidden))
    var noOverlap = false

    @Flag(name: .customLong("no-stream"),
          help: ArgumentHelp("Benchmark baseline: extract only verified cache files, never while a bottle downloads.",
                             visibility: .hidden))
    var noStream = false

    func run() throws {
        // Before any work: a Ctrl-C from here on cancels cleanly (see SignalTrap).
        _ = SignalTrap.shared
        var configuration = prefixOptions.configuration()
        if let jobs = runOptions.jobs { configuration.jobs = jobs }
        configuration.waitForLock = !runOptions.noWait
        if insecure { configuration.allowInsecureHTTP = true }
        let installer = Installer(configuration: configuration)
        var options = InstallOptions(force: force, link: !noLink)
        options.overlapExtraction = !noOverlap
        options.streamExtraction = !noStream
        if dryRun { return try DryRunOutput.run(installer, names: names, options: options, json: runOptions.json) }
        let renderer = ProgressRenderers.make(json: runOptions.json, quiet: runOptions.quiet)
        try InstallSession.run(installer, names: names, options: options, renderer: renderer).check()
    }
}
