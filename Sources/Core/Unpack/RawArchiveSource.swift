import CArchive
import Foundation

/// Hands libarchive the raw (still compressed) bytes of a source through its client callbacks,
/// for bottles that are not gzip (libarchive's own filters inflate zstd, xz, bzip2).
///
/// Confinement: owned by one extraction (one thread at a time); not Sendable.
final class RawArchiveSource {
    private static let blockSize = 256 << 10
    private let source: BottleByteSource
    private let block: UnsafeMutableRawPointer

    init(source: BottleByteSource) {
        self.source = source
        block = .allocate(byteCount: Self.blockSize, alignment: 16)
    }

    deinit { block.deallocate() }

    var failure: String? { source.failure }

    /// Opens `reader` on this source; the caller keeps `self` alive while `reader` is in use.
    func attach(to reader: OpaquePointer) -> Int32 {
        archive_read_open(reader, Unmanaged.passUnretained(self).toOpaque(), nil, { _, client, buffer in
            guard let client, let buffer else { return -1 }
            let raw = Unmanaged<RawArchiveSource>.fromOpaque(client).takeUnretainedValue()
            guard let count = raw.source.read(into: raw.block, count: RawArchiveSource.blockSize) else { return -1 }
            buffer.pointee = UnsafeRawPointer(raw.block)
            return count
        }, nil)
    }
}
