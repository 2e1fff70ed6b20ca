import Foundation
import XCTest
@testable import PourCore

/// End-to-end relocation of real compiled binaries: relocate, then run them and read them back
/// with readelf.
final class BinaryRelocatorTests: XCTestCase {
    /// Builds, lays out, relocates and runs the hello program for a prefix of `length` bytes.
    private func relocateAndRun(prefixLength length: Int, pie: Bool = true, libRunpath: Bool = false,
                                bigBss: Bool = false, extraFlags: [String] = [],
                                file: StaticString = #filePath, line: UInt = #line) throws {
        let box = try ElfSandbox()
        let built = try box.buildHello(libRunpath: libRunpath ? "@@HOMEBREW_PREFIX@@/lib" : nil, pie: pie,
                                       bigBss: bigBss, extraFlags: extraFlags)
        let prefix = try box.prefix(length: length)
        let keg = try ElfSandbox.makeKeg(prefix: prefix, program: built.program, library: built.library)
        let layout = PrefixLayout(prefix: prefix, cache: prefix + "/cache")

        let sizeBefore = ElfSandbox.bytes(keg + "/bin/hello")?.count
        let changed = try BinaryRelocator.relocate(kegAt: keg, layout: layout)
        let sizeAfter = ElfSandbox.bytes(keg + "/bin/hello")?.count
        if length <= Placeholders.prefixKey.utf8.count {
            XCTAssertEqual(sizeAfter, sizeBefore, "a prefix no longer than the placeholder patches in place", file: file, line: line)
        } else {
            XCTAssertGreaterThan(sizeAfter ?? 0, sizeBefore ?? 0, "a longer prefix grows the file", file: file, line: line)
        }
        XCTAssertEqual(changed, libRunpath ? ["bin/hello", "lib/libhello.so"] : ["bin/hello"], file: file, line: line)
        let again = try BinaryRelocator.relocate(kegAt: keg, layout: layout)
        XCTAssertEqual(again, [], "a second pass must find nothing to change", file: file, line: line)

        let output = ElfSandbox.run(keg + "/bin/hello", [], environment: ElfSandbox.cleanEnvironment)
        XCTAssertEqual(output?.status, 0, "stderr: \(output?.stderr ?? "could not start")", file: file, line: line)
        XCTAssertEqual(output?.stdout, "hello from libhello\n", file: file, line: line)

        let elf = try parse(keg + "/bin/hello")
        XCTAssertEqual(elf.interpreter, prefix + "/lib/ld.so", file: file, line: line)
        XCTAssertEqual(elf.runpath, prefix + "/lib", file: file, line: line)
        if libRunpath { XCTAssertEqual(try parse(keg + "/lib/libhello.so").runpath, prefix + "/lib", file: file, line: line) }

        for path in [keg + "/bin/hello"] + (libRunpath ? [keg + "/lib/libhello.so"] : []) {
            guard let readelf = ElfSandbox.readelf(path) else { continue }  // binutils missing: skip this part
            XCTAssertEqual(readelf.status, 0, file: file, line: line)
            XCTAssertEqual(readelf.stderr, "", "readelf warnings for \(path)", file: file, line: line)
            XCTAssertTrue(readelf.stdout.contains("(RUNPATH)") && readelf.stdout.contains("[\(prefix)/lib]"),
                          readelf.stdout, file: file, line: line)
            if path.hasSuffix("/bin/hello") {
                XCTAssertTrue(readelf.stdout.contains("[Requesting program interpreter: \(prefix)/lib/ld.so]"),
                              readelf.stdout, file: file, line: line)
            }
        }
    }

    private func parse(_ path: String) throws -> ElfFile {
        try ElfFile(parsing: ElfSource(bytes: try XCTUnwrap(ElfSandbox.bytes(path)), file: path))
    }

