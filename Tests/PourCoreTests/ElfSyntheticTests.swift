import Foundation
import XCTest
@testable import PourCore

/// Parser and patcher on hand-built ELF files in all four class/byte-order combinations, which a
/// native compiler cannot produce here.
final class ElfSyntheticTests: XCTestCase {
    /// A minimal dynamic executable: [ehdr][phdrs][interp][dynstr][dynamic][shstrtab][shdrs], all
    /// inside one LOAD mapped at `base` + offset.
    static func makeElf(is64: Bool, bigEndian: Bool, interpreter: String = "@@HOMEBREW_PREFIX@@/lib/ld.so",
                        runpath: String = "@@HOMEBREW_PREFIX@@/lib", withNull: Bool = false,
                        withSections: Bool = true) -> [UInt8] {
        let e = ElfEncoding(is64Bit: is64, isBigEndian: bigEndian)
        let w = is64 ? 8 : 4
        let base: UInt64 = is64 ? 0x400000 : 0x8048000
        let ehsize = is64 ? 64 : 52
        let phent = is64 ? 56 : 32
        let shent = is64 ? 64 : 40
        let phnum = withNull ? 5 : 4
        func align8(_ n: Int) -> Int { (n + 7) & ~7 }

        let interpOffset = ehsize + phnum * phent
        let interpBytes = Array(interpreter.utf8) + [0]
        let dynstrOffset = align8(interpOffset + interpBytes.count)
        var dynstr: [UInt8] = [0]
        let neededAt = dynstr.count; dynstr += Array("libfoo.so".utf8) + [0]
        let runpathAt = dynstr.count; dynstr += Array(runpath.utf8) + [0]
        let sonameAt = dynstr.count; dynstr += Array("libbar.so.1".utf8) + [0]
        let dynamicOffset = align8(dynstrOffset + dynstr.count)
        let dynamicEntries: [(UInt64, UInt64)] = [
            (1, UInt64(neededAt)), (14, UInt64(sonameAt)), (5, base + UInt64(dynstrOffset)),
            (10, UInt64(dynstr.count)), (29, UInt64(runpathAt)), (0, 0),
        ]
        let dynamicSize = dynamicEntries.count * 2 * w
        let shstrOffset = dynamicOffset + dynamicSize
        let shstr = Array("\0.interp\0.dynstr\0.dynamic\0.shstrtab\0".utf8)
        let shoff = align8(shstrOffset + shstr.count)
        let fileEnd = withSections ? shoff + 5 * shent : shstrOffset

        var bytes = [UInt8](repeating: 0, count: fileEnd)
        bytes[0..<4] = [0x7F, 0x45, 0x4C, 0x46]
        bytes[4] = is64 ? 2 : 1
        bytes[5] = bigEndian ? 2 : 1
        bytes[6] = 1
        e.put(2, into: &bytes, at: 16, width: 2)  // ET_EXEC
        e.put(is64 ? 62 : 3, into: &bytes, at: 18, width: 2)
        e.put(1, into: &bytes, at: 20, width: 4)
        e.putWord(base, into: &bytes, at: 24)
        e.putWord(UInt64(ehsize), into: &bytes, at: 24 + w)
        e.putWord(withSections ? UInt64(shoff) : 0, into: &bytes, at: 24 + 2 * w)
        let tail = 24 + 3 * w + 4
        e.put(UInt64(ehsize), into: &bytes, at: tail, width: 2)
        e.put(UInt64(phent), into: &bytes, at: tail + 2, width: 2)
        e.put(UInt64(phnum), into: &bytes, at: tail + 4, width: 2)
        e.put(UInt64(shent), into: &bytes, at: tail + 6, width: 2)
        e.put(withSections ? 5 : 0, into: &bytes, at: tail + 8, width: 2)
        e.put(withSections ? 4 : 0, into: &bytes, at: tail + 10, width: 2)

        func segment(_ type: UInt32, _ offset: Int, _ size: Int, flags: UInt32 = 4, align: UInt64 = 8) -> ElfProgramHeader {
            ElfProgramHeader(type: type, flags: flags, offset: UInt64(offset), vaddr: base + UInt64(offset),
                             paddr: base + UInt64(offset), filesz: UInt64(size), memsz: UInt64(size), align: align)
        }
        var phdrs = [
            segment(ElfProgramHeader.phdr, ehsize, phnum * phent),
            segment(ElfProgramHeader.interp, interpOffset, interpBytes.count, align: 1),
            segment(ElfProgramHeader.load, 0, fileEnd, flags: 5, align: 0x1000),
            segment(ElfProgramHeader.dynamic, dynamicOffset, dynamicSize, flags: 6),
        ]
        if withNull { phdrs.append(ElfProgramHeader(type: 0, flags: 0, offset: 0, vaddr: 0, paddr: 0, filesz: 0, memsz: 0, align: 0)) }
        let table = phdrs.flatMap { $0.encoded(e) }
        bytes.replaceSubrange(ehsize..<(ehsize + table.count), with: table)
        bytes.replaceSubrange(interpOffset..<(interpOffset + interpBytes.count), with: interpBytes)
        bytes.replaceSubrange(dynstrOffset..<(dynstrOffset + dynstr.count), with: dynstr)
        for (index, entry) in dynamicEntries.enumerated() {
            e.putWord(entry.0, into: &bytes, at: dynamicOffset + index * 2 * w)
            e.putWord(entry.1, into: &bytes, at: dynamicOffset + index * 2 * w + w)
        }
        guard withSections else { return bytes }
        bytes.replaceSubrange(shstrOffset..<(shstrOffset + shstr.count), with: shstr)
        // name, type, addr, offset, size, link for sections 1...4 (section 0 stays zero).
        let sections: [(UInt64, UInt64, UInt64, Int, Int, UInt64)] = [
            (1, 1, base + UInt64(interpOffset), interpOffset, interpBytes.count, 0),
            (9, 3, base + UInt64(dynstrOffset), dynstrOffset, dynstr.count, 0),
            (17, 6, base + UInt64(dynamicOffset), dynamicOffset, dynamicSize, 2),
            (26, 3, 0, shstrOffset, shstr.count, 0),
        ]
        for (index, section) in sections.enumerated() {
            let at = shoff + (index + 1) * shent
            e.put(section.0, into: &bytes, at: at, width: 4)
            e.put(section.1, into: &bytes, at: at + 4, width: 4)
            e.putWord(section.2, into: &bytes, at: at + (is64 ? 16 : 12))
            e.putWord(UInt64(section.3), into: &bytes, at: at + (is64 ? 24 : 16))
            e.putWord(UInt64(section.4), into: &bytes, at: at + (is64 ? 32 : 20))
            e.put(section.5, into: &bytes, at: at + (is64 ? 40 : 24), width: 4)
        }
        return bytes
    }

