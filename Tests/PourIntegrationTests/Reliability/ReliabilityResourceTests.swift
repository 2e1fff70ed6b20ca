import Foundation
import PourCore
import PourTestSupport
import XCTest

/// Issue #8, part 7: disk full during download and during extraction (a small tmpfs mounted as
/// the cache or the prefix; root only — skipped with the reason otherwise), and a read-only
/// prefix. Each ends with a clear error, the space given back, and no partial keg.
final class ReliabilityResourceTests: XCTestCase {
    private var fixture: RegistryFixture!
    private var mounts: [String] = []

    override func tearDown() {
        for point in mounts.reversed() { _ = Self.run("/bin/umount", ["-l", point]) }
        mounts = []
        fixture = nil
        super.tearDown()
    }

    @discardableResult
    private static func run(_ tool: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Mounts a tmpfs of `size` on `directory`, or skips the test saying why it cannot.
    private func mountTmpfs(_ directory: String, options: String) throws {
        guard getuid() == 0 else { throw XCTSkip("mounting a tmpfs needs root (uid \(getuid()))") }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard Self.run("/bin/mount", ["-t", "tmpfs", "-o", options, "tmpfs", directory]) == 0 else {
            throw XCTSkip("mount -t tmpfs -o \(options) failed (no CAP_SYS_ADMIN in this container?)")
        }
        mounts.append(directory)
    }

    private func usedBytes(_ path: String) -> Int {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return -1 }
        return Int(info.f_blocks - info.f_bfree) * Int(info.f_frsize)
    }

    private func makeFixture() throws {
        // "big" is incompressible (PayloadFiller): 3 MB on the wire and on disk.
        fixture = try RegistryFixture(recipe: .custom([
            FormulaSpec(name: "big", targetCompressedSize: 3_000_000),
            FormulaSpec(name: "small", targetCompressedSize: 50_000),
        ]))
    }

    func testDiskFullDuringDownloadIsACleanErrorAndGivesTheSpaceBack() throws {
        try makeFixture()
        try mountTmpfs(fixture.cache, options: "size=2m")
        let run = install(["big", "small"], configuration: fixture.configuration())
        assertOutcomes(run, installed: ["small"], failed: ["big"])
        guard case .failed(.download(.fileSystem(let path, let message)))? = run.outcome("big") else {
            return XCTFail("\(String(describing: run.outcome("big")))")
        }
        print("disk full (download) → \(PackageFailure.download(.fileSystem(path: path, message: message)).description)")
        XCTAssertTrue(message.contains("No space left"), message)
        let layout = fixture.configuration().layout
        assertConsistentPrefix(layout: layout, manifest: fixture.manifest)
        XCTAssertFalse(tree(layout.downloads).contains { $0.contains("--big--") }, "the partial download is deleted")
        // What stays is small's bottle and the formula JSON: the ~2 MB big had written is free again.
        XCTAssertLessThan(usedBytes(fixture.cache), 512 * 1024, "space given back")
    }

    func testDiskFullDuringExtractionIsACleanErrorAndGivesTheSpaceBack() throws {
        try makeFixture()
        let layout = fixture.configuration().layout
        try mountTmpfs(layout.prefix, options: "size=1m")
        let baseline = usedBytes(layout.prefix)
        let run = install(["big"], configuration: fixture.configuration())
        assertOutcomes(run, installed: [], failed: ["big"])
        // The first entry that does not fit fails (libarchive calls a failed write a warning;
        // pour does not), so no truncated file can ever reach the keg.
        guard case .failed(.unpack(.writeFailed(_, let entry, let reason)))? = run.outcome("big") else {
            return XCTFail("\(String(describing: run.outcome("big")))")
        }
        print("disk full (extraction) → \(run.outcome("big").map { "\($0)" } ?? "")")
        XCTAssertTrue(entry.hasPrefix("big/1.0.0/"), entry)
        XCTAssertTrue(reason.contains("No space left"), reason)
        assertConsistentPrefix(layout: layout, manifest: fixture.manifest)
        XCTAssertFalse(FileManager.default.fileExists(atPath: layout.cellar + "/big"))
        XCTAssertLessThan(usedBytes(layout.prefix) - baseline, 256 * 1024, "staging removed, space given back")
        // The prefix still works for what fits.
        let next = install(["small"], configuration: fixture.configuration())
        assertOutcomes(next, installed: ["small"])
        assertConsistentPrefix(layout: layout, manifest: fixture.manifest)
    }

    func testReadOnlyPrefixFailsBeforeAnyDownload() throws {
        try makeFixture()
        let layout = fixture.configuration().layout
        if getuid() == 0 {
            // root ignores permission bits: a read-only mount is what refuses it.
            try mountTmpfs(layout.prefix, options: "ro,size=1m")
        } else {
            try FileManager.default.createDirectory(atPath: layout.prefix, withIntermediateDirectories: true)
            chmod(layout.prefix, 0o555)
        }
        defer { chmod(layout.prefix, 0o755) }
        let run = install(["big", "small"], configuration: fixture.configuration())
        guard case .failure(.setup(let path, let message)) = run.result else { return XCTFail("\(run.result)") }
        print("read-only prefix → \(InstallError.setup(path: path, message: message).description)")
        XCTAssertTrue(path.hasPrefix(layout.prefix), path)
        XCTAssertTrue(message.contains("Read-only") || message.contains("ermission") || message.contains("writable"), message)
        XCTAssertEqual(fixture.server.log.requestCount, 0, "no request at all, so no blob request")
    }
}
