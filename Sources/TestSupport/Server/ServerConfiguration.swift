/// Settings of a `RegistryServer`: addresses, token and network emulation.
///
/// Immutable value; safe to share across queues.
package struct ServerConfiguration: Hashable, Sendable {
    /// Port of the registry listener; 0 picks an ephemeral port.
    package var registryPort: Int
    /// Port of the blob listener; 0 picks an ephemeral port.
    package var blobPort: Int
    /// The bearer token the registry requires (ghcr's anonymous token is `QQ==`).
    package var token: String
    /// Aggregate rate limit shared by every connection of both listeners, bytes/s; nil = none.
    package var aggregateRate: Int?
    /// Rate limit of each connection, bytes/s; nil = none.
    package var perConnectionRate: Int?
    /// Delay before each response head, in seconds (emulated round-trip latency).
    package var latency: Double
    /// Body bytes read from disk and written per step when not throttled.
    package var chunkSize: Int
    /// Event-loop threads (1–2 is plenty on loopback).
    package var eventLoopThreads: Int
    /// Threads doing the blocking disk reads.
    package var fileIOThreads: Int

    package init(registryPort: Int = 0, blobPort: Int = 0, token: String = "QQ==", aggregateRate: Int? = nil,
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
