import Foundation
import XCTest
@testable import PourCore

final class LockTests: XCTestCase {
    var box: KegSandbox!
    override func setUpWithError() throws { box = try KegSandbox() }
    override func tearDown() { box.destroy() }

    func testBusyLockWithoutWaitingThrowsWithHolderPid() throws {
        let held = try PrefixLock.acquire(layout: box.layout, wait: false)
        XCTAssertTrue(held.isHeld)
        XCTAssertThrowsError(try PrefixLock.acquire(layout: box.layout, wait: false)) { error in
            XCTAssertEqual(error as? KegError, .prefixLocked(path: box.layout.lockFile, pid: getpid()))
        }
        held.release()
        XCTAssertFalse(held.isHeld)
        let again = try PrefixLock.acquire(layout: box.layout, wait: false)
        again.release()
    }

    func testWaitingAcquirerProceedsAfterHolderReleases() throws {
        let holder = try PrefixLock.acquire(layout: box.layout, wait: false)
        let messages = Locked<[String]>([])
        let acquired = expectation(description: "second acquirer got the lock")
        let layout = box.layout
        Thread {
            do {
                let lock = try PrefixLock.acquire(layout: layout, wait: true) { message in
                    messages.withLock { $0.append(message) }
                }
                lock.release()
                acquired.fulfill()
            } catch {
                XCTFail("\(error)")
            }
        }.start()
        // Wait until the second acquirer reports contention, then let it through.
        let deadline = Date().addingTimeInterval(10)
        while messages.current.isEmpty && Date() < deadline { usleep(10_000) }
        XCTAssertEqual(messages.current,
                       ["waiting for another install in this process to release \(layout.lockFile)"],
                       "a holder in this very process is named as such, not by our own pid")
        holder.release()
        wait(for: [acquired], timeout: 10)
        XCTAssertEqual(messages.current.count, 1, "onContention is called once")
    }

    func testLockIsReleasedOnDeinit() throws {
        do { _ = try PrefixLock.acquire(layout: box.layout, wait: false) }
        let lock = try PrefixLock.acquire(layout: box.layout, wait: false)
        lock.release()
    }

    func testLockHeldByKilledProcessIsTakenOver() throws {
        let flock = "/usr/bin/flock"
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: flock), "needs util-linux flock")
        try box.mkdir(box.layout.locks)
        // `flock -o` holds the lock itself (its command does not inherit the descriptor) and runs
        // a shell that records flock's pid in the lock file, as a real pour would, then sleeps.
        let sleeperPidFile = box.root + "/sleeper.pid"
        let child = Process()
        child.executableURL = URL(fileURLWithPath: flock)
        child.arguments = ["-o", "-x", box.layout.lockFile, "/bin/sh", "-c",
                           "echo $PPID > '\(box.layout.lockFile)'; echo $$ > '\(sleeperPidFile)'; exec sleep 60"]
        try child.run()
        defer {
            // The sleeper never holds the lock (flock -o); stop it so the test does not wait on it.
            if let text = try? String(contentsOfFile: sleeperPidFile, encoding: .utf8),
               let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                kill(pid, SIGKILL)
            }
            child.waitUntilExit()
        }
        let deadline = Date().addingTimeInterval(10)
        var reportedPid: Int32?
        while reportedPid != child.processIdentifier && Date() < deadline {
            do { try PrefixLock.acquire(layout: box.layout, wait: false).release() } catch {
                if case .prefixLocked(_, let pid) = error { reportedPid = pid }
            }
            usleep(20_000)
        }
        XCTAssertEqual(reportedPid, child.processIdentifier, "the child holds the lock and is named")

        kill(child.processIdentifier, SIGKILL)
        let lockFileHolderGone = Date().addingTimeInterval(10)
        var lock: PrefixLock?
        while lock == nil && Date() < lockFileHolderGone {
            lock = try? PrefixLock.acquire(layout: box.layout, wait: false)
            if lock == nil { usleep(50_000) }
        }
        let taken = try XCTUnwrap(lock, "the kernel must drop a dead holder's lock")
        XCTAssertEqual(try String(contentsOfFile: box.layout.lockFile, encoding: .utf8), "\(getpid())\n")
        taken.release()
    }
}
