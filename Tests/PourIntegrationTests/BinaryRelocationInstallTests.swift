import Foundation
import PourCore
import PourTestSupport
import XCTest

/// An `:any` bottle whose compiled program and library carry `@@HOMEBREW_PREFIX@@` in their ELF
/// interpreter and RUNPATH runs after install into prefixes shorter than, as long as, and longer
/// than the 19-byte placeholder.
final class BinaryRelocationInstallTests: XCTestCase {
    private func prefix(ofLength length: Int) -> String {
        let base = "/tmp/pr"
        let filler = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() + String(repeating: "x", count: 64)
        return base + filler.prefix(length - base.count)
    }

    private func run(_ path: String) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    func testPlaceholderELFRunsInShortEqualLongAndSixtyBytePrefixes() throws {
        let fixture = try RegistryFixture(recipe: .custom([
            FormulaSpec(name: "hello", version: "2.12.1", cellar: .any, targetCompressedSize: 50_000, elf: .placeholder),
        ]))
        for length in [13, 19, 26, 60] {
            let prefix = prefix(ofLength: length)
            XCTAssertEqual(prefix.count, length)
            defer { try? FileManager.default.removeItem(atPath: prefix) }
            let report = install(["hello"], configuration: fixture.configuration(prefix: prefix)).report
            XCTAssertEqual(report?.installed, ["hello"], "prefix \(prefix)")
            let (status, output) = try run(prefix + "/bin/hello-hello")
            XCTAssertEqual(status, 0, "prefix length \(length): \(output)")
            XCTAssertTrue(output.contains("hello from hello"), output)

            let keg = prefix + "/Cellar/hello/2.12.1"
            let (_, readelf) = try run("/usr/bin/readelf", arguments: ["-d", "-l", keg + "/bin/hello-hello"])
            XCTAssertTrue(readelf.contains("[Requesting program interpreter: \(prefix)/lib/ld.so]"), readelf)
            XCTAssertTrue(readelf.contains("(RUNPATH)") && readelf.contains("[\(prefix)/lib]"), readelf)
            XCTAssertFalse(readelf.contains("@@HOMEBREW"), readelf)
            // changed_files is the bottle's own list (its tab), as brew keeps it (formula_installer.rb#pour);
            // later installs pour the cached bottle and use the tab remembered beside it.
            let receipt = try XCTUnwrap(InstallReceipt.read(kegPath: keg))
            XCTAssertEqual(receipt.changedFiles, fixture.manifest.formulae["hello"]?.changedFiles, "prefix length \(length)")
        }
    }

    private func run(_ path: String, arguments: [String]) throws -> (Int32, String) {
        guard FileManager.default.isExecutableFile(atPath: path) else { throw XCTSkip("\(path) is not installed (binutils)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// Bottles built for a fixed Cellar pour only into exactly that Cellar.
final class PinnedCellarTests: XCTestCase {
    func testPinnedBottleIsRefusedForAnotherCellarAndItsDependentsSkipped() throws {
        let fixture = try RegistryFixture(recipe: .custom([
            FormulaSpec(name: "pinned", cellar: .pinned("/home/linuxbrew/.linuxbrew/Cellar"), targetCompressedSize: 20_000),
            FormulaSpec(name: "user", dependencies: ["pinned"], targetCompressedSize: 20_000),
            FormulaSpec(name: "free", targetCompressedSize: 20_000),
        ]))
        let run = install(["user", "free"], configuration: fixture.configuration())
        guard case .failed(.pinnedCellar(let package, let bottleCellar, _))? = run.outcome("pinned") else {
            return XCTFail("\(run.result)")
        }
        XCTAssertEqual(package, "pinned")
        XCTAssertEqual(bottleCellar, "/home/linuxbrew/.linuxbrew/Cellar")
        XCTAssertEqual(run.outcome("user"), .skipped(reason: .dependencyFailed("pinned")))
        XCTAssertEqual(run.outcome("free"), .installed)
        XCTAssertEqual(fixture.log.entries.filter { $0.path.contains(fixture.sha256(of: "pinned")) }.count, 0,
                       "a refused bottle is not downloaded")
    }

    func testPinnedBottlePoursIntoItsOwnCellar() throws {
        let prefix = "/tmp/pour-pinned-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        let fixture = try RegistryFixture(recipe: .custom([
            FormulaSpec(name: "pinned", cellar: .pinned(prefix + "/Cellar"), targetCompressedSize: 20_000),
        ]))
        XCTAssertEqual(install(["pinned"], configuration: fixture.configuration(prefix: prefix)).report?.installed, ["pinned"])
    }
}
