import ArgumentParser
import PourCore

/// The `pour` command line: a thin shell over PourCore's public API.
@main
struct Pour: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pour",
        abstract: "A fast installer for Homebrew bottles.",
        version: PourVersion.string,
        subcommands: [InstallCommand.self, UpdateCommand.self, SearchCommand.self, InfoCommand.self,
                      DepsCommand.self, UsesCommand.self, UpgradeCommand.self, ReinstallCommand.self,
                      UninstallCommand.self, ListCommand.self, LeavesCommand.self, OutdatedCommand.self,
                      AutoremoveCommand.self, CleanupCommand.self, LinkCommand.self, UnlinkCommand.self,
                      PinCommand.self, UnpinCommand.self, DoctorCommand.self, FetchCommand.self, BundleCommand.self]
    )

    /// Commands that cancel cleanly on SIGINT/SIGTERM (they arm `SignalTrap.shared`).
    static let cancellableCommands: Set<String> = ["install", "upgrade", "reinstall", "fetch", "bundle"]

    /// `pour --version` answers before ArgumentParser is set up: parsing costs ~50 first-time
    /// protocol-conformance lookups, each a scan of every conformance record in the (statically
    /// linked) binary — a third of the instructions `--version` executed (Docs/Performance.md,
    /// "Start-up"). Everything else goes through the parser as before.
    ///
    /// For a cancellable command the signal trap is installed before anything else (argument
    /// parsing included), so a Ctrl-C that arrives while the process is still starting is
    /// remembered and cancels the run as soon as it exists, instead of killing the process with
    /// the default action. Other commands keep the default action.
    static func main() {
        if CommandLine.arguments.dropFirst().elementsEqual(["--version"]) {
            print(PourVersion.string)
            return
        }
        if let command = CommandLine.arguments.dropFirst().first, cancellableCommands.contains(command) {
            _ = SignalTrap.shared
        }
        main(nil)
    }
}
