import Foundation
import XCTest
@testable import PourCore

final class KegCommitterTests: XCTestCase {
    var box: KegSandbox!
    override func setUpWithError() throws { box = try KegSandbox() }
    override func tearDown() { box.destroy() }

    private func stage(_ committer: KegCommitter, _ name: String, _ version: String, marker: String) throws {
        let staged = committer.stagedKegPath(name: name, pkgVersion: version)
        try box.write(staged + "/bin/" + name, marker)
        try box.write(staged + "/INSTALL_RECEIPT.json", "{}")
    }

    func testFreshCommitMovesKegAndLeavesStagingEmpty() throws {
        let committer = KegCommitter(layout: box.layout)
        try stage(committer, "foo", "1.0", marker: "new")
        let keg = try committer.commit(name: "foo", pkgVersion: "1.0")
        XCTAssertEqual(keg, box.layout.keg("foo", "1.0"))
        XCTAssertEqual(try String(contentsOfFile: keg + "/bin/foo", encoding: .utf8), "new")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: box.layout.staging), [])
        XCTAssertTrue(Cellar(layout: box.layout).isInstalled(name: "foo", pkgVersion: "1.0"))
    }

    func testReplacingExistingKegKeepsOnlyTheNewOne() throws {
        let committer = KegCommitter(layout: box.layout)
        try box.keg("foo", "1.0", ["bin/foo": "old", "share/old-only": "x"])
        try stage(committer, "foo", "1.0", marker: "new")
        let keg = try committer.commit(name: "foo", pkgVersion: "1.0")
        XCTAssertEqual(try String(contentsOfFile: keg + "/bin/foo", encoding: .utf8), "new")
        XCTAssertFalse(FileManager.default.fileExists(atPath: keg + "/share/old-only"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: box.layout.staging), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: box.layout.cellar + "/foo"), ["1.0"])
    }

    func testMissingStagedKegIsReportedAndNothingChanges() throws {
        let committer = KegCommitter(layout: box.layout)
        try box.keg("foo", "1.0", ["bin/foo": "old"])
        XCTAssertThrowsError(try committer.commit(name: "foo", pkgVersion: "1.0")) { error in
            XCTAssertEqual(error as? KegError,
                           .stagedKegMissing(package: "foo", path: committer.stagedKegPath(name: "foo", pkgVersion: "1.0")))
        }
        XCTAssertEqual(try String(contentsOfFile: box.layout.keg("foo", "1.0") + "/bin/foo", encoding: .utf8), "old")
    }

    func testFailedRenameRestoresTheOldKeg() throws {
        // Staging on a path whose rename into the Cellar must fail: a staged "keg" that is a
        // directory while the Cellar rack is read-only is hard to arrange as root, so make the
        // destination's rack a file instead and check the error names both paths.
        let committer = KegCommitter(layout: box.layout)
        try stage(committer, "bar", "1.0", marker: "new")
        try box.write(box.layout.cellar + "/bar", "not a directory")
        XCTAssertThrowsError(try committer.commit(name: "bar", pkgVersion: "1.0")) { error in
            guard case .commitFailed(let package, let from, let to, _) = error as? KegError else { return XCTFail("\(error)") }
            XCTAssertEqual(package, "bar")
            XCTAssertEqual(from, committer.stagedKegPath(name: "bar", pkgVersion: "1.0"))
            XCTAssertEqual(to, box.layout.keg("bar", "1.0"))
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: committer.stagedKegPath(name: "bar", pkgVersion: "1.0")))
    }

    func testFailureAfterMovingTheOldKegAsideRestoresIt() throws {
        let calls = Locked(0)
        let committer = KegCommitter(layout: box.layout, stagingRoot: nil) { from, to in
            let call = calls.withLock { count -> Int in count += 1; return count }
            if call == 2 { errno = ENOSPC; return -1 }  // the new keg's rename fails
            return rename(from, to)
        }
        try box.keg("foo", "1.0", ["bin/foo": "old"])
        try stage(committer, "foo", "1.0", marker: "new")
        XCTAssertThrowsError(try committer.commit(name: "foo", pkgVersion: "1.0")) { error in
            XCTAssertEqual(error as? KegError, .commitFailed(
                package: "foo", from: committer.stagedKegPath(name: "foo", pkgVersion: "1.0"),
                to: box.layout.keg("foo", "1.0"), errno: ENOSPC))
        }
        XCTAssertEqual(try String(contentsOfFile: box.layout.keg("foo", "1.0") + "/bin/foo", encoding: .utf8), "old")
        XCTAssertEqual(calls.current, 3, "old keg moved aside, new rename failed, old keg moved back")
    }
}
