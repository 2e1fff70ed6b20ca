import Foundation

/// The `.incomplete` file of a download in progress, followed as it grows (see `GrowingFile`).
///
/// Confinement: owned by one streaming extraction (one thread at a time); not Sendable. The
/// `GrowingFile` it reads is itself thread-safe.
final class GrowingFileSource: BottleByteSource {
    private let file: GrowingFile
    private let cancellation: CancellationFlag?
    private var offset: Int64 = 0
    private(set) var failure: String?

    init(file: GrowingFile, cancellation: CancellationFlag?) {
        self.file = file
        self.cancellation = cancellation
    }

    func read(into buffer: UnsafeMutableRawPointer, count: Int) -> Int? {
        switch file.read(at: offset, into: buffer, count: count, cancellation: cancellation) {
        case .bytes(let got):
            offset += Int64(got)
            return got
        case .end:
            return 0
        case .failed(let reason):
            failure = reason
            return nil
        }
    }

    func startsWithGzipMagic() -> Bool {
        var magic: [UInt8] = [0, 0]
        var got = 0
        while got < 2 {
            let result = magic.withUnsafeMutableBytes {
                file.read(at: Int64(got), into: $0.baseAddress! + got, count: 2 - got, cancellation: cancellation)
            }
            guard case .bytes(let count) = result else { return false }
            got += count
        }
        return magic == [0x1F, 0x8B]
    }
}
