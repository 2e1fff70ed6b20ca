import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Issue #14, items 2 and 4: one download cache shared by several real `pour` processes, and
/// cancellation while waiting for another process (prefix lock, bottle lock).
final class ReliabilitySharedCacheTests: XCTestCase {
    private func downloads(_ cache: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: cache + "/downloads")) ?? []
    }

    func testTwoProcessesOnOneCacheAndTwoPrefixesBothSucceedAndDownloadEachBottleOnce() throws {
        // 8 × 300 KB at 1.5 MB/s aggregate: the two runs overlap for more than a second.
        let fixture = try RegistryFixture(recipe: Reliability.graph(size: 300_000),
                                          server: ServerConfiguration(aggregateRate: 1_500_000))
        let layouts = (1...2).map { PrefixLayout(prefix: fixture.root.path + "/prefix\($0)", cache: fixture.cache) }
        let processes = try layouts.map { layout in
            try PourProcess(arguments: ["install"] + Reliability.graphRoots + ["--json", "--prefix", layout.prefix, "--cache", layout.cache],
                            environment: fixture.environment)
        }
        let statuses = processes.map { $0.waitForExit(timeout: 120) }
        XCTAssertEqual(statuses, [0, 0], "\(processes.map(\.output))")
        for layout in layouts {
            assertConsistentPrefix(layout: layout, manifest: fixture.manifest)
            for name in Reliability.graphNames {
                XCTAssertTrue(FileManager.default.fileExists(atPath: layout.keg(name, fixture.manifest.formulae[name]!.pkgVersion)),
                              "\(name) in \(layout.prefix)")
            }
        }
        for name in Reliability.graphNames {
            let sha = fixture.sha256(of: name)
            let bodies = fixture.log.entries.filter { $0.listener == .blob && $0.path.hasSuffix("sha256:\(sha)") && $0.bytesSent > 0 }
            XCTAssertEqual(bodies.count, 1, "\(name) downloaded once: \(bodies.map { "\($0.status) \($0.bytesSent)" })")
        }
        XCTAssertEqual(downloads(fixture.cache).filter { $0.hasSuffix(".incomplete") || $0.hasSuffix(".lock") }, [])
        let waited = processes.flatMap(\.output).filter { $0.contains("another pour downloading") }
        print("shared cache: \(waited.count) wait line(s): \(waited.prefix(3))")
    }

    func testSecondProcessWaitsForTheBottleLockThenReusesTheVerifiedFile() throws {
        let fixture = try RegistryFixture(recipe: .custom([FormulaSpec(name: "a", targetCompressedSize: 200_000)]))
        // Learn the cache file name, then take the verified file away.
        let warm = install(["a"], configuration: fixture.configuration(prefix: fixture.root.path + "/warm"))
        XCTAssertEqual(warm.report?.succeeded, true, "\(warm.result)")
        let name = try XCTUnwrap(downloads(fixture.cache).first { $0.contains("--a--") && $0.hasSuffix(".tar.gz") })
        let final = fixture.cache + "/downloads/" + name
        try FileManager.default.moveItem(atPath: final, toPath: final + ".saved")
        fixture.server.log.reset()

        // This test plays the other pour: it holds the bottle's lock.
        let lockPath = DownloadCache.lockPath(for: final)
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        XCTAssertEqual(flock(descriptor, LOCK_EX | LOCK_NB), 0)
        let pour = try PourProcess(arguments: ["install", "a", "--json", "--prefix", fixture.prefix, "--cache", fixture.cache],
                                   environment: fixture.environment)
        XCTAssertTrue(pour.waitForLine { $0.contains("download_waiting") && $0.contains("waiting for another pour downloading a") },
                      "\(pour.output)")
        // "Finish" the download as the other pour would: verified file renamed in, lock dropped.
        try FileManager.default.moveItem(atPath: final + ".saved", toPath: final)
        unlink(lockPath)
        close(descriptor)
        XCTAssertEqual(pour.waitForExit(timeout: 60), 0, "\(pour.output)")
        XCTAssertTrue(pour.output.contains { $0.contains("download_finished") && $0.contains("\"from_cache\":true") }, "\(pour.output)")
        XCTAssertEqual(fixture.log.entries.filter { $0.path.contains("/blobs/") }.count, 0, "the bottle was not downloaded again")
        assertConsistentPrefix(layout: fixture.configuration().layout, manifest: fixture.manifest)
    }

    func testSigintWhileWaitingForThePrefixLockExits130() throws {
        let fixture = try RegistryFixture(recipe: .custom([FormulaSpec(name: "a", targetCompressedSize: 20_000)]))
        let layout = fixture.configuration().layout
        let lock = try PrefixLock.acquire(layout: layout, wait: false)
        defer { lock.release() }
        let pour = try PourProcess(arguments: ["install", "a", "--json", "--prefix", fixture.prefix, "--cache", fixture.cache],
                                   environment: fixture.environment)
        XCTAssertTrue(pour.waitForLine { $0.contains("waiting_for_lock") }, "\(pour.output)")
        pour.signal(SIGINT)
        XCTAssertEqual(pour.waitForExit(timeout: 60), 130, "\(pour.output)")
        XCTAssertTrue(lock.isHeld)
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: layout.cellar)) ?? [], [])
        XCTAssertEqual(fixture.log.entries.filter { $0.path.contains("/blobs/") }.count, 0, "no work started")
    }

    func testUninstallOperationCancelledWhileWaitingForTheLockEndsCancelled() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pour-unlock-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let layout = PrefixLayout(prefix: root + "/prefix", cache: root + "/cache")
        let lock = try PrefixLock.acquire(layout: layout, wait: false)
        defer { lock.release() }
        let operation = UninstallOperation(layout: layout, names: ["x"])
        let done = DispatchSemaphore(value: 0)
        operation.completionHandler = { _ in done.signal() }
        let queue = OperationQueue()
        queue.addOperation(operation)
        while !operation.isExecuting && !operation.isFinished { usleep(1000) }
        operation.cancel()
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success, "the wait for the lock was not abandoned")
        guard case .failure(.cancelled)? = operation.result else { return XCTFail("\(String(describing: operation.result))") }
    }
}
