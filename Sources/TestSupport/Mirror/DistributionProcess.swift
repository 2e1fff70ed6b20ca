import Foundation
import PourCore

/// A CNCF Distribution registry (`docker-registry` from Debian, `registry` upstream) run as a
/// child process on 127.0.0.1 with a generated config: filesystem storage in a private temporary
/// directory, no auth, and optionally pull-through-cache mode in front of `proxyRemoteURL`.
/// Nothing depends on a system service: the process is started here and stopped by `stop()`.
///
/// Thread-safety: configuration is immutable after `init`; the child process lives in a
/// `Locked` box, so `stop()` may be called from any thread and more than once.
package final class DistributionProcess: Sendable {
    /// `http://127.0.0.1:PORT`.
    package let baseURL: String
    package let port: Int
    /// Holds `config.yml`, `storage/` and `registry.log`.
    package let directory: URL
    private let process = Locked<Process?>(nil)

    /// Where the binary is looked for: `$POUR_DOCKER_REGISTRY`, Debian's path, then `registry` on PATH.
    package static func binary() -> String? {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["POUR_DOCKER_REGISTRY"], !explicit.isEmpty {
            candidates.append(explicit)
        }
        candidates.append("/usr/bin/docker-registry")
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            candidates.append("\(directory)/docker-registry")
            candidates.append("\(directory)/registry")
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Writes the config, starts the registry and returns once `GET /v2/` answers (200, or 401
    /// when `htpasswd` is given: the lines of an htpasswd file with bcrypt hashes, which turns on
    /// Distribution's basic auth).
    package init(proxyRemoteURL: String? = nil, htpasswd: String? = nil) throws(MirrorError) {
        guard let binary = DistributionProcess.binary() else {
            throw .distribution("docker-registry not found; run Scripts/setup.sh (apt-get install docker-registry) or set POUR_DOCKER_REGISTRY")
        }
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("pour-distribution-\(getpid())-\(UUID().uuidString.prefix(8))")
        do {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("storage"),
                                                    withIntermediateDirectories: true)
        } catch {
            throw .distribution("cannot create \(directory.path): \(error)")
        }
        let configPath = directory.appendingPathComponent("config.yml").path
        let logPath = directory.appendingPathComponent("registry.log").path
        var htpasswdPath: String?
        if let htpasswd {
            let path = directory.appendingPathComponent("htpasswd").path
            guard FileManager.default.createFile(atPath: path, contents: Data(htpasswd.utf8)) else {
                throw .distribution("cannot write \(path)")
            }
            htpasswdPath = path
        }
        // The port is chosen before Distribution binds it, so another process may take it in
        // between; a start that exits early is retried on a fresh port.
        var failure = MirrorError.distribution("did not start")
        for _ in 0..<3 {
            let port = try DistributionProcess.freePort()
            let config = DistributionProcess.config(storage: directory.appendingPathComponent("storage").path, port: port,
                                                    proxyRemoteURL: proxyRemoteURL, htpasswdPath: htpasswdPath)
            guard FileManager.default.createFile(atPath: configPath, contents: Data(config.utf8)),
                  FileManager.default.createFile(atPath: logPath, contents: nil) else {
                throw .distribution("cannot write \(configPath)")
            }
            let child = Process()
            child.executableURL = URL(fileURLWithPath: binary)
            child.arguments = ["serve", configPath]
            child.environment = ["PATH": "/usr/bin:/bin", "HOME": directory.path]
            let log = FileHandle(forWritingAtPath: logPath)
            child.standardOutput = log
            child.standardError = log
            do { try child.run() } catch {
                throw .distribution("cannot start \(binary): \(error)")
            }
            switch DistributionProcess.waitUntilReady(child, url: "http://127.0.0.1:\(port)/v2/",
                                                      expecting: htpasswd == nil ? 200 : 401, logPath: logPath) {
            case nil:
                self.port = port
                baseURL = "http://127.0.0.1:\(port)"
                process.withLock { $0 = child }
                return
            case .some(let error):
                failure = error
                if child.isRunning {
                    kill(child.processIdentifier, SIGTERM)
                    child.waitUntilExit()
                }
            }
        }
        try? FileManager.default.removeItem(at: directory)
        throw failure
    }

    deinit { stop() }

    /// What the registry logged (startup errors, requests), for failure messages.
    package var logText: String {
        (try? String(contentsOfFile: directory.appendingPathComponent("registry.log").path, encoding: .utf8)) ?? ""
    }

    /// Stops the registry (SIGTERM, then waits) and deletes its directory. Idempotent.
    package func stop() {
        guard let child = process.withLock({ value -> Process? in defer { value = nil }; return value }) else { return }
        if child.isRunning {
            kill(child.processIdentifier, SIGTERM)
            child.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The repositories the registry lists (`GET /v2/_catalog`), sorted.
    package func repositories() throws(MirrorError) -> [String] {
        let url = baseURL + "/v2/_catalog?n=1000"
        let response = try BlockingHTTPClient().send("GET", url)
        guard response.status == 200,
              let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any],
              let names = object["repositories"] as? [String] else {
            throw .http(method: "GET", url: url, status: response.status, body: response.text)
        }
        return names.sorted()
    }

    /// Whether the storage holds blob `digest` (`sha256:…`) for `repository` (`homebrew/core/<image>`):
    /// the repository's link file, which a read through that repository needs, exists.
    package func hasBlob(repository: String, digest: String) -> Bool {
        let hex = digest.hasPrefix("sha256:") ? String(digest.dropFirst(7)) : digest
        let link = directory.appendingPathComponent(
            "storage/docker/registry/v2/repositories/\(repository)/_layers/sha256/\(hex)/link").path
        return FileManager.default.fileExists(atPath: link)
    }

    /// Waits (polling, `timeout` seconds at most) until every blob is in the storage. A
    /// pull-through cache (Distribution 2.8, registry/proxy/proxyblobstore.go) streams a blob to
    /// the client and commits its own copy from a second upstream fetch in the background, so
    /// the copy may land after the client has its bytes.
    package func waitForBlobs(_ blobs: [(repository: String, digest: String)], timeout: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if blobs.allSatisfy({ hasBlob(repository: $0.repository, digest: $0.digest) }) { return true }
            if Date() >= deadline { return false }
            usleep(20_000)
        }
    }

    /// The YAML Distribution 2.8 reads (docs: distribution/docs/configuration.md).
    package static func config(storage: String, port: Int, proxyRemoteURL: String?, htpasswdPath: String? = nil) -> String {
        var text = """
        version: 0.1
        log:
          level: info
          formatter: text
        storage:
          filesystem:
            rootdirectory: \(storage)
          maintenance:
            uploadpurging:
              enabled: false
        http:
          addr: 127.0.0.1:\(port)
          secret: pour-tests-not-secret
        health:
          storagedriver:
            enabled: false

        """
        if let proxyRemoteURL {
            text += """
            proxy:
              remoteurl: \(proxyRemoteURL)

            """
        }
        if let htpasswdPath {
            text += """
            auth:
              htpasswd:
                realm: pour-mirror
                path: \(htpasswdPath)

            """
        }
        return text
    }

    /// Polls `url` until it answers `status` (nil: the process is listening); an error when the
    /// process exits first or 30 s pass.
    private static func waitUntilReady(_ child: Process, url: String, expecting status: Int,
                                       logPath: String) -> MirrorError? {
        let client = BlockingHTTPClient(timeout: 2)
        let deadline = Date().addingTimeInterval(30)
        func log() -> String { String(((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").suffix(600)) }
        while Date() < deadline {
            if !child.isRunning {
                return .distribution("exited with status \(child.terminationStatus) before listening: \(log())")
            }
            if let response = try? client.send("GET", url), response.status == status { return nil }
            usleep(50_000)
        }
        return .distribution("\(url) did not answer within 30 s: \(log())")
    }

    /// An ephemeral port that was free a moment ago (bound, read back, released). Distribution
    /// cannot report the port it bound, so it gets one chosen here.
    private static func freePort() throws(MirrorError) -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw .distribution("socket: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic -> Int32 in
                guard bind(descriptor, generic, length) == 0 else { return -1 }
                return getsockname(descriptor, generic, &length)
            }
        }
        guard bound == 0 else { throw .distribution("bind 127.0.0.1:0: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
