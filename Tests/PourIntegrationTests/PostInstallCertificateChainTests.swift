import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Issue 15, post-install without Ruby, end to end: a registry serving a `ca-certificates`
/// bottle (its bundle at `share/ca-certificates/cacert.pem`, the real layout, holding a CA this
/// test makes) and an `openssl@3`-shaped bottle, both `post_install_defined: true` with their
/// `.brew/<name>.rb` written here in the shapes of the current homebrew-core formulae. The
/// `openssl@3` bottle ships a small TLS client (C, compiled here against the system's libssl)
/// whose CA file is compiled in as `<prefix>/etc/openssl@3/cert.pem` — the way brew's openssl
/// bottles carry their prefix's `openssldir`. `openssl s_server` on 127.0.0.1 serves a
/// certificate from the test CA; the client verifies it only if pour's post-install created the
/// chain `etc/openssl@3/cert.pem → ../ca-certificates/cert.pem` (the bundle).
final class PostInstallCertificateChainTests: XCTestCase {
    /// "file", "link", "dir" or "missing", without following a final symlink.
    private func kind(_ path: String) -> String {
        guard let type = try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType else { return "missing" }
        switch type {
        case .typeRegular: return "file"
        case .typeSymbolicLink: return "link"
        case .typeDirectory: return "dir"
        default: return "other"
        }
    }

    private var fixture: RegistryFixture!
    private var pki = ""
    private var server: Process?

    override func tearDown() {
        if let server, server.isRunning { server.terminate(); server.waitUntilExit() }
        fixture = nil
        super.tearDown()
    }

    static let caCertificatesSource = """
    class CaCertificates < Formula
      desc "Mozilla CA certificate store"
      def install
        pkgshare.install "cacert-#{version}.pem" => "cacert.pem"
      end

      def post_install
        if OS.mac?
          macos_post_install
        else
          linux_post_install
        end
      end

      def macos_post_install
        pkgetc.mkpath
        (pkgetc/"cert.pem").atomic_write(Utils.safe_popen_read("/usr/bin/security", "find-certificate", "-a", "-p"))
      end

      def fingerprint(pem)
        Utils.safe_popen_write("openssl", "x509", "-fingerprint", "-sha256",
                               "-noout") do |io|
          io.write(pem)
        end
      end

      def load_from(file, list, seen)
        file.binread.scan(/-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----/m).each do |pem|
          list << pem if seen.add?(fingerprint(pem))
        end
      end

      def linux_post_install
        rm(pkgetc/"cert.pem", force: true)
        pkgetc.mkpath
        system_store = Pathname.new("/etc/ssl/certs/ca-certificates.crt")
        return if !system_store.exist? || !system_store.readable?
        list = []
        seen = Set.new
        load_from(system_store, list, seen)
        load_from(pkgshare/"cacert.pem", list, seen)
        (pkgetc/"cert.pem").atomic_write(list.join("\\n") << "\\n")
      ensure
        cp pkgshare/"cacert.pem", pkgetc/"cert.pem" unless (pkgetc/"cert.pem").exist?
      end
    end
    """

    static let opensslSource = """
    class OpensslAT3 < Formula
      depends_on "ca-certificates"

      def openssldir
        etc/"openssl@3"
      end

      def post_install
        rm(openssldir/"cert.pem") if (openssldir/"cert.pem").exist?
        openssldir.install_symlink Formula["ca-certificates"].pkgetc/"cert.pem"
      end
    end
    """

