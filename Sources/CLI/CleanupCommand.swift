import ArgumentParser
import PourCore

/// `pour cleanup`
struct CleanupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract: "Remove old kegs and unneeded downloads.",
        discussion: """
            Removes kegs that are not the linked, opt or pinned version; cached bottles of versions no longer \
            installed (or older than --prune DAYS); partial downloads older than a day that no process is writing.
            """)

    @OptionGroup var prefixOptions: PrefixOptions

    @Option(help: "Also remove cached bottles older than this many days.")
    var prune: Int?

    @OptionGroup var change: PrefixChangeOptions


    func validate() throws {
        if let prune, prune < 0 { throw ValidationError("--prune must be 0 or more days") }
    }

    func run() throws {
        let layout = prefixOptions.configuration().layout
        let lock = try change.lockUnlessDryRun(layout)
        defer { lock?.release() }
        let cleanup = Cleanup(layout: layout)
        let plan = cleanup.plan(inventory: PrefixInventory.read(layout: layout), pruneDays: prune)
        let verb = change.dryRun ? "Would remove" : "Removing"
        for keg in plan.kegs { LifecycleCLI.say("\(verb): \(keg.path)") }
        for file in plan.cacheFiles { LifecycleCLI.say("\(verb): \(file.path) (\(file.reason))") }
        guard let lock else {
            return LifecycleCLI.note("==> This would free \(LifecycleCLI.bytes(plan.bytes))")
        }
        do {
            let report = try cleanup.perform(plan, lock: lock)
            for failure in report.failures { LifecycleCLI.note("Warning: \(failure)") }
            LifecycleCLI.note("==> Freed \(LifecycleCLI.bytes(report.bytesFreed)) (\(report.removedKegs.count) kegs, "
                + "\(report.removedFiles.count) cache files)")
            if !report.failures.isEmpty { throw ExitCode.failure }
        } catch let error as LifecycleError {
            throw LifecycleCLI.fail(error)
        }
    }
}
