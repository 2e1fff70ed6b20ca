import Foundation
import PourTestSupport
import XCTest

/// Drives the `pour-registry` executable the way scripts and the benchmarks do.
final class RegistryToolTests: XCTestCase {
    /// The executable sits next to the test bundle in SwiftPM's products directory.
    private func toolPath() throws -> String {
        let candidates = [
            // The test runner binary (`…/debug/<package>PackageTests.xctest`) sits beside it.
            URL(fileURLWithPath: ProcessInfo.processInfo.arguments.first ?? "").deletingLastPathComponent(),
            Bundle(for: RegistryToolTests.self).bundleURL.deletingLastPathComponent(),
            // `<package>/.build/debug`, found from this source file.
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug"),
        ]
        for directory in candidates {
            let candidate = directory.appendingPathComponent("pour-registry").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw XCTSkip("pour-registry executable not built next to the tests")
    }

    func testGenerateThenServeWithReadyFileFaultsAndSignal() throws {
        let tool = try toolPath()
        let output = Fixtures.temporaryDirectory("cli")
        let registry = output.appendingPathComponent("reg")
        let (generated, text) = try runProgram(tool, ["generate", "--recipe", "many-small", "--count", "5",
                                                      "--seed", "9", "--out", registry.path])
        XCTAssertEqual(generated, 0)
        XCTAssertTrue(text.contains("wrote 5 formulae"))
        let manifest = try RegistryManifest.load(from: registry)
        XCTAssertEqual(manifest.formulae.count, 5)
        let first = try XCTUnwrap(manifest.formulae.values.sorted { $0.name < $1.name }.first)

        let faults = output.appendingPathComponent("faults.json")
        try Data(#"[{"sha256": "\#(first.sha256)", "fault": "status", "code": 503, "times": 1}]"#.utf8).write(to: faults)
        let ready = output.appendingPathComponent("ready").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["serve", registry.path, "--ready-file", ready, "--faults", faults.path]
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // The first line on stdout is printed once both listeners are bound.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let words = String(decoding: line, as: UTF8.self).split(whereSeparator: \.isWhitespace)
        XCTAssertEqual(words.count, 4)
        XCTAssertEqual(words.first, "registry")
        XCTAssertEqual(words.dropFirst(2).first, "blobs")
        let registryURL = String(words[1])
        XCTAssertEqual(try String(contentsOfFile: ready, encoding: .utf8), String(decoding: line, as: UTF8.self))

        let blobURL = "\(registryURL)/v2/homebrew/core/\(first.image)/blobs/sha256:\(first.sha256)"
        let auth = ["-L", "-H", "Authorization: Bearer QQ=="]
        XCTAssertEqual(try Curl.run(blobURL, arguments: auth).status, 503)
        let retry = try Curl.run(blobURL, arguments: auth)
        XCTAssertEqual(retry.status, 200)
        XCTAssertEqual(try sha256Hex(retry.body), first.sha256)

        process.interrupt()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: ready), "ready file removed on shutdown")
    }

    func testUnknownRecipeFails() throws {
        let tool = try toolPath()
        let (status, _) = try runProgram(tool, ["generate", "--recipe", "nope", "--out",
                                                Fixtures.temporaryDirectory("cli-bad").path])
        XCTAssertNotEqual(status, 0)
    }
}

final class LocalRegistryTests: XCTestCase {
    func testGeneratesServesAndCleansUp() throws {
        let registry = try LocalRegistry(recipe: .custom([
            FormulaSpec(name: "tiny", targetCompressedSize: 4 << 10),
        ]))
        let entry = try XCTUnwrap(registry.manifest.formulae["tiny"])
        let url = "\(registry.environment["HOMEBREW_ARTIFACT_DOMAIN"] ?? "")/v2/homebrew/core/tiny/blobs/sha256:\(entry.sha256)"
        let result = try Curl.run(url, arguments: ["-L", "-H", "Authorization: Bearer QQ=="])
        XCTAssertEqual(try sha256Hex(result.body), entry.sha256)
        registry.shutdown()
        XCTAssertFalse(FileManager.default.fileExists(atPath: registry.directory.path))
        XCTAssertNotEqual(try Curl.run(url).exitCode, 0, "server is gone after shutdown")
    }
}
