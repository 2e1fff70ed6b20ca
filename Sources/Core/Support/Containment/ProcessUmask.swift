import Foundation

/// The process umask, read once without changing it.
///
/// `umask(2)` can only be read by setting it, and setting it races with every thread creating a
/// file meanwhile; Linux (≥ 4.7) reports it in `/proc/self/status` instead, which is read first.
/// Extraction writes entries with `KegDiskWriter`, which never sets the umask (libarchive's disk
/// writer set it to 0 and back around every entry); `BottleExtractor.extract` applies this value
/// to every mode. Immutable after first use (`swift_once`); safe from any queue.
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
