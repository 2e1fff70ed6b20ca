import Foundation
import XCTest
@testable import PourCore

final class UnpackBottleExtractorTests: XCTestCase {
    typealias E = TestArchive.Entry

    private func extract(_ box: UnpackSandbox, _ bottle: String, name: String = "foo", version: String = "1.2_1",
                         limits: ExtractionLimits = .default,
                         cancellation: CancellationFlag? = nil) throws(UnpackError) -> ExtractedKeg {
        try BottleExtractor.extract(bottleAt: bottle, name: name, pkgVersion: version, into: box.staging,
                                    limits: limits, cancellation: cancellation)
    }

    /// Builds `entries`, extracts, and checks the error, that nothing outside staging changed and
    /// that staging is empty afterwards.
    private func assertRejected(_ entries: [E], limits: ExtractionLimits = .default,
                                compression: TestArchive.Compression = .gzip,
                                file: StaticString = #filePath, line: UInt = #line,
                                _ check: (UnpackError) -> Bool) throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), compression: compression, entries: entries)
        let before = box.snapshotOutsideStaging()
        do {
            let keg = try extract(box, box.bottle(), limits: limits)
            XCTFail("extraction succeeded: \(keg.entries.map(\.path))", file: file, line: line)
        } catch {
            XCTAssertTrue(check(error), "unexpected error: \(error)", file: file, line: line)
            XCTAssertTrue(error.description.contains("foo 1.2_1"), file: file, line: line)
        }
        XCTAssertEqual(box.snapshotOutsideStaging(), before, "something outside staging changed", file: file, line: line)
        XCTAssertEqual(box.stagingContents(), [], "leftovers in staging", file: file, line: line)
        XCTAssertEqual(try String(contentsOfFile: box.canary, encoding: .utf8), "canary\n", file: file, line: line)
    }

    private func mode(_ path: String) -> mode_t {
        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0, path)
        return info.st_mode
    }

    private func inode(_ path: String) -> UInt64 {
        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0, path)
        return UInt64(info.st_ino)
    }

    private var normalEntries: [E] {
        [
            .dir("foo/1.2_1/"),
            .dir("foo/1.2_1/bin/"),
            .dir("foo/1.2_1/lib/"),
            .dir("foo/1.2_1/libexec/"),
            .file("foo/1.2_1/libexec/tool", "#!/bin/sh\necho hi\n", mode: 0o755),
            E("foo/1.2_1/bin/tool", .symlink("../libexec/tool")),
            .file("foo/1.2_1/lib/liba.so.1", "AAAA", mode: 0o444),
            E("foo/1.2_1/lib/liba.so", .hardlink("foo/1.2_1/lib/liba.so.1")),
            .file("foo/1.2_1/empty", ""),
            E("foo/1.2_1/placeholder-link", .symlink("@@HOMEBREW_PREFIX@@/opt/bar/lib")),
            .file("foo/1.2_1/INSTALL_RECEIPT.json", #"{"changed_files":["bin/x.pc","lib/y.la"],"time":1}"#),
        ]
    }

    func testNormalBottleExtractsFilesDirsLinksAndModes() throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), entries: normalEntries)
        let before = box.snapshotOutsideStaging()
        let keg = try extract(box, box.bottle())
        XCTAssertEqual(keg.kegPath, box.staging + "/foo/1.2_1")
        XCTAssertEqual(try String(contentsOfFile: keg.kegPath + "/libexec/tool", encoding: .utf8), "#!/bin/sh\necho hi\n")
        XCTAssertEqual(mode(keg.kegPath + "/libexec/tool") & 0o7777, 0o755)
        XCTAssertEqual(mode(keg.kegPath + "/lib/liba.so.1") & 0o7777, 0o444)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: keg.kegPath + "/bin/tool"), "../libexec/tool")
        XCTAssertEqual(try String(contentsOfFile: keg.kegPath + "/bin/tool", encoding: .utf8), "#!/bin/sh\necho hi\n")
        XCTAssertEqual(inode(keg.kegPath + "/lib/liba.so"), inode(keg.kegPath + "/lib/liba.so.1"))
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: keg.kegPath + "/placeholder-link"),
                       "@@HOMEBREW_PREFIX@@/opt/bar/lib")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: keg.kegPath + "/empty")).count, 0)
        XCTAssertEqual(keg.fileCount, 5)
        XCTAssertEqual(keg.totalBytes, Int64(18 + 4 + 50))
        XCTAssertTrue(keg.hasReceipt)
        XCTAssertEqual(keg.receiptChangedFiles, ["bin/x.pc", "lib/y.la"])
        let kinds = Dictionary(keg.entries.map { ($0.path, $0.kind) }, uniquingKeysWith: { $1 })
        XCTAssertEqual(kinds["bin/tool"], .symlink)
        XCTAssertEqual(kinds["lib/liba.so"], .hardlink)
        XCTAssertEqual(kinds["lib"], .directory)
        XCTAssertEqual(kinds["libexec/tool"], .file)
        XCTAssertEqual(box.snapshotOutsideStaging(), before)
    }

    /// The extractor notes whether any file began with the ELF magic; without one, binary
    /// relocation is skipped (KegPreparation), so a false answer must mean "no ELF here".
    func testExtractionNotesWhetherAnyFileBeginsWithTheELFMagic() throws {
        let textOnly = try UnpackSandbox()
        try TestArchive.build(textOnly.bottle(), entries: normalEntries)
        XCTAssertFalse(try extract(textOnly, textOnly.bottle()).mayHoldELF)

        let withELF = try UnpackSandbox()
        try TestArchive.build(withELF.bottle(), entries: [
            .file("foo/1.2_1/bin/a", "#!/bin/sh\n"),
            .file("foo/1.2_1/lib/libx.so", "\u{7F}ELF" + String(repeating: "x", count: 60)),
        ])
        XCTAssertTrue(try extract(withELF, withELF.bottle()).mayHoldELF)
    }

    func testBottleWithoutReceipt() throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), entries: [.file("foo/1.2_1/a", "a")])
        let keg = try extract(box, box.bottle())
        XCTAssertFalse(keg.hasReceipt)
        XCTAssertNil(keg.receiptChangedFiles)
        XCTAssertEqual(keg.entries.map(\.path), ["a"])
    }

    func testZstdXzBzip2AndPlainTarBottles() throws {
        for compression in [TestArchive.Compression.zstd, .xz, .bzip2, .none] {
            let box = try UnpackSandbox()
            try TestArchive.build(box.bottle(), compression: compression, entries: normalEntries)
            let keg = try extract(box, box.bottle())
            XCTAssertEqual(try String(contentsOfFile: keg.kegPath + "/lib/liba.so", encoding: .utf8), "AAAA", "\(compression)")
            XCTAssertEqual(keg.fileCount, 5, "\(compression)")
        }
    }

    func testLeadingDotSlashAndNameDirectoryAreTolerated() throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), entries: [.dir("./foo/"), .dir("./foo/1.2_1/"), .file("./foo/1.2_1/share//x", "x")])
        let keg = try extract(box, box.bottle())
        XCTAssertEqual(try String(contentsOfFile: keg.kegPath + "/share/x", encoding: .utf8), "x")
    }

    func testDotDotEntryIsRejected() throws {
        try assertRejected([.dir("foo/1.2_1/"), .file("foo/1.2_1/../../../canary", "owned")]) {
            if case .unsafePath(_, let entry, _) = $0 { return entry.hasSuffix("canary") } else { return false }
        }
    }

    func testAbsolutePathIsRejected() throws {
        let box = try UnpackSandbox()
        try assertRejected([.file("foo/1.2_1/a", "a"), .file(box.canary, "owned")]) {
            if case .unsafePath = $0 { return true } else { return false }
        }
    }

    func testEntryOutsideNameVersionIsRejected() throws {
        for path in ["bar/1.2_1/x", "foo/9.9/x", "x", "foo"] {
            try assertRejected([.file("foo/1.2_1/a", "a"), .file(path, "x")]) {
                if case .unsafePath(_, let entry, _) = $0 { return entry == path } else { return false }
            }
        }
    }

    func testSymlinkPointingOutsideThenWriteThroughItIsRejected() throws {
        try assertRejected([
            .dir("foo/1.2_1/"),
            E("foo/1.2_1/evil", .symlink("../../../outside")),
            .file("foo/1.2_1/evil/pwned", "owned"),
        ]) {
            if case .unsafeSymlink(_, let entry, let target) = $0 { return entry == "foo/1.2_1/evil" && target == "../../../outside" }
            return false
        }
        try assertRejected([E("foo/1.2_1/a/b/up", .symlink("../../../x"))]) {
            if case .unsafeSymlink = $0 { return true } else { return false }
        }
    }

    func testAbsoluteSymlinkIsRejected() throws {
        try assertRejected([E("foo/1.2_1/etc", .symlink("/etc"))]) {
            if case .unsafeSymlink(_, _, "/etc") = $0 { return true } else { return false }
        }
    }

    func testPlaceholderSymlinkMayNotClimbWithDotDot() throws {
        try assertRejected([E("foo/1.2_1/up", .symlink("@@HOMEBREW_PREFIX@@/../../etc"))]) {
            if case .unsafeSymlink = $0 { return true } else { return false }
        }
    }

    func testWritingThroughAnInKegSymlinkIsRefused() throws {
        // The link itself is harmless, but nothing may be written through it (a chain of such
        // links can climb out of the keg even when each one looks contained).
        try assertRejected([
            .dir("foo/1.2_1/real/"),
            E("foo/1.2_1/alias", .symlink("real")),
            .file("foo/1.2_1/alias/file", "x"),
        ]) {
            if case .unsafePath(_, "foo/1.2_1/alias/file", _) = $0 { return true } else { return false }
        }
    }

    func testHardlinkToOutsideIsRejected() throws {
        let box = try UnpackSandbox()
        for target in ["foo/1.2_1/../../../canary", box.canary, "bar/1.0/x", "foo/1.2_1/not-yet", "foo/1.2_1/dir"] {
            try assertRejected([.dir("foo/1.2_1/dir/"), E("foo/1.2_1/link", .hardlink(target))]) {
                if case .unsafeHardlink(_, "foo/1.2_1/link", let got) = $0 { return got == target } else { return false }
            }
        }
    }

    func testSpecialFilesAreRejected() throws {
        let kinds: [(TestArchive.Kind, String)] = [(.fifo, "FIFO"), (.characterDevice, "character device"),
                                                   (.blockDevice, "block device")]
        // Sockets cannot be represented in tar at all (libarchive's writer refuses them).
        for (kind, name) in kinds {
            try assertRejected([.file("foo/1.2_1/a", "a"), E("foo/1.2_1/special", kind)]) {
                if case .unsupportedEntryType(_, "foo/1.2_1/special", name) = $0 { return true } else { return false }
            }
        }
    }

    func testSetuidSetgidAndStickyBitsAreStripped() throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), entries: [
            .file("foo/1.2_1/suid", "x", mode: 0o4755), .file("foo/1.2_1/sgid", "x", mode: 0o2711),
            .dir("foo/1.2_1/sticky/", mode: 0o1777),
        ])
        let keg = try extract(box, box.bottle())
        XCTAssertEqual(mode(keg.kegPath + "/suid") & 0o7777, 0o755)
        XCTAssertEqual(mode(keg.kegPath + "/sgid") & 0o7777, 0o711)
        // Modes are masked by the process umask as brew's tar does (0777 only under umask 0).
        XCTAssertEqual(mode(keg.kegPath + "/sticky") & 0o7777, 0o777 & ~ProcessUmask.value)
    }

    func testGzipBombIsRefusedAtASmallCap() throws {
        let limits = ExtractionLimits(maxTotalBytes: 1 << 20)
        try assertRejected([.file("foo/1.2_1/a", "a"), E("foo/1.2_1/bomb", .zeros(64 << 20))], limits: limits) {
            if case .sizeLimitExceeded(_, "foo/1.2_1/bomb", 1 << 20) = $0 { return true } else { return false }
        }
    }

    func testManySmallFilesPassingTheByteCap() throws {
        let limits = ExtractionLimits(maxTotalBytes: 3000)
        let entries = (0..<10).map { E("foo/1.2_1/f\($0)", .zeros(1000)) }
        try assertRejected(entries, limits: limits) {
            if case .sizeLimitExceeded(_, "foo/1.2_1/f3", 3000) = $0 { return true } else { return false }
        }
    }

    func testTooManyEntriesOverASmallCap() throws {
        let entries = [E.dir("foo/1.2_1/")] + (0..<50).map { E.file("foo/1.2_1/f\($0)", "x") }
        try assertRejected(entries, limits: ExtractionLimits(maxEntries: 20)) {
            if case .entryCountLimitExceeded(_, 20) = $0 { return true } else { return false }
        }
    }

    func testOverlongPathIsRejected() throws {
        let long = "foo/1.2_1/" + String(repeating: "d/", count: 300) + "f"
        try assertRejected([.file(long, "x")], limits: ExtractionLimits(maxPathLength: 200)) {
            if case .pathTooLong(_, _, 200) = $0 { return true } else { return false }
        }
        try assertRejected([.file("foo/1.2_1/" + String(repeating: "n", count: 300), "x")]) {
            if case .pathTooLong(_, _, 255) = $0 { return true } else { return false }
        }
    }

    func testCorruptGzipMidStreamIsRejected() throws {
        for damage in ["flip", "truncate"] {
            let box = try UnpackSandbox()
            // Varied text so deflate uses Huffman-coded blocks. Damage there decodes to garbage
            // that desynchronises the tar stream; it surfaces as a bad header (corrupt archive or
            // a garbage pathname). Flips inside *stored* blocks of incompressible data go
            // unnoticed: libarchive does not check the gzip CRC, which is why pour verifies the
            // bottle's SHA-256 before extracting.
            let text = (0..<60_000).map { "line \($0) value \($0 &* 2654435761 % 1000003)\n" }.joined()
            try TestArchive.build(box.bottle(), entries: [.file("foo/1.2_1/a", "a"), .file("foo/1.2_1/text", text),
                                                         .file("foo/1.2_1/z", "z")])
            var bytes = try Data(contentsOf: URL(fileURLWithPath: box.bottle()))
            if damage == "flip" {
                for index in stride(from: bytes.count / 2, to: bytes.count / 2 + 64, by: 1) { bytes[index] ^= 0x5A }
            } else {
                bytes = bytes.prefix(bytes.count / 2)
            }
            try bytes.write(to: URL(fileURLWithPath: box.bottle()))
            XCTAssertThrowsError(try extract(box, box.bottle()), damage) { error in
                switch error as? UnpackError {
                case .corruptArchive?: break
                case .unsafePath?: XCTAssertEqual(damage, "flip")
                default: XCTFail("\(damage): \(error)")
                }
            }
            XCTAssertEqual(box.stagingContents(), [], damage)
        }
    }

    func testNonArchiveAndMissingFiles() throws {
        let box = try UnpackSandbox()
        try Data("not a tarball at all".utf8).write(to: URL(fileURLWithPath: box.bottle()))
        XCTAssertThrowsError(try extract(box, box.bottle())) {
            guard case .corruptArchive = $0 as? UnpackError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try extract(box, box.root + "/missing.tar.gz")) {
            guard case .cannotOpenBottle = $0 as? UnpackError else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(box.stagingContents(), [])
    }

    func testZeroByteFileAndEmptyArchive() throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), entries: [.file("foo/1.2_1/zero", "")])
        let keg = try extract(box, box.bottle())
        XCTAssertEqual(keg.entries, [.init(path: "zero", kind: .file, size: 0, linkTarget: nil)])
        XCTAssertEqual(keg.totalBytes, 0)
    }

    func testInvalidNamesAndExistingKegAreRefused() throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), entries: [.file("foo/1.2_1/a", "a")])
        for (name, version) in [("..", "1"), ("foo", ".."), ("a/b", "1"), ("", "1"), ("foo", "")] {
            XCTAssertThrowsError(try extract(box, box.bottle(), name: name, version: version)) {
                guard case .invalidKegName = $0 as? UnpackError else { return XCTFail("\($0)") }
            }
        }
        try FileManager.default.createDirectory(atPath: box.staging + "/foo/1.2_1", withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: box.staging + "/foo/1.2_1/keep"))
        XCTAssertThrowsError(try extract(box, box.bottle())) {
            guard case .kegAlreadyStaged = $0 as? UnpackError else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(try String(contentsOfFile: box.staging + "/foo/1.2_1/keep", encoding: .utf8), "mine")
        XCTAssertThrowsError(try BottleExtractor.extract(bottleAt: box.bottle(), name: "foo", pkgVersion: "1.2_1",
                                                         into: box.root + "/nope")) {
            guard case .stagingUnavailable = $0 as? UnpackError else { return XCTFail("\($0)") }
        }
    }

    func testStagingReachedThroughASymlinkWorks() throws {
        let box = try UnpackSandbox()
        try FileManager.default.createSymbolicLink(atPath: box.root + "/staging-link", withDestinationPath: "staging")
        try TestArchive.build(box.bottle(), entries: [.file("foo/1.2_1/a", "a")])
        let keg = try BottleExtractor.extract(bottleAt: box.bottle(), name: "foo", pkgVersion: "1.2_1",
                                              into: box.root + "/staging-link")
        XCTAssertEqual(keg.kegPath, box.staging + "/foo/1.2_1")
    }

    /// The staging directory's resolution is remembered between bottles; when the path comes to
    /// lead elsewhere (its link now names another directory), the next keg is where the path
    /// leads now, and its path is that directory's real path, never the remembered one.
    func testARememberedStagingResolutionIsCheckedBeforeUse() throws {
        let box = try UnpackSandbox()
        let other = box.root + "/staging2"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        let link = box.root + "/staging-link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "staging")
        for name in ["foo", "bar", "baz"] {
            try TestArchive.build(box.bottle(name + ".tar.gz"), entries: [.file("\(name)/1.2_1/a", "a")])
        }
        let first = try BottleExtractor.extract(bottleAt: box.bottle("foo.tar.gz"), name: "foo", pkgVersion: "1.2_1",
                                                into: link)
        XCTAssertEqual(first.kegPath, box.staging + "/foo/1.2_1")
        let again = try BottleExtractor.extract(bottleAt: box.bottle("bar.tar.gz"), name: "bar", pkgVersion: "1.2_1",
                                                into: link)
        XCTAssertEqual(again.kegPath, box.staging + "/bar/1.2_1")

        XCTAssertEqual(unlink(link), 0)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "staging2")
        let moved = try BottleExtractor.extract(bottleAt: box.bottle("baz.tar.gz"), name: "baz", pkgVersion: "1.2_1",
                                                into: link)
        XCTAssertEqual(moved.kegPath, other + "/baz/1.2_1")
        XCTAssertEqual(try String(contentsOfFile: other + "/baz/1.2_1/a", encoding: .utf8), "a")
        XCTAssertFalse(FileManager.default.fileExists(atPath: box.staging + "/baz"))
    }

    func testFailureKeepsASiblingKegAndTheSharedNameDirectory() throws {
        let box = try UnpackSandbox()
        try FileManager.default.createDirectory(atPath: box.staging + "/foo/1.0", withIntermediateDirectories: true)
        try TestArchive.build(box.bottle(), entries: [.file("foo/1.2_1/a", "a"), .file("foo/1.2_1/../x", "x")])
        XCTAssertThrowsError(try extract(box, box.bottle()))
        XCTAssertEqual(box.stagingContents(), ["foo", "foo/1.0"])
    }

    func testReadOnlyDirectoriesAreCleanedUpAfterFailure() throws {
        try assertRejected([.dir("foo/1.2_1/ro/", mode: 0o555), .file("foo/1.2_1/ro/f", "x", mode: 0o444),
                            .dir("foo/1.2_1/ro/", mode: 0o500), E("foo/1.2_1/fifo", .fifo)]) {
            if case .unsupportedEntryType = $0 { return true } else { return false }
        }
    }

    func testCancellationBeforeExtraction() throws {
        let flag = CancellationFlag()
        flag.cancel()
        try assertRejectedWithFlag(flag, entries: [.file("foo/1.2_1/a", "a")])
    }

    func testCancellationMidExtraction() throws {
        let box = try UnpackSandbox()
        let entries = [E.file("foo/1.2_1/first", "1")] + (0..<20_000).map { E.file("foo/1.2_1/f\($0)", "x") }
        try TestArchive.build(box.bottle(), entries: entries)
        let flag = CancellationFlag()
        let firstFile = box.staging + "/foo/1.2_1/first"
        let watcher = Thread {
            let deadline = Date().addingTimeInterval(30)
            while access(firstFile, F_OK) != 0 && Date() < deadline { usleep(100) }
            flag.cancel()
        }
        watcher.start()
        XCTAssertThrowsError(try extract(box, box.bottle(), cancellation: flag)) {
            XCTAssertEqual($0 as? UnpackError, .cancelled(package: "foo 1.2_1"))
        }
        XCTAssertEqual(box.stagingContents(), [])
    }

    func testCancellationInsideALargeEntry() throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), entries: [E("foo/1.2_1/big", .zeros(64 << 20))])
        let flag = CancellationFlag()
        let bigFile = box.staging + "/foo/1.2_1/big"
        let watcher = Thread {
            let deadline = Date().addingTimeInterval(30)
            while access(bigFile, F_OK) != 0 && Date() < deadline { usleep(50) }
            flag.cancel()
        }
        watcher.start()
        XCTAssertThrowsError(try extract(box, box.bottle(), limits: ExtractionLimits(cancellationCheckInterval: 1 << 20),
                                         cancellation: flag)) {
            XCTAssertEqual($0 as? UnpackError, .cancelled(package: "foo 1.2_1"))
        }
        XCTAssertEqual(box.stagingContents(), [])
    }

    private func assertRejectedWithFlag(_ flag: CancellationFlag, entries: [E]) throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), entries: entries)
        XCTAssertThrowsError(try extract(box, box.bottle(), cancellation: flag)) {
            XCTAssertEqual($0 as? UnpackError, .cancelled(package: "foo 1.2_1"))
        }
        XCTAssertEqual(box.stagingContents(), [])
    }

    func testConcurrentExtractionsOfDifferentBottles() throws {
        let box = try UnpackSandbox()
        let names = (0..<6).map { "pkg\($0)" }
        for name in names {
            let entries = [E.dir("\(name)/1.0/")] + (0..<200).map { E.file("\(name)/1.0/d\($0 % 7)/f\($0)", "\(name)-\($0)") }
            try TestArchive.build(box.bottle("bottle-\(name).tar.gz"), entries: entries)
        }
        let results = Locked<[String: Int]>([:])
        DispatchQueue.concurrentPerform(iterations: names.count) { index in
            let name = names[index]
            let count = (try? BottleExtractor.extract(bottleAt: box.bottle("bottle-\(name).tar.gz"), name: name,
                                                      pkgVersion: "1.0", into: box.staging).fileCount) ?? -1
            results.withLock { $0[name] = count }
        }
        XCTAssertEqual(results.current, Dictionary(uniqueKeysWithValues: names.map { ($0, 200) }))
        XCTAssertEqual(try String(contentsOfFile: box.staging + "/pkg3/1.0/d2/f100", encoding: .utf8), "pkg3-100")
    }

    func testErrorDescriptionsNameThePackageEntryAndAction() {
        let error = UnpackError.unsafeSymlink(package: "foo 1.0", entry: "foo/1.0/x", target: "/etc")
        XCTAssertTrue(error.description.contains("foo 1.0"))
        XCTAssertTrue(error.description.contains("foo/1.0/x"))
        XCTAssertFalse(error.description.contains("\n"))
    }
}

