import ArgumentParser
import Foundation
import PourCore

/// `pour fetch NAME... [--deps]`: download and verify bottles into the cache, install nothing.
struct FetchCommand: FormulaNamesCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download and verify bottles into the cache without installing them.",
        discussion: """
            Uses the install's download path (same cache file names, same SHA-256 check), so a later \
            `pour install` reuses the files without network. Prints one line per bottle on stdout: \
            name, version, `downloaded` or `cached`, and the cache path. Exits 1 if any bottle failed.
            """)

    @Argument(help: "Formula names (aliases and old names work too).", completion: FormulaCompletion.available)
    var names: [String]

    @Flag(help: "Also fetch the bottles of their runtime dependencies.")
    var deps = false

    @OptionGroup var prefixOptions: PrefixOptions

    @OptionGroup var runOptions: RunOptions

    @Flag(help: "Allow plain-HTTP downloads from non-loopback hosts (also POUR_ALLOW_INSECURE_HTTP=1).")
    var insecure = false

    func run() throws {
        var configuration = prefixOptions.configuration()
        if let jobs = runOptions.jobs { configuration.jobs = jobs }
        if insecure { configuration.allowInsecureHTTP = true }
        let renderer = ProgressRenderers.make(json: runOptions.json, quiet: runOptions.quiet)
        let done = DispatchSemaphore(value: 0)
        let outcome = Locked<Result<BottleFetchReport, InstallError>?>(nil)
        let handle = Installer(configuration: configuration).fetch(
            names, includeDependencies: deps, callbackQueue: renderer.queue,
            events: { event in renderer.render(event) },
            completion: { result in
                outcome.withLock { $0 = result }
                done.signal()
            })
        let trap = SignalTrap.shared
        trap.arm { _ in
            renderer.note("cancelling — removing partial downloads")
            handle.cancel()
        }
        done.wait()
        renderer.queue.sync {}  // events and notes written before the summary
        switch outcome.current {
        case .success(let report)?:
            if runOptions.json {
                LifecycleCLI.printJSON(["fetched": report.items.map { item -> [String: Any] in
                    ["name": item.name, "pkg_version": item.pkgVersion, "path": item.path, "status": status(item.outcome)]
                }])
            } else {
                for item in report.items { LifecycleCLI.say("\(item.name) \(item.pkgVersion) \(status(item.outcome)) \(item.path)") }
                let downloaded = report.items.filter { if case .downloaded = $0.outcome { return true } else { return false } }.count
                let cached = report.items.filter { $0.outcome == .cached }.count
                let failed = report.items.count - downloaded - cached
                writeStderr("==> Fetched \(downloaded + cached) of \(report.items.count) bottles: \(downloaded) downloaded "
                    + "(\(ProgressText.bytes(report.networkBytes))), \(cached) cached\(failed > 0 ? ", \(failed) failed" : "")\n")
            }
            if !report.succeeded { throw ExitCode.failure }
        case .failure(let error)?:
            throw LifecycleCLI.exitCode(for: error, signal: trap.firstSignal)
        case nil:
            throw LifecycleCLI.exitCode(for: nil, signal: nil)
        }
    }

    private func status(_ outcome: BottleFetchReport.Outcome) -> String {
        switch outcome {
        case .downloaded: return "downloaded"
        case .cached: return "cached"
        case .failed: return "failed"
        case .skipped: return "skipped"
        }
    }
}
