import XCTest
@testable import PourCore

final class BottleTagTests: XCTestCase {
    func testMacOSFallbackChainGoesToOlderSameArchThenAll() {
        let chain = BottleTag("arm64_sequoia").fallbackChain.map(\.rawValue)
        XCTAssertEqual(chain.first, "arm64_sequoia")
        XCTAssertEqual(chain[1], "arm64_sonoma")
        XCTAssertEqual(chain.last, "all")
        XCTAssertFalse(chain.contains("sonoma"))
    }

    func testLinuxFallsBackOnlyToAll() {
        XCTAssertEqual(BottleTag("x86_64_linux").fallbackChain.map(\.rawValue), ["x86_64_linux", "all"])
        XCTAssertTrue(BottleTag("arm64_linux").isLinux)
    }

    func testPkgVersionAppendsRevision() {
        XCTAssertEqual(Formula(name: "a", version: "4.4", revision: 2).pkgVersion, "4.4_2")
        XCTAssertEqual(Formula(name: "a", version: "4.4").pkgVersion, "4.4")
    }
}
