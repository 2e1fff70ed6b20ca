/// The response header names `ActiveTransfer` reads (`Retry-After`, validators,
/// `Content-Range`, `Location`), recognised on the bytes of an ASCII header line so that the
/// other lines (`Content-Type`, `Content-Length`, `Date`, …) cost no `String` work.
///
/// Stateless; safe from any thread.
enum HeaderName {
    static let remembered: [[UInt8]] = ["retry-after", "etag", "last-modified", "content-range", "location"].map { Array($0.utf8) }

    /// Whether `name` (the ASCII bytes before a header line's colon), trimmed of spaces and tabs
    /// and lower-cased as the `String` reading does (`.whitespaces` holds no other ASCII
    /// character), is one of `remembered`.
    static func remembered(_ name: UnsafeRawBufferPointer) -> Bool {
        var start = 0
        var end = name.count
        while start < end, name[start] == 0x20 || name[start] == 0x09 { start += 1 }
        while end > start, name[end - 1] == 0x20 || name[end - 1] == 0x09 { end -= 1 }
        return remembered.contains { candidate in
            candidate.count == end - start && candidate.indices.allSatisfy { index in
                let byte = name[start + index]
                let lower = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
                return lower == candidate[index]
            }
        }
    }
}
