import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Issue #16, item 2: against an https server offering HTTP/2, a closure's formula JSON,
/// manifests and bottles travel as h2 streams over one connection per host, not one connection
/// per transfer — including the burst of bottle transfers that starts before the first
/// connection to the bottle host has finished its TLS handshake (`CURLOPT_PIPEWAIT`). The server
/// is a real nginx (NginxRegistry) counting accepted TCP connections; as a control, the same
/// install against nginx without h2 opens several connections in parallel.
///
/// Formula JSON comes from `127.0.0.1` and bottles from `localhost` (one nginx, two host names,
/// as formulae.brew.sh and ghcr.io are two hosts): libcurl keys connections by host name, so the
/// bottle burst finds no connection to reuse and must wait for the one being set up.
final class H2MultiplexingTests: XCTestCase {
    private var fixture: RegistryFixture!
    private var nginx: NginxRegistry!

    /// 14 bottles: `app` → 6 libraries → 7 leaves (two levels of formula JSON fan-out).
    private static func recipe() -> RegistryRecipe {
        var specs: [FormulaSpec] = []
        for leaf in 1...7 { specs.append(FormulaSpec(name: "leaf\(leaf)", targetCompressedSize: 40_000 + leaf * 9_000)) }
        for lib in 1...6 {
            specs.append(FormulaSpec(name: "lib\(lib)", dependencies: ["leaf\(lib)", "leaf\(lib + 1)"],
                                     targetCompressedSize: 60_000 + lib * 11_000))
        }
        specs.append(FormulaSpec(name: "app", dependencies: (1...6).map { "lib\($0)" }, targetCompressedSize: 120_000))
        return .custom(specs)
    }

    private var everyName: Set<String> { Set(fixture.manifest.formulae.keys) }

    private func start(http2: Bool, recipe: RegistryRecipe = recipe(), limitRate: Int? = nil) throws {
        fixture = try RegistryFixture(recipe: recipe)
        nginx = try NginxRegistry(registry: fixture.registry, directory: fixture.root.appendingPathComponent("nginx"), http2: http2,
                                  limitRate: limitRate)
    }

    override func tearDown() {
        nginx?.stop()
        nginx = nil
        fixture = nil
        super.tearDown()
    }

    private func configuration(index: Bool) -> InstallConfiguration {
        nginx.configuration(for: fixture, index: index)
    }

    /// Installs the closure, stops nginx and returns (accepted connections, logged requests).
    private func installClosure(index: Bool) throws -> (accepted: Int, log: [NginxRegistry.LogEntry]) {
        let run = install(["app"], configuration: configuration(index: index))
        assertOutcomes(run, installed: everyName)
        assertConsistentPrefix(layout: PrefixLayout(prefix: fixture.prefix, cache: fixture.cache), manifest: fixture.manifest)
        let accepted = try nginx.acceptedConnections()
        nginx.stop()
        let log = nginx.accessLog()
        let blobs = log.filter { $0.path.contains("/blobs/") && $0.status == 200 }
        XCTAssertEqual(blobs.count, everyName.count, "one bottle request per package: \(log.map(\.path))")
        return (accepted, log)
    }

    /// The catalogue (index) path: one catalogue request, then every manifest and bottle at once.
    func testBottleBurstIsStreamsOnOneConnectionPerHost() throws {
        try start(http2: true)
        let (accepted, log) = try installClosure(index: true)
        XCTAssertEqual(log.filter { $0.proto != "HTTP/2.0" }.map { "\($0.proto) \($0.path)" }, [], "every request is an h2 stream")
        let artifactConnections = Set(log.filter { $0.path.hasPrefix("/v2/") }.map(\.connection))
        XCTAssertEqual(artifactConnections.count, 1, "manifests and bottles share one connection: \(artifactConnections)")
        XCTAssertLessThanOrEqual(accepted, 2, "TCP connections accepted (API host + bottle host)")
        print("h2, index: \(log.count) requests over \(accepted) accepted connections")
    }

