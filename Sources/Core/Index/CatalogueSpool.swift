import Foundation

/// Where a downloaded catalogue waits to be built into the index: a file in the index's
/// directory, unlinked the moment it is created, so it never outlives its descriptor (a crash or
/// `kill -9` leaves nothing behind) and its 30 MB live in the kernel's page cache, not in pour's
/// heap — holding the body in a `Data` was most of `update --force`'s 160 MB peak
/// (Docs/Performance.md, "Streaming index build").
///
/// Confinement: written on the updater's queue while the transfer runs, then handed, finished,
/// to the queue that builds the index (one hand-over through `DispatchQueue.async`, which orders
/// the memory); `@unchecked Sendable` for that hand-over.
final class CatalogueSpool: @unchecked Sendable {
    let directory: String
    let fileDescriptor: Int32
    /// The first write error; later writes are dropped and the update fails with it.
    private(set) var failure: String?

    init(directory: String) throws(IndexError) {
        self.directory = directory
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = "\(directory)/.catalogue-\(getpid())-\(UInt32.random(in: 0 ... .max)).download"
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .spool(directory: directory, message: errnoText()) }
        unlink(path)
        fileDescriptor = fd
    }

    deinit { close(fileDescriptor) }

    /// Empties the file for another attempt.
    func reset() {
        failure = nil
        if ftruncate(fileDescriptor, 0) != 0 { failure = errnoText() }
        lseek(fileDescriptor, 0, SEEK_SET)
    }

    func append(_ data: Data) {
        guard failure == nil else { return }
        data.withUnsafeBytes { bytes in
            if let code = PosixFS.writeAll(fileDescriptor, bytes) { failure = String(cString: strerror(code)) }
        }
    }
}
