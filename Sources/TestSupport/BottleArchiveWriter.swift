import CArchive
import Foundation

/// Writes one gzip-compressed tar (a bottle) through libarchive, entry by entry, streaming file
/// contents in chunks so a gigabyte bottle never sits in memory.
///
/// Confinement: owned by the single thread that creates it; not Sendable. Every entry gets the
/// same fixed mtime so the output depends only on the contents (reproducible from a seed).
final class BottleArchiveWriter {
    private static let fileType: UInt32 = 0o100000
    private static let directoryType: UInt32 = 0o040000
    private static let symlinkType: UInt32 = 0o120000
    /// 2024-01-01T00:00:00Z: a fixed timestamp keeps bottles byte-identical across runs.
    private static let fixedMTime = 1_704_067_200

    private var archive: OpaquePointer?
    private let path: String
    private var chunk: [UInt8]

    init(path: String, compressionLevel: Int = 6, chunkSize: Int = 256 * 1024) throws {
        self.path = path
        chunk = [UInt8](repeating: 0, count: chunkSize)
        guard let handle = archive_write_new() else {
            throw RegistryError.archive(operation: "archive_write_new", message: "out of memory")
        }
        archive = handle
        try check(archive_write_set_format_pax_restricted(handle), "set_format_pax_restricted")
        try check(archive_write_add_filter_gzip(handle), "add_filter_gzip")
        // No timestamp in the gzip header (reproducibility); older libarchive lacks the option.
        _ = archive_write_set_filter_option(handle, "gzip", "timestamp", nil)
        _ = archive_write_set_filter_option(handle, "gzip", "compression-level", String(compressionLevel))
        try check(archive_write_open_filename(handle, path), "open \(path)")
    }

    deinit {
        if let handle = archive {
            archive_write_close(handle)
            archive_write_free(handle)
        }
    }

    /// Bytes that left the gzip filter so far (the compressed size, modulo the filter's buffer).
    var compressedBytesWritten: Int {
        guard let handle = archive else { return 0 }
        return Int(archive_filter_bytes(handle, -1))
    }

    func addDirectory(_ name: String) throws {
        try writeHeader(name, type: Self.directoryType, permissions: 0o755, size: 0)
    }

    func addFile(_ name: String, contents: [UInt8], permissions: Int32 = 0o644) throws {
        try writeHeader(name, type: Self.fileType, permissions: permissions, size: contents.count)
        try contents.withUnsafeBytes { raw in try writeData(raw) }
    }

    func addFile(_ name: String, text: String, permissions: Int32 = 0o644) throws {
        try addFile(name, contents: Array(text.utf8), permissions: permissions)
    }

    /// Adds a regular file of `size` bytes whose contents `fill` produces chunk by chunk; `fill`
    /// must fill the whole buffer it is given.
    func addStreamedFile(_ name: String, size: Int, permissions: Int32 = 0o644,
                         fill: (UnsafeMutableBufferPointer<UInt8>) -> Void) throws {
        try writeHeader(name, type: Self.fileType, permissions: permissions, size: size)
        var remaining = size
        while remaining > 0 {
            let count = min(remaining, chunk.count)
            try chunk.withUnsafeMutableBufferPointer { buffer in
                let slice = UnsafeMutableBufferPointer(rebasing: buffer[0..<count])
                fill(slice)
                try writeData(UnsafeRawBufferPointer(slice))
            }
            remaining -= count
        }
    }

    func addSymlink(_ name: String, target: String) throws {
        try writeHeader(name, type: Self.symlinkType, permissions: 0o755, size: 0) { entry in
            archive_entry_set_symlink(entry, target)
        }
    }

    /// A hardlink member: `target` is the full member path of an earlier regular file.
    func addHardlink(_ name: String, target: String) throws {
        try writeHeader(name, type: Self.fileType, permissions: 0o644, size: 0) { entry in
            archive_entry_set_hardlink(entry, target)
        }
    }

    /// Any header libarchive can express (FIFOs, devices, setuid bits, lying sizes…), with
    /// `contents` written as its data. For `CustomBottle`, which builds hostile bottles on purpose.
    func addRaw(_ name: String, type: UInt32, permissions: Int32, size: Int, contents: [UInt8] = [],
                symlink: String? = nil, hardlink: String? = nil, device: (major: UInt32, minor: UInt32)? = nil) throws {
        try writeHeader(name, type: type, permissions: permissions, size: size) { entry in
            if let symlink { archive_entry_set_symlink(entry, symlink) }
            if let hardlink { archive_entry_set_hardlink(entry, hardlink) }
            if let device { archive_entry_set_rdevmajor(entry, dev_t(device.major)); archive_entry_set_rdevminor(entry, dev_t(device.minor)) }
        }
        try contents.withUnsafeBytes { raw in try writeData(raw) }
    }

    /// Flushes the gzip trailer and closes the file. The writer is unusable afterwards.
    func finish() throws {
        guard let handle = archive else { return }
        archive = nil
        let status = archive_write_close(handle)
        let message = errorMessage(handle)
        archive_write_free(handle)
        if status != ARCHIVE_OK { throw RegistryError.archive(operation: "close \(path)", message: message) }
    }

    private func writeHeader(_ name: String, type: UInt32, permissions: Int32, size: Int,
                             configure: (OpaquePointer) -> Void = { _ in }) throws {
        guard let handle = archive else { throw RegistryError.archive(operation: "write", message: "closed") }
        guard let entry = archive_entry_new() else {
            throw RegistryError.archive(operation: "archive_entry_new", message: "out of memory")
        }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, name)
        archive_entry_set_filetype(entry, type)
        archive_entry_set_perm(entry, mode_t(permissions))
        archive_entry_set_size(entry, la_int64_t(size))
        archive_entry_set_mtime(entry, time_t(Self.fixedMTime), 0)
        configure(entry)
        try check(archive_write_header(handle, entry), "write_header \(name)")
    }

    private func writeData(_ bytes: UnsafeRawBufferPointer) throws {
        guard let handle = archive, let base = bytes.baseAddress, bytes.count > 0 else { return }
        var offset = 0
        while offset < bytes.count {
            let written = archive_write_data(handle, base + offset, bytes.count - offset)
            if written <= 0 {
                throw RegistryError.archive(operation: "write_data \(path)", message: errorMessage(handle))
            }
            offset += written
        }
    }

    private func check(_ status: Int32, _ operation: String) throws {
        guard status != ARCHIVE_OK, let handle = archive else { return }
        // Warnings (e.g. an unsupported option) are not fatal; anything worse is.
        if status == ARCHIVE_WARN { return }
        throw RegistryError.archive(operation: operation, message: errorMessage(handle))
    }

    private func errorMessage(_ handle: OpaquePointer) -> String {
        guard let message = archive_error_string(handle) else { return "unknown error" }
        return String(cString: message)
    }
}
