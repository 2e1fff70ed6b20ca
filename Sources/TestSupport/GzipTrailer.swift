import CArchive
import Foundation

/// Appends a second gzip member to an existing file, holding `count` copies of `byte`, written by
/// libarchive's raw format + gzip filter (streamed, so gigabytes of payload cost kilobytes of
/// memory). A bottle followed by such a member has data after its tar end-of-archive: the
/// "small download, huge inflate" shape a hostile registry can serve.
///
/// Stateless; each call owns its writer.
public enum GzipTrailer {
    public static func append(to path: String, byte: UInt8, count: Int) throws {
        let temporary = path + ".trailer"
        guard let writer = archive_write_new() else { throw RegistryError.archive(operation: "archive_write_new", message: "out of memory") }
        defer { archive_write_free(writer) }
        guard archive_write_set_format_raw(writer) == ARCHIVE_OK, archive_write_add_filter_gzip(writer) == ARCHIVE_OK,
              archive_write_open_filename(writer, temporary) == ARCHIVE_OK, let entry = archive_entry_new() else {
            throw RegistryError.archive(operation: "open raw gzip", message: String(cString: archive_error_string(writer)))
        }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, "trailer")
        archive_entry_set_filetype(entry, 0o100000)
        archive_entry_set_size(entry, la_int64_t(count))
        guard archive_write_header(writer, entry) == ARCHIVE_OK else {
            throw RegistryError.archive(operation: "raw header", message: String(cString: archive_error_string(writer)))
        }
        let chunk = [UInt8](repeating: byte, count: 1 << 20)
        var left = count
        while left > 0 {
            let n = min(left, chunk.count)
            let written = chunk.withUnsafeBytes { archive_write_data(writer, $0.baseAddress, n) }
            guard written == n else { throw RegistryError.archive(operation: "raw write", message: "short write") }
            left -= n
        }
        archive_write_close(writer)
        let tail = try Data(contentsOf: URL(fileURLWithPath: temporary))
        try? FileManager.default.removeItem(atPath: temporary)
        guard let handle = FileHandle(forWritingAtPath: path) else { throw RegistryError.io(path: path, message: "cannot open") }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(tail)
    }
}
