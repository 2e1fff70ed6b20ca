import CArchive
import Foundation
import XCTest
@testable import PourCore

/// `KegDiskWriter` (through `BottleExtractor`) against what pour did before it: libarchive's
/// `archive_write_disk` with `TIME | PERM | SECURE_NODOTDOT`, each entry's path prefixed with the
/// keg path, setuid/setgid/sticky stripped and the umask applied. Both extract the same archives
/// and the trees must match: kinds, modes, sizes, contents, link targets, hard-link groups, the
/// archive's mtimes (to the nanosecond) and atimes where the archive has them.
final class KegDiskWriterTests: XCTestCase {
    typealias E = TestArchive.Entry

    private let kegName = "foo"
    private let version = "1.0"

    /// The former extraction path, with libarchive's own writer (test-only reference).
    private func extractWithLibarchive(_ bottle: String, into staging: String) throws -> String {
        let keg = staging + "/\(kegName)/\(version)"
        try FileManager.default.createDirectory(atPath: keg, withIntermediateDirectories: true)
        guard let reader = CArchive.archive_read_new(), let writer = CArchive.archive_write_disk_new() else {
            throw TestArchive.BuildError(description: "libarchive handles")
        }
        defer {
            CArchive.archive_read_free(reader)
            CArchive.archive_write_free(writer)
        }
        CArchive.archive_read_support_filter_all(reader)
        CArchive.archive_read_support_format_tar(reader)
        CArchive.archive_write_disk_set_options(writer, Int32(ARCHIVE_EXTRACT_TIME) | Int32(ARCHIVE_EXTRACT_PERM)
                                                    | Int32(ARCHIVE_EXTRACT_SECURE_NODOTDOT))
        guard CArchive.archive_read_open_filename(reader, bottle, 1 << 16) == ARCHIVE_OK else {
            throw TestArchive.BuildError(description: "open \(bottle)")
        }
        let prefix = "\(kegName)/\(version)"
        func inKeg(_ path: String) -> String? {
            var rel = path
            while rel.hasSuffix("/") { rel.removeLast() }
            if rel == prefix { return "" }
            guard rel.hasPrefix(prefix + "/") else { return nil }
            return String(rel.dropFirst(prefix.count + 1))
        }
        let mask = ProcessUmask.value
        var header: OpaquePointer?
        while CArchive.archive_read_next_header(reader, &header) == ARCHIVE_OK, let entry = header {
            guard let rel = inKeg(String(cString: CArchive.archive_entry_pathname(entry))) else { continue }
            if let hard = CArchive.archive_entry_hardlink(entry), let target = inKeg(String(cString: hard)) {
                CArchive.archive_entry_copy_hardlink(entry, keg + "/" + target)
            }
            CArchive.archive_entry_set_perm(entry, CArchive.archive_entry_perm(entry) & 0o777 & ~mask)
            CArchive.archive_entry_copy_pathname(entry, rel.isEmpty ? keg : keg + "/" + rel)
            guard CArchive.archive_write_header(writer, entry) >= ARCHIVE_WARN else {
                throw TestArchive.BuildError(description: String(cString: CArchive.archive_error_string(writer)))
            }
            var block: UnsafeRawPointer?
            var size = 0
            var offset: la_int64_t = 0
            while CArchive.archive_read_data_block(reader, &block, &size, &offset) == ARCHIVE_OK {
                _ = CArchive.archive_write_data_block(writer, block, size, offset)
            }
            _ = CArchive.archive_write_finish_entry(writer)
        }
        CArchive.archive_write_close(writer)
        return keg
    }

