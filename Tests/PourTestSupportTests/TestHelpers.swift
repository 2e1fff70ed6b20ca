import Foundation
import PourTestSupport
import XCTest

/// One HTTP exchange made with the system curl (a real, independent client: it drops
/// Authorization across hosts, follows redirects, reports partial transfers).
struct CurlResult {
    var exitCode: Int32
    var status: Int
    /// Header fields of the last response, names lower-cased.
    var headers: [String: String]
    var body: Data
    /// curl's `%{speed_download}`: bytes per second over the whole transfer.
    var speed: Double
}

enum Curl {
    static func run(_ url: String, arguments: [String] = []) throws -> CurlResult {
        let process = try start(url, arguments: arguments)
        return try process.finish()
    }

    /// A curl process already running, for concurrency tests.
    final class Running {
        let process: Process
        let bodyPath: String
        let headerPath: String
        let output: Pipe

        init(process: Process, bodyPath: String, headerPath: String, output: Pipe) {
            self.process = process
            self.bodyPath = bodyPath
            self.headerPath = headerPath
            self.output = output
        }

        func finish() throws -> CurlResult {
            let written = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            defer {
                unlink(bodyPath)
                unlink(headerPath)
            }
            let body = FileManager.default.contents(atPath: bodyPath) ?? Data()
            let headerText = String(decoding: FileManager.default.contents(atPath: headerPath) ?? Data(), as: UTF8.self)
            // With -L the header file holds every response; keep the last block.
            let blocks = headerText.components(separatedBy: "\r\n\r\n").filter { !$0.isEmpty }
            var headers: [String: String] = [:]
            for line in (blocks.last ?? "").components(separatedBy: "\r\n").dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let fields = String(decoding: written, as: UTF8.self).split(separator: " ")
            let status = fields.first.flatMap { Int($0) } ?? 0
            let speed = fields.count > 1 ? Double(fields[1]) ?? 0 : 0
            return CurlResult(exitCode: process.terminationStatus, status: status, headers: headers, body: body,
                              speed: speed)
        }
    }

    static func start(_ url: String, arguments: [String] = []) throws -> Running {
        let id = UUID().uuidString
        let bodyPath = NSTemporaryDirectory() + "curl-body-\(id)"
        let headerPath = NSTemporaryDirectory() + "curl-head-\(id)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-o", bodyPath, "-D", headerPath, "-w", "%{http_code} %{speed_download}",
                             "--max-time", "60"] + arguments + [url]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        return Running(process: process, bodyPath: bodyPath, headerPath: headerPath, output: output)
    }
}

private let fixtureRootPath = NSTemporaryDirectory() + "pour-ts-\(getpid())"

/// Registries generated once per test process and shared by the tests that only read them.
enum Fixtures {
    static let sample: Result<(URL, RegistryManifest), Error> = Result {
        try generate(.sample(), name: "sample")
    }

    /// One ~6 MB bottle for rate measurements, plus two ~1 MB ones for concurrency.
    static let large: Result<(URL, RegistryManifest), Error> = Result {
        try generate(.custom([
            FormulaSpec(name: "big", targetCompressedSize: 6 << 20),
            FormulaSpec(name: "mid-a", targetCompressedSize: 1 << 20),
            FormulaSpec(name: "mid-b", targetCompressedSize: 1 << 20),
        ]), name: "large")
    }

    static func generate(_ recipe: RegistryRecipe, name: String, seed: UInt64 = 7) throws -> (URL, RegistryManifest) {
        let directory = temporaryDirectory("registry-\(name)")
        let manifest = try RegistryGenerator(recipe: recipe, seed: seed).generate(into: directory)
        return (directory, manifest)
    }

    /// Every directory the tests make lives under one per-process root, removed at exit.
    private static let root: URL = {
        let url = URL(fileURLWithPath: fixtureRootPath)
        atexit { try? FileManager.default.removeItem(atPath: fixtureRootPath) }
        return url
    }()

    static func temporaryDirectory(_ label: String) -> URL {
        let url = root.appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

func sha256Hex(_ data: Data) throws -> String {
    let path = NSTemporaryDirectory() + "sha-\(UUID().uuidString)"
    try data.write(to: URL(fileURLWithPath: path))
    defer { unlink(path) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    process.arguments = [path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(String(decoding: output, as: UTF8.self).prefix(64))
}

/// Runs a program and returns its exit status and standard output.
@discardableResult
func runProgram(_ path: String, _ arguments: [String], directory: URL? = nil) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}
