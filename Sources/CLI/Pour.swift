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
                      DepsCommand.self, UsesCommand.self]
    )
}
