import NIOPosix
import PourCore

/// What every connection handler of one server shares: the registry root, settings, faults,
/// log, the aggregate limiter, the disk-read pool and the bound ports.
///
/// Thread-safe: immutable references to thread-safe objects, plus the ports in a `Locked` box
/// (written once by `RegistryServer.start()`).
final class ServerContext: Sendable {
    let root: String
    let configuration: ServerConfiguration
    let faults: FaultScript
    let log: RequestLog
    /// Holds first blob responses until N are in flight (tests of exact concurrency peaks).
    let blobGate = BlobGate()
    /// Pauses one blob body near its end until the test releases it.
    let bodyHold = BodyHold()
    let aggregateLimiter: RateLimiter?
    let fileIO: NIOThreadPool
    let ports = Locked<(registry: Int, blob: Int)>((0, 0))

    init(root: String, configuration: ServerConfiguration, faults: FaultScript, log: RequestLog, fileIO: NIOThreadPool) {
        self.root = root
        self.configuration = configuration
        self.faults = faults
        self.log = log
        self.fileIO = fileIO
        aggregateLimiter = configuration.aggregateRate.map { RateLimiter(bytesPerSecond: $0) }
    }

    var registryBaseURL: String { "http://127.0.0.1:\(ports.current.registry)" }
    var blobBaseURL: String { "http://127.0.0.1:\(ports.current.blob)" }
}
