import Foundation
import XCTest
@testable import PourCore

final class KegCellarTests: XCTestCase {
    var box: KegSandbox!
    override func setUpWithError() throws { box = try KegSandbox() }
    override func tearDown() { box.destroy() }

    func testInstalledMeansKegDirectoryWithReceipt() throws {
        try box.keg("foo", "1.0", ["bin/foo": "x"])
        try box.keg("foo", "0.9", ["bin/foo": "x"], receipt: false)  // interrupted install
        let cellar = Cellar(layout: box.layout)
        XCTAssertTrue(cellar.isInstalled(name: "foo", pkgVersion: "1.0"))
        XCTAssertFalse(cellar.isInstalled(name: "foo", pkgVersion: "0.9"))
        XCTAssertFalse(cellar.isInstalled(name: "foo", pkgVersion: "2.0"))
        XCTAssertFalse(cellar.isInstalled(name: "bar"))
        XCTAssertEqual(cellar.kegs(name: "foo").map(\.pkgVersion), ["0.9", "1.0"])
        XCTAssertEqual(cellar.installedKegs().map(\.pkgVersion), ["1.0"])
        XCTAssertEqual(cellar.rackNames(), ["foo"])
    }

    func testLinkedAndOptVersionsComeFromSymlinks() throws {
        try box.keg("foo", "1.0", [:])
        try box.keg("bar", "2.0", [:])
        try box.symlink(box.path("var/homebrew/linked/foo"), to: "../../../Cellar/foo/1.0")
        try box.symlink(box.path("opt/foo"), to: "../Cellar/foo/1.0")
        try box.symlink(box.path("opt/bar"), to: "../Cellar/bar/2.0")
        try box.symlink(box.path("opt/gone"), to: "../Cellar/gone/1.0")
        let cellar = Cellar(layout: box.layout)
        XCTAssertEqual(cellar.linkedVersion(of: "foo"), "1.0")
        XCTAssertEqual(cellar.optVersion(of: "foo"), "1.0")
        XCTAssertNil(cellar.linkedVersion(of: "bar"))
        XCTAssertEqual(cellar.activeVersion(of: "bar"), "2.0")
        XCTAssertNil(cellar.optVersion(of: "gone"), "a dangling opt link is not an installation")
        XCTAssertNotNil(try cellar.receipt(name: "foo", pkgVersion: "1.0"))
    }
}
