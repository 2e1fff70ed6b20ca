import ArgumentParser
import Foundation
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
        MallocArenas.limitPerCore()
        if let command = CommandLine.arguments.dropFirst().first, cancellableCommands.contains(command) {
            _ = SignalTrap.shared
        }
        // ArgumentParser's `main(nil)`, except that long runs of formula names bypass its
        // quadratic array parsing (`PositionalRuns`), and a command that ran to its end
        // (successfully, or with an `ExitCode` it chose after reporting) leaves through `endProcess`.
        do {
            let (arguments, runs) = PositionalRuns.collapse(Array(CommandLine.arguments.dropFirst()), takesNames: takesFormulaNames)
            var command = runs.restore(try parseAsRoot(arguments))
            try command.run()
        } catch let code as ExitCode {
            endProcess(code.rawValue)
        } catch {
            exit(withError: error)
        }
        endProcess(0)
    }

    /// Whether the subcommand named `name` takes formula names as its positionals (`PositionalRuns`).
    static func takesFormulaNames(_ name: String) -> Bool {
        configuration.subcommands.contains { $0 is any FormulaNamesCommand.Type && $0._commandName == name }
    }

    /// Flushes stdio and ends the process without running exit handlers. What they would do is
    /// only freeing: the destructors of libcurl's dependency tree (gnutls, krb5, ldap, p11-kit, …)
    /// each touch a cold page or two of their library, and at the end of an install that was
    /// the run's peak RSS (+0.7 MB on 1,000 small bottles; Docs/Performance.md, "Fourth pass:
    /// RSS"). Nothing pour writes is left to an exit handler: files are written with plain
    /// `write`/`fsync`, SQLite commits before a call returns, and the run has joined its stages.
    static func endProcess(_ status: Int32) -> Never {
        fflush(nil)
        _exit(status)
    }
}
