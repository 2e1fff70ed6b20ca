import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Issue #8, part 8: a registry served over TLS on 127.0.0.1 by a certificate from a private CA
/// made for the test (`openssl` CLI; served by python3's http.server wrapped in ssl). Verification
/// is on by default and fails clearly without the CA — naming the URL and suggesting `--cacert` —
/// and succeeds with `InstallConfiguration.caBundle`, `CURL_CA_BUNDLE` or `--cacert`.
final class ReliabilityTLSTests: XCTestCase {
    private var fixture: RegistryFixture!
    private var server: Process?
    private var port = 0
    private var caFile = ""

    /// Serves a RegistryGenerator directory the way ghcr.io is reached through
    /// HOMEBREW_ARTIFACT_DOMAIN (no auth, no redirect): /api/…, /v2/<…>/<image>/blobs/sha256:…,
    /// /v2/<…>/<image>/manifests/<ref>.
    private static let serverScript = #"""
import http.server, os, ssl, sys
root, cert, key = sys.argv[1], sys.argv[2], sys.argv[3]
class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args): pass
    def do_GET(self):
        path = self.path.split("?")[0]
        parts = [p for p in path.split("/") if p]
        local = None
        if ".." in parts: local = None
        elif parts[:1] == ["api"]: local = os.path.join(root, *parts)
        elif parts[:1] == ["v2"] and len(parts) >= 5 and parts[-2] == "blobs": local = os.path.join(root, "blobs", parts[-1])
        elif parts[:1] == ["v2"] and len(parts) >= 5 and parts[-2] == "manifests": local = os.path.join(root, "manifests", *parts[3:-2], parts[-1])
        if not local or not os.path.isfile(local):
            self.send_response(404); self.send_header("Content-Length", "0"); self.end_headers(); return
        with open(local, "rb") as f: body = f.read()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
print(httpd.server_address[1], flush=True)
httpd.serve_forever()
"""#

    override func setUpWithError() throws {
        fixture = try RegistryFixture(recipe: .custom([
            FormulaSpec(name: "lib", targetCompressedSize: 100_000),
            FormulaSpec(name: "app", dependencies: ["lib"], targetCompressedSize: 100_000),
        ]))
        let pki = fixture.root.appendingPathComponent("pki").path
        try TestPKI.make(in: pki, caName: "pour reliability test CA")
        caFile = pki + "/ca.pem"
        try Self.serverScript.write(toFile: pki + "/serve.py", atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", pki + "/serve.py", fixture.registry.path, pki + "/server.pem", pki + "/server.key"]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { throw XCTSkip("python3 unavailable: \(error)") }
        server = process
        // The script prints its port once it listens (bounded read: one short line).
        var line = Data()
        while let byte = try stdout.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data([0x0A]) { line.append(byte) }
        guard let parsed = Int(String(decoding: line, as: UTF8.self)) else { throw XCTSkip("TLS server did not start") }
        port = parsed
    }

    override func tearDown() {
        if let server, server.isRunning { server.terminate(); server.waitUntilExit() }
        fixture = nil
        super.tearDown()
    }

    private var tlsBase: String { "https://127.0.0.1:\(port)" }

    /// Everything (metadata and bottles) from the TLS server.
    private var tlsEnvironment: [String: String] {
        ["HOMEBREW_API_DOMAIN": tlsBase + "/api", "HOMEBREW_ARTIFACT_DOMAIN": tlsBase, "HOMEBREW_ARTIFACT_DOMAIN_NO_FALLBACK": "1"]
    }

    private func configuration(_ environment: [String: String], caBundle: String?) -> InstallConfiguration {
        var configuration = InstallConfiguration(layout: fixture.configuration().layout, endpoints: .fromEnvironment(environment))
        configuration.retryPolicy = RetryPolicy(maxAttempts: 2, baseDelay: 0.05, maxDelay: 0.1, maxRetryAfter: 1)
        configuration.caBundle = caBundle
        return configuration
    }

    func testMetadataOverTLSWithoutTheCAFailsClearly() {
        let run = install(["app"], configuration: configuration(tlsEnvironment, caBundle: nil))
        guard case .failure(.metadata(.network(_, _, let url))) = run.result, case .failure(let error) = run.result else {
            return XCTFail("\(run.result)")
        }
        print("TLS metadata without CA → \(error.description)")
        XCTAssertTrue(url.hasPrefix(tlsBase + "/api/formula/"), url)
        XCTAssertTrue(error.description.contains("certificate"), error.description)
        XCTAssertTrue(error.description.contains("--cacert"), error.description)
        XCTAssertEqual(tree(fixture.configuration().layout.cellar), [])
    }

    func testBottlesOverTLSWithoutTheCAFailPerPackageClearly() {
        // Metadata from the plain loopback server, bottles from the TLS one.
        var environment = fixture.environment
        environment["HOMEBREW_ARTIFACT_DOMAIN"] = tlsBase
        let run = install(["app"], configuration: configuration(environment, caBundle: nil))
        // app's own download runs beside lib's and may fail the same way before lib's failure
        // skips it: either outcome is right, installing it is not.
        if case .failed(let appFailure)? = run.outcome("app") {
            XCTAssertTrue(appFailure.description.contains("--cacert"), appFailure.description)
            assertOutcomes(run, installed: [], failed: ["lib", "app"])
        } else {
            assertOutcomes(run, installed: [], failed: ["lib"], skipped: ["app"])
        }
        guard case .failed(let failure)? = run.outcome("lib"), case .download(.network(_, _, let url)) = failure else {
            return XCTFail("\(String(describing: run.outcome("lib")))")
        }
        print("TLS bottle without CA → \(failure.description)")
        XCTAssertTrue(url.hasPrefix(tlsBase + "/v2/"), url)
        XCTAssertTrue(failure.description.contains("--cacert"), failure.description)
        XCTAssertEqual(run.events.filter { if case .downloadRetrying = $0.event { return true }; return false }.count, 0,
                       "a verification failure is not retried")
        assertConsistentPrefix(layout: fixture.configuration().layout, manifest: fixture.manifest)
    }

    func testTLSWithTheCABundleInConfigurationSucceeds() {
        let run = install(["app"], configuration: configuration(tlsEnvironment, caBundle: caFile))
        assertOutcomes(run, installed: ["lib", "app"])
        assertConsistentPrefix(layout: fixture.configuration().layout, manifest: fixture.manifest)
    }

    func testTLSWithCurlCABundleOrCacertInTheRealBinarySucceeds() throws {
        for (index, viaFlag) in [false, true].enumerated() {
            let base = fixture.root.appendingPathComponent("cli-\(index)").path
            var environment = tlsEnvironment
            var arguments = ["install", "app", "--json", "--prefix", base + "/prefix", "--cache", base + "/cache"]
            if viaFlag { arguments += ["--cacert", caFile] } else { environment["CURL_CA_BUNDLE"] = caFile }
            let pour = try PourProcess(arguments: arguments, environment: environment)
            XCTAssertEqual(pour.waitForExit(), 0, "\(viaFlag ? "--cacert" : "CURL_CA_BUNDLE"): \(pour.output.suffix(3))")
            XCTAssertTrue(pour.output.last?.contains("\"status\":\"ok\"") == true, "\(pour.output.suffix(2))")
            assertConsistentPrefix(layout: PrefixLayout(prefix: base + "/prefix", cache: base + "/cache"), manifest: fixture.manifest)
        }
    }
}
