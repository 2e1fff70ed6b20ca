import Foundation

/// Placeholder replacement for text files too large to hold in memory: memory stays bounded by
/// the block size whatever the file size (a 1 GiB text file must not cost 2 GiB of RSS).
///
/// Two passes over the file in `blockSize` reads: the first decides (no NUL byte anywhere, and at
/// least one `@@HOMEBREW_` marker), the second streams the substituted bytes into a temp file that
/// pour names and creates with `O_CREAT|O_EXCL|O_NOFOLLOW` beside the original, carrying the last
/// `longest key − 1` bytes of each block into the next so a placeholder split by a block boundary
/// is still found. The temp file is then renamed over the original (mode kept); a file with
/// several hard links is instead copied back into its own inode, so the links keep sharing it.
///
/// Stateless; the caller owns the descriptors. Runs on the extraction queue.
enum StreamingTextRelocation {
    enum Outcome { case unchanged, rewritten }

    /// Relocates the open file `fd` (at `leaf` in the open directory `directory`).
    static func relocate(fd: Int32, info: stat, directory: Int32, leaf: String, table: PlaceholderReplacement.Table,
                         blockSize: Int, cancellation: CancellationFlag?) -> Result<Outcome, ContainmentError> {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: blockSize, alignment: 16)
        defer { buffer.deallocate() }
        // Pass 1: binary (a NUL anywhere) or no marker means nothing to do.
        var offset: off_t = 0
        var sawMarker = false
        var markerCarry: [UInt8] = []
        while true {
            if cancellation?.isCancelled == true { return .failure(ContainmentError("relocate", leaf, ECANCELED)) }
            let count = pread(fd, buffer, blockSize, offset)
            if count < 0 { if errno == EINTR { continue }; return .failure(ContainmentError("read", leaf, errno)) }
            if count == 0 { break }
            if memchr(buffer, 0, count) != nil { return .success(.unchanged) }
            if !sawMarker {
                let window = markerCarry + [UInt8](UnsafeRawBufferPointer(start: buffer, count: count))
                sawMarker = window.withUnsafeBytes {
                    PlaceholderReplacement.find(table.marker, in: $0.baseAddress!, count: $0.count, from: 0) != nil
                }
                markerCarry = Array(window.suffix(table.marker.count - 1))
            }
            offset += off_t(count)
        }
        guard sawMarker else { return .success(.unchanged) }

        // Pass 2: stream the substitution into pour's own temp file.
        let temp = ".pour-reloc-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let out = openat(directory, temp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard out >= 0 else { return .failure(ContainmentError("create", temp, errno)) }
        var changed = false
        let code = stream(from: fd, to: out, buffer: buffer, blockSize: blockSize, table: table, changed: &changed,
                          cancellation: cancellation)
        if code != 0 || !changed {
            close(out)
            unlinkat(directory, temp, 0)
            return code == 0 ? .success(.unchanged) : .failure(ContainmentError("relocate", leaf, code))
        }
        let mode = mode_t(info.st_mode) & 0o7777
        if info.st_nlink > 1 {
            // Hard links share the inode: write the result back into it, block by block.
            let back = copyBack(from: out, to: leaf, in: directory, mode: mode, buffer: buffer, blockSize: blockSize)
            close(out)
            unlinkat(directory, temp, 0)
            return back == 0 ? .success(.rewritten) : .failure(ContainmentError("write", leaf, back))
        }
        var failure: Int32 = 0
        if fchmod(out, mode) != 0 { failure = errno }
        if close(out) != 0 && failure == 0 { failure = errno }
        if failure == 0 && renameat(directory, temp, directory, leaf) != 0 { failure = errno }
        if failure != 0 {
            unlinkat(directory, temp, 0)
            return .failure(ContainmentError("write", leaf, failure))
        }
        return .success(.rewritten)
    }

    /// The substitution itself: each block is joined to the carried tail of the previous one; a
    /// match may start only where the longest key still fits (or anywhere at end of file).
    private static func stream(from fd: Int32, to out: Int32, buffer: UnsafeMutableRawPointer, blockSize: Int,
                               table: PlaceholderReplacement.Table, changed: inout Bool,
                               cancellation: CancellationFlag?) -> Int32 {
        let longest = table.pairs.map(\.key.count).max() ?? table.marker.count
        var carry: [UInt8] = []
        var offset: off_t = 0
        var output: [UInt8] = []
        output.reserveCapacity(blockSize + blockSize / 4)
        while true {
            if cancellation?.isCancelled == true { return ECANCELED }
            let count = pread(fd, buffer, blockSize, offset)
            if count < 0 { if errno == EINTR { continue }; return errno }
            offset += off_t(max(count, 0))
            let atEnd = count == 0
            var data = carry
            data.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: count))
            let safeEnd = atEnd ? data.count : max(0, data.count - (longest - 1))
            output.removeAll(keepingCapacity: true)
            var copied = 0
            data.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return }
                var from = 0
                while let position = PlaceholderReplacement.find(table.marker, in: base, count: raw.count, from: from),
                      position < safeEnd {
                    guard let pair = table.pairs.first(where: { position + $0.key.count <= raw.count
                              && memcmp(base + position, $0.key, $0.key.count) == 0 }) else {
                        from = position + 1
                        continue
                    }
                    output.append(contentsOf: raw[copied..<position])
                    output.append(contentsOf: pair.value)
                    copied = position + pair.key.count
                    from = copied
                    changed = true
                }
                let keep = max(copied, safeEnd)
                output.append(contentsOf: raw[copied..<keep])
                carry = Array(raw[keep...])
            }
            if let code = writeAll(out, output) { return code }
            if atEnd { return 0 }
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBytes { PosixFS.writeAll(fd, $0) }
    }

    private static func copyBack(from temp: Int32, to leaf: String, in directory: Int32, mode: mode_t,
                                 buffer: UnsafeMutableRawPointer, blockSize: Int) -> Int32 {
        var restore = false
        var target = openat(directory, leaf, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC)
        if target < 0 && errno == EACCES && fchmodat(directory, leaf, mode | 0o200, 0) == 0 {
            restore = true
            target = openat(directory, leaf, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC)
        }
        guard target >= 0 else { return errno }
        defer {
            if restore { fchmod(target, mode) }
            close(target)
        }
        var offset: off_t = 0
        while true {
            let count = pread(temp, buffer, blockSize, offset)
            if count < 0 { if errno == EINTR { continue }; return errno }
            if count == 0 { return 0 }
            if let code = writeAll(target, [UInt8](UnsafeRawBufferPointer(start: buffer, count: count))) { return code }
            offset += off_t(count)
        }
    }
}