    /// Connects to 127.0.0.1:<port>, verifies the peer against the compiled-in CA file (and the
    /// certificate's IP SAN), exits 0 only on a verified handshake.
    static let clientSource = #"""
    #include <openssl/ssl.h>
    #include <openssl/err.h>
    #include <arpa/inet.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <unistd.h>
    int main(int argc, char **argv) {
        if (argc != 2) return 2;
        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
        if (SSL_CTX_load_verify_locations(ctx, CAFILE, NULL) != 1) { fprintf(stderr, "no CA file at %s\n", CAFILE); return 3; }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in addr; memset(&addr, 0, sizeof addr);
        addr.sin_family = AF_INET; addr.sin_port = htons(atoi(argv[1])); addr.sin_addr.s_addr = htonl(0x7f000001);
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) { perror("connect"); return 4; }
        SSL *ssl = SSL_new(ctx);
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
        SSL_set_fd(ssl, fd);
        if (SSL_connect(ssl) != 1) {
            fprintf(stderr, "handshake failed: %s\n", X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
            return 1;
        }
        printf("verified\n");
        SSL_shutdown(ssl);
        close(fd);
        return 0;
    }
    """#

    /// Builds the PKI, the client, the two bottles and the registry. `caSource` replaces the
    /// ca-certificates formula source (to make its post-install unrunnable).
    private func setUpChain(caSource: String = caCertificatesSource) throws {
        fixture = try RegistryFixture(recipe: .custom([
            FormulaSpec(name: "ca-certificates", targetCompressedSize: 10_000),
            FormulaSpec(name: "openssl@3", dependencies: ["ca-certificates"], targetCompressedSize: 10_000),
        ]))
        pki = fixture.root.appendingPathComponent("pki").path
        try TestPKI.make(in: pki, caName: "pour post-install test CA")
        let caFile = fixture.prefix + "/etc/openssl@3/cert.pem"
        try Self.clientSource.write(toFile: pki + "/client.c", atomically: true, encoding: .utf8)
        guard (try? runTool(["gcc", "-o", "pour-tls-check", "client.c", "-DCAFILE=\"\(caFile)\"", "-lssl", "-lcrypto"], in: pki)) == 0 else {
            throw XCTSkip("gcc with libssl headers unavailable")
        }

        // ca-certificates: the bundle (a decoy certificate first, as a real bundle has many) + source.
        let bundle = try String(contentsOfFile: pki + "/ca.pem", encoding: .utf8)
        let caBottle = fixture.root.appendingPathComponent("ca-certificates.tar.gz").path
        try CustomBottle.writeArchive([
            .init("ca-certificates/1.0.0", .directory),
            .file("ca-certificates/1.0.0/.brew/ca-certificates.rb", caSource),
            .file("ca-certificates/1.0.0/share/ca-certificates/cacert.pem", bundle),
        ], to: caBottle)
        try CustomBottle.publish(bottleAt: caBottle, as: "ca-certificates", in: fixture.registry, manifest: fixture.manifest)

        let client = try Data(contentsOf: URL(fileURLWithPath: pki + "/pour-tls-check"))
        let sslBottle = fixture.root.appendingPathComponent("openssl.tar.gz").path
        try CustomBottle.writeArchive([
            .init("openssl@3/1.0.0", .directory),
            .file("openssl@3/1.0.0/.brew/openssl@3.rb", Self.opensslSource),
            .init("openssl@3/1.0.0/bin/pour-tls-check", .file(contents: Array(client)), permissions: 0o755),
        ], to: sslBottle)
        try CustomBottle.publish(bottleAt: sslBottle, as: "openssl@3", in: fixture.registry, manifest: fixture.manifest)
        for name in ["ca-certificates", "openssl@3"] {
            try CustomBottle.editFormulaJSON(in: fixture.registry, name: name) { text in
                text.replacingOccurrences(of: #""post_install_defined"\s*:\s*false"#, with: #""post_install_defined": true"#,
                                          options: .regularExpression)
            }
        }
    }

    /// `openssl s_server` on 127.0.0.1 with the test CA's server certificate; returns its port.
    private func startServer() throws -> Int {
        for _ in 0..<5 {
            // Pick a free port (bind to 0, read it, release), then let s_server take it.
            let port = freeLoopbackPort()

            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["openssl", "s_server", "-accept", "127.0.0.1:\(port)", "-cert", pki + "/server.pem",
                                 "-key", pki + "/server.key", "-naccept", "4"]
            let stdout = Pipe()
            process.standardOutput = stdout
            process.standardError = stdout
            process.standardInput = Pipe()
            try process.run()
            server = process
            // s_server says "ACCEPT" once it listens (bounded read of its first line; a server that
            // says nothing is stopped after 20 s, which ends the read).
            let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
            DispatchQueue.global().asyncAfter(deadline: .now() + 20, execute: watchdog)
            defer { watchdog.cancel() }
            var seen = Data()
            while let byte = try stdout.fileHandleForReading.read(upToCount: 1), !byte.isEmpty {
                seen.append(byte)
                if String(decoding: seen, as: UTF8.self).contains("ACCEPT") { return port }
            }
            process.terminate()
            process.waitUntilExit()
        }
        throw XCTSkip("openssl s_server did not start")
    }

    private func client(port: Int) throws -> (status: Int32, output: String) {
        let pipe = Pipe()
        let status = try runTool([fixture.prefix + "/bin/pour-tls-check", String(port)], in: pki, output: pipe)
        return (status, String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    func testPostInstallCreatesTheCertificateChainAndTLSVerifies() throws {
        try setUpChain()
        let run = install(["openssl@3"], configuration: fixture.configuration())
        assertOutcomes(run, installed: ["ca-certificates", "openssl@3"])
        let layout = fixture.configuration().layout

        // The bundle is materialised (recognised effect) and openssl's cert.pem links to it.
        let bundle = try String(contentsOfFile: pki + "/ca.pem", encoding: .utf8)
        XCTAssertEqual(kind(layout.prefix + "/etc/ca-certificates/cert.pem"), "file")
        XCTAssertEqual(try String(contentsOfFile: layout.prefix + "/etc/ca-certificates/cert.pem", encoding: .utf8), bundle)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: layout.prefix + "/etc/openssl@3/cert.pem"),
                       "../ca-certificates/cert.pem")
        XCTAssertEqual(try String(contentsOfFile: layout.prefix + "/etc/openssl@3/cert.pem", encoding: .utf8), bundle)
        let ran = run.events.compactMap { if case .postInstallRan(let name, let detail) = $0.event { "\(name): \(detail)" } else { nil } }
        XCTAssertEqual(ran.count, 2, "\(ran)")
        XCTAssertTrue(ran.contains { $0.hasPrefix("ca-certificates: post_install effect recognised") }, "\(ran)")
        XCTAssertTrue(ran.contains { $0.hasPrefix("openssl@3: post_install ran") }, "\(ran)")
        XCTAssertEqual(run.report?.postInstallNotRun, [])
        XCTAssertFalse(Doctor(layout: layout).check().contains { $0.kind == .postInstallNotRun })

        // A TLS client poured from the bottle verifies a server whose CA is only in the bundle.
        let port = try startServer()
        let verified = try client(port: port)
        XCTAssertEqual(verified.status, 0, verified.output)
        XCTAssertTrue(verified.output.contains("verified"), verified.output)

        // The system's openssl s_client, pointed at the same path, agrees.
        let pipe = Pipe()
        let status = try runTool(["openssl", "s_client", "-connect", "127.0.0.1:\(port)", "-verify_return_error",
                                "-verify_ip", "127.0.0.1", "-CAfile", layout.prefix + "/etc/openssl@3/cert.pem"], in: pki, output: pipe)
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("Verify return code: 0 (ok)"), output)
    }

    func testWithoutPostInstallTheInstallSucceedsReportsTheCommandAndTLSFails() throws {
        // A ca-certificates source pour cannot account for: an extra program run.
        let hostile = Self.caCertificatesSource.replacingOccurrences(
            of: "    rm(pkgetc/\"cert.pem\", force: true)\n", with: "    rm(pkgetc/\"cert.pem\", force: true)\n    system \"update-ca-trust\"\n")
        try setUpChain(caSource: hostile)
        let run = install(["openssl@3"], configuration: fixture.configuration())
        assertOutcomes(run, installed: ["ca-certificates", "openssl@3"])
        let layout = fixture.configuration().layout

        XCTAssertEqual(kind(layout.prefix + "/etc/ca-certificates/cert.pem"), "missing")
        XCTAssertEqual(kind(layout.prefix + "/etc/ca-certificates"), "missing", "a refused post-install changed the prefix")
        XCTAssertEqual(run.report?.postInstallNotRun.map(\.command), ["brew postinstall ca-certificates"])
        // The receipt records it and doctor reports it with the command.
        let receipt = try XCTUnwrap(try InstallReceipt.read(kegPath: layout.keg("ca-certificates", "1.0.0")))
        guard case .object(let entry)? = receipt.extra["pour_post_install"] else { return XCTFail("no receipt entry") }
        XCTAssertEqual(entry["status"], .string("not_run"))
        XCTAssertEqual(entry["command"], .string("brew postinstall ca-certificates"))
        let findings = Doctor(layout: layout).check().filter { $0.kind == .postInstallNotRun }
        XCTAssertEqual(findings.map(\.path), [layout.keg("ca-certificates", "1.0.0")])
        XCTAssertTrue(findings.first?.detail.contains("`brew postinstall ca-certificates`") == true)

        // openssl@3's own post-install still ran: its link dangles, and the client cannot verify.
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: layout.prefix + "/etc/openssl@3/cert.pem"),
                       "../ca-certificates/cert.pem")
        let port = try startServer()
        let refused = try client(port: port)
        XCTAssertNotEqual(refused.status, 0, refused.output)
        XCTAssertFalse(refused.output.contains("verified\n"), refused.output)
    }

    func testCLIListsThePostInstallCommandsAtTheEnd() throws {
        let hostile = Self.caCertificatesSource.replacingOccurrences(of: "  ensure\n", with: "    system \"true\"\n  ensure\n")
        try setUpChain(caSource: hostile)
        let (status, lines) = try runPour(["install", "openssl@3", "--json"], fixture: fixture)
        XCTAssertEqual(status, 0, lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains { $0.contains(#""event":"post_install_not_run""#) && $0.contains("brew postinstall ca-certificates") },
                      lines.joined(separator: "\n"))
        let summary = try XCTUnwrap(lines.last { $0.contains(#""event":"summary""#) })
        XCTAssertTrue(summary.contains("brew postinstall ca-certificates"), summary)
    }

    /// The demo's registry (`pour-registry generate --recipe sample --ca-bundle`): installing
    /// wget brings openssl@3 and ca-certificates, and both post-installs run fully.
    func testSampleRecipeWithTheCertificateChainSetsUpTheStore() throws {
        let bundle = "-----BEGIN CERTIFICATE-----\nMIIBdemo\n-----END CERTIFICATE-----\n"
        fixture = try RegistryFixture(recipe: RegistryRecipe.sample().withCertificateChain(bundle: bundle))
        let run = install(["wget"], configuration: fixture.configuration())
        XCTAssertTrue(run.report?.succeeded == true)
        let layout = fixture.configuration().layout
        XCTAssertEqual(try String(contentsOfFile: layout.prefix + "/etc/ca-certificates/cert.pem", encoding: .utf8), bundle)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: layout.prefix + "/etc/openssl@3/cert.pem"),
                       "../ca-certificates/cert.pem")
        let ran = run.events.compactMap { if case .postInstallRan(let name, _) = $0.event { name } else { nil } }
        XCTAssertEqual(Set(ran), ["ca-certificates", "openssl@3"])
    }
}
