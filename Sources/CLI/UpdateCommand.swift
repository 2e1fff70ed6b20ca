import ArgumentParser
import Foundation
import PourCore

/// `pour update`: refresh the formula index from the API domain.
struct UpdateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Fetch the formula catalogue (signed formula.jws.json) and rebuild the local index.",
        discussion: """
            The index lives at <cache>/api/pour-index.<bottle tag>.sqlite. Conditional requests make an \
            unchanged catalogue cost one 304. HOMEBREW_API_DOMAIN selects the source (file:// works); \
            POUR_API_PUBLIC_KEY replaces Homebrew's homebrew-1 verification key.
            """)

    @OptionGroup var prefixOptions: PrefixOptions

    @Flag(help: "Download and rebuild even when the catalogue is unchanged.")
    var force = false

    @Flag(name: .customLong("insecure-unsigned"),
          help: "Accept an unsigned formula.json from a remote host (also POUR_ALLOW_UNSIGNED_API=1).")
    var insecureUnsigned = false

    @Option(name: .customLong("public-key"), help: "A PEM RSA public key to verify formula.jws.json with.")
    var publicKey: String?

    @Flag(name: .shortAndLong, help: "Print nothing on success.")
    var quiet = false

    func run() throws {
        var configuration = prefixOptions.configuration()
        if insecureUnsigned { configuration.index.allowUnsigned = true }
        if let publicKey { configuration.index.publicKeyPath = publicKey }
        let start = DispatchTime.now()
        switch IndexAccess.update(configuration: configuration, force: force) {
        case .success(.notModified(let path)):
            if !quiet { print("Already up-to-date (\(path)).") }
        case .success(.rebuilt(let path, let formulae, let rejected, let signed, let source)):
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            if !quiet {
                let trust = signed ? "signature verified" : "UNSIGNED"
                print("Updated \(path): \(formulae) formulae from \(source) (\(trust)) in \(String(format: "%.2f", seconds)) s.")
                if rejected > 0 { print("Skipped \(rejected) unusable catalogue entries.") }
            }
        case .failure(let error):
            throw IndexAccess.fail(error)
        }
    }
}
