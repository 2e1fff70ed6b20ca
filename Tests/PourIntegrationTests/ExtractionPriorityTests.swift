@testable import PourCore
import PourTestSupport
import XCTest

/// Extractions waiting for a core start largest bottle first (`InstallRun.extractionPriority`):
/// the run ends when its longest extraction does, so that one must not queue behind small ones.
final class ExtractionPriorityTests: XCTestCase {
    func testWaitingExtractionsStartLargestFirst() throws {
        // Names in the opposite order of size, so neither plan nor name order is the size order.
        let fixture = try RegistryFixture(recipe: .custom([
            FormulaSpec(name: "aa-small", targetCompressedSize: 60_000),
            FormulaSpec(name: "bb-mid", targetCompressedSize: 700_000),
            FormulaSpec(name: "cc-big", targetCompressedSize: 2_400_000),
        ]))
        var configuration = fixture.configuration()
        configuration.extractionWidth = 1
        var options = InstallOptions()
        // Every bottle is verified before the first extraction starts, so all three wait at once.
        options.overlapExtraction = false
        let run = install(["aa-small", "bb-mid", "cc-big"], configuration: configuration, options: options)
        assertOutcomes(run, installed: ["aa-small", "bb-mid", "cc-big"])
        let extracted = run.events.compactMap { entry -> String? in
            if case .extracted(let name, _, _) = entry.event { return name } else { return nil }
        }
        XCTAssertEqual(extracted, ["cc-big", "bb-mid", "aa-small"])
    }

    func testPriorityLevelsFollowTheBottleSize() {
        XCTAssertEqual(InstallRun.extractionPriority(bottleBytes: nil), .normal)
        XCTAssertEqual(InstallRun.extractionPriority(bottleBytes: 30 << 20), .veryHigh)
        XCTAssertEqual(InstallRun.extractionPriority(bottleBytes: 3 << 20), .high)
        XCTAssertEqual(InstallRun.extractionPriority(bottleBytes: 700_000), .normal)
        XCTAssertEqual(InstallRun.extractionPriority(bottleBytes: 200_000), .low)
        XCTAssertEqual(InstallRun.extractionPriority(bottleBytes: 30_000), .veryLow)
    }
}
