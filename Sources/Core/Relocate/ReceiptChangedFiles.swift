import Foundation

/// Reads `changed_files` from a receipt shipped inside a bottle.
///
/// Stateless; safe from any queue. A missing, over-large or malformed receipt yields nil rather
/// than an error: the relocator then scans every file, which is always correct, only slower.
enum ReceiptChangedFiles {
    /// Receipts are a few KB; anything past this is not a receipt worth trusting.
    static let maxReceiptBytes = 16 << 20

    static func read(receiptAt path: String) -> [String]? {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
              Int(info.st_size) <= maxReceiptBytes,
              let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data),
              let receipt = object as? [String: Any],
              let list = receipt["changed_files"] as? [Any]
        else { return nil }
        // Keep only strings: a receipt with odd members still tells us about the valid ones.
        return list.compactMap { $0 as? String }
    }
}
