import ArgumentParser
import Foundation
import PourCore

/// `pour bundle dump`: writes the installed-on-request formulae as a Brewfile.
struct BundleDumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Write the formulae installed on request as a Brewfile (`--file -` for stdout).",
        discussion: "Like brew, refuses to replace an existing file unless --force is given.")

    @OptionGroup var fileOptions: BundleFileOptions

    @Flag(help: "Overwrite an existing Brewfile.")
    var force = false

    @OptionGroup var prefixOptions: PrefixOptions

    func run() throws {
        let configuration = prefixOptions.configuration()
        let inventory = PrefixInventory.read(layout: configuration.layout)
        // Keg-only flags from the local index, when there is one; never the network.
        let index = try? FormulaIndex(configuration: configuration)
        let text = BrewfileDump.render(inventory) { name in (try? index?.formula(named: name))??.kegOnly }
        let path = fileOptions.path
        if path == "-" {
            writeStandardOutput(Data(text.utf8))
            return
        }
        // brew's `Dumper.can_write_to_brewfile?`: an existing file is kept unless --force.
        if FileManager.default.fileExists(atPath: path) && !force {
            writeStderr("Error: \(path) already exists; pass --force to overwrite it or --file to write elsewhere\n")
            throw ExitCode.failure
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            writeStderr("Error: cannot write \(path): \(error.localizedDescription)\n")
            throw ExitCode.failure
        }
        writeStderr("==> Wrote \(text.split(separator: "\n").count) formulae to \(path)\n")
    }
}
