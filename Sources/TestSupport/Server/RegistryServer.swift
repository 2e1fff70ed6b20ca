import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import PourCore

/// A local stand-in for ghcr.io and its blob host, serving a registry directory written by
/// `RegistryGenerator` on two loopback listeners, with emulated latency, rate limits and
/// scripted faults.
///
/// Thread-safe: configuration and the shared context are immutable or self-locking; the
/// listening channels live in a `Locked` box. `start()` and `shutdown()` block and must not be
/// called from one of the server's own event loops.
package final class RegistryServer: Sendable {
    package let root: URL
    package let configuration: ServerConfiguration
    /// Scripted faults; add rules at any time.
    package let faults = FaultScript()
    /// Every request served, plus concurrency peaks.
    package let log = RequestLog()
    /// Holds the first blob responses until N blob requests are in flight at once.
    package var blobGate: BlobGate { context.blobGate }
    /// Pauses one blob body after N bytes until released.
    package var bodyHold: BodyHold { context.bodyHold }

    private let group: MultiThreadedEventLoopGroup
    private let fileIO: NIOThreadPool
    private let context: ServerContext
    private let channels = Locked<[Channel]>([])
    private let lifecycle = Locked<Lifecycle>(.created)

    private enum Lifecycle { case created, running, stopped }

    package init(root: URL, configuration: ServerConfiguration = ServerConfiguration()) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RegistryError.server("registry directory \(root.path) does not exist")
        }
        self.root = root.standardizedFileURL
        self.configuration = configuration
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopThreads))
        fileIO = NIOThreadPool(numberOfThreads: max(1, configuration.fileIOThreads))
        context = ServerContext(root: self.root.path, configuration: configuration, faults: faults, log: log,
                                fileIO: fileIO)
    }

    package convenience init(root: String, configuration: ServerConfiguration = ServerConfiguration()) throws {
        try self.init(root: URL(fileURLWithPath: root), configuration: configuration)
    }

    /// Binds both listeners on 127.0.0.1 (blob host first, so redirects know its port).
    package func start() throws {
        try lifecycle.withLock { state in
            guard state == .created else { throw RegistryError.server("start() called twice or after shutdown") }
            state = .running
        }
        fileIO.start()
        do {
            let blob = try bind(.blob, port: configuration.blobPort)
            let registry = try bind(.registry, port: configuration.registryPort)
            context.ports.withLock { $0 = (registry: registry.localAddress?.port ?? 0, blob: blob.localAddress?.port ?? 0) }
            channels.withLock { $0 = [registry, blob] }
        } catch {
            shutdown()
            throw RegistryError.server("cannot listen on 127.0.0.1: \(error)")
        }
    }

    /// `http://127.0.0.1:PORT` of the registry listener (use as `HOMEBREW_ARTIFACT_DOMAIN`, and
    /// with `/api` appended as `HOMEBREW_API_DOMAIN`).
    package var registryBaseURL: String { context.registryBaseURL }
    /// `http://127.0.0.1:PORT` of the blob listener.
    package var blobBaseURL: String { context.blobBaseURL }
    /// The variables that point pour (or brew) at this server instead of formulae.brew.sh and
    /// ghcr.io, with no fallback to the real hosts.
    package var homebrewEnvironment: [String: String] {
        ["HOMEBREW_API_DOMAIN": registryBaseURL + "/api",
         "HOMEBREW_ARTIFACT_DOMAIN": registryBaseURL,
         "HOMEBREW_ARTIFACT_DOMAIN_NO_FALLBACK": "1"]
    }
    package var registryPort: Int { context.ports.current.registry }
    package var blobPort: Int { context.ports.current.blob }

    /// Closes the listeners and stops the threads. Idempotent; blocks until done.
    package func shutdown() {
        let wasRunning = lifecycle.withLock { state -> Bool in
            defer { state = .stopped }
            return state != .stopped
        }
        guard wasRunning else { return }
        for channel in channels.withLock({ list -> [Channel] in defer { list = [] }; return list }) {
            try? channel.close().wait()
        }
        try? group.syncShutdownGracefully()
        try? fileIO.syncShutdownGracefully()
    }

    private func bind(_ listener: RegistryListener, port: Int) throws -> Channel {
        let shared = context
        return try ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        RegistryConnectionHandler(listener: listener, server: shared))
                }
            }
            .bind(host: "127.0.0.1", port: port)
            .wait()
    }
}
