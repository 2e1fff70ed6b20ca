import Foundation
import XCTest
@testable import PourCore

/// The per-formula API cache: `storeNow` creates the directory when it is missing and leaves
/// no temporary file; `freshCache` answers by the file's own age (a link's, not its target's).
final class FormulaFetcherCacheTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "/pour-fetcher-cache-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    private func setAge(_ path: String, seconds: Double, link: Bool = false) {
        let then = Date().timeIntervalSince1970 - seconds
        var times = [timespec(tv_sec: Int(then), tv_nsec: 0), timespec(tv_sec: Int(then), tv_nsec: 0)]
        XCTAssertEqual(utimensat(AT_FDCWD, path, &times, link ? AT_SYMLINK_NOFOLLOW : 0), 0)
    }

    func testStoreCreatesTheDirectoryAndFreshCacheReadsByAge() throws {
        let directory = root + "/api/formula"
        let path = directory + "/wget.json"
        FormulaFetcher.storeNow(Data("{\"name\":\"wget\"}".utf8), at: path)
        FormulaFetcher.storeNow(Data("{\"name\":\"wget2\"}".utf8), at: path)  // replaces it
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["wget.json"], "no temporary left")
        XCTAssertEqual(FormulaFetcher.freshCache(at: path, maxAge: 300), Data("{\"name\":\"wget2\"}".utf8))

        setAge(path, seconds: 600)
        XCTAssertNil(FormulaFetcher.freshCache(at: path, maxAge: 300), "older than the maximum age")
        XCTAssertNotNil(FormulaFetcher.freshCache(at: path, maxAge: 900))
        XCTAssertNil(FormulaFetcher.freshCache(at: directory + "/missing.json", maxAge: 300))

        // A link is judged by its own time, as `FileManager.attributesOfItem` did.
        let link = directory + "/curl.json"
        XCTAssertEqual(symlink(path, link), 0)
        setAge(link, seconds: 10, link: true)
        XCTAssertEqual(FormulaFetcher.freshCache(at: link, maxAge: 300), Data("{\"name\":\"wget2\"}".utf8))
        setAge(link, seconds: 600, link: true)
        setAge(path, seconds: 10)
        XCTAssertNil(FormulaFetcher.freshCache(at: link, maxAge: 300))
    }
}
