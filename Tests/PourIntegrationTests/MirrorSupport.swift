import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Shared pieces of the CNCF Distribution mirror tests (Docs/Mirrors.md).
enum MirrorSupport {
    /// Three formulae whose names exercise ghcr's image mapping (`@`→`/`, `+`→`x`), a revision in
    /// the tag and a relocated (`:any`) keg; small, so a push and an install take well under a second.
    static func recipe() -> RegistryRecipe {
        .custom([
            FormulaSpec(name: "libcore@2", version: "2.1.0", revision: 1, targetCompressedSize: 24_000),
            FormulaSpec(name: "gtk+3", version: "3.24.0", dependencies: ["libcore@2"], cellar: .any,
                        targetCompressedSize: 32_000),
            FormulaSpec(name: "app", version: "1.0.0", dependencies: ["gtk+3"], targetCompressedSize: 16_000),
        ])
    }

    static let closure = ["app", "gtk+3", "libcore@2"]

    /// `HOMEBREW_API_DOMAIN` read straight from the generated directory, so formula JSON never
    /// touches the registries under test.
    static func apiDomain(_ fixture: RegistryFixture) -> String { "file://" + fixture.registry.path + "/api" }

    /// Quick retries so failure tests stay short.
    static func configuration(prefix: String, cache: String, environment: [String: String]) -> InstallConfiguration {
        var configuration = InstallConfiguration(layout: PrefixLayout(prefix: prefix, cache: cache),
                                                 endpoints: .fromEnvironment(environment), jobs: 4)
        configuration.retryPolicy = RetryPolicy(maxAttempts: 2, baseDelay: 0.05, maxDelay: 0.1, maxRetryAfter: 1)
        configuration.timeouts = TransferTimeouts(connect: 5, stallSeconds: 5, stallBytesPerSecond: 1024)
        return configuration
    }

    /// Runs the real `pour` binary to completion with its own prefix and cache.
    static func runPour(_ arguments: [String], prefix: String, cache: String,
                        environment: [String: String]) throws -> (status: Int32, lines: [String]) {
        let pour = try PourProcess(arguments: arguments + ["--prefix", prefix, "--cache", cache], environment: environment)
        let status = pour.waitForExit()
        _ = pour.waitForLine { _ in false }  // drain the output
        return (status, pour.output)
    }

    static func receipt(_ prefix: String, _ entry: RegistryManifest.Entry) -> [String: Any]? {
        let path = "\(prefix)/Cellar/\(entry.name)/\(entry.pkgVersion)/INSTALL_RECEIPT.json"
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    /// Every formula of `names` has its keg with every file of its bottle, and a receipt holding
    /// what only the manifest's `sh.brew.tab` says (compiler, source_modified_time, glibc).
    static func assertInstalledWithTab(_ names: [String], prefix: String, manifest: RegistryManifest,
                                       file: StaticString = #filePath, line: UInt = #line) {
        for name in names {
            guard let entry = manifest.formulae[name] else { return XCTFail("no \(name) in the registry", file: file, line: line) }
            let keg = "\(prefix)/Cellar/\(name)/\(entry.pkgVersion)"
            for path in entry.files {
                XCTAssertTrue(FileManager.default.fileExists(atPath: "\(keg)/\(path)") || isSymlink("\(keg)/\(path)"),
                              "\(name): \(path) missing from the keg", file: file, line: line)
            }
            let receipt = receipt(prefix, entry)
            XCTAssertEqual(receipt?["compiler"] as? String, "gcc-12", "\(name): the tab's compiler", file: file, line: line)
            XCTAssertEqual(receipt?["source_modified_time"] as? Int, 1_704_067_200, "\(name): the tab's time", file: file, line: line)
            XCTAssertEqual((receipt?["built_on"] as? [String: Any])?["glibc_version"] as? String, "2.35",
                           "\(name): the tab's built_on", file: file, line: line)
        }
    }

    /// `homebrew/core/<image>` and bottle digest of each formula, for cache checks.
    static func blobs(_ names: [String], manifest: RegistryManifest) -> [(repository: String, digest: String)] {
        names.compactMap { manifest.formulae[$0] }.map { ("homebrew/core/\($0.image)", "sha256:\($0.sha256)") }
    }
}
