/// How one ELF file stores integers: its class (32- or 64-bit fields) and byte order.
///
/// Readers take a record the caller has already read at its full size, so the field offsets are
/// always in range; the guards only keep a programming error from trapping (they read as zero
/// and write nothing). Immutable value.
package struct ElfEncoding: Hashable, Sendable {
    package let is64Bit: Bool
    package let isBigEndian: Bool

    package init(is64Bit: Bool, isBigEndian: Bool) {
        self.is64Bit = is64Bit
        self.isBigEndian = isBigEndian
    }

    /// Size of an address/offset/size field: 4 or 8.
    var wordSize: Int { is64Bit ? 8 : 4 }

    func unsigned(_ bytes: [UInt8], at offset: Int, width: Int) -> UInt64 {
        guard offset >= 0, width <= 8, offset <= bytes.count - width else { return 0 }
        var value: UInt64 = 0
        for index in 0..<width {
            let byte = UInt64(bytes[offset + (isBigEndian ? index : width - 1 - index)])
            value = (value << 8) | byte
        }
        return value
    }

    func u16(_ bytes: [UInt8], _ offset: Int) -> UInt64 { unsigned(bytes, at: offset, width: 2) }
    func u32(_ bytes: [UInt8], _ offset: Int) -> UInt64 { unsigned(bytes, at: offset, width: 4) }
    func u64(_ bytes: [UInt8], _ offset: Int) -> UInt64 { unsigned(bytes, at: offset, width: 8) }
    /// An Elf32_Addr/Off/Word or Elf64_Addr/Off/Xword, by class.
    func word(_ bytes: [UInt8], _ offset: Int) -> UInt64 { unsigned(bytes, at: offset, width: wordSize) }

    /// Stores the low `width` bytes of `value` at `offset`.
    func put(_ value: UInt64, into bytes: inout [UInt8], at offset: Int, width: Int) {
        guard offset >= 0, width <= 8, offset <= bytes.count - width else { return }
        for index in 0..<width {
            let shift = UInt64(8 * (isBigEndian ? width - 1 - index : index))
            bytes[offset + index] = UInt8(truncatingIfNeeded: value >> shift)
        }
    }

    func putWord(_ value: UInt64, into bytes: inout [UInt8], at offset: Int) {
        put(value, into: &bytes, at: offset, width: wordSize)
    }

    /// `value` as a standalone field of `width` bytes.
    func encode(_ value: UInt64, width: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: width)
        put(value, into: &bytes, at: 0, width: width)
        return bytes
    }
}