final class UnpackOverwriteTests: XCTestCase {
    /// A later file entry at the path of an earlier in-keg symlink must replace the link or be
    /// refused, never write through it into the link's target.
    func testFileEntryOverAnEarlierSymlinkNeverWritesThroughIt() throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), entries: [
            .file("foo/1.0/real.txt", "original"),
            TestArchive.Entry("foo/1.0/alias", .symlink("real.txt")),
            .file("foo/1.0/alias", "replacement"),
        ])
        do {
            let keg = try BottleExtractor.extract(bottleAt: box.bottle(), name: "foo", pkgVersion: "1.0", into: box.staging)
            XCTAssertEqual(try String(contentsOfFile: keg.kegPath + "/real.txt", encoding: .utf8), "original")
            XCTAssertEqual(try String(contentsOfFile: keg.kegPath + "/alias", encoding: .utf8), "replacement")
            XCTAssertNil(try? FileManager.default.destinationOfSymbolicLink(atPath: keg.kegPath + "/alias"))
        } catch {
            switch error {
            case .writeFailed, .unsafePath: break
            default: XCTFail("\(error)")
            }
            XCTAssertEqual(box.stagingContents(), [])
        }
    }
}

final class UnpackSymlinkChainTests: XCTestCase {
    /// Each link looks contained on its own (`d -> .`, `e -> d/d/d/../../..`), but resolved on
    /// disk `e` climbs three levels out of the keg; writing through it must be refused.
    func testSymlinkChainThatClimbsOutIsNeverWrittenThrough() throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), entries: [
            TestArchive.Entry("foo/1.0/d", .symlink(".")),
            TestArchive.Entry("foo/1.0/e", .symlink("d/d/d/../../..")),
            .file("foo/1.0/e/escaped.txt", "pwned"),
        ])
        XCTAssertThrowsError(try BottleExtractor.extract(bottleAt: box.bottle(), name: "foo", pkgVersion: "1.0", into: box.staging))
        XCTAssertFalse(FileManager.default.fileExists(atPath: (box.staging as NSString).deletingLastPathComponent + "/escaped.txt"))
        XCTAssertEqual(box.stagingContents(), [])
    }
}
