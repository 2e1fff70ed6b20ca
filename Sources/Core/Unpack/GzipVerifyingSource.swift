import CArchive
import Foundation

/// Feeds libarchive the inflated bytes of a gzip bottle while checking every gzip member's
/// CRC-32 and length, which libarchive's own gzip filter never verifies (its trailer handling is
/// a TODO). Without this, a bottle damaged at the source — its published SHA-256 matches, but a
/// stretch of deflate data decodes to different bytes — would be installed silently.
///
/// zlib's inflate in gzip mode checks each member's trailer itself; `drain()` inflates whatever
/// follows the tar end-of-archive marker so the last trailer is always checked.
///
/// The compressed bytes come from a `BottleByteSource`: the verified cache file, or the
/// `.incomplete` file followed while its download writes it (`GrowingFileSource`); the checks are
/// the same for both. Reads are bounded (64 KiB in, 256 KiB out): never the whole bottle in
/// memory, and several streaming extractions at once cost ~0.3 MiB each, not 2 MiB.
///
/// Confinement: owned by the one extraction that creates it (one thread at a time); not Sendable.
final class GzipVerifyingSource {
    /// Compressed bytes read per call (inflate expands them ~3–4×, so a smaller input block keeps
    /// the output block full); inflated bytes handed to libarchive per call.
    private static let inSize = 64 << 10
    private static let blockSize = 256 << 10
    private let source: BottleByteSource
    private var stream = z_stream()
    private let input: UnsafeMutablePointer<UInt8>
    private let output: UnsafeMutablePointer<UInt8>
    /// The last inflate call ended a member (so end of file here is a clean end).
    private var memberEnded = false
    private var finished = false
    /// What went wrong, for the package's error message.
    private(set) var failure: String?

    init?(source: BottleByteSource) {
        self.source = source
        input = .allocate(capacity: Self.inSize)
        output = .allocate(capacity: Self.blockSize)
        guard pour_inflate_init_gzip(&stream) == Z_OK else {
            input.deallocate()
            output.deallocate()
            return nil
        }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
        output.deallocate()
    }

    /// The next block of inflated bytes (count 0 at the clean end), or nil after an error.
    func next() -> (UnsafeRawPointer, Int)? {
        if failure != nil { return nil }
        if finished { return (UnsafeRawPointer(output), 0) }
        stream.next_out = output
        stream.avail_out = UInt32(Self.blockSize)
        while stream.avail_out == UInt32(Self.blockSize) {
            if stream.avail_in == 0 {
                guard let count = source.read(into: input, count: Self.inSize) else {
                    return fail(source.failure ?? "read failed")
                }
                if count == 0 {
                    guard memberEnded else { return fail("truncated gzip input") }
                    finished = true
                    break
                }
                stream.next_in = input
                stream.avail_in = UInt32(count)
            }
            if memberEnded {
                // Bytes after a member: another member (concatenated gzip) or trailing padding,
                // which gzip(1) ignores too. Only a new member is inflated.
                guard stream.next_in.pointee == 0x1F else {
                    finished = true
                    break
                }
                inflateReset(&stream)
                memberEnded = false
            }
            let status = inflate(&stream, Z_NO_FLUSH)
            switch status {
            case Z_STREAM_END: memberEnded = true
            case Z_OK, Z_BUF_ERROR: break
            default:
                // Z_DATA_ERROR covers "incorrect data check" (CRC) and "incorrect length check".
                let message = stream.msg.map { String(cString: $0) } ?? "inflate error \(status)"
                return fail("gzip: \(message)")
            }
        }
        return (UnsafeRawPointer(output), Self.blockSize - Int(stream.avail_out))
    }

    /// Inflates the rest of the file (after the tar's end marker) so every CRC is checked, and
    /// refuses what a tar writer never puts there: non-zero bytes, or more than `maxTrailingBytes`
    /// of padding (a small download inflating to gigabytes after the archive's end). Checks
    /// `cancellation` after every block. Returns the failure, if any.
    func drain(maxTrailingBytes: Int64, cancellation: CancellationFlag?) -> String? {
        var trailing: Int64 = 0
        while let (bytes, count) = next(), count > 0 {
            if cancellation?.isCancelled == true { return "cancelled" }
            trailing += Int64(count)
            if trailing > maxTrailingBytes {
                return "more than \(maxTrailingBytes) bytes after the tar end-of-archive; the bottle is not a plain tar"
            }
            let buffer = UnsafeRawBufferPointer(start: bytes, count: count)
            if buffer.contains(where: { $0 != 0 }) {
                return "data after the tar end-of-archive (only zero padding may follow it)"
            }
        }
        return failure
    }

    private func fail(_ message: String) -> (UnsafeRawPointer, Int)? {
        failure = message
        return nil
    }

    /// Opens `reader` on this source through libarchive's client callbacks.
    func attach(to reader: OpaquePointer) -> Int32 {
        archive_read_open(reader, Unmanaged.passUnretained(self).toOpaque(), nil, { _, client, buffer in
            guard let client, let buffer else { return -1 }
            let source = Unmanaged<GzipVerifyingSource>.fromOpaque(client).takeUnretainedValue()
            guard let (bytes, count) = source.next() else { return -1 }
            buffer.pointee = bytes
            return count
        }, nil)
    }
}
