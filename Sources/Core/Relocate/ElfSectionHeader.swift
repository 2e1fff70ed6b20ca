/// One entry of an ELF section header table, widened to 64-bit fields.
///
/// Only what relocation needs is decoded; the patcher rewrites `addr`/`offset`/`size` of the
/// sections it moves (`.dynstr`, `.interp`) so tools reading sections stay consistent.
///
/// Thread-safety: an immutable value; safe to share across queues.
package struct ElfSectionHeader: Hashable, Sendable {
    package static let stringTable: UInt32 = 3
    package static let noBits: UInt32 = 8
    package static let dynamic: UInt32 = 6

    package var name: UInt32
    package var type: UInt32
    package var addr: UInt64
    package var offset: UInt64
    package var size: UInt64
    package var link: UInt32

    static func entrySize(_ encoding: ElfEncoding) -> Int { encoding.is64Bit ? 64 : 40 }

    /// Position of `addr` inside an entry; `offset` and `size` follow it, one word each.
    static func addrField(_ encoding: ElfEncoding) -> Int { encoding.is64Bit ? 16 : 12 }

    init(decoding bytes: [UInt8], at base: Int, _ e: ElfEncoding) {
        name = UInt32(truncatingIfNeeded: e.u32(bytes, base))
        type = UInt32(truncatingIfNeeded: e.u32(bytes, base + 4))
        if e.is64Bit {
            addr = e.u64(bytes, base + 16)
            offset = e.u64(bytes, base + 24)
            size = e.u64(bytes, base + 32)
            link = UInt32(truncatingIfNeeded: e.u32(bytes, base + 40))
        } else {
            addr = e.u32(bytes, base + 12)
            offset = e.u32(bytes, base + 16)
            size = e.u32(bytes, base + 20)
            link = UInt32(truncatingIfNeeded: e.u32(bytes, base + 24))
        }
    }
}
