import Foundation
import PourCore
import PourTestSupport
import XCTest

/// What the real `pour` binary prints of registry text: caveats with brew's placeholders replaced
/// (formulary.rb#replace_placeholders), and no terminal escape sequence a publisher planted.
final class FormulaTextOutputTests: XCTestCase {
    private let hostile = "\u{1B}]0;pwned\u{07}\u{1B}[2J\u{1B}[31m"

    func testInstallAndInfoPrintSubstitutedCaveatsWithoutEscapes() throws {
        let fixture = try RegistryFixture(recipe: .custom([
            FormulaSpec(name: "tool", targetCompressedSize: 10_000,
                        caveats: "Start: $HOMEBREW_PREFIX/bin/tool\(hostile)\nKeg: $HOMEBREW_CELLAR/tool\nConfig: /$HOME/.toolrc\n",
                        desc: "A tool\(hostile) with a \u{9B}2Jdescription"),
        ]))
        let layout = fixture.configuration().layout
        let home = "/tmp/pour-home-\(UUID().uuidString.prefix(6))"
        let environment = ["HOME": home]
        // Plain progress goes to stderr: read both streams of the real binary.
        let install = try runCapturingStderr(["install", "tool", "--prefix", layout.prefix, "--cache", layout.cache],
                                             environment: fixture.environment.merging(environment) { $1 })
        XCTAssertEqual(install.status, 0, install.output)
        let text = install.output
        XCTAssertTrue(text.contains("Start: \(layout.prefix)/bin/tool"), text)
        XCTAssertTrue(text.contains("Keg: \(layout.cellar)/tool"), text)
        XCTAssertTrue(text.contains("Config: \(home)/.toolrc"), text)
        XCTAssertFalse(text.contains("$HOMEBREW"), text)
        XCTAssertFalse(text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B }, text)

        let info = try runPour(["info", "tool"], fixture: fixture, extraEnvironment: environment)
        XCTAssertEqual(info.status, 0, "\(info.lines)")
        let shown = info.lines.joined(separator: "\n")
        XCTAssertTrue(shown.contains("A tool with a description"), shown)
        XCTAssertTrue(shown.contains("Start: \(layout.prefix)/bin/tool"), shown)
        XCTAssertTrue(shown.contains("Config: \(home)/.toolrc"), shown)
        XCTAssertFalse(shown.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B }, shown)

        let json = try runPour(["info", "tool", "--json"], fixture: fixture, extraEnvironment: environment)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.lines.joined(separator: "\n").utf8)) as? [String: Any])
        XCTAssertTrue((object["caveats"] as? String)?.hasPrefix("Start: \(layout.prefix)/bin/tool") == true, "\(object)")
    }

    private func runCapturingStderr(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = PourProcess.executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
