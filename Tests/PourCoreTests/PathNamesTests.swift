import Foundation
import XCTest
@testable import PourCore

/// Issue 13, class 3: every metadata value that becomes a path is checked at decode.
final class PathNamesTests: XCTestCase {
    typealias F = FormulaFixtures

    func testRealHomebrewNamesPass() throws {
        for name in ["openssl@3", "c++filt", "python@3.13", "gtk+3", "lib-foo_bar", "1.2.3_1", "2024-01-01", "x86_64_linux"] {
            XCTAssertNil(PathNames.componentProblem(name), name)
        }
        XCTAssertNil(PathNames.relativePathProblem("lib/python3.*/site-packages/*"))
        XCTAssertNoThrow(try F.formula(F.openssl3, "x86_64_linux"))
    }

    func testUnsafeComponentsAreRefusedWithTheirReason() {
        let cases: [(String, String)] = [("", "empty"), (".", "'..'"), ("..", "'..'"), ("a/b", "'/'"), ("-rf", "'-'"),
                                         (".hidden", "'.'"), ("1.0\u{0}x", "control"), ("a\nb", "control"),
                                         (String(repeating: "x", count: 256), "255")]
        for (value, reason) in cases {
            XCTAssertTrue(PathNames.componentProblem(value)?.contains(reason) == true, "\(value.debugDescription): \(String(describing: PathNames.componentProblem(value)))")
        }
        XCTAssertNotNil(PathNames.relativePathProblem("/etc/x"))
        XCTAssertNotNil(PathNames.relativePathProblem("bin/../../x"))
    }

    func testSpecializerRefusesEachPathFormingField() throws {
        let base = Formula(name: "foo", aliases: ["foo-alias"], version: "1.0")
        XCTAssertNoThrow(try PathNames.validate(base))
        var alias = base; alias.aliases = ["../../x"]
        var oldname = base; oldname.oldnames = ["a/b"]
        var version = base; version.version = "1.0\u{0}evil"
        var name = base; name.name = "-x"
        var overwrite = base; overwrite.linkOverwrite = ["../outside"]
        for (formula, field) in [(alias, "aliases"), (oldname, "oldnames"), (version, "versions.stable"), (name, "name"),
                                 (overwrite, "link_overwrite")] {
            XCTAssertThrowsError(try PathNames.validate(formula), field) { error in
                guard case .unsafeName(_, let reported, _, _) = error as? RegistryError else { return XCTFail("\(error)") }
                XCTAssertEqual(reported, field)
                XCTAssertFalse((error as? RegistryError)?.description.contains("\u{0}") ?? true, "no raw NUL in the message")
            }
        }
    }
}

/// Issue 13, class 6: the per-bottle cap follows the manifest's installed size.
final class ExtractionLimitsCapTests: XCTestCase {
    func testInstalledSizeLowersTheCapWithHeadroomAndNeverRaisesIt() {
        let limits = ExtractionLimits.default
        XCTAssertEqual(limits.capped(installedSize: nil).maxTotalBytes, 8 << 30)
        XCTAssertEqual(limits.capped(installedSize: 0).maxTotalBytes, 8 << 30)
        XCTAssertEqual(limits.capped(installedSize: 1 << 20).maxTotalBytes, (2 << 20) + (64 << 20))
        XCTAssertEqual(limits.capped(installedSize: 6 << 30).maxTotalBytes, 8 << 30, "the absolute cap stays")
    }
}
