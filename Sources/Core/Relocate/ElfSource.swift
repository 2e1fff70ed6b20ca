import Foundation

/// Bounds-checked random access to the bytes of one ELF file, either an open descriptor (the
/// relocator: only headers and tables are read, never whole multi-megabyte libraries) or a byte
/// array (tests and callers that already hold the file).
///
/// Carries the package and file labels so every error raised while reading names them. The
/// descriptor is borrowed, not owned: the caller keeps it open while the source is in use.
///
/// Thread-safety: an immutable value; safe to share across queues as long as the borrowed descriptor stays open.
package struct ElfSource: Sendable {
    enum Storage: Sendable {
        case bytes([UInt8])
        case descriptor(Int32)
    }

    let storage: Storage
    /// Size of the file in bytes; every read is checked against it.
    package let size: UInt64
    /// `name pkg_version` for error messages.
    package let package: String
    /// The keg-relative (or absolute) path for error messages.
    package let file: String

    package init(bytes: [UInt8], package: String = "", file: String = "") {
        storage = .bytes(bytes)
        size = UInt64(bytes.count)
        self.package = package
        self.file = file
    }

    /// A source reading `size` bytes from `fileDescriptor` with `pread`.
    package init(fileDescriptor: Int32, size: UInt64, package: String = "", file: String = "") {
        storage = .descriptor(fileDescriptor)
        self.size = size
        self.package = package
        self.file = file
    }

    /// `count` bytes at `offset`; throws `malformedElf` when the range leaves the file.
    func read(offset: UInt64, count: UInt64, what: String) throws(RelocationError) -> [UInt8] {
        let (end, overflow) = offset.addingReportingOverflow(count)
        guard !overflow, end <= size, let length = Int(exactly: count), let start = Int(exactly: offset) else {
            throw malformed("\(what) at offset \(offset) size \(count) lies outside the \(size)-byte file")
        }
        switch storage {
        case let .bytes(bytes):
            return Array(bytes[start..<(start + length)])
        case let .descriptor(fd):
            var buffer = [UInt8](repeating: 0, count: length)
            var filled = 0
            while filled < length {
                let got = buffer.withUnsafeMutableBytes { raw -> Int in
                    guard let base = raw.baseAddress else { return 0 }
                    return pread(fd, base + filled, length - filled, off_t(start + filled))
                }
                if got < 0 {
                    if errno == EINTR { continue }
                    throw io("read failed: \(errnoText())")
                }
                if got == 0 { throw malformed("file shrank while being read") }
                filled += got
            }
            return buffer
        }
    }

    func malformed(_ reason: String) -> RelocationError { .malformedElf(package: package, file: file, reason: reason) }
    func unsupported(_ reason: String) -> RelocationError { .unsupportedElf(package: package, file: file, reason: reason) }
    func io(_ reason: String) -> RelocationError { .ioFailed(package: package, file: file, reason: reason) }
}
