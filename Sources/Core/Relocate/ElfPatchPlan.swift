/// The edits that turn one ELF file into its relocated form: byte ranges to overwrite and the new
/// file size (larger when a segment is appended; the gap is zero-filled).
///
/// Computed without touching the file, so a plan that cannot be made leaves the original alone.
/// Immutable value.
package struct ElfPatchPlan: Hashable, Sendable {
    /// One patch of the plan: bytes to write at an offset.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    package struct Write: Hashable, Sendable {
        package let offset: UInt64
        package let bytes: [UInt8]
    }

    package let writes: [Write]
    package let newSize: UInt64
    /// True when a new PT_LOAD segment was appended (the strings did not fit in place).
    package let grew: Bool

    /// The patched file as bytes: `original` zero-extended to `newSize` with every write applied.
    /// Used by tests and by callers holding the file in memory.
    package func applied(to original: [UInt8]) -> [UInt8]? {
        guard let size = Int(exactly: newSize), size >= original.count else { return nil }
        var bytes = original
        bytes.append(contentsOf: repeatElement(0, count: size - original.count))
        for write in writes {
            guard let start = Int(exactly: write.offset), start <= size - write.bytes.count else { return nil }
            bytes.replaceSubrange(start..<(start + write.bytes.count), with: write.bytes)
        }
        return bytes
    }
}
