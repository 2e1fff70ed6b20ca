/// One entry of an ELF program header table (a segment), widened to 64-bit fields.
///
/// Decoding and encoding live here so the parser and the patcher agree on the two layouts
/// (Elf32_Phdr: 32 bytes, flags after memsz; Elf64_Phdr: 56 bytes, flags after type).
///
/// Thread-safety: an immutable value; safe to share across queues.
package struct ElfProgramHeader: Hashable, Sendable {
    package static let null: UInt32 = 0
    package static let load: UInt32 = 1
    package static let dynamic: UInt32 = 2
    package static let interp: UInt32 = 3
    package static let phdr: UInt32 = 6
    /// Segment permission bit: readable.
    package static let readable: UInt32 = 4

    package var type: UInt32
    package var flags: UInt32
    package var offset: UInt64
    package var vaddr: UInt64
    package var paddr: UInt64
    package var filesz: UInt64
    package var memsz: UInt64
    package var align: UInt64

    package init(type: UInt32, flags: UInt32, offset: UInt64, vaddr: UInt64, paddr: UInt64, filesz: UInt64,
                memsz: UInt64, align: UInt64) {
        self.type = type
        self.flags = flags
        self.offset = offset
        self.vaddr = vaddr
        self.paddr = paddr
        self.filesz = filesz
        self.memsz = memsz
        self.align = align
    }

    /// Bytes per entry for the class.
    static func entrySize(_ encoding: ElfEncoding) -> Int { encoding.is64Bit ? 56 : 32 }

    /// Decodes the entry starting at `at` in `bytes` (the caller read the whole table).
    init(decoding bytes: [UInt8], at base: Int, _ e: ElfEncoding) {
        if e.is64Bit {
            self.init(type: UInt32(truncatingIfNeeded: e.u32(bytes, base)),
                      flags: UInt32(truncatingIfNeeded: e.u32(bytes, base + 4)),
                      offset: e.u64(bytes, base + 8), vaddr: e.u64(bytes, base + 16), paddr: e.u64(bytes, base + 24),
                      filesz: e.u64(bytes, base + 32), memsz: e.u64(bytes, base + 40), align: e.u64(bytes, base + 48))
        } else {
            self.init(type: UInt32(truncatingIfNeeded: e.u32(bytes, base)),
                      flags: UInt32(truncatingIfNeeded: e.u32(bytes, base + 24)),
                      offset: e.u32(bytes, base + 4), vaddr: e.u32(bytes, base + 8), paddr: e.u32(bytes, base + 12),
                      filesz: e.u32(bytes, base + 16), memsz: e.u32(bytes, base + 20), align: e.u32(bytes, base + 28))
        }
    }

    /// The entry in the file's layout. 32-bit callers have checked that every field fits.
    func encoded(_ e: ElfEncoding) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.entrySize(e))
        if e.is64Bit {
            e.put(UInt64(type), into: &bytes, at: 0, width: 4)
            e.put(UInt64(flags), into: &bytes, at: 4, width: 4)
            for (index, value) in [offset, vaddr, paddr, filesz, memsz, align].enumerated() {
                e.put(value, into: &bytes, at: 8 + 8 * index, width: 8)
            }
        } else {
            e.put(UInt64(type), into: &bytes, at: 0, width: 4)
            for (index, value) in [offset, vaddr, paddr, filesz, memsz].enumerated() {
                e.put(value, into: &bytes, at: 4 + 4 * index, width: 4)
            }
            e.put(UInt64(flags), into: &bytes, at: 24, width: 4)
            e.put(align, into: &bytes, at: 28, width: 4)
        }
        return bytes
    }

    /// True when `[offset, offset + length)` of the file lies inside this segment's file image.
    func containsFileRange(_ start: UInt64, _ length: UInt64) -> Bool {
        let (end, o1) = start.addingReportingOverflow(length)
        let (segmentEnd, o2) = offset.addingReportingOverflow(filesz)
        return !o1 && !o2 && start >= offset && end <= segmentEnd
    }

    /// True when `[address, address + length)` lies inside this segment's file-backed memory.
    func containsAddressRange(_ address: UInt64, _ length: UInt64) -> Bool {
        let (end, o1) = address.addingReportingOverflow(length)
        let (segmentEnd, o2) = vaddr.addingReportingOverflow(filesz)
        return !o1 && !o2 && address >= vaddr && end <= segmentEnd
    }
}
