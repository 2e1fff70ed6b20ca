/// The response header names `ActiveTransfer` reads (`Retry-After`, validators,
/// `Content-Range`, `Location`, `Accept-Ranges`), recognised on the bytes of an ASCII header line so that the
/// other lines (`Content-Type`, `Content-Length`, `Date`, …) cost no `String` work.
///
/// Stateless; safe from any thread.
enum HeaderName {
    static let remembered: [[UInt8]] = ["retry-after", "etag", "last-modified", "content-range", "location", "accept-ranges"].map { Array($0.utf8) }

    /// The remembered name `name` (the ASCII bytes before a header line's colon) is, once
    /// trimmed of spaces and tabs and lower-cased as the `String` reading does (`.whitespaces`
    /// holds no other ASCII character); nil for any other name.
    static func remembered(_ name: UnsafeRawBufferPointer) -> String? {
        var start = 0
        var end = name.count
        while start < end, name[start] == 0x20 || name[start] == 0x09 { start += 1 }
        while end > start, name[end - 1] == 0x20 || name[end - 1] == 0x09 { end -= 1 }
        let match = remembered.first { candidate in
            candidate.count == end - start && candidate.indices.allSatisfy { index in
                let byte = name[start + index]
                let lower = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
                return lower == candidate[index]
            }
        }
        return match.map { String(decoding: $0, as: UTF8.self) }
    }

    /// An ASCII header value trimmed as `trimmingCharacters(in: .whitespacesAndNewlines)` trims
    /// it: its ASCII members are U+0009–U+000D and the space.
    static func trimmedValue(_ value: UnsafeRawBufferPointer) -> String {
        func blank(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        var start = 0
        var end = value.count
        while start < end, blank(value[start]) { start += 1 }
        while end > start, blank(value[end - 1]) { end -= 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: value[start..<end]), as: UTF8.self)
    }
}
