import Foundation

/// A forward reader over a catalogue's bytes — an open file read in fixed-size `pread`s, or bytes
/// already in memory — that can go back to an offset it has passed.
///
/// Why not a memory map or one `Data`: every pass over a 30 MB catalogue (finding the envelope's
/// parts, verifying, decoding) touches every page, and mapped or buffered pages count in pour's
/// resident set; `update --force` peaked at 160 MB that way (Docs/Performance.md, "Streaming
/// index build"). Reads through one small buffer leave the bytes in the kernel's page cache.
///
/// Confinement: not Sendable; owned by the one queue building the index.
package final class CatalogueReader {
    private enum Source {
        case file(Int32)
        case memory(Data)
    }

    private let source: Source
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    /// Index in `buffer` of the next unread byte.
    private var position = 0
    /// Number of valid bytes in `buffer`.
    private var filled = 0
    /// Offset in the source of `buffer[0]`.
    private var bufferStart: Int64 = 0
    /// The `pread` error that ended reading early, if any (reported as a malformed catalogue).
    private(set) var readFailure: String?

    /// Reads `fd` (not closed here; the caller owns it) from offset 0.
    package init(fileDescriptor fd: Int32, chunkSize: Int = 256 << 10) {
        source = .file(fd)
        buffer = .allocate(capacity: max(chunkSize, 16))
    }

    /// Reads `data`; `chunkSize` is how much is handed out at a time (tests use small ones to
    /// put every chunk boundary somewhere else).
    package init(data: Data, chunkSize: Int = 256 << 10) {
        source = .memory(data)
        buffer = .allocate(capacity: max(chunkSize, 1))
    }

    deinit { buffer.deallocate() }

    /// Offset in the source of the next unread byte.
    var offset: Int64 { bufferStart + Int64(position) }

    /// Continues reading at `offset` (one the reader has already passed, or 0).
    func seek(to offset: Int64) {
        bufferStart = offset
        position = 0
        filled = 0
    }

    /// The unread bytes already buffered, refilling first when none are; empty at the end. Valid
    /// until the next call on the reader; `advance(by:)` consumes from its front.
    func available() -> UnsafeBufferPointer<UInt8> {
        if position == filled { refill() }
        return UnsafeBufferPointer(rebasing: buffer[position ..< filled])
    }

    func advance(by count: Int) {
        position += count
    }

    /// The next byte, consumed; nil at the end.
    func next() -> UInt8? {
        if position == filled {
            refill()
            if filled == 0 { return nil }
        }
        defer { position += 1 }
        return buffer[position]
    }

    /// The next byte, not consumed; nil at the end.
    func peek() -> UInt8? {
        if position == filled {
            refill()
            if filled == 0 { return nil }
        }
        return buffer[position]
    }

    private func refill() {
        bufferStart += Int64(position)
        position = 0
        filled = 0
        switch source {
        case .file(let fd):
            while true {
                let got = pread(fd, buffer.baseAddress, buffer.count, off_t(bufferStart))
                if got >= 0 {
                    filled = got
                    return
                }
                if errno == EINTR { continue }
                readFailure = errnoText()
                return
            }
        case .memory(let data):
            guard bufferStart < Int64(data.count) else { return }
            let start = data.startIndex + Int(bufferStart)
            let end = min(start + buffer.count, data.endIndex)
            filled = data.copyBytes(to: buffer, from: start ..< end)
        }
    }
}
