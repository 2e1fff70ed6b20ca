import Foundation
import XCTest

/// Runs a tool found on `PATH` in `directory` and returns its exit status; its output goes to
/// `output` (both streams), else nowhere. Standard input is empty.
@discardableResult
func runTool(_ arguments: [String], in directory: String, output: Pipe? = nil) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.standardOutput = output ?? FileHandle.nullDevice
    process.standardError = output ?? FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

/// A throwaway certificate authority and a server certificate it signed, made with the real
/// `openssl` CLI for the TLS tests (a local server pour must verify): `ca.pem`, `server.pem` and
/// `server.key` in `directory`, valid two days, the server's for 127.0.0.1 and localhost. Skips the
/// test when the CLI is missing or fails.
enum TestPKI {
    static func make(in directory: String, caName: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            .write(toFile: directory + "/server.ext", atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=\(caName)",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            ["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"],
            ["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "server.pem", "-days", "2", "-extfile", "server.ext"],
        ]
        for step in steps {
            guard (try? runTool(step, in: directory)) == 0 else { throw XCTSkip("openssl CLI unavailable or failed: \(step.prefix(3))") }
        }
    }
}
