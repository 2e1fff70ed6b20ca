/// A parsed, validated view of the parts of an ELF file that binary relocation reads: the file
/// header, program headers, section headers, PT_INTERP and the dynamic section with its strings.
///
/// Supports ELFCLASS32/64 in either byte order. Every offset and size taken from the file is
/// checked against the file size with overflow-checked arithmetic; anything out of bounds or
/// inconsistent throws `RelocationError.malformedElf`, layouts that are valid but outside what
/// the patcher handles throw `.unsupportedElf`. Immutable value; safe to use from any queue.
package struct ElfFile: Sendable {
    package static let typeExecutable: UInt16 = 2
    package static let typeShared: UInt16 = 3

    /// Dynamic tags relocation reads.
    ///
    /// Thread-safety: a stateless namespace of constants and functions; use it from any thread.
    package enum Tag {
        package static let null: UInt64 = 0
        package static let needed: UInt64 = 1
        package static let strtab: UInt64 = 5
        package static let strsz: UInt64 = 10
        package static let soname: UInt64 = 14
        package static let rpath: UInt64 = 15
        package static let runpath: UInt64 = 29
    }

    /// One dynamic entry and where its value field sits in the file (so it can be rewritten).
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct DynamicEntry: Hashable, Sendable {
        package let tag: UInt64
        package let value: UInt64
        /// File offset of `d_val`/`d_ptr`.
        package let valueOffset: UInt64
    }

    package let encoding: ElfEncoding
    package let size: UInt64
    /// Labels copied from the source, for errors raised by later steps (the patcher).
    package let package: String
    package let file: String
    package let type: UInt16
    package let machine: UInt16
    package let programHeaderOffset: UInt64
    package let sectionHeaderOffset: UInt64
    package let programHeaders: [ElfProgramHeader]
    package let sectionHeaders: [ElfSectionHeader]
    /// PT_INTERP's string (without its NUL), and the index of that header.
    package let interpreter: String?
    package let interpreterIndex: Int?
    package let dynamicEntries: [DynamicEntry]
    /// DT_STRTAB as a file offset and its bytes (DT_STRSZ long); empty when the file has no
    /// dynamic string table.
    package let stringTableOffset: UInt64?
    package let stringTableAddress: UInt64?
    package let stringTable: [UInt8]

    /// Offsets of the header fields the patcher rewrites.
    var phoffField: Int { encoding.is64Bit ? 32 : 28 }
    var phnumField: Int { encoding.is64Bit ? 56 : 44 }

    /// True for ET_EXEC/ET_DYN objects with a PT_DYNAMIC segment: what the loader links.
    package var isDynamic: Bool {
        (type == Self.typeExecutable || type == Self.typeShared)
            && programHeaders.contains { $0.type == ElfProgramHeader.dynamic }
    }

    package var runpath: String? { firstString(tag: Tag.runpath) }
    package var rpath: String? { firstString(tag: Tag.rpath) }
    package var soname: String? { firstString(tag: Tag.soname) }
    package var needed: [String] { dynamicEntries.filter { $0.tag == Tag.needed }.compactMap { string(at: $0.value) } }

    /// True when the first four bytes are `\x7fELF`: the cheap test run before parsing.
    package static func hasMagic(_ bytes: [UInt8]) -> Bool { bytes.starts(with: [0x7F, 0x45, 0x4C, 0x46]) }

    package init(parsing source: ElfSource) throws(RelocationError) {
        let ident = try source.read(offset: 0, count: 16, what: "ELF identification")
        guard Self.hasMagic(ident) else { throw source.malformed("no ELF magic number") }
        let is64: Bool
        switch ident[4] {
        case 1: is64 = false
        case 2: is64 = true
        default: throw source.malformed("unknown ELF class \(ident[4])")
        }
        let bigEndian: Bool
        switch ident[5] {
        case 1: bigEndian = false
        case 2: bigEndian = true
        default: throw source.malformed("unknown ELF data encoding \(ident[5])")
        }
        guard ident[6] == 1 else { throw source.malformed("unknown ELF version \(ident[6])") }
        let e = ElfEncoding(is64Bit: is64, isBigEndian: bigEndian)
        encoding = e
        size = source.size
        package = source.package
        file = source.file

        let header = try source.read(offset: 0, count: is64 ? 64 : 52, what: "ELF header")
        type = UInt16(truncatingIfNeeded: e.u16(header, 16))
        machine = UInt16(truncatingIfNeeded: e.u16(header, 18))
        let w = e.wordSize
        programHeaderOffset = e.word(header, 24 + w)
        sectionHeaderOffset = e.word(header, 24 + 2 * w)
        let tail = 24 + 3 * w + 4  // after e_flags: ehsize, phentsize, phnum, shentsize, shnum, shstrndx
        let phentsize = Int(e.u16(header, tail + 2))
        let phnum = Int(e.u16(header, tail + 4))
        let shentsize = Int(e.u16(header, tail + 6))
        let shnumField = Int(e.u16(header, tail + 8))

        // Program headers.
        if phnum == 0xFFFF { throw source.unsupported("extended program header numbering (PN_XNUM)") }
        var phdrs: [ElfProgramHeader] = []
        if phnum > 0 {
            guard phentsize == ElfProgramHeader.entrySize(e) else {
                throw source.malformed("program header entry size \(phentsize), expected \(ElfProgramHeader.entrySize(e))")
            }
            let table = try source.read(offset: programHeaderOffset, count: UInt64(phnum * phentsize),
                                        what: "program header table")
            phdrs = (0..<phnum).map { ElfProgramHeader(decoding: table, at: $0 * phentsize, e) }
        }
        programHeaders = phdrs
        for (index, segment) in phdrs.enumerated() {
            let (fileEnd, o1) = segment.offset.addingReportingOverflow(segment.filesz)
            let (_, o2) = segment.vaddr.addingReportingOverflow(segment.memsz)
            guard !o1, !o2, fileEnd <= source.size else {
                throw source.malformed("segment \(index) (type \(segment.type)) lies outside the file")
            }
            if segment.type == ElfProgramHeader.load && segment.filesz > segment.memsz {
                throw source.malformed("LOAD segment \(index) has a file size larger than its memory size")
            }
        }

        // Section headers, when present (stripped-to-the-bone files have none).
        var sections: [ElfSectionHeader] = []
        if sectionHeaderOffset != 0 {
            let entry = ElfSectionHeader.entrySize(e)
            guard shentsize == entry else {
                throw source.malformed("section header entry size \(shentsize), expected \(entry)")
            }
            var count = shnumField
            if count == 0 {
                // Extended numbering: the real count sits in section 0's sh_size.
                let first = try source.read(offset: sectionHeaderOffset, count: UInt64(entry), what: "section header 0")
                let extended = ElfSectionHeader(decoding: first, at: 0, e).size
                guard extended <= source.size / UInt64(entry) else {
                    throw source.malformed("section count \(extended) cannot fit in the file")
                }
                count = Int(extended)
            }
            let table = try source.read(offset: sectionHeaderOffset, count: UInt64(count) * UInt64(entry),
                                        what: "section header table")
            sections = (0..<count).map { ElfSectionHeader(decoding: table, at: $0 * entry, e) }
            for (index, section) in sections.enumerated() where section.type != ElfSectionHeader.noBits && index > 0 {
                let (end, overflow) = section.offset.addingReportingOverflow(section.size)
                guard !overflow, end <= source.size else {
                    throw source.malformed("section \(index) lies outside the file")
                }
            }
        }
        sectionHeaders = sections

        // PT_INTERP: a NUL-terminated path.
        let interps = phdrs.indices.filter { phdrs[$0].type == ElfProgramHeader.interp }
        guard interps.count <= 1 else { throw source.malformed("more than one PT_INTERP segment") }
        if let index = interps.first {
            let segment = phdrs[index]
            guard segment.filesz > 0, segment.filesz <= 4096 else {
                throw source.malformed("PT_INTERP size \(segment.filesz) is not a path")
            }
            let bytes = try source.read(offset: segment.offset, count: segment.filesz, what: "PT_INTERP")
            guard let nul = bytes.firstIndex(of: 0) else { throw source.malformed("PT_INTERP is not NUL-terminated") }
            interpreter = String(decoding: bytes[..<nul], as: UTF8.self)
            interpreterIndex = index
        } else {
            interpreter = nil
            interpreterIndex = nil
        }

        // PT_DYNAMIC: entries up to DT_NULL.
        let dynamics = phdrs.filter { $0.type == ElfProgramHeader.dynamic }
        guard dynamics.count <= 1 else { throw source.malformed("more than one PT_DYNAMIC segment") }
        var entries: [DynamicEntry] = []
        if let segment = dynamics.first {
            let entrySize = UInt64(2 * w)
            let count = segment.filesz / entrySize
            let table = try source.read(offset: segment.offset, count: count * entrySize, what: "dynamic section")
            for index in 0..<Int(count) {
                let base = index * 2 * w
                let tag = e.word(table, base)
                if tag == Tag.null { break }
                entries.append(DynamicEntry(tag: tag, value: e.word(table, base + w),
                                            valueOffset: segment.offset + UInt64(base + w)))
            }
        }
        dynamicEntries = entries

        // The dynamic string table, located through DT_STRTAB (an address) and the LOAD segments.
        let strtabs = entries.filter { $0.tag == Tag.strtab }
        let strszs = entries.filter { $0.tag == Tag.strsz }
        let usesStrings = entries.contains { [Tag.needed, Tag.soname, Tag.rpath, Tag.runpath].contains($0.tag) }
        if let strtab = strtabs.first, let strsz = strszs.first {
            guard strtabs.count == 1, strszs.count == 1 else {
                throw source.malformed("more than one DT_STRTAB or DT_STRSZ entry")
            }
            guard let offset = Self.fileOffset(of: strtab.value, length: strsz.value, in: phdrs) else {
                throw source.malformed("DT_STRTAB \(strtab.value) (size \(strsz.value)) is not inside a LOAD segment")
            }
            stringTable = try source.read(offset: offset, count: strsz.value, what: "dynamic string table")
            stringTableOffset = offset
            stringTableAddress = strtab.value
        } else {
            guard !usesStrings else { throw source.malformed("dynamic entries name strings but DT_STRTAB/DT_STRSZ is missing") }
            stringTable = []
            stringTableOffset = nil
            stringTableAddress = nil
        }
        for entry in entries where usesStrings && [Tag.needed, Tag.soname, Tag.rpath, Tag.runpath].contains(entry.tag) {
            guard string(at: entry.value) != nil else {
                throw source.malformed("dynamic tag \(entry.tag) names string offset \(entry.value) outside the string table")
            }
        }
    }

    /// The NUL-terminated string at `offset` in the dynamic string table, or nil when it does not
    /// end inside the table.
    package func string(at offset: UInt64) -> String? {
        guard let start = Int(exactly: offset), start < stringTable.count,
              let nul = stringTable[start...].firstIndex(of: 0) else { return nil }
        return String(decoding: stringTable[start..<nul], as: UTF8.self)
    }

    /// Byte length (without the NUL) of the string at `offset` in the dynamic string table.
    package func stringLength(at offset: UInt64) -> Int? {
        guard let start = Int(exactly: offset), start < stringTable.count,
              let nul = stringTable[start...].firstIndex(of: 0) else { return nil }
        return nul - start
    }

    func malformed(_ reason: String) -> RelocationError { .malformedElf(package: package, file: file, reason: reason) }
    func unsupported(_ reason: String) -> RelocationError { .unsupportedElf(package: package, file: file, reason: reason) }

    private func firstString(tag: UInt64) -> String? {
        dynamicEntries.first { $0.tag == tag }.flatMap { string(at: $0.value) }
    }

    /// The file offset holding virtual addresses `[address, address + length)`, found through the
    /// file-backed part of a PT_LOAD segment.
    package func fileOffset(ofAddress address: UInt64, length: UInt64 = 1) -> UInt64? {
        Self.fileOffset(of: address, length: length, in: programHeaders)
    }

    /// The virtual address at which file offset `offset` is mapped, if a PT_LOAD maps it.
    package func address(ofFileOffset offset: UInt64) -> UInt64? {
        for segment in programHeaders where segment.type == ElfProgramHeader.load
            && segment.containsFileRange(offset, 1) {
            let (address, overflow) = segment.vaddr.addingReportingOverflow(offset - segment.offset)
            return overflow ? nil : address
        }
        return nil
    }

    static func fileOffset(of address: UInt64, length: UInt64, in segments: [ElfProgramHeader]) -> UInt64? {
        for segment in segments where segment.type == ElfProgramHeader.load
            && segment.containsAddressRange(address, length) {
            let (offset, overflow) = segment.offset.addingReportingOverflow(address - segment.vaddr)
            return overflow ? nil : offset
        }
        return nil
    }
}
