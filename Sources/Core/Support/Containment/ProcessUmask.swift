import Foundation

/// The process umask, read once without changing it.
///
/// `umask(2)` can only be read by setting it, and setting it races with every thread creating a
/// file meanwhile; Linux (≥ 4.7) reports it in `/proc/self/status` instead, which is read first.
/// libarchive's `archive_write_disk_new` does the set-and-restore dance itself, so the value is
/// first read before any extraction creates a writer (`BottleExtractor.extract` touches it first;
/// `swift_once` makes concurrent first readers wait). Immutable after first use; safe from any queue.
enum ProcessUmask {
    static let value: mode_t = {
        #if os(Linux)
            if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
               let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Umask:") }),
               let mask = mode_t(line.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces), radix: 8) {
                return mask & 0o777
            }
        #endif
        let mask = umask(0o022)
        umask(mask)
        return mask & 0o777
    }()
}
