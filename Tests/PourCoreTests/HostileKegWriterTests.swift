import Foundation
import XCTest
@testable import PourCore

/// Attacks on `KegDiskWriter` and the extractor's checks in front of it, each with a real archive,
/// judged on the filesystem: nothing outside the staging directory changes, and what lands in the
/// keg is what the entries say (no second symlink the extractor does not know as one).
final class HostileKegWriterTests: XCTestCase {
    typealias E = TestArchive.Entry

    /// A pax archive written byte by byte: libarchive's writers drop the data of a hard link, but
    /// a pax archive may carry it (libarchive's reader hands it on).
    struct RawTar {
        struct Member {
            var name: String
            var type: UInt8  // "0" file, "1" hard link, "2" symlink, "5" directory
            var link = ""
            var data: [UInt8] = []
            var mode: UInt32 = 0o644
            /// Bytes appended to `name` (not UTF-8, say).
            var nameSuffix: [UInt8] = []
        }

        static func padded(_ value: Int, _ digits: Int) -> String {
            let text = String(value, radix: 8)
            return String(repeating: "0", count: max(0, digits - text.count)) + text
        }

        static func build(_ path: String, _ members: [Member]) throws {
            var out: [UInt8] = []
            // libarchive reads a hard link's data only in a pax archive: each member is preceded by
            // a pax extended header (a comment) to make it one.
            var expanded: [Member] = []
            for member in members {
                expanded.append(Member(name: "PaxHeader", type: UInt8(ascii: "x"), data: Array("13 comment=x\n".utf8)))
                expanded.append(member)
            }
            for member in expanded {
                var header = [UInt8](repeating: 0, count: 512)
                func put(_ text: String, at offset: Int, width: Int) {
                    let bytes = Array(text.utf8)
                    precondition(bytes.count <= width, "field too long: \(text)")
                    for (index, byte) in bytes.enumerated() { header[offset + index] = byte }
                }
                func octal(_ value: Int, at offset: Int, width: Int) {
                    put(Self.padded(value, width - 1), at: offset, width: width)
                }
                put(member.name, at: 0, width: 100)
                for (index, byte) in member.nameSuffix.enumerated() { header[member.name.utf8.count + index] = byte }
                octal(Int(member.mode), at: 100, width: 8)
                octal(0, at: 108, width: 8)
                octal(0, at: 116, width: 8)
                octal(member.data.count, at: 124, width: 12)
                octal(1_700_000_000, at: 136, width: 12)
                header[156] = member.type
                put(member.link, at: 157, width: 100)
                put("ustar", at: 257, width: 6)
                put("00", at: 263, width: 2)
                for index in 148..<156 { header[index] = UInt8(ascii: " ") }
                let sum = header.reduce(0) { $0 + Int($1) }
                put(Self.padded(sum, 6) + "\0 ", at: 148, width: 8)
                out += header
                out += member.data
                let pad = (512 - member.data.count % 512) % 512
                out += [UInt8](repeating: 0, count: pad)
            }
            out += [UInt8](repeating: 0, count: 1024)
            try Data(out).write(to: URL(fileURLWithPath: path))
        }
    }

    private func extract(_ box: UnpackSandbox, into staging: String? = nil) throws(UnpackError) -> ExtractedKeg {
        try BottleExtractor.extract(bottleAt: box.bottle(), name: "foo", pkgVersion: "1.0", into: staging ?? box.staging)
    }

