import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Shell completion scripts from swift-argument-parser, and formula names completed from the
/// local index without the network.
final class CompletionTests: XCTestCase {
    func testCompletionScriptsLoad() throws {
        for shell in ["bash", "zsh", "fish"] {
            let run = try runPourCapturing(["--generate-completion-script", shell], environment: [:])
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertTrue(run.stdout.contains("---completion install"), "\(shell) completes formula names via pour itself")
        }
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("pour-completion-\(UUID().uuidString).bash")
        defer { try? FileManager.default.removeItem(at: script) }
        try Data(try runPourCapturing(["--generate-completion-script", "bash"], environment: [:]).stdout.utf8).write(to: script)
        let bash = Process()
        bash.executableURL = URL(fileURLWithPath: "/bin/bash")
        // Loads without error and registers the completion function.
        bash.arguments = ["-c", "set -e; source '\(script.path)'; complete -p pour"]
        bash.standardOutput = FileHandle.nullDevice
        try bash.run()
        bash.waitUntilExit()
        XCTAssertEqual(bash.terminationStatus, 0)
    }

    func testFormulaNamesCompleteFromTheLocalIndexOnly() throws {
        let fixture = try IndexFixture(count: 300)
        let configuration = fixture.configuration()
        let environment = ["HOMEBREW_CACHE": fixture.cache, "POUR_BOTTLE_TAG": "x86_64_linux",
                           "HOMEBREW_API_DOMAIN": fixture.server.registryBaseURL + "/api",
                           "POUR_API_PUBLIC_KEY": fixture.publicKeyPath]
        // The custom completion as bash calls it: `pour ---completion install -- positional@0 CWORD CURSOR WORDS…`.
        func complete(_ word: String, command: String = "install") throws -> [String] {
            let run = try runPourCapturing(["---completion", command, "--", "positional@0", "2", "\(word.count)",
                                            "pour", command, word], environment: environment)
            XCTAssertEqual(run.status, 0, run.stderr)
            return run.lines
        }
        XCTAssertEqual(try complete("a"), [], "no index: no names, and no index is built")
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.indexPath()))
        XCTAssertEqual(fixture.server.log.requestCount, 0, "completion never touches the network")

        guard case .success = runUpdate(configuration) else { return XCTFail("update failed") }
        let requests = fixture.server.log.requestCount
        let all = try fixture.index().allFormulae().map(\.name)
        let prefix = String(try XCTUnwrap(all.first).prefix(2))
        let expected = all.filter { $0.hasPrefix(prefix) }.sorted()
        XCTAssertFalse(expected.isEmpty)
        XCTAssertEqual(try complete(prefix), expected)
        XCTAssertEqual(try complete(prefix, command: "fetch"), expected)
        XCTAssertEqual(try complete(prefix.uppercased(), command: "info"), expected)
        XCTAssertEqual(try complete("").count, all.count)
        XCTAssertEqual(try complete("zzzz-none"), [])

        // The same through bash itself: the generated script's `_pour` fills COMPREPLY.
        let script = fixture.root.appendingPathComponent("pour.bash")
        try Data(try runPourCapturing(["--generate-completion-script", "bash"], environment: [:]).stdout.utf8).write(to: script)
        let binary = PourProcess.executable.path
        let bash = Process()
        bash.executableURL = URL(fileURLWithPath: "/bin/bash")
        bash.arguments = ["-c", """
            source '\(script.path)'
            COMP_WORDS=('\(binary)' install '\(prefix)'); COMP_CWORD=2
            COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
            _pour; printf '%s\\n' "${COMPREPLY[@]}"
            """]
        bash.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        bash.standardOutput = output
        try bash.run()
        let replies = output.fileHandleForReading.readDataToEndOfFile()
        bash.waitUntilExit()
        XCTAssertEqual(bash.terminationStatus, 0)
        XCTAssertEqual(String(decoding: replies, as: UTF8.self).split(separator: "\n").map(String.init).sorted(), expected)
        XCTAssertEqual(fixture.server.log.requestCount, requests, "completion never touches the network")
    }
}
