import ArgumentParser
import Foundation
import PourCore

/// Options every subcommand that touches a prefix shares.
struct PrefixOptions: ParsableArguments {
    @Option(help: "The Homebrew prefix (default: $HOMEBREW_PREFIX or the platform default).")
    var prefix: String?

    @Option(help: "The download cache (default: $HOMEBREW_CACHE, else $XDG_CACHE_HOME/Homebrew or ~/.cache/Homebrew).")
    var cache: String?

    @Option(help: "A CA bundle for TLS verification (default: $CURL_CA_BUNDLE or $SSL_CERT_FILE, else the system's).")
    var cacert: String?

    func configuration() -> InstallConfiguration {
        var configuration = InstallConfiguration.fromEnvironment(prefix: prefix.map(absolute), cache: cache.map(absolute))
        if let cacert { configuration.caBundle = absolute(cacert) }
        return configuration
    }

    private func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
