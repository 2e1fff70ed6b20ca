import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Issue #8, part 6: two real `pour install` processes on one prefix. The second waits on the
/// prefix lock (and says so) or, with `--no-wait`, fails at once with a clear message; either way
/// the prefix ends consistent. A lock whose holder was killed is taken over.
///
/// The first process runs against a server throttled so its install lasts at least ~3 s (a
/// guarantee of the rate limit): the second starts as soon as the first has taken the lock
/// (its `resolving` event), so it always meets a held lock.
final class ReliabilityConcurrencyTests: XCTestCase {
    private var fixture: RegistryFixture!

    override func setUpWithError() throws {
        fixture = try RegistryFixture(recipe: ReliabilitySignalTests.recipe(),
                                      server: ServerConfiguration(aggregateRate: ReliabilitySignalTests.rate))
    }

    override func tearDown() {
        fixture = nil
        super.tearDown()
    }

    private var layout: PrefixLayout { fixture.configuration().layout }

    private func pour(_ names: [String], _ extra: [String] = []) throws -> PourProcess {
        try PourProcess(arguments: ["install"] + names + ["--json", "--prefix", layout.prefix, "--cache", layout.cache] + extra,
                        environment: fixture.environment)
    }

    private func startHolder() throws -> PourProcess {
        let first = try pour(["h", "g"])
        XCTAssertTrue(first.waitForLine { $0.contains("\"event\":\"resolving\"") }, "first never took the lock: \(first.output)")
        return first
    }

    private func json(_ line: String?) -> [String: Any] {
        guard let line, let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return [:] }
        return object
    }

    func testSecondProcessWaitsForTheLockThenFindsEverythingInstalled() throws {
        let first = try startHolder()
        let second = try pour(["h"])
        XCTAssertTrue(second.waitForLine { $0.contains("\"event\":\"waiting_for_lock\"") }, "no waiting message: \(second.output)")
        let waiting = json(second.output.first { $0.contains("waiting_for_lock") })
        XCTAssertTrue((waiting["message"] as? String)?.contains("waiting for another pour process (pid \(first.process.processIdentifier))") == true, "\(waiting)")
        XCTAssertEqual(first.waitForExit(), 0, "\(first.output.suffix(3))")
        XCTAssertEqual(second.waitForExit(), 0, "\(second.output.suffix(3))")
        let summary = json(second.output.last)
        XCTAssertEqual(summary["status"] as? String, "ok")
        XCTAssertEqual(Set(summary["already_installed"] as? [String] ?? []), ["a", "b", "c", "d", "e", "h"], "\(summary)")
        XCTAssertEqual(summary["installed"] as? [String], [])
        // The second process asked for no bottle: it saw the first one's kegs on disk.
        assertConsistentPrefix(layout: layout, manifest: fixture.manifest)
    }

    func testNoWaitFailsAtOnceWithAClearMessageAndTheHolderCompletes() throws {
        let first = try startHolder()
        let second = try pour(["f"], ["--no-wait"])
        XCTAssertEqual(second.waitForExit(), 1)
        XCTAssertTrue(first.process.isRunning, "the holder still runs (its install lasts ≥ 3 s by the rate limit)")
        let summary = json(second.output.last)
        XCTAssertEqual(summary["status"] as? String, "error", "\(second.output)")
        let message = summary["message"] as? String ?? ""
        XCTAssertTrue(message.contains("another pour process (pid \(first.process.processIdentifier)) holds"), message)
        XCTAssertTrue(message.contains(layout.locks), message)
        XCTAssertFalse(second.output.contains { $0.contains("\"event\":\"resolving\"") }, "--no-wait must not start work")
        XCTAssertEqual(first.waitForExit(), 0, "\(first.output.suffix(3))")
        assertConsistentPrefix(layout: layout, manifest: fixture.manifest)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: layout.cellar)), Set(Reliability.graphNames))
    }

    func testALockHeldByAKilledProcessIsTakenOver() throws {
        let first = try startHolder()
        first.signal(SIGKILL)
        _ = first.waitForExit()
        XCTAssertEqual(first.process.terminationReason, .uncaughtSignal)
        // No waiting: the kernel released the dead holder's flock (its pid may linger in the file).
        let second = try pour(["h", "g"], ["--no-wait"])
        XCTAssertEqual(second.waitForExit(), 0, "\(second.output.suffix(3))")
        XCTAssertFalse(second.output.contains { $0.contains("waiting_for_lock") })
        XCTAssertEqual(json(second.output.last)["status"] as? String, "ok")
        assertConsistentPrefix(layout: layout, manifest: fixture.manifest)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: layout.cellar)), Set(Reliability.graphNames))
    }
}
