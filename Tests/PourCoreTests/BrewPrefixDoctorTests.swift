import Foundation
import XCTest
import PourCore

/// `doctor` on a brew-made prefix damaged in each way it knows, and `doctor --fix` repairing it.
final class BrewPrefixDoctorTests: XCTestCase {
    var f: BrewPrefixFixture!
    override func setUpWithError() throws { f = try BrewPrefixFixture.standard() }
    override func tearDown() { f.destroy() }

    func testHealthyBrewPrefixHasNoFindings() {
        XCTAssertEqual(Doctor(layout: f.layout).check(), [])
    }

    /// Damages the prefix in every way doctor knows; returns the kinds expected.
    private func damage() throws -> Set<DoctorFinding.Kind> {
        try f.symlink("bin/ghost", "../Cellar/ghost/1.0/bin/ghost")               // broken link
        try f.symlink("share/man/man1/ghost.1", "../../../Cellar/ghost/1.0/x")    // broken link, nested
        try f.symlink("var/homebrew/linked/ghost", "../../../Cellar/ghost/1.0")   // broken record
        try f.symlink("opt/ghost", "../Cellar/ghost/1.0")                         // opt to a missing keg
        try f.write(f.layout.staging + "/run-999999-1/ghost/1.0/bin/x", "debris") // stale staging
        try f.write(f.layout.staging + "/.link-backup-999999-ghost/1", "debris")
        let sha = String(repeating: "b", count: 64)
        try f.write(f.layout.downloads + "/\(sha)--ghost--1.0.x86_64_linux.bottle.tar.gz.incomplete", "partial")
        try f.keg("halfdone", "1.0", onRequest: true, receipt: false)           // keg without receipt
        try f.write(f.layout.lockFile, "999999\n")                               // lock file of a dead pid
        return [.brokenLink, .danglingOptLink, .staleStaging, .leftoverDownload, .kegWithoutReceipt, .staleLockPid]
    }

    func testFindsEveryKindOfDamageAndFixLeavesNothing() throws {
        let expected = try damage()
        let doctor = Doctor(layout: f.layout)
        let findings = doctor.check()
        XCTAssertEqual(Set(findings.map(\.kind)), expected, "\(findings)")
        XCTAssertEqual(findings.filter { $0.kind == .brokenLink }.count, 3)
        XCTAssertFalse(findings.first { $0.kind == .staleLockPid }!.isProblem, "a dead pid in a lock file is information")

        let lock = try f.lock()
        let outcome = try doctor.fix(lock: lock)
        lock.release()
        XCTAssertEqual(outcome.remaining.filter(\.isProblem), [])
        XCTAssertEqual(doctor.check().filter(\.isProblem), [])
        XCTAssertFalse(f.exists("Cellar/halfdone"))
        XCTAssertTrue(f.exists("bin/git"), "healthy links stay")
        XCTAssertTrue(f.exists("Cellar/jq/1.6"), "complete kegs stay")
    }

    func testKegWithoutReceiptThatIsLinkedIsOnlyReported() throws {
        try f.keg("halfdone", "1.0", onRequest: true, receipt: false)
        try f.symlink("bin/halfdone", "../Cellar/halfdone/1.0/bin/halfdone")
        let lock = try f.lock()
        defer { lock.release() }
        let outcome = try Doctor(layout: f.layout).fix(lock: lock)
        XCTAssertEqual(outcome.remaining.map(\.kind), [.kegWithoutReceipt])
        XCTAssertFalse(outcome.remaining[0].fixable)
        XCTAssertTrue(f.exists("Cellar/halfdone/1.0"))
    }

    func testIncompleteDownloadHeldByALiveProcessIsNotAProblem() throws {
        let path = f.layout.downloads + "/" + String(repeating: "c", count: 64) + "--busy--1.0.x86_64_linux.bottle.tar.gz.incomplete"
        try f.write(path, "partial")
        let fd = open(path, O_RDWR)
        XCTAssertEqual(flock(fd, LOCK_EX), 0)
        defer { close(fd) }
        // flock is per open file description: our own descriptor blocks the probe's as another
        // process's would.
        XCTAssertEqual(Doctor(layout: f.layout).check(), [])
    }

    func testStagingOfALiveRunIsNotStale() throws {
        let holder = try f.lock()  // a live run holds the lock…
        defer { holder.release() }
        try f.write(f.layout.staging + "/run-\(getpid())-7/x", "in use")  // …and owns this directory
        XCTAssertEqual(Doctor(layout: f.layout).check(), [])
    }
}