    func testShorterPrefixPatchesInPlace() throws { try relocateAndRun(prefixLength: 13) }
    func testEqualLengthPrefixPatchesInPlace() throws { try relocateAndRun(prefixLength: 19) }
    func testLongerPrefixGrowsTheFile() throws { try relocateAndRun(prefixLength: 26) }
    func testSixtyBytePrefixGrowsTheFile() throws { try relocateAndRun(prefixLength: 60) }
    func testSixtyBytePrefixNonPIE() throws { try relocateAndRun(prefixLength: 60, pie: false) }
    func testLongPrefixSharedLibraryWithRunpathStillLoads() throws {
        try relocateAndRun(prefixLength: 60, libRunpath: true)
    }

    /// The appended segment must start past an 8 MiB .bss (a hole in the file, not data).
    func testLargeBssProgramGrowsPastItsBss() throws {
        try relocateAndRun(prefixLength: 60, bigBss: true)
        try relocateAndRun(prefixLength: 60, pie: false, bigBss: true)
    }

    /// Old-style 2 MiB segment alignment, without separate code pages.
    func testTwoMegabyteAlignedProgram() throws {
        try relocateAndRun(prefixLength: 60, extraFlags: ["-Wl,-z,max-page-size=0x200000", "-Wl,-z,noseparate-code"])
    }

    /// Distribution-built programs (not made by this test) keep running after their interpreter is
    /// moved to a 60-byte `<prefix>/lib/ld.so`.
    func testSystemProgramsRunAfterInterpreterGrowth() throws {
        let candidates: [String] = ["/bin/ls", "/usr/bin/env", "/usr/bin/readelf"]
        let programs = candidates.filter { access($0, X_OK) == 0 }
        guard !programs.isEmpty else { throw XCTSkip("no system programs to copy") }
        let box = try ElfSandbox()
        let prefix = try box.prefix(length: 60)
        let layout = PrefixLayout(prefix: prefix, cache: prefix + "/cache")
        let keg = prefix + "/Cellar/sys/1.0"
        try FileManager.default.createDirectory(atPath: keg + "/bin", withIntermediateDirectories: true)
        for program in programs {
            // Copy the file itself: distributions often install tools as symlinks, which are skipped.
            let real = try XCTUnwrap(realpath(program, nil))
            defer { free(real) }
            try FileManager.default.copyItem(atPath: String(cString: real),
                                             toPath: keg + "/bin/" + (program as NSString).lastPathComponent)
        }
        try LoaderLink.ensureLoaderLink(layout: layout)
        let changed = try BinaryRelocator.relocate(kegAt: keg, layout: layout)
        XCTAssertEqual(changed.count, programs.count, "\(changed)")
        for name in changed {
            XCTAssertEqual(try parse(keg + "/" + name).interpreter, prefix + "/lib/ld.so")
            let output = ElfSandbox.run(keg + "/" + name, ["--version"], environment: ElfSandbox.cleanEnvironment)
            XCTAssertEqual(output?.status, 0, "\(name): \(output?.stderr ?? "could not start")")
            if let readelf = ElfSandbox.readelf(keg + "/" + name) { XCTAssertEqual(readelf.stderr, "", name) }
        }
    }

    func testGrownFileKeepsSizeAndLayoutInvariants() throws {
        let box = try ElfSandbox()
        let built = try box.buildHello()
        let prefix = try box.prefix(length: 60)
        let keg = try ElfSandbox.makeKeg(prefix: prefix, program: built.program, library: built.library)
        let before = try parse(keg + "/bin/hello")
        _ = try BinaryRelocator.relocate(kegAt: keg, layout: PrefixLayout(prefix: prefix, cache: "/tmp/c"))
        let after = try parse(keg + "/bin/hello")
        XCTAssertGreaterThan(after.size, before.size)
        XCTAssertEqual(after.needed, before.needed)
        let loads = after.programHeaders.filter { $0.type == ElfProgramHeader.load }
        XCTAssertEqual(loads.map(\.vaddr), loads.map(\.vaddr).sorted(), "LOAD segments stay sorted")
        let table = UInt64(after.programHeaders.count * 56)
        XCTAssertTrue(loads.contains { $0.containsFileRange(after.programHeaderOffset, table) },
                      "the program header table stays covered by a LOAD")
        if let phdr = after.programHeaders.first(where: { $0.type == ElfProgramHeader.phdr }) {
            XCTAssertEqual(phdr.offset, after.programHeaderOffset)
            XCTAssertEqual(phdr.filesz, table)
            XCTAssertEqual(after.fileOffset(ofAddress: phdr.vaddr), phdr.offset)
        }
        let dynstr = after.sectionHeaders.first { $0.type == ElfSectionHeader.stringTable && $0.offset == after.stringTableOffset }
        XCTAssertEqual(dynstr?.addr, after.stringTableAddress, ".dynstr section header follows the table")
        XCTAssertEqual(dynstr?.size, UInt64(after.stringTable.count))
    }