    private let layouts = [(true, false), (true, true), (false, false), (false, true)]

    func testParsesAllClassesAndByteOrders() throws {
        for (is64, bigEndian) in layouts {
            let elf = try ElfFile(parsing: ElfSource(bytes: Self.makeElf(is64: is64, bigEndian: bigEndian)))
            XCTAssertEqual(elf.encoding, ElfEncoding(is64Bit: is64, isBigEndian: bigEndian))
            XCTAssertEqual(elf.type, ElfFile.typeExecutable)
            XCTAssertTrue(elf.isDynamic)
            XCTAssertEqual(elf.interpreter, "@@HOMEBREW_PREFIX@@/lib/ld.so")
            XCTAssertEqual(elf.runpath, "@@HOMEBREW_PREFIX@@/lib")
            XCTAssertNil(elf.rpath)
            XCTAssertEqual(elf.needed, ["libfoo.so"])
            XCTAssertEqual(elf.soname, "libbar.so.1")
            XCTAssertEqual(elf.sectionHeaders.count, 5)
            let base: UInt64 = is64 ? 0x400000 : 0x8048000
            XCTAssertEqual(elf.fileOffset(ofAddress: base + 100), 100)
            XCTAssertEqual(elf.address(ofFileOffset: 100), base + 100)
            XCTAssertNil(elf.fileOffset(ofAddress: base + elf.size))
        }
    }

    func testInPlacePatchKeepsSizeAndPadsWithNul() throws {
        for (is64, bigEndian) in layouts {
            let original = Self.makeElf(is64: is64, bigEndian: bigEndian)
            let elf = try ElfFile(parsing: ElfSource(bytes: original))
            let plan = try XCTUnwrap(ElfPatcher.plan(elf, interpreter: "/short/ld.so", runpath: "/p/lib", rpath: nil))
            XCTAssertFalse(plan.grew)
            XCTAssertEqual(plan.newSize, UInt64(original.count))
            let patched = try ElfFile(parsing: ElfSource(bytes: try XCTUnwrap(plan.applied(to: original))))
            XCTAssertEqual(patched.interpreter, "/short/ld.so")
            XCTAssertEqual(patched.runpath, "/p/lib")
            XCTAssertEqual(patched.needed, ["libfoo.so"])
            XCTAssertEqual(patched.soname, "libbar.so.1")
            XCTAssertNil(try ElfPatcher.plan(patched, interpreter: "/short/ld.so", runpath: "/p/lib", rpath: nil))
        }
    }

