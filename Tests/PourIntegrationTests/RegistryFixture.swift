import Foundation
import PourCore
import PourTestSupport
import XCTest

/// A generated registry served on 127.0.0.1 plus a fresh prefix and cache, for one test.
final class RegistryFixture {
    let root: URL
    let registry: URL
    let manifest: RegistryManifest
    let server: RegistryServer
    let prefix: String
    let cache: String

    init(recipe: RegistryRecipe, server configuration: ServerConfiguration = ServerConfiguration()) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("pour-it-\(UUID().uuidString)")
        registry = root.appendingPathComponent("registry")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        manifest = try RegistryGenerator(recipe: recipe).generate(into: registry)
        server = try RegistryServer(root: registry, configuration: configuration)
        try server.start()
        prefix = root.appendingPathComponent("prefix").path
        cache = root.appendingPathComponent("cache").path
    }

    deinit {
        server.shutdown()
        try? FileManager.default.removeItem(at: root)
    }

    /// Endpoints as a user would set them: API and ghcr URLs rewritten to the local server.
    var environment: [String: String] {
        ["HOMEBREW_API_DOMAIN": server.registryBaseURL + "/api",
         "HOMEBREW_ARTIFACT_DOMAIN": server.registryBaseURL,
         "HOMEBREW_ARTIFACT_DOMAIN_NO_FALLBACK": "1"]
    }

    /// A configuration with quick retries and a short stall timeout so fault tests stay short.
    func configuration(jobs: Int = 8, prefix: String? = nil) -> InstallConfiguration {
        var configuration = InstallConfiguration(layout: PrefixLayout(prefix: prefix ?? self.prefix, cache: cache),
                                                 endpoints: .fromEnvironment(environment), jobs: jobs)
        configuration.retryPolicy = RetryPolicy(maxAttempts: 4, baseDelay: 0.05, maxDelay: 0.2, maxRetryAfter: 2)
        configuration.timeouts = TransferTimeouts(connect: 5, stallSeconds: 1, stallBytesPerSecond: 1024)
        return configuration
    }

    func sha256(of name: String) -> String { manifest.formulae[name]?.sha256 ?? "" }

    /// The server's request log once every response has been fully recorded (the server logs a
    /// request after its last write, which the client may see first).
    var log: RequestLog {
        _ = server.log.waitUntilIdle(timeout: 10)
        return server.log
    }
}

/// Runs an install and waits for it, collecting every event (test-only blocking wait).
struct InstallRecording {
    var result: Result<InstallReport, InstallError>
    var events: [(time: DispatchTime, event: InstallEvent)]

    var report: InstallReport? {
        switch result {
        case .success(let report): return report
        case .failure(.cancelled(let report)): return report
        case .failure: return nil
        }
    }

    func outcome(_ name: String) -> PackageOutcome? { report?.packages.first { $0.name == name }?.outcome }
}

func install(_ names: [String], configuration: InstallConfiguration, options: InstallOptions = InstallOptions(),
             file: StaticString = #filePath, line: UInt = #line) -> InstallRecording {
    let queue = DispatchQueue(label: "test.callbacks")
    let events = Locked<[(DispatchTime, InstallEvent)]>([])
    let outcome = Locked<Result<InstallReport, InstallError>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Installer(configuration: configuration).install(names, options: options, callbackQueue: queue, events: { event in
        events.withLock { $0.append((DispatchTime.now(), event)) }
    }, completion: { result in
        outcome.withLock { $0 = result }
        done.signal()
    })
    if done.wait(timeout: .now() + 300) == .timedOut { XCTFail("install did not complete", file: file, line: line) }
    return InstallRecording(result: outcome.current ?? .failure(.setup(path: "", message: "timed out")),
                            events: events.current.map { (time: $0.0, event: $0.1) })
}

/// Every path under `root` (relative), for leftovers checks.
func tree(_ root: String) -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
    return enumerator.compactMap { $0 as? String }.sorted()
}

func isSymlink(_ path: String) -> Bool {
    (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeSymbolicLink
}
