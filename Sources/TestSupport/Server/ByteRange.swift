import Foundation

/// The outcome of a `Range` request header against a body of known size (RFC 9110 §14).
/// Only single ranges are honoured; anything malformed or multi-range is ignored (full body),
/// as servers commonly do.
enum ByteRange: Equatable {
    /// Send the whole body with 200.
    case full
    /// Send bytes `start...end` (inclusive) with 206.
    case partial(start: Int, end: Int)
    /// 416 with `Content-Range: bytes */size`.
    case unsatisfiable

    init(header: String?, size: Int) {
        guard let header, header.hasPrefix("bytes=") else {
            self = .full
            return
        }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else {
            self = .full
            return
        }
        let first = spec[spec.startIndex..<dash]
        let last = spec[spec.index(after: dash)...]
        if first.isEmpty {
            // Suffix range: the last N bytes.
            guard let suffix = Int(last), suffix >= 0 else { self = .full; return }
            if suffix == 0 || size == 0 { self = .unsatisfiable; return }
            self = .partial(start: max(0, size - suffix), end: size - 1)
            return
        }
        guard let start = Int(first), start >= 0 else { self = .full; return }
        var end = size - 1
        if !last.isEmpty {
            guard let parsed = Int(last), parsed >= start else { self = .full; return }
            end = min(parsed, size - 1)
        }
        self = start >= size ? .unsatisfiable : .partial(start: start, end: end)
    }
}
