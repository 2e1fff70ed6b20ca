/// One entry of an ELF section header table, widened to 64-bit fields.
///
/// Only what relocation needs is decoded; the patcher rewrites `addr`/`offset`/`size` of the
/// sections it moves (`.dynstr`, `.interp`) so tools reading sections stay consistent.
///
/// Thread-safety: an immutable value; safe to share across queues.
public struct ElfSectionHeader: Hashable, Sendable {
    public static let stringTable: UInt32 = 3
    public static let noBits: UInt32 = 8
    public static let dynamic: UInt32 = 6

    public var name: UInt32
    public var type: UInt32
    public var addr: UInt64
    public var offset: UInt64
    public var size: UInt64
    public var link: UInt32

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