    /// One line per path below `keg`: kind, mode, size, link target or content, mtime (where
    /// `withTime` says), atime (for `atimes`), and the paths sharing its inode.
    private func snapshot(_ keg: String, withTime: (String) -> Bool, atimes: Set<String>) -> [String] {
        // Paths are kept apart by their bytes (two canonically equivalent names are two entries).
        var byInode: [UInt64: [Int]] = [:]
        var rows: [(path: [UInt8], line: String)] = []
        let paths = ((FileManager.default.subpaths(atPath: keg) ?? []) + [""])
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for rel in paths {
            let path = rel.isEmpty ? keg : keg + "/" + rel
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            let kind = info.st_mode & S_IFMT
            var line = "\(Array(rel.utf8)) type=\(String(kind, radix: 8)) mode=\(String(info.st_mode & 0o7777, radix: 8))"
            if kind == S_IFLNK {
                line += " -> " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?")
            } else if kind == S_IFREG {
                line += " size=\(info.st_size) data=" + ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "?")
                byInode[UInt64(info.st_ino), default: []].append(rows.count)
            }
            if withTime(rel) { line += " mtime=\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)" }
            if atimes.contains(rel) { line += " atime=\(info.st_atim.tv_sec).\(info.st_atim.tv_nsec)" }
            rows.append((Array(rel.utf8), line))
        }
        for group in byInode.values where group.count > 1 {
            let names = group.map { String(decoding: rows[$0].path, as: UTF8.self) }.sorted().joined(separator: ",")
            for index in group { rows[index].line += " links=" + names }
        }
        return rows.map(\.line)
    }

    /// Extracts `entries` both ways and compares. Directories the archive does not list (made as
    /// parents) and the keg root have the time of their last child's creation under both, so
    /// their mtimes are left out.
    private func assertSameTree(_ entries: [E], file: StaticString = #filePath, line: UInt = #line) throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), entries: entries)
        let keg = try BottleExtractor.extract(bottleAt: box.bottle(), name: kegName, pkgVersion: version,
                                              into: box.staging)
        let reference = try extractWithLibarchive(box.bottle(), into: box.outside)
        let prefix = "\(kegName)/\(version)/"
        var listedDirectories = Set<String>()
        var atimes = Set<String>()
        for entry in entries where entry.path.hasPrefix(prefix) {
            var rel = String(entry.path.dropFirst(prefix.count))
            while rel.hasSuffix("/") { rel.removeLast() }
            if case .directory = entry.kind { listedDirectories.insert(rel) }
            if entry.atime != nil { atimes.insert(rel) }
        }
        let hasTime: (String) -> Bool = { rel in
            if rel.isEmpty { return false }
            var info = stat()
            guard lstat(keg.kegPath + "/" + rel, &info) == 0 else { return true }
            return info.st_mode & S_IFMT != S_IFDIR || listedDirectories.contains(rel)
        }
        let mine = snapshot(keg.kegPath, withTime: hasTime, atimes: atimes)
        let theirs = snapshot(reference, withTime: hasTime, atimes: atimes)
        XCTAssertEqual(mine, theirs, file: file, line: line)
        XCTAssertGreaterThan(mine.count, 1, file: file, line: line)
    }

    private func timed(_ entry: E, _ seconds: Int, _ nanoseconds: Int = 0, atime: (Int, Int)? = nil) -> E {
        var entry = entry
        entry.mtime = (seconds, nanoseconds)
        entry.atime = atime
        return entry
    }

    func testModesTimesLinksAndMissingParentsMatchLibarchivesWriter() throws {
        try assertSameTree([
            timed(.dir("foo/1.0/"), 1_600_000_000, 500),
            timed(.dir("foo/1.0/bin/"), 1_600_000_001, 1),
            timed(.file("foo/1.0/bin/tool", "#!/bin/sh\n", mode: 0o755), 1_600_000_002, 2),
            timed(E("foo/1.0/bin/alias", .symlink("tool")), 1_600_000_003, 3),
            timed(.dir("foo/1.0/share/ro/", mode: 0o555), 1_600_000_004, 4),
            timed(.file("foo/1.0/share/ro/a.txt", "a", mode: 0o444), 1_600_000_005, 5),
            timed(.file("foo/1.0/share/ro/b.txt", "b", mode: 0o600), 1_600_000_006, 6),
            timed(.dir("foo/1.0/share/private/", mode: 0o700), 1_600_000_007, 7),
            .file("foo/1.0/share/private/x", "x", mode: 0o640),
            .file("foo/1.0/share/open", "world-writable in the archive", mode: 0o666),
            .dir("foo/1.0/share/opendir/", mode: 0o777),
            timed(.file("foo/1.0/lib/implicit/deep/f.txt", "made with its parents"), 1_600_000_008, 8),
            E("foo/1.0/lib/implicit/deep/g.txt", .hardlink("foo/1.0/lib/implicit/deep/f.txt")),
            E("foo/1.0/dangling", .symlink("nowhere")),
            E("foo/1.0/dirlink", .symlink("share")),
            timed(.file("foo/1.0/stamped", "nanoseconds"), 1_600_000_009, 123_456_789),
            .file("foo/1.0/empty", ""),
            timed(.dir("foo/1.0/share/"), 1_600_000_010, 10),
        ])
    }

    /// Two directory names that differ only in Unicode normalisation are two directories, each
    /// with its own mode and time at the end.
    func testCanonicallyEquivalentDirectoriesKeepTheirOwnModesAndTimes() throws {
        try assertSameTree([
            timed(.dir("foo/1.0/caf\u{E9}/", mode: 0o700), 1_600_000_400),
            .file("foo/1.0/caf\u{E9}/one", "composed"),
            timed(.dir("foo/1.0/cafe\u{301}/", mode: 0o555), 1_600_000_500),
            .file("foo/1.0/cafe\u{301}/two", "decomposed"),
        ])
    }

    func testLaterEntriesReplaceEarlierOnesAsLibarchivesWriterDid() throws {
        try assertSameTree([
            .file("foo/1.0/a", "one"),
            .file("foo/1.0/a", "two"),
            timed(.dir("foo/1.0/d/"), 1_600_000_100),
            .file("foo/1.0/d/x", "x"),
            timed(.dir("foo/1.0/d/", mode: 0o750), 1_600_000_200),
            .dir("foo/1.0/e/"),
            .file("foo/1.0/e", "an empty directory became a file"),
            .file("foo/1.0/f", "a file became a directory"),
            timed(.dir("foo/1.0/f/"), 1_600_000_300),
            E("foo/1.0/s", .symlink("a")),
            E("foo/1.0/s", .symlink("d/x")),
            E("foo/1.0/h", .hardlink("foo/1.0/a")),
            .file("foo/1.0/h", "the link's path now holds its own file"),
        ])
    }

    /// A non-directory where a directory with contents is: both writers fail the entry.
    func testANonEmptyDirectoryIsNotReplacedByAFile() throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), entries: [
            .dir("foo/1.0/n/"), .file("foo/1.0/n/child", "c"), .file("foo/1.0/n", "file"),
        ])
        XCTAssertThrowsError(try extractWithLibarchive(box.bottle(), into: box.outside))
        do {
            let keg = try BottleExtractor.extract(bottleAt: box.bottle(), name: kegName, pkgVersion: version,
                                                  into: box.staging)
            XCTFail("extracted \(keg.entries.map(\.path))")
        } catch {
            guard case .writeFailed(_, let entry, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(entry, "foo/1.0/n")
            XCTAssertTrue(reason.contains("n: Directory not empty"), reason)
        }
        XCTAssertEqual(box.stagingContents(), [])
    }

    /// An entry whose header declares no size keeps all its data (libarchive's writer did not
    /// clamp it); a declared size clamps longer data and keeps a trailing hole.
    func testDataOfAnEntryWithoutADeclaredSizeIsWrittenWhole() throws {
        let box = try UnpackSandbox()
        let keg = box.staging + "/keg"
        try FileManager.default.createDirectory(atPath: keg, withIntermediateDirectories: true)
        let writer = try KegDiskWriter(kegPath: keg, umask: 0o022)
        let bytes: [UInt8] = Array("0123456789abcdef".utf8)
        let block = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 1)
        defer { block.deallocate() }
        block.copyMemory(from: bytes, byteCount: bytes.count)
        for (name, size) in [("unsized", Int64(-1)), ("clamped", Int64(10)), ("holed", Int64(20))] {
            try writer.begin(name, kind: .file, mode: 0o644, size: size, times: nil)
            try writer.write(block, count: 12, at: 0)
            try writer.write(block + 12, count: 4, at: 12)
            try writer.finishEntry()
        }
        writer.finish()
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: keg + "/unsized")), Data(bytes))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: keg + "/clamped")), Data(bytes.prefix(10)))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: keg + "/holed")), Data(bytes) + Data(count: 4))
    }

    /// Extracts into a fresh `staging`; the error's text, or nil.
    private static func extract(_ bottle: String, name: String, version: String, into staging: String) -> String? {
        do {
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
            _ = try BottleExtractor.extract(bottleAt: bottle, name: name, pkgVersion: version, into: staging)
            return nil
        } catch {
            return "\(error)"
        }
    }

    private static func umaskNow() -> String? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        return status.split(separator: "\n").first { $0.hasPrefix("Umask:") }.map(String.init)
    }

    /// Extraction never changes the process umask, even for a moment: libarchive's writer set it
    /// to 0 and back around every entry, and two concurrent extractions could leave it at 0 for
    /// every file the rest of the process created.
    func testConcurrentExtractionsNeverChangeTheProcessUmask() throws {
        let umaskNow = Self.umaskNow
        guard let before = umaskNow() else { throw XCTSkip("no /proc/self/status") }
        var entries: [E] = [.dir("foo/1.0/")]
        for index in 0..<300 { entries.append(.file("foo/1.0/f\(index)", "\(index)")) }
        let boxes = try (0..<4).map { _ in try UnpackSandbox() }
        for box in boxes { try TestArchive.build(box.bottle(), entries: entries) }
        let done = Locked(false)
        let seen = Locked(Set<String>())
        let sampler = Thread {
            while !done.withLock({ $0 }) {
                if let value = umaskNow() { seen.withLock { _ = $0.insert(value) } }
            }
        }
        sampler.start()
        let (name, version) = (kegName, self.version)
        let failures = Locked([String]())
        DispatchQueue.concurrentPerform(iterations: boxes.count * 3) { index in
            let box = boxes[index % boxes.count]
            if let failure = Self.extract(box.bottle(), name: name, version: version, into: box.staging + "/\(index)") {
                failures.withLock { $0.append(failure) }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, [])
        done.withLock { $0 = true }
        while !sampler.isFinished { usleep(1000) }
        XCTAssertEqual(seen.withLock { $0 }, [before])
        XCTAssertEqual(umaskNow(), before)
    }
}