    func testRpathVariantIsRelocated() throws {
        let box = try ElfSandbox()
        let built = try box.buildHello(newDtags: false)
        XCTAssertNotNil(try parse(built.program).rpath)
        XCTAssertNil(try parse(built.program).runpath)
        for length in [13, 60] {
            let prefix = try box.prefix(length: length)
            let keg = try ElfSandbox.makeKeg(prefix: prefix, program: built.program, library: built.library)
            XCTAssertEqual(try BinaryRelocator.relocate(kegAt: keg, layout: PrefixLayout(prefix: prefix, cache: "/tmp/c")),
                           ["bin/hello"])
            let elf = try parse(keg + "/bin/hello")
            XCTAssertEqual(elf.rpath, prefix + "/lib")
            XCTAssertNil(elf.runpath)
            let output = ElfSandbox.run(keg + "/bin/hello", [], environment: ElfSandbox.cleanEnvironment)
            XCTAssertEqual(output?.stdout, "hello from libhello\n", output?.stderr ?? "")
            if let readelf = ElfSandbox.readelf(keg + "/bin/hello") {
                XCTAssertEqual(readelf.stderr, "")
                XCTAssertTrue(readelf.stdout.contains("(RPATH)") && readelf.stdout.contains("[\(prefix)/lib]"), readelf.stdout)
            }
        }
    }

    func testForeignEntriesAreDroppedAndOriginKept() throws {
        let box = try ElfSandbox()
        let built = try box.buildHello(runpath: "$ORIGIN/../lib:/usr/local/lib:@@HOMEBREW_PREFIX@@/lib")
        for length in [13, 60] {
            let prefix = try box.prefix(length: length)
            let keg = try ElfSandbox.makeKeg(prefix: prefix, program: built.program, library: built.library)
            _ = try BinaryRelocator.relocate(kegAt: keg, layout: PrefixLayout(prefix: prefix, cache: "/tmp/c"))
            XCTAssertEqual(try parse(keg + "/bin/hello").runpath, "$ORIGIN/../lib:" + prefix + "/lib")
            let output = ElfSandbox.run(keg + "/bin/hello", [], environment: ElfSandbox.cleanEnvironment)
            XCTAssertEqual(output?.stdout, "hello from libhello\n", output?.stderr ?? "")
        }
    }

