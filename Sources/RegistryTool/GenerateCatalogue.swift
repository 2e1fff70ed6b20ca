import ArgumentParser
import Foundation
import PourTestSupport

/// `pour-registry generate-catalogue`: a Homebrew-sized `formula.json` and its signed twin.
struct GenerateCatalogue: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-catalogue",
        abstract: "Write api/formula.json, api/formula.jws.json (signed with a fresh test key) and api/pour-test-key.pem.")

    @Option(help: "Output directory (the API domain is file://<out>/api or http://host/api).")
    var out: String

    @Option(help: "Number of formulae.")
    var count: Int = 8_300

    @Option(help: "Seed for every generated value.")
    var seed: UInt64 = 1

    @Option(help: "RSA key size of the test signing key.")
    var keyBits: Int = 2048

    func run() throws {
        let key = try TestSigningKey.generate(bits: keyBits)
        let directory = URL(fileURLWithPath: out)
        try CatalogueGenerator(count: count, seed: seed).write(into: directory, key: key)
        print("wrote \(count) formulae to \(directory.appendingPathComponent("api").path); verify with POUR_API_PUBLIC_KEY=\(directory.appendingPathComponent("api/pour-test-key.pem").path)")
    }
}
