import Foundation
import PourTestSupport
import XCTest

@testable import pour

/// Long runs of formula names bypass ArgumentParser's quadratic array parsing (`PositionalRuns`);
/// the command must still see every name, in order, and every option with its value.
final class PositionalRunsTests: XCTestCase {
    private func names(_ range: Range<Int>) -> [String] { range.map { String(format: "f%02d", $0) } }

    func testCollapsedNamesComeBackInOrderAroundOptions() {
        let line = ["install", "--prefix"] + names(0..<20) + ["--jobs", "2"] + names(20..<40) + ["--", "-odd"] + names(40..<58)
        let (arguments, runs) = PositionalRuns.collapse(line, takesNames: { $0 == "install" })
        XCTAssertLessThan(arguments.count, 20, "\(arguments)")
        // The first word of each run stays a word of its own: it may be an option's value
        // (`f00` after `--prefix`, `2` after `--jobs`).
        XCTAssertEqual(Array(arguments.prefix(3)), ["install", "--prefix", "f00"])
        XCTAssertEqual(arguments.filter { !$0.hasPrefix("\u{0}") }, ["install", "--prefix", "f00", "--jobs", "2", "--", "-odd", "f40"])
        let positionals = arguments.filter { !$0.hasPrefix("-") && $0 != "install" && $0 != "2" }
        XCTAssertEqual(runs.expand(positionals), names(0..<58))
    }

    func testShortRunsOtherCommandsAndCompletionAreLeftAlone() {
        let short = ["install"] + names(0..<(PositionalRuns.minimumRun - 1))
        XCTAssertEqual(PositionalRuns.collapse(short, takesNames: { _ in true }).arguments, short)
        let other = ["search"] + names(0..<40)
        XCTAssertEqual(PositionalRuns.collapse(other, takesNames: { $0 == "install" }).arguments, other)
        let completion = ["---completion", "install", "--"] + names(0..<40)
        XCTAssertEqual(PositionalRuns.collapse(completion, takesNames: { _ in true }).arguments, completion)
    }

    func testTheCommandParsesEveryNameAndOptionValue() throws {
        let line = ["install", "--prefix", "/opt/x"] + names(0..<30) + ["--jobs", "3"] + names(30..<50) + ["--no-link"]
        let (arguments, runs) = PositionalRuns.collapse(line, takesNames: Pour.takesFormulaNames)
        let command = try XCTUnwrap(runs.restore(try Pour.parseAsRoot(arguments)) as? InstallCommand)
        XCTAssertEqual(command.names, names(0..<50))
        XCTAssertEqual(command.prefixOptions.prefix, "/opt/x")
        XCTAssertEqual(command.runOptions.jobs, 3)
        XCTAssertTrue(command.noLink)
        // The same line without collapsing parses to the same command.
        let plain = try XCTUnwrap(try Pour.parseAsRoot(line) as? InstallCommand)
        XCTAssertEqual(plain.names, command.names)
    }

    /// Through the real binary: every name reaches the plan, and an unknown name in the middle of
    /// a collapsed run is reported by its own name.
    func testInstallOfManyNamesPlansEveryOne() throws {
        let specs = names(0..<40).map { FormulaSpec(name: $0, version: "1.0", targetCompressedSize: 2_000) }
        let fixture = try RegistryFixture(recipe: .custom(specs))
        let run = try fixture.pour(["install", "--dry-run", "--json"] + names(0..<20) + ["--jobs", "2"] + names(20..<40))
        XCTAssertEqual(run.status, 0, run.stderr)
        let plan = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let planned = try XCTUnwrap(plan["install"] as? [[String: Any]]).compactMap { $0["name"] as? String }
        XCTAssertEqual(planned.sorted(), names(0..<40))

        let typo = try fixture.pour(["install", "--dry-run"] + names(0..<10) + ["f10x"] + names(11..<40))
        XCTAssertNotEqual(typo.status, 0)
        XCTAssertTrue(typo.stderr.contains("f10x"), typo.stderr)
        XCTAssertFalse(typo.stderr.contains("pour-names"), typo.stderr)
    }
}
