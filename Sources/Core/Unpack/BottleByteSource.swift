import Foundation

/// Where an extraction's compressed bottle bytes come from: the verified cache file
/// (`FileByteSource`) or the `.incomplete` file while its download still writes it
/// (`GrowingFileSource`). `GzipVerifyingSource` and `RawArchiveSource` hand these bytes to
/// libarchive, so the checks they make (gzip CRCs, trailing data) are the same for both.
///
/// Confinement: a source is owned by the one extraction that reads it (one thread at a time).
protocol BottleByteSource: AnyObject {
    /// Reads the next bytes (at most `count`) into `buffer`: the count read, 0 at the end, nil on
    /// failure (the reason is then in `failure`).
    func read(into buffer: UnsafeMutableRawPointer, count: Int) -> Int?
    /// True when the bottle starts with the gzip magic bytes (may wait for them to arrive).
    func startsWithGzipMagic() -> Bool
    /// Why the last read failed, for the package's error message.
    var failure: String? { get }
}

/// A bottle file on disk, read sequentially through its own descriptor.
///
/// Confinement: owned by one extraction (one thread at a time); not Sendable.
final class FileByteSource: BottleByteSource {
    private let fd: Int32
    private(set) var failure: String?

    init?(path: String) {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
    }

    deinit { close(fd) }

    func read(into buffer: UnsafeMutableRawPointer, count: Int) -> Int? {
        while true {
            let got = Glibc.read(fd, buffer, count)
            if got >= 0 { return got }
            if errno == EINTR { continue }
            failure = errnoText()
            return nil
        }
    }

    func startsWithGzipMagic() -> Bool {
        var magic: [UInt8] = [0, 0]
        return pread(fd, &magic, 2, 0) == 2 && magic == [0x1F, 0x8B]
    }
}

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif
