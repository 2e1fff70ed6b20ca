import Foundation

/// A generated registry plus a running server over it, in a private temporary directory: the
/// one-liner for install tests (`let registry = try LocalRegistry(recipe: .sample())`).
///
/// Thread-safe: immutable after init; `shutdown()` is idempotent (the server's own lock).
package final class LocalRegistry: Sendable {
    package let directory: URL
    package let manifest: RegistryManifest
    package let server: RegistryServer
    private let removeOnShutdown: Bool

    /// Generates `recipe` into `directory` (a fresh temporary one if nil) and starts a server.
    package init(recipe: RegistryRecipe, seed: UInt64 = 1, directory: URL? = nil,
                configuration: ServerConfiguration = ServerConfiguration()) throws {
        let target = directory ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("pour-registry-\(getpid())-\(UUID().uuidString.prefix(8))")
        self.directory = target
        removeOnShutdown = directory == nil
        manifest = try RegistryGenerator(recipe: recipe, seed: seed).generate(into: target)
        server = try RegistryServer(root: target, configuration: configuration)
        try server.start()
    }

    /// Stops the server and, if the directory was made here, deletes it.
    package func shutdown() {
        server.shutdown()
        if removeOnShutdown { try? FileManager.default.removeItem(at: directory) }
    }

    /// `HOMEBREW_API_DOMAIN`, `HOMEBREW_ARTIFACT_DOMAIN` and no fallback, for a pour process.
    package var environment: [String: String] { server.homebrewEnvironment }
}
