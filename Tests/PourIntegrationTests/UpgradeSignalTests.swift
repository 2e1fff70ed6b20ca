import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Ctrl-C delivered to a real `pour upgrade`: every package ends fully on its old version or
/// fully on its new one — opt, linked record and every prefix link agree — never a mix.
final class UpgradeSignalTests: XCTestCase {
    private func recipe(bigVersion: String, smallVersion: String, bigSize: Int) -> RegistryRecipe {
        .custom([
            FormulaSpec(name: "small", version: smallVersion, targetCompressedSize: 100_000),
            FormulaSpec(name: "big", version: bigVersion, targetCompressedSize: bigSize, elf: .relocatable),
        ])
    }

    private func interruptUpgrade(when trigger: String) throws {
        let fixture = try RegistryFixture(recipe: recipe(bigVersion: "1.0", smallVersion: "1.0", bigSize: 200_000),
                                          server: ServerConfiguration(perConnectionRate: 2_000_000))
        var configuration = fixture.configuration()
        configuration.apiMaxAge = 0
        let layout = configuration.layout
        XCTAssertEqual(install(["big", "small"], configuration: configuration).report?.succeeded, true)
        _ = try RegistryGenerator(recipe: recipe(bigVersion: "2.0", smallVersion: "2.0", bigSize: 6_000_000))
            .generate(into: fixture.registry)

        let pour = try PourProcess(arguments: ["upgrade", "--json", "--prefix", layout.prefix, "--cache", layout.cache],
                                   environment: fixture.environment.merging(["HOMEBREW_API_AUTO_UPDATE_SECS": "0"]) { $1 })
        XCTAssertTrue(pour.waitForLine { $0.contains("\"event\":\"\(trigger)\"") }, "never saw \(trigger): \(pour.output)")
        pour.signal(SIGINT)
        let status = pour.waitForExit()
        // A signal that lands after the last package was linked finds nothing left to cancel.
        XCTAssertTrue(status == 130 || status == 0, "status \(status): \(pour.output.suffix(4))")

        var versions: [String: String] = [:]
        for name in ["big", "small"] {
            versions[name] = try assertWhollyOnOneVersion(name, layout: layout)
        }
        if status == 130 { XCTAssertEqual(versions["big"], "1.0", "the big download cannot have finished") }
        XCTAssertEqual(tree(layout.staging), [], "staging leftovers")
        XCTAssertEqual(tree(layout.downloads).filter { $0.hasSuffix(".incomplete") }, [])
        XCTAssertEqual(Doctor(layout: layout).check().filter(\.isProblem), [])

        // The next upgrade finishes the job.
        let rerun = runUpgrader(.upgrade, [], configuration: configuration)
        XCTAssertEqual(rerun.report?.succeeded, true, "\(rerun.result)")
        XCTAssertEqual(try assertWhollyOnOneVersion("big", layout: layout), "2.0")
        XCTAssertEqual(try assertWhollyOnOneVersion("small", layout: layout), "2.0")
    }

    /// Every link into any keg of `name` points into the same keg as opt/<name> and
    /// var/homebrew/linked/<name>, and the keg is complete. Returns that version.
    @discardableResult
    private func assertWhollyOnOneVersion(_ name: String, layout: PrefixLayout,
                                          file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let opt = try XCTUnwrap(symlinkTarget(layout.opt + "/" + name), "\(name) has no opt link", file: file, line: line)
        let version = String(opt.split(separator: "/").last ?? "")
        XCTAssertEqual(symlinkTarget(layout.linkedKegs + "/" + name), "../../../Cellar/\(name)/\(version)", file: file, line: line)
        XCTAssertTrue(FileManager.default.fileExists(atPath: layout.keg(name, version) + "/INSTALL_RECEIPT.json"), file: file, line: line)
        var linked = 0
        for directory in ["bin", "lib", "include", "share"] {
            for relative in tree(layout.prefix + "/" + directory) {
                let path = layout.prefix + "/" + directory + "/" + relative
                guard let target = symlinkTarget(path), target.contains("Cellar/\(name)/") else { continue }
                XCTAssertTrue(target.contains("Cellar/\(name)/\(version)/"), "\(path) → \(target) but opt is \(version)",
                              file: file, line: line)
                XCTAssertTrue(FileManager.default.fileExists(atPath: path), "dangling \(path)", file: file, line: line)
                linked += 1
            }
        }
        XCTAssertGreaterThan(linked, 2, "\(name) is linked", file: file, line: line)
        return version
    }

    func testSigintWhileDownloadingTheNewVersionsKeepsEachPackageWhole() throws {
        try interruptUpgrade(when: "download_progress")
    }

    func testSigintWhileLinkingKeepsEachPackageWhole() throws {
        try interruptUpgrade(when: "extracted")
    }
}
