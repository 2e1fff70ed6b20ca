import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Ctrl-C (and SIGTERM) delivered to a real `pour install` process: it exits 130 (143), removes its
/// `.incomplete` files and staging directories, leaves no partial keg or dangling link, and a
/// rerun completes.
final class SignalTests: XCTestCase {
    static func recipe() -> RegistryRecipe {
        .custom([
            FormulaSpec(name: "small", targetCompressedSize: 200_000),
            FormulaSpec(name: "big1", dependencies: ["small"], targetCompressedSize: 6_000_000),
            FormulaSpec(name: "big2", targetCompressedSize: 6_000_000),
            FormulaSpec(name: "top", dependencies: ["big1", "big2"], targetCompressedSize: 300_000),
        ])
    }

    private func interrupt(when trigger: String, signal number: Int32, expectedStatus: Int32) throws {
        let fixture = try RegistryFixture(recipe: Self.recipe(), server: ServerConfiguration(perConnectionRate: 2_000_000))
        let layout = fixture.configuration().layout
        let pour = try PourProcess(arguments: ["install", "top", "--json", "--prefix", layout.prefix, "--cache", layout.cache],
                                   environment: fixture.environment)
        XCTAssertTrue(pour.waitForLine { $0.contains("\"event\":\"\(trigger)\"") }, "never saw \(trigger): \(pour.output)")
        pour.signal(number)
        XCTAssertEqual(pour.waitForExit(), expectedStatus, "\(pour.output.suffix(5))")
        XCTAssertTrue(pour.output.last?.contains("\"status\":\"cancelled\"") == true, "\(pour.output.suffix(3))")

        XCTAssertEqual(tree(layout.staging), [], "staging leftovers")
        XCTAssertEqual(tree(layout.downloads).filter { $0.hasSuffix(".incomplete") }, [], ".incomplete leftovers")
        assertConsistent(fixture, layout)

        let rerun = install(["top"], configuration: fixture.configuration())
        XCTAssertEqual(rerun.report?.succeeded, true, "\(rerun.result)")
        assertConsistent(fixture, layout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: layout.keg("top", "1.0.0") + "/INSTALL_RECEIPT.json"))
    }

    /// Every keg present holds all of its files and a receipt; every link in bin/ resolves.
    private func assertConsistent(_ fixture: RegistryFixture, _ layout: PrefixLayout, file: StaticString = #filePath, line: UInt = #line) {
        for (name, entry) in fixture.manifest.formulae {
            let keg = layout.keg(name, entry.pkgVersion)
            guard FileManager.default.fileExists(atPath: keg) else { continue }
            XCTAssertTrue(FileManager.default.fileExists(atPath: keg + "/INSTALL_RECEIPT.json"), "\(name) keg without receipt", file: file, line: line)
            for path in entry.files {
                XCTAssertTrue(FileManager.default.fileExists(atPath: keg + "/" + path) || isSymlink(keg + "/" + path),
                              "partial keg \(name): \(path) missing", file: file, line: line)
            }
        }
        for link in tree(layout.prefix + "/bin") {
            XCTAssertTrue(FileManager.default.fileExists(atPath: layout.prefix + "/bin/" + link), "dangling link bin/\(link)", file: file, line: line)
        }
    }

    func testSigintDuringDownloadExits130AndLeavesNothingBehind() throws {
        try interrupt(when: "download_progress", signal: SIGINT, expectedStatus: 130)
    }

    func testSigintDuringExtractionExits130AndLeavesNothingBehind() throws {
        try interrupt(when: "extracting", signal: SIGINT, expectedStatus: 130)
    }

    func testSigtermDuringDownloadExits143AndLeavesNothingBehind() throws {
        try interrupt(when: "download_progress", signal: SIGTERM, expectedStatus: 143)
    }
}
