import ArgumentParser
import Foundation
import PourCore

/// `pour bundle [install|check|dump]`: brew bundle's Brewfile workflow for formulae.
struct BundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Install, check or write a Brewfile's formulae.",
        discussion: """
            Reads brew's Brewfile DSL without Ruby: `brew` and `tap "homebrew/core"` entries are honoured; \
            `cask`, `mas`, `vscode`, `whalebrew` (and other non-formula) entries, other taps, options pour \
            cannot apply, and entries under conditions it cannot evaluate are reported with their line.
            """,
        subcommands: [BundleInstallCommand.self, BundleCheckCommand.self, BundleDumpCommand.self],
        defaultSubcommand: BundleInstallCommand.self)
}

/// `--file`, shared by the bundle subcommands.
struct BundleFileOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The Brewfile (default: $HOMEBREW_BUNDLE_FILE, else ./Brewfile).", valueName: "path"),
            completion: .file())
    var file: String?

    /// brew's `Brewfile.path`: `--file`, else `HOMEBREW_BUNDLE_FILE`, else `./Brewfile`, made
    /// absolute against the working directory (`Library/Homebrew/bundle/brewfile.rb`).
    var path: String {
        let environment = ProcessInfo.processInfo.environment["HOMEBREW_BUNDLE_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        let chosen = file ?? environment ?? "Brewfile"
        return chosen.hasPrefix("/") || chosen == "-" ? chosen : FileManager.default.currentDirectoryPath + "/" + chosen
    }
}

/// Reading the Brewfile and reporting what pour does not act on.
enum BundleSupport {
    static func read(_ options: BundleFileOptions, configuration: InstallConfiguration) throws -> Brewfile {
        do throws(BrewfileError) {
            return try BrewfileParser.read(path: options.path, isLinux: configuration.bottleTag.isLinux)
        } catch {
            writeStderr("Error: \(error.description)\n")
            throw ExitCode.failure
        }
    }

    /// One stderr line per notice, `path:line: message`, so editors can jump to it.
    static func report(_ brewfile: Brewfile) {
        for notice in brewfile.notices {
            let prefix = notice.kind == .conditionFalse || notice.kind == .skippedType ? "==> Skipping" : "Warning"
            writeStderr("\(prefix): \(brewfile.path):\(notice.line): \(notice.message)\n")
        }
    }
}