    private func kind(_ path: String) -> mode_t? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return info.st_mode & S_IFMT
    }

    private func mode(_ path: String) -> mode_t {
        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0, path)
        return info.st_mode & 0o7777
    }

    /// Extracts and expects a refusal: nothing outside staging changed, staging left empty.
    private func assertRefused(_ box: UnpackSandbox, file: StaticString = #filePath, line: UInt = #line) {
        let before = box.snapshotOutsideStaging()
        do {
            let keg = try extract(box)
            XCTFail("extracted: \(keg.entries.map(\.path))", file: file, line: line)
        } catch {}
        XCTAssertEqual(box.snapshotOutsideStaging(), before, "something outside staging changed", file: file, line: line)
        XCTAssertEqual(box.stagingContents(), [], "leftovers in staging", file: file, line: line)
    }

    /// Walks the keg and returns every symlink in it (keg-relative).
    private func symlinks(in keg: String) -> [String] {
        (FileManager.default.subpaths(atPath: keg) ?? []).filter { kind(keg + "/" + $0) == S_IFLNK }.sorted()
    }

    // MARK: - Writing outside the keg

    func testAHardLinkToAnEntryNowASymlinkIsRefused() throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), entries: [
            .dir("foo/1.0/sub/"),
            .file("foo/1.0/sub/a", "a"),
            E("foo/1.0/sub/a", .symlink("..")),
            E("foo/1.0/h", .hardlink("foo/1.0/sub/a")),
            .file("foo/1.0/h/escaped", "pwned"),
        ])
        assertRefused(box)
    }

    /// `b` is a hard link to `a`'s file; `a` becomes a symlink; a hard link carrying data to `b`
    /// then truncates and writes the shared file, never the symlink's target.
    func testHardLinkDataAfterTheFirstNameBecameASymlinkWritesTheFile() throws {
        let box = try UnpackSandbox()
        try RawTar.build(box.bottle(), [
            .init(name: "foo/1.0/", type: UInt8(ascii: "5"), mode: 0o755),
            .init(name: "foo/1.0/victim", type: UInt8(ascii: "0"), data: Array("victim\n".utf8)),
            .init(name: "foo/1.0/a", type: UInt8(ascii: "0"), data: Array("first\n".utf8)),
            .init(name: "foo/1.0/b", type: UInt8(ascii: "1"), link: "foo/1.0/a"),
            .init(name: "foo/1.0/a", type: UInt8(ascii: "2"), link: "victim"),
            .init(name: "foo/1.0/c", type: UInt8(ascii: "1"), link: "foo/1.0/b", data: Array("second\n".utf8)),
        ])
        let before = box.snapshotOutsideStaging()
        let keg = try extract(box)
        XCTAssertEqual(try String(contentsOfFile: keg.kegPath + "/victim", encoding: .utf8), "victim\n")
        XCTAssertEqual(try String(contentsOfFile: keg.kegPath + "/b", encoding: .utf8), "second\n")
        XCTAssertEqual(try String(contentsOfFile: keg.kegPath + "/c", encoding: .utf8), "second\n")
        XCTAssertEqual(symlinks(in: keg.kegPath), ["a"])
        XCTAssertEqual(box.snapshotOutsideStaging(), before)
    }

    /// A hard link carrying data to a symlink entry is refused before anything is written.
    func testHardLinkCarryingDataToASymlinkIsRefused() throws {
        let box = try UnpackSandbox()
        try RawTar.build(box.bottle(), [
            .init(name: "foo/1.0/", type: UInt8(ascii: "5"), mode: 0o755),
            .init(name: "foo/1.0/up", type: UInt8(ascii: "2"), link: "."),
            .init(name: "foo/1.0/h", type: UInt8(ascii: "1"), link: "foo/1.0/up", data: Array("x".utf8)),
        ])
        assertRefused(box)
    }

    /// A hard link to a file whose name was then taken by a directory: the link is to the file
    /// (or refused), data never lands in the directory's place.
    func testHardLinkAfterItsTargetBecameADirectory() throws {
        let box = try UnpackSandbox()
        try RawTar.build(box.bottle(), [
            .init(name: "foo/1.0/", type: UInt8(ascii: "5"), mode: 0o755),
            .init(name: "foo/1.0/a", type: UInt8(ascii: "0"), data: Array("first\n".utf8)),
            .init(name: "foo/1.0/a", type: UInt8(ascii: "5"), mode: 0o755),
            .init(name: "foo/1.0/h", type: UInt8(ascii: "1"), link: "foo/1.0/a", data: Array("x".utf8)),
        ])
        assertRefused(box)
    }

    func testADirectoryWithChildrenIsNotReplacedByASymlink() throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), entries: [
            .dir("foo/1.0/d/"),
            .file("foo/1.0/d/f", "f"),
            E("foo/1.0/d", .symlink(".")),
            .file("foo/1.0/d/g", "g"),
        ])
        assertRefused(box)
    }

    func testASymlinkReplacingAnEmptyDirectoryIsNotWrittenThrough() throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), entries: [
            .dir("foo/1.0/d/"),
            .dir("foo/1.0/sub/"),
            E("foo/1.0/sub/up", .symlink("..")),
            E("foo/1.0/d", .symlink("sub/up")),
            .file("foo/1.0/d/x", "x"),
        ])
        assertRefused(box)
    }

    func testAnEntryBelowAHardLinkFails() throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), entries: [
            .file("foo/1.0/t", "t"),
            E("foo/1.0/a", .hardlink("foo/1.0/t")),
            .file("foo/1.0/a/b", "b"),
        ])
        assertRefused(box)
    }

    /// Spellings the kernel reads as one path (`//`, `.`, a trailing `/`), a newline in a name.
    func testOddSpellingsLandAtTheirNormalisedPaths() throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), entries: [
            .file("foo/1.0//a//b", "ab"),
            .file("./foo/./1.0/./c/./d", "cd"),
            .dir("foo/1.0/e//"),
            .file("foo/1.0/new\nline", "nl"),
            .file("foo/1.0/" + String(repeating: "n", count: 255), "long"),
        ])
        let keg = try extract(box)
        XCTAssertEqual(try String(contentsOfFile: keg.kegPath + "/a/b", encoding: .utf8), "ab")
        XCTAssertEqual(try String(contentsOfFile: keg.kegPath + "/c/d", encoding: .utf8), "cd")
        XCTAssertEqual(kind(keg.kegPath + "/e"), S_IFDIR)
        XCTAssertEqual(try String(contentsOfFile: keg.kegPath + "/new\nline", encoding: .utf8), "nl")
        XCTAssertEqual(try String(contentsOfFile: keg.kegPath + "/" + String(repeating: "n", count: 255),
                                  encoding: .utf8), "long")
        let box2 = try UnpackSandbox()
        try TestArchive.build(box2.bottle(), entries: [.file("foo/1.0/" + String(repeating: "n", count: 256), "x")])
        assertRefused(box2)
    }

    /// A name that is not UTF-8 is refused (it could not be compared on its bytes by the checks).
    func testANameThatIsNotUTF8IsRefused() throws {
        let box = try UnpackSandbox()
        try RawTar.build(box.bottle(), [
            .init(name: "foo/1.0/", type: UInt8(ascii: "5"), mode: 0o755),
            .init(name: "foo/1.0/bad", type: UInt8(ascii: "0"), data: Array("x".utf8), nameSuffix: [0xFF, 0xFE]),
        ])
        assertRefused(box)
    }

    /// A symlink at `l`, then `l/` (a trailing slash the kernel would follow) as a directory.
    func testATrailingSlashDoesNotReachThroughASymlink() throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), entries: [
            .dir("foo/1.0/sub/", mode: 0o755),
            E("foo/1.0/l", .symlink("sub")),
            .dir("foo/1.0/l/", mode: 0o700),
        ])
        do {
            let keg = try extract(box)
            XCTAssertEqual(mode(keg.kegPath + "/sub"), 0o755 & ~ProcessUmask.value)
            XCTAssertEqual(kind(keg.kegPath + "/l"), S_IFLNK)
        } catch {
            XCTAssertEqual(box.stagingContents(), [])
        }
    }

    // MARK: - Modes

    func testAnUnreadableDirectoryListedBeforeItsChildrenStillReceivesThem() throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), entries: [
            .dir("foo/1.0/locked/", mode: 0o000),
            .dir("foo/1.0/ro/", mode: 0o555),
            .file("foo/1.0/locked/f", "f"),
            .dir("foo/1.0/locked/inner/", mode: 0o444),
            .file("foo/1.0/locked/inner/g", "g"),
            .file("foo/1.0/ro/h", "h"),
        ])
        let keg = try extract(box)
        XCTAssertEqual(mode(keg.kegPath + "/locked"), 0)
        XCTAssertEqual(mode(keg.kegPath + "/ro"), 0o555 & ~ProcessUmask.value)
        XCTAssertEqual(mode(keg.kegPath + "/locked/inner"), 0o444 & ~ProcessUmask.value)
        XCTAssertEqual(try String(contentsOfFile: keg.kegPath + "/locked/inner/g", encoding: .utf8), "g")
        XCTAssertEqual(try String(contentsOfFile: keg.kegPath + "/ro/h", encoding: .utf8), "h")
    }

    /// A set-group-ID staging directory: no directory of the keg keeps the inherited bit.
    func testSetGroupIDStagingLeavesNoSetGroupIDDirectoryInTheKeg() throws {
        let box = try UnpackSandbox()
        XCTAssertEqual(chmod(box.staging, 0o2775), 0)
        try TestArchive.build(box.bottle(), entries: [
            .dir("foo/1.0/listed/", mode: 0o755),
            .file("foo/1.0/implicit/f", "f"),
            .dir("foo/1.0/sticky/", mode: 0o3777),
        ])
        let keg = try extract(box)
        XCTAssertEqual(mode(keg.kegPath + "/listed") & S_ISGID, 0)
        XCTAssertEqual(mode(keg.kegPath + "/implicit") & S_ISGID, 0)
        XCTAssertEqual(mode(keg.kegPath + "/sticky") & 0o7000, 0)
    }

    /// A hard link carrying data to a read-only file: the shared file gets the data, no error.
    func testHardLinkDataIntoAReadOnlyFile() throws {
        let box = try UnpackSandbox()
        try RawTar.build(box.bottle(), [
            .init(name: "foo/1.0/", type: UInt8(ascii: "5"), mode: 0o755),
            .init(name: "foo/1.0/a", type: UInt8(ascii: "0"), data: Array("first\n".utf8), mode: 0o444),
            .init(name: "foo/1.0/b", type: UInt8(ascii: "1"), link: "foo/1.0/a", data: Array("second\n".utf8),
                  mode: 0o444),
        ])
        let keg = try extract(box)
        XCTAssertEqual(try String(contentsOfFile: keg.kegPath + "/a", encoding: .utf8), "second\n")
        XCTAssertEqual(mode(keg.kegPath + "/a"), 0o444 & ~ProcessUmask.value)
    }

    // MARK: - Staging resolution

    /// The staging directory itself swapped for another directory at the same path between two
    /// bottles: the second keg is in the new directory.
    func testStagingDirectorySwappedAtTheSamePath() throws {
        let box = try UnpackSandbox()
        let link = box.root + "/staging-link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "staging")
        try TestArchive.build(box.bottle("a.tar.gz"), entries: [.file("foo/1.0/a", "a")])
        try TestArchive.build(box.bottle("b.tar.gz"), entries: [.file("bar/1.0/b", "b")])
        let first = try BottleExtractor.extract(bottleAt: box.bottle("a.tar.gz"), name: "foo", pkgVersion: "1.0",
                                                into: link)
        XCTAssertEqual(first.kegPath, box.staging + "/foo/1.0")
        XCTAssertEqual(rename(box.staging, box.root + "/staging-old"), 0)
        XCTAssertEqual(mkdir(box.staging, 0o755), 0)
        let second = try BottleExtractor.extract(bottleAt: box.bottle("b.tar.gz"), name: "bar", pkgVersion: "1.0",
                                                 into: link)
        XCTAssertEqual(second.kegPath, box.staging + "/bar/1.0")
        XCTAssertEqual(try String(contentsOfFile: box.staging + "/bar/1.0/b", encoding: .utf8), "b")
        XCTAssertNil(kind(box.root + "/staging-old/bar"))
    }

    /// The same staging directory, now reached through a symlink among its ancestors: the keg path
    /// handed on is still real (its `realpath` is itself).
    func testStagingWhoseAncestorBecameASymlinkStillGivesARealKegPath() throws {
        let box = try UnpackSandbox()
        let parent = box.root + "/p"
        let staging = parent + "/staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        let link = box.root + "/staging-link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "p/staging")
        try TestArchive.build(box.bottle("a.tar.gz"), entries: [.file("foo/1.0/a", "a")])
        try TestArchive.build(box.bottle("b.tar.gz"), entries: [.file("bar/1.0/b", "b")])
        let first = try BottleExtractor.extract(bottleAt: box.bottle("a.tar.gz"), name: "foo", pkgVersion: "1.0",
                                                into: link)
        XCTAssertEqual(first.kegPath, staging + "/foo/1.0")
        // Same directory (same inode), now at q/staging, with p a symlink to q.
        XCTAssertEqual(rename(parent, box.root + "/q"), 0)
        try FileManager.default.createSymbolicLink(atPath: parent, withDestinationPath: "q")
        let second = try BottleExtractor.extract(bottleAt: box.bottle("b.tar.gz"), name: "bar", pkgVersion: "1.0",
                                                 into: link)
        XCTAssertEqual(second.kegPath, box.root + "/q/staging/bar/1.0")
        let resolved = realpath(second.kegPath, nil).map { pointer in
            defer { free(pointer) }
            return String(cString: pointer)
        }
        XCTAssertEqual(resolved, second.kegPath)
    }

    // MARK: - Text relocation

    /// A FIFO named by the receipt (a keg never holds one from an archive; made by hand here) is
    /// skipped without blocking, and a read-only hard-linked text file is rewritten once.
    func testRelocationSkipsAFifoAndRewritesAReadOnlyHardLinkedFile() throws {
        let box = try UnpackSandbox()
        let keg = box.staging + "/foo/1.0"
        try FileManager.default.createDirectory(atPath: keg + "/lib", withIntermediateDirectories: true)
        XCTAssertEqual(mkfifo(keg + "/lib/pipe", 0o644), 0)
        try Data("prefix=@@HOMEBREW_PREFIX@@\n".utf8).write(to: URL(fileURLWithPath: keg + "/lib/a.pc"))
        XCTAssertEqual(link(keg + "/lib/a.pc", keg + "/lib/b.pc"), 0)
        XCTAssertEqual(chmod(keg + "/lib/a.pc", 0o444), 0)
        let placeholders = Placeholders(layout: PrefixLayout(prefix: "/opt/hb", cache: "/c"))
        let changed = try TextRelocator.relocate(kegAt: keg, placeholders: placeholders,
                                                 changedFiles: ["lib/pipe", "lib/a.pc", "lib/b.pc"])
        XCTAssertEqual(changed, ["lib/a.pc", "lib/b.pc"])
        XCTAssertEqual(try String(contentsOfFile: keg + "/lib/b.pc", encoding: .utf8), "prefix=/opt/hb\n")
        XCTAssertEqual(mode(keg + "/lib/a.pc"), 0o444)
        XCTAssertEqual(kind(keg + "/lib/pipe"), S_IFIFO)
    }
}
