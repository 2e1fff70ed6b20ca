import Foundation
import PourCore
import XCTest

/// The real `pour` binary run to completion with stdout and stderr both captured.
struct PourRun {
    var status: Int32
    var stdout: String
    var stderr: String
    var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    var errorLines: [String] { stderr.split(separator: "\n").map(String.init) }
}

func runPourCapturing(_ arguments: [String], environment: [String: String], directory: String? = nil) throws -> PourRun {
    let process = Process()
    process.executableURL = PourProcess.executable
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Both pipes are drained while the child runs, so neither can fill up and block it.
    let group = DispatchGroup()
    let outData = Locked(Data())
    let errData = Locked(Data())
    for (pipe, sink) in [(out, outData), (err, errData)] {
        group.enter()
        DispatchQueue.global().async {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            sink.withLock { $0 = data }
            group.leave()
        }
    }
    process.waitUntilExit()
    group.wait()
    return PourRun(status: process.terminationStatus, stdout: String(decoding: outData.current, as: UTF8.self),
                   stderr: String(decoding: errData.current, as: UTF8.self))
}

extension RegistryFixture {
    /// Runs `pour` against this fixture's prefix and cache.
    func pour(_ arguments: [String], extraEnvironment: [String: String] = [:], directory: String? = nil) throws -> PourRun {
        try runPourCapturing(arguments + ["--prefix", prefix, "--cache", cache],
                             environment: environment.merging(extraEnvironment) { $1 }, directory: directory)
    }
}

/// Every entry under `root` with its type, size and modification time: equal snapshots mean
/// nothing was created, removed, resized or rewritten.
func snapshot(_ root: String) -> [String: String] {
    var result: [String: String] = [:]
    guard FileManager.default.fileExists(atPath: root) else { return ["<absent>": root] }
    result["."] = "root"
    for relative in tree(root) {
        var info = stat()
        guard lstat(root + "/" + relative, &info) == 0 else { continue }
        result[relative] = "\(info.st_mode) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }
    return result
}

/// The lower-case hex SHA-256 of a file, computed with the same hasher pour uses.
func fileSHA256(_ path: String) -> String? {
    let hasher = SHA256Hasher()
    guard (try? hasher.update(contentsOf: path)) != nil else { return nil }
    return hasher.finalizeHex()
}
