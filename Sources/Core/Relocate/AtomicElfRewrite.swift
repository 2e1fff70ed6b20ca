import Foundation

/// Writes a patched copy of a file next to it and renames it over the original, so a reader sees
/// either the old or the new binary and a failure leaves the original untouched with no temp
/// file behind.
///
/// Hard links: the rename gives the patched path a new inode, so the other names of the old inode
/// (found by the caller while walking the keg) are re-pointed at it with `link` to a temporary name
/// plus `rename`, each atomic. Afterwards they all share the new inode again, as before. Stateless.
enum AtomicElfRewrite {
    private static let copyChunk = 1 << 20

    /// Copies `size` bytes of `sourceFD`, zero-extends to `plan.newSize`, applies the writes, gives
    /// the copy `mode`, then renames it onto `path`.
    static func write(_ plan: ElfPatchPlan, sourceFD: Int32, size: UInt64, to path: String, mode: mode_t,
                      package: String, file: String) throws(RelocationError) {
        func failure(_ what: String) -> RelocationError {
            .ioFailed(package: package, file: file, reason: "\(what): \(errnoText())")
        }
        let directory = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        var template = Array((directory + "/.pour-elf-" + String(base.prefix(64)) + ".XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let pointer = buffer.baseAddress else { return -1 }
            return mkstemp(pointer)
        }
        guard fd >= 0 else { throw failure("cannot create a temporary file") }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var renamed = false
        defer {
            close(fd)
            if !renamed { unlink(temporary) }
        }

        try copy(from: sourceFD, to: fd, size: size, failure: failure)
        if plan.newSize > size {
            guard let length = off_t(exactly: plan.newSize), ftruncate(fd, length) == 0 else { throw failure("cannot extend") }
        }
        for item in plan.writes {
            guard let offset = Int(exactly: item.offset) else { throw failure("write offset out of range") }
            try writeAll(item.bytes, to: fd, at: offset, failure: failure)
        }
        guard fchmod(fd, mode & 0o7777) == 0 else { throw failure("cannot set the mode") }
        guard rename(temporary, path) == 0 else { throw failure("cannot replace the file") }
        renamed = true
    }

    /// Makes `otherPath` another name of `path`'s inode, atomically replacing what it named.
    static func relink(_ otherPath: String, to path: String, package: String, file: String) throws(RelocationError) {
        let temporary = (otherPath as NSString).deletingLastPathComponent + "/.pour-link-"
            + String((otherPath as NSString).lastPathComponent.prefix(64)) + "." + UUID().uuidString.prefix(8)
        guard link(path, temporary) == 0 else {
            throw .ioFailed(package: package, file: file, reason: "cannot hard-link: \(errnoText())")
        }
        guard rename(temporary, otherPath) == 0 else {
            let reason = errnoText()
            unlink(temporary)
            throw .ioFailed(package: package, file: file, reason: "cannot replace hard link: \(reason)")
        }
    }

    private static func copy(from source: Int32, to target: Int32, size: UInt64,
                             failure: (String) -> RelocationError) throws(RelocationError) {
        var buffer = [UInt8](repeating: 0, count: copyChunk)
        var done: UInt64 = 0
        while done < size {
            let want = Int(min(UInt64(copyChunk), size - done))
            guard let offset = off_t(exactly: done) else { throw failure("file too large") }
            let got = buffer.withUnsafeMutableBytes { raw -> Int in
                guard let pointer = raw.baseAddress else { return 0 }
                return pread(source, pointer, want, offset)
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw failure("read failed")
            }
            if got == 0 { throw failure("file shrank while being copied") }
            try writeAll(Array(buffer[0..<got]), to: target, at: Int(done), failure: failure)
            done += UInt64(got)
        }
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32, at offset: Int,
                                 failure: (String) -> RelocationError) throws(RelocationError) {
        var done = 0
        while done < bytes.count {
            let wrote = bytes.withUnsafeBytes { raw -> Int in
                guard let pointer = raw.baseAddress else { return 0 }
                return pwrite(fd, pointer + done, bytes.count - done, off_t(offset + done))
            }
            if wrote < 0 {
                if errno == EINTR { continue }
                throw failure("write failed")
            }
            if wrote == 0 { throw failure("write made no progress") }
            done += wrote
        }
    }
}
