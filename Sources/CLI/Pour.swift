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
}
