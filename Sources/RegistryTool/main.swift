import ArgumentParser
import Foundation
import PourTestSupport

/// `pour-registry`: generates local Homebrew-shaped registries and serves them over HTTP for
/// pour's tests, demo and benchmarks.
struct PourRegistry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pour-registry",
        abstract: "Generate and serve a local Homebrew bottle registry.",
        subcommands: [Generate.self, GenerateCatalogue.self, Serve.self, BenchUnpack.self, PostInstallCoverageCommand.self])
}

PourRegistry.main()