    /// The per-formula path: formula JSON fetched level by level, manifests and bottles as their
    /// URLs become known — all of it streams on one connection per host.
    func testPerFormulaMetadataAndBottlesAreStreamsOnOneConnectionPerHost() throws {
        try start(http2: true)
        let (accepted, log) = try installClosure(index: false)
        XCTAssertEqual(log.filter { $0.path.hasPrefix("/api/formula/") }.count, everyName.count, "one formula JSON per package")
        XCTAssertEqual(log.filter { $0.proto != "HTTP/2.0" }.map { "\($0.proto) \($0.path)" }, [], "every request is an h2 stream")
        let apiConnections = Set(log.filter { $0.path.hasPrefix("/api/") }.map(\.connection))
        let artifactConnections = Set(log.filter { $0.path.hasPrefix("/v2/") }.map(\.connection))
        XCTAssertEqual(apiConnections.count, 1, "formula JSON over one connection: \(apiConnections)")
        XCTAssertEqual(artifactConnections.count, 1, "manifests and bottles over one connection: \(artifactConnections)")
        XCTAssertLessThanOrEqual(accepted, 2, "TCP connections accepted (API host + bottle host)")
        print("h2, per formula: \(log.count) requests over \(accepted) accepted connections")
    }

    /// Control: the same server without h2 in ALPN. The transfers that waited for the first
    /// connection's handshake then open their own (HTTP/1.1 cannot multiplex), so the bottles
    /// still download in parallel over several connections.
    func testWithoutH2TheSameInstallUsesParallelHTTP11Connections() throws {
        // 2 MB/s per request: each bottle takes 20–90 ms, so the burst overlaps however loaded the
        // machine is (unthrottled on loopback, a loaded run once finished the burst on 2 connections).
        try start(http2: false, limitRate: 2_000_000)
        let (accepted, log) = try installClosure(index: true)
        XCTAssertEqual(log.filter { $0.proto != "HTTP/1.1" }.map { "\($0.proto) \($0.path)" }, [], "HTTP/1.1 only")
        let artifactConnections = Set(log.filter { $0.path.hasPrefix("/v2/") }.map(\.connection))
        XCTAssertGreaterThan(artifactConnections.count, 2, "parallel connections for the bottle burst")
        XCTAssertGreaterThan(accepted, 2)
        print("HTTP/1.1, index: \(log.count) requests over \(accepted) accepted connections")
    }

    /// HTTP/1.1 keep-alive: connections are reused from one transfer to the next, so a closure
    /// never holds more connections than transfers can be in flight at once (8 `--jobs` slots,
    /// 16 small-transfer slots, 32 metadata slots), however many requests it makes. libcurl's
    /// connection cache limit counts connections in use, and at 2 × `--jobs` it closed almost
    /// most connections after one request (145 connections for 264 requests here; 33–40 now).
    func testHTTP11ConnectionsAreReusedAcrossTransfers() throws {
        let leaves = (1...100).map { FormulaSpec(name: "dep\($0)", targetCompressedSize: 5_000) }
        try start(http2: false, recipe: .custom(leaves + [FormulaSpec(name: "app", dependencies: leaves.map(\.name),
                                                                         targetCompressedSize: 6_000)]))
        // One host for everything, so every transfer can reuse every connection.
        let environment = ["HOMEBREW_API_DOMAIN": nginx.baseURL(host: "127.0.0.1") + "/api",
                           "HOMEBREW_ARTIFACT_DOMAIN": nginx.baseURL(host: "127.0.0.1"),
                           "HOMEBREW_ARTIFACT_DOMAIN_NO_FALLBACK": "1"]
        var configuration = InstallConfiguration(layout: PrefixLayout(prefix: fixture.prefix, cache: fixture.cache),
                                                 endpoints: .fromEnvironment(environment), jobs: 8)
        configuration.caBundle = nginx.caFile
        configuration.index.autoUpdate = false
        let run = install(["app"], configuration: configuration)
        assertOutcomes(run, installed: everyName)
        assertConsistentPrefix(layout: PrefixLayout(prefix: fixture.prefix, cache: fixture.cache), manifest: fixture.manifest)
        let accepted = try nginx.acceptedConnections()
        nginx.stop()
        let log = nginx.accessLog()
        XCTAssertEqual(log.filter { $0.path.contains("/blobs/") && $0.status == 200 }.count, everyName.count)
        XCTAssertGreaterThanOrEqual(log.count, 2 * everyName.count, "formula JSON and bottle (and manifests) of 101 packages")
        XCTAssertEqual(Set(log.map(\.proto)), ["HTTP/1.1"])
        XCTAssertLessThanOrEqual(accepted, 8 + 16 + 32, "no more connections than slots: \(log.count) requests")
        print("HTTP/1.1, per formula: \(log.count) requests over \(accepted) accepted connections")
    }