    func testGrowthMovesTableAndKeepsEverythingConsistent() throws {
        let longPath = "/" + String(repeating: "q", count: 80)
        for (is64, bigEndian) in layouts {
            for withSections in [true, false] {
                let original = Self.makeElf(is64: is64, bigEndian: bigEndian, withSections: withSections)
                let elf = try ElfFile(parsing: ElfSource(bytes: original))
                let plan = try XCTUnwrap(ElfPatcher.plan(elf, interpreter: longPath + "/ld.so",
                                                         runpath: "$ORIGIN:" + longPath + "/lib", rpath: nil))
                XCTAssertTrue(plan.grew)
                let patched = try ElfFile(parsing: ElfSource(bytes: try XCTUnwrap(plan.applied(to: original))))
                XCTAssertEqual(patched.interpreter, longPath + "/ld.so")
                XCTAssertEqual(patched.runpath, "$ORIGIN:" + longPath + "/lib")
                XCTAssertEqual(patched.needed, ["libfoo.so"])
                XCTAssertEqual(patched.soname, "libbar.so.1")
                XCTAssertEqual(patched.programHeaders.count, elf.programHeaders.count + 1)
                try assertLayoutInvariants(patched)
                XCTAssertEqual(patched.programHeaderOffset % 0x1000, 0)
                if withSections {
                    let dynstr = patched.sectionHeaders[2]
                    XCTAssertEqual(dynstr.offset, patched.stringTableOffset)
                    XCTAssertEqual(dynstr.addr, patched.stringTableAddress)
                    XCTAssertEqual(dynstr.size, UInt64(patched.stringTable.count))
                    let interp = patched.sectionHeaders[1]
                    let segment = patched.programHeaders[try XCTUnwrap(patched.interpreterIndex)]
                    XCTAssertEqual(interp.offset, segment.offset)
                    XCTAssertEqual(interp.addr, segment.vaddr)
                }
                // Growing again from the grown file works too (the appended LOAD is the last one).
                let again = try XCTUnwrap(ElfPatcher.plan(patched, interpreter: longPath + longPath, runpath: nil, rpath: nil))
                let twice = try ElfFile(parsing: ElfSource(bytes: try XCTUnwrap(again.applied(to: try XCTUnwrap(plan.applied(to: original))))))
                XCTAssertEqual(twice.interpreter, longPath + longPath)
                try assertLayoutInvariants(twice)
            }
        }
    }

    func testGrowthReusesPtNullSlotInPlace() throws {
        let original = Self.makeElf(is64: true, bigEndian: false, withNull: true)
        let elf = try ElfFile(parsing: ElfSource(bytes: original))
        let plan = try XCTUnwrap(ElfPatcher.plan(elf, interpreter: nil, runpath: "/" + String(repeating: "r", count: 64), rpath: nil))
        let patched = try ElfFile(parsing: ElfSource(bytes: try XCTUnwrap(plan.applied(to: original))))
        XCTAssertEqual(patched.programHeaderOffset, elf.programHeaderOffset)
        XCTAssertEqual(patched.programHeaders.count, elf.programHeaders.count)
        XCTAssertFalse(patched.programHeaders.contains { $0.type == ElfProgramHeader.null })
        XCTAssertEqual(patched.runpath, "/" + String(repeating: "r", count: 64))
        XCTAssertEqual(patched.interpreter, elf.interpreter)
        try assertLayoutInvariants(patched)
    }

    /// LOADs sorted and disjoint in memory, page-congruent; PT_PHDR (if any) describes the table
    /// and both it and PT_INTERP lie inside a LOAD at matching addresses.
    private func assertLayoutInvariants(_ elf: ElfFile, file: StaticString = #filePath, line: UInt = #line) throws {
        let loads = elf.programHeaders.filter { $0.type == ElfProgramHeader.load }
        for (a, b) in zip(loads, loads.dropFirst()) {
            XCTAssertLessThanOrEqual(a.vaddr + a.memsz, b.vaddr, "LOADs overlap or are unsorted", file: file, line: line)
        }
        for load in loads { XCTAssertEqual(load.vaddr % 0x1000, load.offset % 0x1000, file: file, line: line) }
        let tableSize = UInt64(elf.programHeaders.count * ElfProgramHeader.entrySize(elf.encoding))
        XCTAssertTrue(loads.contains { $0.containsFileRange(elf.programHeaderOffset, tableSize) }, file: file, line: line)
        // The old-kernel AT_PHDR rule: first LOAD's bias + e_phoff is the table's address.
        let first = try XCTUnwrap(loads.first)
        for segment in elf.programHeaders where segment.type == ElfProgramHeader.phdr || segment.type == ElfProgramHeader.interp {
            XCTAssertEqual(elf.fileOffset(ofAddress: segment.vaddr, length: segment.filesz), segment.offset, file: file, line: line)
            if segment.type == ElfProgramHeader.phdr {
                XCTAssertEqual(segment.offset, elf.programHeaderOffset, file: file, line: line)
                XCTAssertEqual(segment.filesz, tableSize, file: file, line: line)
                XCTAssertEqual(first.vaddr - first.offset + elf.programHeaderOffset, segment.vaddr, file: file, line: line)
            }
        }
    }

    func testParserRejectsBadIdentification() {
        var bytes = Self.makeElf(is64: true, bigEndian: false)
        for (index, value) in [(0, UInt8(0)), (4, 3), (5, 0), (6, 2)] {
            var copy = bytes
            copy[index] = value
            XCTAssertThrowsError(try ElfFile(parsing: ElfSource(bytes: copy))) {
                guard case .malformedElf? = $0 as? RelocationError else { return XCTFail("\($0)") }
            }
        }
        bytes.removeLast(bytes.count - 20)
        XCTAssertThrowsError(try ElfFile(parsing: ElfSource(bytes: bytes)))
    }
}
