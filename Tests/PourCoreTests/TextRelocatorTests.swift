import Foundation
import XCTest
@testable import PourCore

final class TextRelocatorTests: XCTestCase {
    private let layout = PrefixLayout(prefix: "/home/linuxbrew/.linuxbrew", cache: "/tmp/cache")

    /// A keg at `<tmp>/staging/foo/1.0` filled with `files` (relative path → bytes).
    private func makeKeg(_ box: UnpackSandbox, _ files: [String: [UInt8]]) throws -> String {
        let keg = box.staging + "/foo/1.0"
        for (relative, bytes) in files {
            let path = keg + "/" + relative
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        return keg
    }

    private func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    private func stat(_ path: String) -> stat {
        var info = Foundation.stat()
        XCTAssertEqual(lstat(path, &info), 0, path)
        return info
    }

    func testPlaceholderTableValuesAndOrder() {
        let table = Placeholders(layout: PrefixLayout(prefix: "/opt/hb", cache: "/c", repository: "/opt/hb/repo"),
                                 runtimeDependencies: ["zlib", "homebrew/core/openjdk@21"])
        XCTAssertEqual(table[Placeholders.prefixKey], "/opt/hb")
        XCTAssertEqual(table[Placeholders.cellarKey], "/opt/hb/Cellar")
        XCTAssertEqual(table[Placeholders.repositoryKey], "/opt/hb/repo")
        XCTAssertEqual(table[Placeholders.libraryKey], "/opt/hb/repo/Library")
        XCTAssertEqual(table[Placeholders.perlKey], "/opt/hb/opt/perl/bin/perl")
        XCTAssertEqual(table[Placeholders.javaKey], "/opt/hb/opt/openjdk@21/libexec")
        let lengths = table.pairs.map(\.key.utf8.count)
        XCTAssertEqual(lengths, lengths.sorted(by: >))
        XCTAssertEqual(table.pairs.first?.key, Placeholders.repositoryKey)

        XCTAssertNil(Placeholders(layout: layout, runtimeDependencies: ["openjdkx", "openjdk@"])[Placeholders.javaKey])
        XCTAssertEqual(Placeholders(layout: layout, runtimeDependencies: ["openjdk"])[Placeholders.javaKey],
                       "/home/linuxbrew/.linuxbrew/opt/openjdk/libexec")
        XCTAssertEqual(Placeholders(layout: layout)[Placeholders.repositoryKey], "/home/linuxbrew/.linuxbrew")
    }

    func testTextFilesScriptsPcAndLaAreRelocated() throws {
        let box = try UnpackSandbox()
        let keg = try makeKeg(box, [
            "bin/script": Array("#!@@HOMEBREW_PREFIX@@/opt/python/bin/python3\nprint('@@HOMEBREW_CELLAR@@')\n".utf8),
            "lib/pkgconfig/foo.pc": Array("prefix=@@HOMEBREW_CELLAR@@/foo/1.0\nlibdir=${prefix}/lib\n".utf8),
            "lib/libfoo.la": Array("libdir='@@HOMEBREW_PREFIX@@/lib' perl=@@HOMEBREW_PERL@@ @@HOMEBREW_LIBRARY@@\n".utf8),
            "share/plain.txt": Array("no placeholders here @@ @HOMEBREW_ x\n".utf8),
            "share/unknown.txt": Array("@@HOMEBREW_UNKNOWN@@ and @@HOMEBREW_PREFIX@@".utf8),
            "share/empty": [],
        ])
        chmod(keg + "/bin/script", 0o755)
        let changed = try TextRelocator.relocate(kegAt: keg, placeholders: Placeholders(layout: layout))
        XCTAssertEqual(changed, ["bin/script", "lib/libfoo.la", "lib/pkgconfig/foo.pc", "share/unknown.txt"])
        XCTAssertEqual(try read(keg + "/bin/script"),
                       "#!/home/linuxbrew/.linuxbrew/opt/python/bin/python3\nprint('/home/linuxbrew/.linuxbrew/Cellar')\n")
        XCTAssertEqual(stat(keg + "/bin/script").st_mode & 0o7777, 0o755)
        XCTAssertEqual(try read(keg + "/lib/pkgconfig/foo.pc"),
                       "prefix=/home/linuxbrew/.linuxbrew/Cellar/foo/1.0\nlibdir=${prefix}/lib\n")
        XCTAssertEqual(try read(keg + "/lib/libfoo.la"),
                       "libdir='/home/linuxbrew/.linuxbrew/lib' perl=/home/linuxbrew/.linuxbrew/opt/perl/bin/perl /home/linuxbrew/.linuxbrew/Library\n")
        XCTAssertEqual(try read(keg + "/share/plain.txt"), "no placeholders here @@ @HOMEBREW_ x\n")
        XCTAssertEqual(try read(keg + "/share/unknown.txt"), "@@HOMEBREW_UNKNOWN@@ and /home/linuxbrew/.linuxbrew")
    }

    func testPlaceholderAtEndAndAdjacentPlaceholders() throws {
        let box = try UnpackSandbox()
        let keg = try makeKeg(box, ["a": Array("@@HOMEBREW_PREFIX@@@@HOMEBREW_CELLAR@@@@HOMEBREW_PREFIX@@".utf8),
                                    "b": Array("x@@HOMEBREW_PREFIX@".utf8)])
        let table = Placeholders(table: [Placeholders.prefixKey: "P", Placeholders.cellarKey: "C"])
        XCTAssertEqual(try TextRelocator.relocate(kegAt: keg, placeholders: table), ["a"])
        XCTAssertEqual(try read(keg + "/a"), "PCP")
        XCTAssertEqual(try read(keg + "/b"), "x@@HOMEBREW_PREFIX@")
    }

    func testBinaryFilesAreNeverRewritten() throws {
        let box = try UnpackSandbox()
        let early = [0x7F, 0x45, 0x4C, 0x46, 0x00] + Array("..@@HOMEBREW_PREFIX@@/lib\0".utf8)
        // NUL only after the first 8 KB: still binary, still untouched.
        let late = Array(String(repeating: "a", count: 10_000).utf8) + [0] + Array("@@HOMEBREW_PREFIX@@".utf8)
        let keg = try makeKeg(box, ["lib/libfoo.so": early, "bin/late": late])
        XCTAssertEqual(try TextRelocator.relocate(kegAt: keg, placeholders: Placeholders(layout: layout)), [])
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: keg + "/lib/libfoo.so"))), early)
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: keg + "/bin/late"))), late)
    }

    func testLargeTextFileIsRelocatedFully() throws {
        let box = try UnpackSandbox()
        let body = String(repeating: "filler line without marker\n", count: 50_000) + "end=@@HOMEBREW_PREFIX@@\n"
        let keg = try makeKeg(box, ["share/big.txt": Array(body.utf8)])
        XCTAssertEqual(try TextRelocator.relocate(kegAt: keg, placeholders: Placeholders(layout: layout)), ["share/big.txt"])
        XCTAssertTrue(try read(keg + "/share/big.txt").hasSuffix("end=/home/linuxbrew/.linuxbrew\n"))
    }

    func testHardlinkedFileIsRewrittenOnceAndStaysLinked() throws {
        let box = try UnpackSandbox()
        let keg = try makeKeg(box, ["bin/a": Array("path=@@HOMEBREW_PREFIX@@\n".utf8)])
        XCTAssertEqual(link(keg + "/bin/a", keg + "/bin/b"), 0)
        let before = stat(keg + "/bin/a").st_ino
        let changed = try TextRelocator.relocate(kegAt: keg, placeholders: Placeholders(layout: layout))
        XCTAssertEqual(changed, ["bin/a", "bin/b"], "every name listed (keg_relocate.rb#replace_text_in_files), rewritten once")
        XCTAssertEqual(stat(keg + "/bin/a").st_ino, before)
        XCTAssertEqual(stat(keg + "/bin/b").st_ino, before)
        XCTAssertEqual(stat(keg + "/bin/b").st_nlink, 2)
        XCTAssertEqual(try read(keg + "/bin/b"), "path=/home/linuxbrew/.linuxbrew\n")
    }

    func testSymlinksAreNotFollowedOrRewritten() throws {
        let box = try UnpackSandbox()
        let outsideFile = box.outside + "/target.txt"
        try Data("@@HOMEBREW_PREFIX@@".utf8).write(to: URL(fileURLWithPath: outsideFile))
        let keg = try makeKeg(box, ["real.txt": Array("@@HOMEBREW_PREFIX@@".utf8)])
        try FileManager.default.createSymbolicLink(atPath: keg + "/link.txt", withDestinationPath: "real.txt")
        try FileManager.default.createSymbolicLink(atPath: keg + "/escape.txt", withDestinationPath: outsideFile)
        try FileManager.default.createSymbolicLink(atPath: keg + "/outdir", withDestinationPath: box.outside)
        let changed = try TextRelocator.relocate(kegAt: keg, placeholders: Placeholders(layout: layout))
        XCTAssertEqual(changed, ["real.txt"])
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: keg + "/link.txt"), "real.txt")
        XCTAssertEqual(try read(outsideFile), "@@HOMEBREW_PREFIX@@")
    }

    func testChangedFilesListIsHonouredAndUnsafeEntriesSkipped() throws {
        let box = try UnpackSandbox()
        let outsideFile = box.outside + "/target.txt"
        try Data("@@HOMEBREW_PREFIX@@".utf8).write(to: URL(fileURLWithPath: outsideFile))
        let keg = try makeKeg(box, [
            "listed.txt": Array("@@HOMEBREW_PREFIX@@".utf8),
            "sub/listed2.txt": Array("@@HOMEBREW_CELLAR@@".utf8),
            "sub/viaAlias.txt": Array("@@HOMEBREW_PREFIX@@".utf8),
            "unlisted.txt": Array("@@HOMEBREW_PREFIX@@".utf8),
            "binary": [0, 1] + Array("@@HOMEBREW_PREFIX@@".utf8),
        ])
        try FileManager.default.createSymbolicLink(atPath: keg + "/escape.txt", withDestinationPath: outsideFile)
        try FileManager.default.createSymbolicLink(atPath: keg + "/outdir", withDestinationPath: box.outside)
        // A symlink inside the keg, to a directory inside the keg: a path through it is not the
        // file's own path either, so it is skipped too (as `realpath` comparing would).
        try FileManager.default.createSymbolicLink(atPath: keg + "/alias", withDestinationPath: "sub")
        let list = ["listed.txt", "./sub//listed2.txt", "missing.txt", "../../../outside/target.txt", outsideFile,
                    "escape.txt", "outdir/target.txt", "binary", "sub", "", "listed.txt", "alias/viaAlias.txt",
                    "listed.txt/below", "missing/file.txt"]
        let changed = try TextRelocator.relocate(kegAt: keg, placeholders: Placeholders(layout: layout), changedFiles: list)
        XCTAssertEqual(changed, ["listed.txt", "sub/listed2.txt"])
        XCTAssertEqual(try read(keg + "/unlisted.txt"), "@@HOMEBREW_PREFIX@@")
        XCTAssertEqual(try read(keg + "/sub/listed2.txt"), "/home/linuxbrew/.linuxbrew/Cellar")
        XCTAssertEqual(try read(keg + "/sub/viaAlias.txt"), "@@HOMEBREW_PREFIX@@")
        XCTAssertEqual(try read(outsideFile), "@@HOMEBREW_PREFIX@@")
    }

    func testReadOnlyFileIsRewrittenAndKeepsItsMode() throws {
        let box = try UnpackSandbox()
        let keg = try makeKeg(box, ["ro.txt": Array("@@HOMEBREW_PREFIX@@".utf8)])
        chmod(keg + "/ro.txt", 0o444)
        XCTAssertEqual(try TextRelocator.relocate(kegAt: keg, placeholders: Placeholders(layout: layout)), ["ro.txt"])
        XCTAssertEqual(try read(keg + "/ro.txt"), "/home/linuxbrew/.linuxbrew")
        XCTAssertEqual(stat(keg + "/ro.txt").st_mode & 0o7777, 0o444)
    }

    /// A file is rewritten through the descriptor it was read from (truncated, then written): a
    /// prefix shorter than the placeholder must leave no old bytes past the new end, and the
    /// other names of a hard-linked file see the same, shorter content.
    func testShorterReplacementLeavesNoOldBytesBehind() throws {
        let box = try UnpackSandbox()
        let text = "prefix=@@HOMEBREW_PREFIX@@\ncellar=@@HOMEBREW_CELLAR@@/foo/1.0\n"
        let keg = try makeKeg(box, ["lib/pkgconfig/foo.pc": Array(text.utf8), "share/a.txt": Array(text.utf8)])
        XCTAssertEqual(link(keg + "/share/a.txt", keg + "/share/b.txt"), 0)
        let short = PrefixLayout(prefix: "/p", cache: "/c")
        let changed = try TextRelocator.relocate(kegAt: keg, placeholders: Placeholders(layout: short),
                                                 changedFiles: ["lib/pkgconfig/foo.pc", "share/a.txt", "share/b.txt"])
        XCTAssertEqual(changed, ["lib/pkgconfig/foo.pc", "share/a.txt", "share/b.txt"])
        let expected = "prefix=/p\ncellar=/p/Cellar/foo/1.0\n"
        for file in ["lib/pkgconfig/foo.pc", "share/a.txt", "share/b.txt"] {
            XCTAssertEqual(try read(keg + "/" + file), expected, file)
            XCTAssertEqual(Int(stat(keg + "/" + file).st_size), expected.utf8.count, file)
        }
        XCTAssertEqual(stat(keg + "/share/a.txt").st_ino, stat(keg + "/share/b.txt").st_ino)
    }

    func testCancellationStopsRelocation() throws {
        let box = try UnpackSandbox()
        let keg = try makeKeg(box, ["a": Array("@@HOMEBREW_PREFIX@@".utf8)])
        let flag = CancellationFlag()
        flag.cancel()
        XCTAssertThrowsError(try TextRelocator.relocate(kegAt: keg, placeholders: Placeholders(layout: layout),
                                                        cancellation: flag)) {
            XCTAssertEqual($0 as? UnpackError, .cancelled(package: "foo 1.0"))
        }
        XCTAssertEqual(try read(keg + "/a"), "@@HOMEBREW_PREFIX@@")
    }

    func testMissingKegIsAnError() throws {
        XCTAssertThrowsError(try TextRelocator.relocate(kegAt: "/nonexistent/foo/1.0", placeholders: Placeholders(layout: layout))) {
            guard case .relocationFailed(package: "foo 1.0", _, _) = $0 as? UnpackError else { return XCTFail("\($0)") }
        }
    }

    func testExtractThenRelocateUsesTheReceiptList() throws {
        let box = try UnpackSandbox()
        try TestArchive.build(box.bottle(), entries: [
            .file("foo/1.0/INSTALL_RECEIPT.json", #"{"changed_files":["bin/foo-config"]}"#),
            .file("foo/1.0/bin/foo-config", "echo @@HOMEBREW_PREFIX@@\n", mode: 0o755),
            .file("foo/1.0/share/doc.txt", "@@HOMEBREW_PREFIX@@\n"),
        ])
        let keg = try BottleExtractor.extract(bottleAt: box.bottle(), name: "foo", pkgVersion: "1.0", into: box.staging)
        let changed = try TextRelocator.relocate(kegAt: keg.kegPath, placeholders: Placeholders(layout: layout),
                                                 changedFiles: keg.receiptChangedFiles)
        XCTAssertEqual(changed, ["bin/foo-config"])
        XCTAssertEqual(try read(keg.kegPath + "/share/doc.txt"), "@@HOMEBREW_PREFIX@@\n")
    }
}