    /// Holds every new TCP connection for `delay` seconds before piping it to nginx: a TLS
    /// handshake that takes that long (a far or busy server).
    private static let slowHandshakeProxy = #"""
import socket, sys, threading, time
upstream, delay = int(sys.argv[1]), float(sys.argv[2])
def pipe(source, target):
    try:
        while True:
            data = source.recv(65536)
            if not data: break
            target.sendall(data)
    except OSError: pass
    finally:
        for s in (source, target):
            try: s.shutdown(socket.SHUT_RDWR)
            except OSError: pass
def handle(client):
    time.sleep(delay)
    try: server = socket.create_connection(("127.0.0.1", upstream))
    except OSError: client.close(); return
    threading.Thread(target=pipe, args=(client, server), daemon=True).start()
    pipe(server, client)
listener = socket.socket(); listener.bind(("127.0.0.1", 0)); listener.listen(64)
print(listener.getsockname()[1], flush=True)
while True:
    connection, _ = listener.accept()
    threading.Thread(target=handle, args=(connection,), daemon=True).start()
"""#

    /// The time-to-first-byte deadline counts from the request being sent: transfers waiting for
    /// a connection — connecting, or waiting (PIPEWAIT) to become streams on a connection still
    /// in its handshake — are not "a server that sent nothing". Every connection to the bottle
    /// host takes 2 s to start its handshake, the first-byte limit is 1 s and nothing is retried:
    /// the closure installs, every bottle still an h2 stream on one connection.
    func testStreamsWaitingForASlowHandshakeAreNotTimedOutForNoFirstByte() throws {
        try start(http2: true)
        let script = fixture.root.appendingPathComponent("proxy.py").path
        try Self.slowHandshakeProxy.write(toFile: script, atomically: true, encoding: .utf8)
        let proxy = Process()
        proxy.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        proxy.arguments = ["python3", script, String(nginx.port), "2"]
        let stdout = Pipe()
        proxy.standardOutput = stdout
        proxy.standardError = FileHandle.nullDevice
        do { try proxy.run() } catch { throw XCTSkip("python3 unavailable: \(error)") }
        defer { proxy.terminate(); proxy.waitUntilExit() }
        // The script prints its port once it listens (bounded read: one short line).
        var line = Data()
        while let byte = try stdout.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data([0x0A]) { line.append(byte) }
        guard let proxyPort = Int(String(decoding: line, as: UTF8.self)) else { throw XCTSkip("proxy did not start") }

        // Formula JSON straight from nginx; bottles through the proxy.
        let environment = ["HOMEBREW_API_DOMAIN": nginx.baseURL(host: "127.0.0.1") + "/api",
                           "HOMEBREW_ARTIFACT_DOMAIN": "https://localhost:\(proxyPort)",
                           "HOMEBREW_ARTIFACT_DOMAIN_NO_FALLBACK": "1"]
        var configuration = InstallConfiguration(layout: PrefixLayout(prefix: fixture.prefix, cache: fixture.cache),
                                                 endpoints: .fromEnvironment(environment), jobs: 8)
        configuration.caBundle = nginx.caFile
        configuration.timeouts = TransferTimeouts(connect: 10, stallSeconds: 30, stallBytesPerSecond: 1024, firstByte: 1)
        configuration.retryPolicy = RetryPolicy(maxAttempts: 1)
        let run = install(["app"], configuration: configuration)
        assertOutcomes(run, installed: everyName)
        assertConsistentPrefix(layout: PrefixLayout(prefix: fixture.prefix, cache: fixture.cache), manifest: fixture.manifest)
        nginx.stop()
        let artifact = nginx.accessLog().filter { $0.path.hasPrefix("/v2/") }
        XCTAssertEqual(artifact.filter { $0.path.contains("/blobs/") }.count, everyName.count)
        XCTAssertEqual(Set(artifact.map(\.connection)).count, 1, "the waiting bottles became streams on one connection")
    }
}
