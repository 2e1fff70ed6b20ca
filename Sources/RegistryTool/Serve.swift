import ArgumentParser
import Dispatch
import Foundation
import PourTestSupport

/// `pour-registry serve`: serves a registry directory until SIGINT/SIGTERM.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve a registry directory on 127.0.0.1.")

    @Argument(help: "Registry directory written by `generate`.")
    var directory: String

    @Option(help: "Registry listener port (0 = ephemeral).")
    var port: Int = 0

    @Option(name: .customLong("blob-port"), help: "Blob listener port (0 = ephemeral).")
    var blobPort: Int = 0

    @Option(help: "Aggregate rate limit, bytes/s.")
    var rate: Int?

    @Option(name: .customLong("per-connection-rate"), help: "Per-connection rate limit, bytes/s.")
    var perConnectionRate: Int?

    @Option(name: .customLong("latency-ms"), help: "Delay before each response head, ms.")
    var latencyMS: Int = 0

    @Option(help: "Bearer token the registry requires.")
    var token: String = "QQ=="

    @Option(help: "JSON file of scripted faults.")
    var faults: String?

    @Option(name: .customLong("ready-file"), help: "Write the base URLs here once listening.")
    var readyFile: String?

    func run() throws {
        let server = try RegistryServer(root: directory, configuration: ServerConfiguration(
            registryPort: port, blobPort: blobPort, token: token, aggregateRate: rate,
            perConnectionRate: perConnectionRate, latency: Double(latencyMS) / 1000))
        if let faults { try server.faults.load(fromFile: faults) }
        // Signals arrive on a dispatch source; the default actions are disabled so the source
        // sees them. Installed before anything is announced, so an early signal is not lost.
        var sources: [DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .main)
            source.setEventHandler {
                server.shutdown()
                if let readyFile { unlink(readyFile) }
                Foundation.exit(0)
            }
            source.resume()
            sources.append(source)
        }
        try server.start()
        let line = "registry \(server.registryBaseURL) blobs \(server.blobBaseURL)"
        if let readyFile {
            // Write then rename, so a script polling for the file never reads half a line.
            let temporary = readyFile + ".tmp"
            try (line + "\n").write(toFile: temporary, atomically: false, encoding: .utf8)
            guard rename(temporary, readyFile) == 0 else {
                throw ValidationError("cannot write \(readyFile)")
            }
        }
        // Printed after the ready file exists, so a reader of either may go ahead at once.
        // Unbuffered, so a script reading our stdout through a pipe sees the line at once.
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
        withExtendedLifetime(sources) { dispatchMain() }
    }
}
