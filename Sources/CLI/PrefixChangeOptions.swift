import ArgumentParser
import PourCore

/// `--dry-run` and `--no-wait`, shared by the commands that change links or remove files
/// (link, unlink, autoremove, cleanup), and the rule they share: a dry run changes nothing, so it
/// takes no lock; a real run holds the prefix lock throughout.
struct PrefixChangeOptions: ParsableArguments {
    @Flag(name: [.customShort("n"), .customLong("dry-run")], help: "Show what would change without changing it.")
    var dryRun = false

    @Flag(name: .customLong("no-wait"), help: "Fail at once if another pour holds the prefix lock.")
    var noWait = false

    /// The prefix lock for a real run (nil for a dry run); release it when done.
    func lockUnlessDryRun(_ layout: InstallConfiguration.PrefixLayout) throws -> PrefixLock? {
        dryRun ? nil : try LifecycleCLI.lock(layout, noWait: noWait)
    }
}