    func testHardLinkedBinaryIsPatchedOnceAndStaysLinked() throws {
        let box = try ElfSandbox()
        let built = try box.buildHello()
        let prefix = try box.prefix(length: 60)
        let keg = try ElfSandbox.makeKeg(prefix: prefix, program: built.program, library: built.library)
        XCTAssertEqual(link(keg + "/bin/hello", keg + "/bin/hello-again"), 0)
        chmod(keg + "/bin/hello", 0o555)

        let changed = try BinaryRelocator.relocate(kegAt: keg, layout: PrefixLayout(prefix: prefix, cache: "/tmp/c"))
        XCTAssertEqual(changed, ["bin/hello", "bin/hello-again"])
        var first = stat()
        var second = stat()
        XCTAssertEqual(lstat(keg + "/bin/hello", &first), 0)
        XCTAssertEqual(lstat(keg + "/bin/hello-again", &second), 0)
        XCTAssertEqual(first.st_ino, second.st_ino, "still one inode")
        XCTAssertEqual(first.st_nlink, 2)
        XCTAssertEqual(first.st_mode & 0o7777, 0o555, "mode preserved")
        XCTAssertEqual(try parse(keg + "/bin/hello-again").interpreter, prefix + "/lib/ld.so")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: keg + "/bin").filter { $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [])
    }

    func testSymlinksStaticAndNonElfFilesAreSkipped() throws {
        let box = try ElfSandbox()
        let built = try box.buildHello()
        let prefix = try box.prefix(length: 60)
        let keg = try ElfSandbox.makeKeg(prefix: prefix, program: built.program, library: built.library)
        try FileManager.default.createSymbolicLink(atPath: keg + "/bin/alias", withDestinationPath: "hello")
        try String(repeating: "not an elf @@HOMEBREW_PREFIX@@\n", count: 4).write(toFile: keg + "/bin/script",
                                                                                  atomically: true, encoding: .utf8)
        // An ELF magic followed by garbage and no placeholder: a fixture, not something to relocate.
        try Data([0x7F, 0x45, 0x4C, 0x46] + [UInt8](repeating: 0xEE, count: 100)).write(to: URL(fileURLWithPath: keg + "/lib/blob"))
        let changed = try BinaryRelocator.relocate(kegAt: keg, layout: PrefixLayout(prefix: prefix, cache: "/tmp/c"))
        XCTAssertEqual(changed, ["bin/hello"])
        var info = stat()
        XCTAssertEqual(lstat(keg + "/bin/alias", &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFLNK)
    }

    func testDamagedElfWithPlaceholderThrowsAndIsLeftAlone() throws {
        let box = try ElfSandbox()
        let built = try box.buildHello()
        let prefix = try box.prefix(length: 60)
        let keg = try ElfSandbox.makeKeg(prefix: prefix, program: built.program, library: built.library)
        var bytes = try XCTUnwrap(ElfSandbox.bytes(keg + "/bin/hello"))
        bytes[32..<40] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]  // e_phoff far outside the file
        try Data(bytes).write(to: URL(fileURLWithPath: keg + "/bin/hello"))
        XCTAssertThrowsError(try BinaryRelocator.relocate(kegAt: keg, layout: PrefixLayout(prefix: prefix, cache: "/tmp/c"))) {
            guard case .malformedElf(let package, let file, _)? = $0 as? RelocationError else {
                return XCTFail("unexpected \($0)")
            }
            XCTAssertEqual(package, "hello 1.0")
            XCTAssertEqual(file, "bin/hello")
            XCTAssertFalse(String(describing: $0).isEmpty)
        }
        XCTAssertEqual(ElfSandbox.bytes(keg + "/bin/hello"), bytes)
    }

    func testGlibcKegIsNeverPatched() throws {
        let box = try ElfSandbox()
        let built = try box.buildHello()
        let prefix = try box.prefix(length: 60)
        let keg = prefix + "/Cellar/glibc/2.35"
        try FileManager.default.createDirectory(atPath: keg + "/bin", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: built.program, toPath: keg + "/bin/hello")
        XCTAssertEqual(try BinaryRelocator.relocate(kegAt: keg, layout: PrefixLayout(prefix: prefix, cache: "/tmp/c")), [])
        XCTAssertTrue(ElfRelocationRules.isGlibc(kegName: "glibc@2.35"))
        XCTAssertFalse(ElfRelocationRules.isGlibc(kegName: "glibcx"))
    }

    func testCancellationStopsBeforePatching() throws {
        let box = try ElfSandbox()
        let built = try box.buildHello()
        let prefix = try box.prefix(length: 60)
        let keg = try ElfSandbox.makeKeg(prefix: prefix, program: built.program, library: built.library)
        let flag = CancellationFlag()
        flag.cancel()
        XCTAssertThrowsError(try BinaryRelocator.relocate(kegAt: keg, layout: PrefixLayout(prefix: prefix, cache: "/tmp/c"),
                                                          cancellation: flag)) {
            XCTAssertEqual($0 as? RelocationError, .cancelled(package: "hello 1.0"))
        }
    }
}
