/// Plans the edits that set an ELF file's PT_INTERP and DT_RUNPATH/DT_RPATH strings.
///
/// A string no longer than the one it replaces is overwritten in its slot and NUL-padded, so the
/// file keeps its size and layout. A longer one cannot go in place (the bytes after it belong to
/// other strings), so the file grows: a new read-only PT_LOAD segment is appended, page-aligned,
/// holding a copy of the dynamic string table with the new strings added at its end (old offsets
/// stay valid for symbols and versions), the new interpreter path, and — when the program header
/// table has no spare PT_NULL entry to turn into the new PT_LOAD — a moved, one-entry-longer
/// program header table. DT_STRTAB/DT_STRSZ, PT_INTERP, PT_PHDR, e_phoff/e_phnum and the
/// `.dynstr`/`.interp` section headers are pointed at the new data.
///
/// The new segment's address keeps the first PT_LOAD's address-minus-offset relation, because
/// kernels before 5.18 compute AT_PHDR as that bias plus e_phoff; ld.so derives a PIE's load
/// base from AT_PHDR, so any other placement would break moved tables on older kernels. Pure
/// function of its inputs; safe from any queue.
package enum ElfPatcher {
    /// Largest zero gap the appended segment may need (page alignment plus a large .bss). The gap
    /// is a hole in the file, but a bogus header asking for more is refused.
    static let maximumPadding: UInt64 = 256 << 20
    static let minimumAlignment: UInt64 = 4096

    /// The plan that gives `elf` these strings, or nil when nothing changes. A nil argument leaves
    /// that string alone; `runpath`/`rpath` replace every DT_RUNPATH/DT_RPATH entry (none are
    /// added to a file without one), `interpreter` applies only to files with PT_INTERP.
    package static func plan(_ elf: ElfFile, interpreter: String?, runpath: String?,
                            rpath: String?) throws(RelocationError) -> ElfPatchPlan? {
        var writes: [ElfPatchPlan.Write] = []
        var dynstr = elf.stringTable
        var dynstrChanged = false
        var pending: [(entry: ElfFile.DynamicEntry, bytes: [UInt8])] = []

        for entry in elf.dynamicEntries {
            let wanted: String?
            switch entry.tag {
            case ElfFile.Tag.runpath: wanted = runpath
            case ElfFile.Tag.rpath: wanted = rpath
            default: continue
            }
            guard let wanted, let current = elf.string(at: entry.value), current != wanted,
                  let oldLength = elf.stringLength(at: entry.value), let start = Int(exactly: entry.value) else { continue }
            let new = Array(wanted.utf8)
            guard !new.contains(0) else { throw elf.unsupported("the new search path holds a NUL byte") }
            if new.count <= oldLength {
                dynstr.replaceSubrange(start..<(start + oldLength),
                                       with: new + [UInt8](repeating: 0, count: oldLength - new.count))
                dynstrChanged = true
            } else {
                pending.append((entry, new))
            }
        }

        var movedInterpreter: [UInt8]?
        if let interpreter, let index = elf.interpreterIndex, interpreter != elf.interpreter {
            let segment = elf.programHeaders[index]
            let new = Array(interpreter.utf8)
            guard !new.isEmpty, !new.contains(0) else { throw elf.unsupported("the new interpreter path is empty or holds a NUL") }
            if UInt64(new.count) < segment.filesz {
                // Parsing capped filesz at 4096, so the conversion below cannot fail.
                let padding = Int(segment.filesz) - new.count
                writes.append(.init(offset: segment.offset, bytes: new + [UInt8](repeating: 0, count: padding)))
            } else {
                movedInterpreter = new + [0]
            }
        }

        if pending.isEmpty && movedInterpreter == nil {
            if dynstrChanged, let offset = elf.stringTableOffset { writes.append(.init(offset: offset, bytes: dynstr)) }
            return writes.isEmpty ? nil : ElfPatchPlan(writes: writes, newSize: elf.size, grew: false)
        }
        return try grow(elf, writes: writes, dynstr: dynstr, dynstrChanged: dynstrChanged, pending: pending,
                        movedInterpreter: movedInterpreter)
    }

    /// The appended-segment plan (see the type's documentation).
    private static func grow(_ elf: ElfFile, writes inPlace: [ElfPatchPlan.Write], dynstr: [UInt8], dynstrChanged: Bool,
                             pending: [(entry: ElfFile.DynamicEntry, bytes: [UInt8])],
                             movedInterpreter: [UInt8]?) throws(RelocationError) -> ElfPatchPlan {
        let e = elf.encoding
        var writes = inPlace
        let phdrs = elf.programHeaders
        let loadIndices = phdrs.indices.filter { phdrs[$0].type == ElfProgramHeader.load }
        guard let firstIndex = loadIndices.first, let lastIndex = loadIndices.last else {
            throw elf.unsupported("no LOAD segment to extend")
        }
        let first = phdrs[firstIndex]

        var align = minimumAlignment
        for index in loadIndices {
            let value = phdrs[index].align
            if value > align && value & (value &- 1) == 0 { align = value }
        }
        guard align <= 1 << 24 else { throw elf.unsupported("segment alignment \(align) is implausibly large") }
        var maxEnd: UInt64 = 0
        for index in loadIndices { maxEnd = max(maxEnd, phdrs[index].vaddr + phdrs[index].memsz) }  // checked by the parser

        // Bias of the first LOAD (address minus offset), possibly negative.
        let biasIsPositive = first.vaddr >= first.offset
        let bias = biasIsPositive ? first.vaddr - first.offset : first.offset - first.vaddr
        guard bias % align == 0 else { throw elf.unsupported("first LOAD segment is not aligned to \(align) bytes") }
        var minimumOffset = elf.size
        if biasIsPositive {
            if maxEnd > bias { minimumOffset = max(minimumOffset, maxEnd - bias) }
        } else {
            let (needed, overflow) = maxEnd.addingReportingOverflow(bias)
            guard !overflow else { throw elf.unsupported("no address space left after the last segment") }
            minimumOffset = max(minimumOffset, needed)
        }
        guard let segmentOffset = alignUp(minimumOffset, align), segmentOffset - elf.size <= maximumPadding else {
            throw elf.unsupported("the new segment would need more than \(maximumPadding) bytes of padding")
        }
        let segmentAddress: UInt64
        if biasIsPositive {
            let (address, overflow) = segmentOffset.addingReportingOverflow(bias)
            guard !overflow else { throw elf.unsupported("no address space left after the last segment") }
            segmentAddress = address
        } else {
            segmentAddress = segmentOffset - bias  // ≥ maxEnd ≥ 0 by construction of minimumOffset
        }

        // The new program header list: the old one, minus a PT_NULL if there is one (its slot
        // makes room in place), plus the new LOAD right after the last LOAD (LOADs stay sorted).
        var table = phdrs
        var insertAt = lastIndex + 1
        let nullIndex = table.firstIndex { $0.type == ElfProgramHeader.null }
        if let nullIndex {
            table.remove(at: nullIndex)
            if nullIndex < insertAt { insertAt -= 1 }
        }
        let movesTable = nullIndex == nil
        guard table.count + 1 < 0xFFFF else { throw elf.unsupported("too many program headers to add one") }
        let entrySize = ElfProgramHeader.entrySize(e)

        // Lay out the segment: [program headers][interpreter][dynamic string table].
        var content = [UInt8](repeating: 0, count: movesTable ? (table.count + 1) * entrySize : 0)
        let interpreterOffset = content.count
        if let movedInterpreter { content += movedInterpreter; pad(&content) }
        let dynstrOffset = content.count
        var newValues: [(entry: ElfFile.DynamicEntry, value: UInt64)] = []
        if !pending.isEmpty {
            var newTable = dynstr
            var placed: [[UInt8]: UInt64] = [:]
            for item in pending {
                if let existing = placed[item.bytes] {
                    newValues.append((item.entry, existing))
                } else {
                    let at = UInt64(newTable.count)
                    placed[item.bytes] = at
                    newTable += item.bytes + [0]
                    newValues.append((item.entry, at))
                }
            }
            content += newTable
        } else if dynstrChanged, let offset = elf.stringTableOffset {
            writes.append(.init(offset: offset, bytes: dynstr))
        }
        let total = UInt64(content.count)
        let (segmentEnd, o1) = segmentOffset.addingReportingOverflow(total)
        let (addressEnd, o2) = segmentAddress.addingReportingOverflow(total)
        guard !o1, !o2, e.is64Bit || (segmentEnd <= UInt64(UInt32.max) && addressEnd <= UInt64(UInt32.max)) else {
            throw elf.unsupported("the grown file does not fit the ELF class's address space")
        }

        if let movedInterpreter, let index = elf.interpreterIndex, let position = table.firstIndex(of: phdrs[index]) {
            table[position].offset = segmentOffset + UInt64(interpreterOffset)
            table[position].vaddr = segmentAddress + UInt64(interpreterOffset)
            table[position].paddr = table[position].vaddr
            table[position].filesz = UInt64(movedInterpreter.count)
            table[position].memsz = UInt64(movedInterpreter.count)
        }
        let tableSize = UInt64((table.count + 1) * entrySize)
        if movesTable {
            for position in table.indices where table[position].type == ElfProgramHeader.phdr {
                table[position].offset = segmentOffset
                table[position].vaddr = segmentAddress
                table[position].paddr = segmentAddress
                table[position].filesz = tableSize
                table[position].memsz = tableSize
            }
        }
        table.insert(ElfProgramHeader(type: ElfProgramHeader.load, flags: ElfProgramHeader.readable,
                                      offset: segmentOffset, vaddr: segmentAddress, paddr: segmentAddress,
                                      filesz: total, memsz: total, align: align), at: insertAt)
        let encodedTable = table.flatMap { $0.encoded(e) }
        if movesTable {
            content.replaceSubrange(0..<encodedTable.count, with: encodedTable)
            writes.append(.init(offset: UInt64(elf.phoffField), bytes: e.encode(segmentOffset, width: e.wordSize)))
            writes.append(.init(offset: UInt64(elf.phnumField), bytes: e.encode(UInt64(table.count), width: 2)))
        } else {
            writes.append(.init(offset: elf.programHeaderOffset, bytes: encodedTable))
        }

        // Dynamic entries and section headers that point at the moved data.
        if !pending.isEmpty {
            let newStrtab = segmentAddress + UInt64(dynstrOffset)
            let newStrsz = total - UInt64(dynstrOffset)
            for entry in elf.dynamicEntries {
                if entry.tag == ElfFile.Tag.strtab {
                    writes.append(.init(offset: entry.valueOffset, bytes: e.encode(newStrtab, width: e.wordSize)))
                } else if entry.tag == ElfFile.Tag.strsz {
                    writes.append(.init(offset: entry.valueOffset, bytes: e.encode(newStrsz, width: e.wordSize)))
                }
            }
            for item in newValues {
                writes.append(.init(offset: item.entry.valueOffset, bytes: e.encode(item.value, width: e.wordSize)))
            }
            if let oldOffset = elf.stringTableOffset, let oldAddress = elf.stringTableAddress {
                writes += sectionWrites(elf, matching: { $0.type == ElfSectionHeader.stringTable
                                            && $0.offset == oldOffset && $0.addr == oldAddress },
                                        offset: segmentOffset + UInt64(dynstrOffset), address: newStrtab, size: newStrsz)
            }
        }
        if let movedInterpreter, let index = elf.interpreterIndex {
            let old = phdrs[index]
            writes += sectionWrites(elf, matching: { $0.type != ElfSectionHeader.noBits && $0.offset == old.offset
                                        && $0.addr == old.vaddr && $0.size > 0 },
                                    offset: segmentOffset + UInt64(interpreterOffset),
                                    address: segmentAddress + UInt64(interpreterOffset),
                                    size: UInt64(movedInterpreter.count))
        }

        writes.append(.init(offset: segmentOffset, bytes: content))
        return ElfPatchPlan(writes: writes, newSize: segmentEnd, grew: true)
    }

    /// Writes giving the first section that matches a new address, offset and size.
    private static func sectionWrites(_ elf: ElfFile, matching: (ElfSectionHeader) -> Bool, offset: UInt64,
                                      address: UInt64, size: UInt64) -> [ElfPatchPlan.Write] {
        let e = elf.encoding
        guard let index = elf.sectionHeaders.indices.dropFirst().first(where: { matching(elf.sectionHeaders[$0]) }) else {
            return []
        }
        let base = elf.sectionHeaderOffset + UInt64(index * ElfSectionHeader.entrySize(e) + ElfSectionHeader.addrField(e))
        let fields = e.encode(address, width: e.wordSize) + e.encode(offset, width: e.wordSize) + e.encode(size, width: e.wordSize)
        return [.init(offset: base, bytes: fields)]
    }

    private static func alignUp(_ value: UInt64, _ align: UInt64) -> UInt64? {
        let (sum, overflow) = value.addingReportingOverflow(align - 1)
        return overflow ? nil : sum & ~(align - 1)
    }

    /// Pads to 8 bytes so the string table that follows starts on a word boundary.
    private static func pad(_ bytes: inout [UInt8]) {
        while bytes.count % 8 != 0 { bytes.append(0) }
    }
}
