import Foundation
import PourCore
import XCTest

/// A RegistryGenerator directory served by a real nginx over TLS on 127.0.0.1, with HTTP/2
/// offered in ALPN or not (`http2`), for the connection-reuse tests (H2MultiplexingTests).
///
/// The URL layout is what pour asks of `HOMEBREW_API_DOMAIN`/`HOMEBREW_ARTIFACT_DOMAIN`
/// (Docs/Mirrors.md): `/api/…`, `/v2/homebrew/core/<image>/blobs/sha256:…`,
/// `/v2/homebrew/core/<image>/manifests/<ref>`. The certificate comes from a private CA made for
/// the test (`openssl` CLI) and names both `127.0.0.1` and `localhost`, so one server can stand
/// for two hosts (libcurl keys its connections by host name). nginx runs in the foreground as one
/// process (`master_process off`), and logs every request with its connection serial number and
/// protocol; `stub_status` counts accepted TCP connections.
///
/// Not thread-safe: one test method drives it.
final class NginxRegistry {
    struct LogEntry {
        /// nginx's serial number of the TCP connection (`$connection`).
        var connection: Int
        /// `HTTP/2.0` or `HTTP/1.1` (`$server_protocol`).
        var proto: String
        var status: Int
        var path: String
    }

    let directory: String
    let caFile: String
    private(set) var port = 0
    private var process: Process?

    /// Skips the test (XCTSkip) when nginx, curl or openssl is missing.
    /// - Parameter limitRate: nginx's `limit_rate` (bytes/s per request), a per-connection cap as CDNs have.
    init(registry: URL, directory: URL, http2: Bool, limitRate: Int? = nil) throws {
        self.directory = directory.path
        caFile = self.directory + "/ca.pem"
        let fm = FileManager.default
        guard let nginx = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"].first(where: fm.isExecutableFile) else {
            throw XCTSkip("nginx is not installed (Scripts/setup.sh installs it)")
        }
        for sub in ["", "/tmp"] { try fm.createDirectory(atPath: self.directory + sub, withIntermediateDirectories: true) }
        try makeCertificates()
        for _ in 0..<5 {
            port = freeLoopbackPort()
            try configuration(registry: registry.path, http2: http2, limitRate: limitRate).write(toFile: self.directory + "/nginx.conf",
                                                                             atomically: true, encoding: .utf8)
            let pidFile = self.directory + "/nginx.pid"
            try? fm.removeItem(atPath: pidFile)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: nginx)
            process.arguments = ["-p", self.directory, "-c", self.directory + "/nginx.conf", "-e", self.directory + "/error.log"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // nginx writes its pid file after it has bound its listening socket; it exits when
            // the port is taken. Bounded poll (10 s).
            for _ in 0..<1000 where process.isRunning && !fm.fileExists(atPath: pidFile) { usleep(10_000) }
            if process.isRunning && fm.fileExists(atPath: pidFile) {
                self.process = process
                return
            }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
        // Installed but not starting (a configuration error) fails the test.
        throw NSError(domain: "NginxRegistry", code: 1, userInfo: [NSLocalizedDescriptionKey:
            "nginx did not start: \((try? String(contentsOfFile: self.directory + "/error.log", encoding: .utf8)) ?? "")"])
    }

    deinit { stop() }

    func baseURL(host: String) -> String { "https://\(host):\(port)" }

    /// A configuration for `fixture`'s prefix and cache with formula JSON from `127.0.0.1` and
    /// bottles from `localhost` on this nginx (two host names, as formulae.brew.sh and ghcr.io
    /// are two hosts), its CA trusted, and the index used or not.
    func configuration(for fixture: RegistryFixture, index: Bool) -> InstallConfiguration {
        let environment = ["HOMEBREW_API_DOMAIN": baseURL(host: "127.0.0.1") + "/api",
                           "HOMEBREW_ARTIFACT_DOMAIN": baseURL(host: "localhost"),
                           "HOMEBREW_ARTIFACT_DOMAIN_NO_FALLBACK": "1"]
        var configuration = InstallConfiguration(layout: PrefixLayout(prefix: fixture.prefix, cache: fixture.cache),
                                                 endpoints: .fromEnvironment(environment), jobs: 8)
        configuration.caBundle = caFile
        configuration.index.autoUpdate = index
        return configuration
    }

    /// TCP connections nginx has accepted so far, not counting the one this query opens
    /// (`stub_status`'s "accepts", read with the curl CLI over HTTP/1.1).
    func acceptedConnections() throws -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-sS", "--http1.1", "--cacert", caFile, baseURL(host: "127.0.0.1") + "/nginx-status"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { throw XCTSkip("curl CLI unavailable: \(error)") }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // "Active connections: 1 \nserver accepts handled requests\n 5 5 40 \n…"
        let lines = text.split(separator: "\n")
        guard let index = lines.firstIndex(where: { $0.contains("accepts") }), index + 1 < lines.count,
              let accepts = lines[index + 1].split(separator: " ").first.flatMap({ Int($0) }) else {
            throw XCTSkip("no stub_status from nginx: \(text)")
        }
        return accepts - 1
    }

    /// Stops nginx (graceful: SIGQUIT) and waits for it, so every request is in the access log.
    func stop() {
        guard let process else { return }
        self.process = nil
        if process.isRunning { kill(process.processIdentifier, SIGQUIT) }
        process.waitUntilExit()
    }

    /// Every logged request but the status queries; call after `stop()`.
    func accessLog() -> [LogEntry] {
        let text = (try? String(contentsOfFile: directory + "/access.log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line -> LogEntry? in
            let fields = line.split(separator: " ", maxSplits: 3).map(String.init)
            guard fields.count == 4, let connection = Int(fields[0]), let status = Int(fields[2]) else { return nil }
            return LogEntry(connection: connection, proto: fields[1], status: status, path: fields[3])
        }.filter { $0.path != "/nginx-status" }
    }

    private func configuration(registry: String, http2: Bool, limitRate: Int?) -> String {
        """
        daemon off;
        master_process off;
        pid \(directory)/nginx.pid;
        error_log \(directory)/error.log;
        events { worker_connections 512; }
        http {
            log_format pour '$connection $server_protocol $status $request_uri';
            access_log \(directory)/access.log pour;
            client_body_temp_path \(directory)/tmp/body;
            proxy_temp_path \(directory)/tmp/proxy;
            fastcgi_temp_path \(directory)/tmp/fastcgi;
            uwsgi_temp_path \(directory)/tmp/uwsgi;
            scgi_temp_path \(directory)/tmp/scgi;
            default_type application/octet-stream;
            server {
                listen 127.0.0.1:\(port) ssl\(http2 ? " http2" : "");
                ssl_certificate \(directory)/server.pem;
                ssl_certificate_key \(directory)/server.key;
                root \(registry);
                \(limitRate.map { "limit_rate \($0);" } ?? "")
                location /api/ { }
                location ~ "^/v2/homebrew/core/.+/blobs/(sha256:[0-9a-f]{64})$" { alias \(registry)/blobs/$1; }
                location ~ ^/v2/homebrew/core/(.+)/manifests/([^/]+)$ { alias \(registry)/manifests/$1/$2; }
                location = /nginx-status { stub_status; }
                location / { return 404; }
            }
        }

        """
    }

    private func makeCertificates() throws {
        try TestPKI.make(in: directory, caName: "pour h2 test CA")
    }

}
