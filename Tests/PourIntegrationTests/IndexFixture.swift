import Foundation
import PourCore
import PourTestSupport
import XCTest

/// A generated catalogue (signed with a fresh test key) served on 127.0.0.1, plus a cache, for
/// the index tests.
final class IndexFixture {
    /// One key for the whole test run: generating RSA keys is the slowest part of set-up.
    static func sharedKey() throws -> TestSigningKey {
        try sharedKeyBox.withLock { box in
            if let key = box { return key }
            let key = try TestSigningKey.generate()
            box = key
            return key
        }
    }

    private static let sharedKeyBox = Locked<TestSigningKey?>(nil)

    let root: URL
    let api: URL
    let server: RegistryServer
    let cache: String
    let key: TestSigningKey

    init(count: Int = 300) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("pour-index-\(UUID().uuidString)")
        api = root.appendingPathComponent("registry/api")
        key = try IndexFixture.sharedKey()
        try CatalogueGenerator(count: count).write(into: root.appendingPathComponent("registry"), key: key)
        server = try RegistryServer(root: root.appendingPathComponent("registry"))
        try server.start()
        cache = root.appendingPathComponent("cache").path
    }

    deinit {
        server.shutdown()
        try? FileManager.default.removeItem(at: root)
    }

    var publicKeyPath: String { api.appendingPathComponent("pour-test-key.pem").path }

    func configuration(tag: String = "x86_64_linux", apiDomain: String? = nil) -> InstallConfiguration {
        var configuration = InstallConfiguration(
            layout: PrefixLayout(prefix: root.appendingPathComponent("prefix").path, cache: cache),
            endpoints: DownloadEndpoints(apiDomain: apiDomain ?? server.registryBaseURL + "/api"),
            bottleTag: BottleTag(tag))
        configuration.retryPolicy = RetryPolicy(maxAttempts: 2, baseDelay: 0.01, maxDelay: 0.05, maxRetryAfter: 1)
        configuration.index.publicKeyPath = publicKeyPath
        return configuration
    }

    func indexPath(tag: String = "x86_64_linux") -> String {
        IndexSettings.indexPath(layout: configuration(tag: tag).layout, tag: BottleTag(tag))
    }

    func index(tag: String = "x86_64_linux") throws -> FormulaIndex { try FormulaIndex(path: indexPath(tag: tag)) }

    /// The server log once every started request has been recorded: the server logs a response
    /// when its last write completes, which can be just after the client has seen it.
    func settledEntries() -> [RequestLogEntry] {
        for _ in 0 ..< 500 where server.log.entries.count < server.log.requestCount {
            usleep(10_000)
        }
        return server.log.entries
    }

    /// Replaces the served signed catalogue.
    func serveSigned(_ envelope: Data) throws {
        try envelope.write(to: api.appendingPathComponent("formula.jws.json"))
    }

    var payload: Data { FileManager.default.contents(atPath: api.appendingPathComponent("formula.json").path) ?? Data() }
}

/// Runs one update through a real transfer engine and waits for it (test-only blocking wait).
func runUpdate(_ configuration: InstallConfiguration, force: Bool = false) -> Result<CatalogueUpdater.Outcome, IndexError> {
    let engine = TransferEngine(maxConcurrentTransfers: 2)
    let queue = DispatchQueue(label: "test.update")
    let outcome = Locked<Result<CatalogueUpdater.Outcome, IndexError>?>(nil)
    let done = DispatchSemaphore(value: 0)
    CatalogueUpdater(configuration: configuration, engine: engine, queue: queue).update(force: force) { result in
        outcome.withLock { $0 = result }
        done.signal()
    }
    if done.wait(timeout: .now() + 120) == .timedOut { XCTFail("update did not complete") }
    engine?.shutdown()
    return outcome.current ?? .failure(.missing(path: "timed out"))
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
