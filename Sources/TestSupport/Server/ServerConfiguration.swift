/// Settings of a `RegistryServer`: addresses, token and network emulation.
///
/// Immutable value; safe to share across queues.
public struct ServerConfiguration: Hashable, Sendable {
    /// Port of the registry listener; 0 picks an ephemeral port.
    public var registryPort: Int
    /// Port of the blob listener; 0 picks an ephemeral port.
    public var blobPort: Int
    /// The bearer token the registry requires (ghcr's anonymous token is `QQ==`).
    public var token: String
    /// Aggregate rate limit shared by every connection of both listeners, bytes/s; nil = none.
    public var aggregateRate: Int?
    /// Rate limit of each connection, bytes/s; nil = none.
    public var perConnectionRate: Int?
    /// Delay before each response head, in seconds (emulated round-trip latency).
    public var latency: Double
    /// Body bytes read from disk and written per step when not throttled.
    public var chunkSize: Int
    /// Event-loop threads (1–2 is plenty on loopback).
    public var eventLoopThreads: Int
    /// Threads doing the blocking disk reads.
    public var fileIOThreads: Int

    public init(registryPort: Int = 0, blobPort: Int = 0, token: String = "QQ==", aggregateRate: Int? = nil,
                perConnectionRate: Int? = nil, latency: Double = 0, chunkSize: Int = 256 * 1024,
                eventLoopThreads: Int = 2, fileIOThreads: Int = 2) {
        self.registryPort = registryPort
        self.blobPort = blobPort
        self.token = token
        self.aggregateRate = aggregateRate
        self.perConnectionRate = perConnectionRate
        self.latency = latency
        self.chunkSize = chunkSize
        self.eventLoopThreads = eventLoopThreads
        self.fileIOThreads = fileIOThreads
    }
}
