import Foundation

/// A strict, allocation-light JSON reader over bytes, for the documents an install reads once per
/// package (`formula/<name>.json`, the bottle's image index and its tab): the caller walks the
/// document field by field and skips what it does not use, instead of `JSONDecoder` building a
/// keyed container (a dictionary of every key) per object and throwing a `DecodingError` per
/// lenient miss — 450 M instructions for the 1,000 formula objects of an install of 1,000 tiny
/// bottles without the index (Docs/Performance.md, "Fourth pass").
///
/// It accepts only plain RFC 8259 text and answers `Unusual` for anything else: a syntax error, a
/// byte-order mark, a lone surrogate, invalid UTF-8, nesting deeper than `maxDepth`. The callers
/// treat `Unusual` as "decode this document the old way" (`JSONDecoder`), so an accepted document
/// reads exactly as before and an odd one keeps the old result and error text.
///
/// Not thread-safe: a value used by one caller at a time, over bytes that outlive it.
struct JSONByteReader {
    /// Thrown for anything outside the fast path; carries nothing (typed throws: no allocation).
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    struct Unusual: Error {}

    /// The kind of the next value, from its first byte.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    enum Kind { case object, array, string, number, bool, null }

    static let maxDepth = 64

    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private var depth = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    // MARK: Structure

    /// The kind of the next value (whitespace skipped); `Unusual` when none can start here.
    mutating func peekKind() throws(Unusual) -> Kind {
        skipWhitespace()
        guard position < bytes.count else { throw Unusual() }
        switch bytes[position] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: throw Unusual()
        }
    }

    /// An object key: its bytes as written when it holds no escape (no `String` is built for
    /// keys the caller only compares), else its decoded text.
    ///
    /// Thread-safety: valid only while the reader's bytes are; used within one call.
    struct Key {
        let raw: UnsafeRawBufferPointer
        let decoded: String?

        var string: String { decoded ?? String(decoding: raw, as: UTF8.self) }

        /// Whether the key is `text` (compared as UTF-8 bytes).
        func equals(_ text: StaticString) -> Bool {
            if let decoded { return decoded.utf8.elementsEqual(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)) }
            return raw.count == text.utf8CodeUnitCount
                && (raw.count == 0 || memcmp(raw.baseAddress!, text.utf8Start, raw.count) == 0)
        }
    }

    /// Reads an object, calling `field` with each key; `field` must consume the key's value.
    mutating func readObject(_ field: (inout JSONByteReader, Key) throws(Unusual) -> Void) throws(Unusual) {
        try expect(UInt8(ascii: "{"))
        try enter()
        skipWhitespace()
        if try consume(UInt8(ascii: "}")) { depth -= 1; return }
        while true {
            skipWhitespace()
            let key = try readKey()
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            try field(&self, key)
            skipWhitespace()
            if try consume(UInt8(ascii: ",")) { continue }
            try expect(UInt8(ascii: "}"))
            depth -= 1
            return
        }
    }

    /// Reads an array, calling `element` once per element; `element` must consume it.
    mutating func readArray(_ element: (inout JSONByteReader) throws(Unusual) -> Void) throws(Unusual) {
        try expect(UInt8(ascii: "["))
        try enter()
        skipWhitespace()
        if try consume(UInt8(ascii: "]")) { depth -= 1; return }
        while true {
            try element(&self)
            skipWhitespace()
            if try consume(UInt8(ascii: ",")) { continue }
            try expect(UInt8(ascii: "]"))
            depth -= 1
            return
        }
    }

    /// Checks that only whitespace follows the document.
    mutating func finish() throws(Unusual) {
        skipWhitespace()
        guard position == bytes.count else { throw Unusual() }
    }

    // MARK: Scalars

    /// A string value; `Unusual` for another kind or an odd string.
    mutating func readString() throws(Unusual) -> String {
        let key = try readKey()
        return key.string
    }

    /// A string as a `Key`: raw bytes unless it holds escapes.
    mutating func readKey() throws(Unusual) -> Key {
        skipWhitespace()
        try expect(UInt8(ascii: "\""))
        let start = position
        var ascii = true
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<position])
                position += 1
                if !ascii {
                    guard let text = String(validating: raw, as: UTF8.self) else { throw Unusual() }
                    return Key(raw: raw, decoded: text)
                }
                return Key(raw: raw, decoded: nil)
            }
            if byte == UInt8(ascii: "\\") { return Key(raw: UnsafeRawBufferPointer(start: nil, count: 0), decoded: try readEscapedString(from: start)) }
            if byte < 0x20 { throw Unusual() }
            if byte >= 0x80 { ascii = false }
            position += 1
        }
        throw Unusual()
    }

    /// `true`/`false`.
    mutating func readBool() throws(Unusual) -> Bool {
        skipWhitespace()
        if try consumeLiteral("true") { return true }
        if try consumeLiteral("false") { return false }
        throw Unusual()
    }

    /// `null`.
    mutating func readNull() throws(Unusual) {
        skipWhitespace()
        guard try consumeLiteral("null") else { throw Unusual() }
    }

    /// A number written as a plain integer (`-12`, `0`) that fits in `Int`; `Unusual` for any other
    /// number (a fraction or exponent: the caller's old path decides what those mean).
    mutating func readPlainInt() throws(Unusual) -> Int {
        skipWhitespace()
        let start = position
        try skipNumber()
        var index = start
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        var value = 0
        while index < position {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { throw Unusual() }
            let digit = Int(byte - UInt8(ascii: "0"))
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            guard !o1, !o2 else { throw Unusual() }
            value = next
            index += 1
        }
        return value
    }

    /// Steps over one value of any kind, checking its syntax.
    mutating func skipValue() throws(Unusual) {
        switch try peekKind() {
        case .object: try readObject { reader, _ throws(Unusual) in try reader.skipValue() }
        case .array: try readArray { reader throws(Unusual) in try reader.skipValue() }
        case .string: try skipString()
        case .number: try skipNumber()
        case .bool: _ = try readBool()
        case .null: try readNull()
        }
    }

    // MARK: Private

    private mutating func enter() throws(Unusual) {
        depth += 1
        guard depth <= Self.maxDepth else { throw Unusual() }
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    private mutating func expect(_ byte: UInt8) throws(Unusual) {
        guard position < bytes.count, bytes[position] == byte else { throw Unusual() }
        position += 1
    }

    private mutating func consume(_ byte: UInt8) throws(Unusual) -> Bool {
        guard position < bytes.count else { throw Unusual() }
        guard bytes[position] == byte else { return false }
        position += 1
        return true
    }

    private mutating func consumeLiteral(_ literal: StaticString) throws(Unusual) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        let text = UnsafeRawBufferPointer(start: literal.utf8Start, count: count)
        for offset in 0..<count where bytes[position + offset] != text[offset] { return false }
        position += count
        return true
    }

    /// A string without building it when it is plain ASCII; validates it like `readString`.
    private mutating func skipString() throws(Unusual) {
        _ = try readKey()
    }

    /// RFC 8259 number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func skipNumber() throws(Unusual) {
        func digits(_ reader: inout JSONByteReader) -> Int {
            let start = reader.position
            while reader.position < reader.bytes.count, reader.bytes[reader.position] >= UInt8(ascii: "0"),
                  reader.bytes[reader.position] <= UInt8(ascii: "9") { reader.position += 1 }
            return reader.position - start
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count else { throw Unusual() }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else if digits(&self) == 0 {
            throw Unusual()
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits(&self) > 0 else { throw Unusual() }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard digits(&self) > 0 else { throw Unusual() }
        }
        // A number must end where a delimiter can follow (`01`, `1x` are not numbers).
        if position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x0D, 0x09: break
            default: throw Unusual()
            }
        }
    }

    /// The slow part of `readString`: a string holding escapes, from its first byte at `start`.
    private mutating func readEscapedString(from start: Int) throws(Unusual) -> String {
        var utf8: [UInt8] = []
        utf8.reserveCapacity(position - start + 16)
        utf8.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<position]))
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: utf8, as: UTF8.self) else { throw Unusual() }
                return text
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { throw Unusual() }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try readHex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        // A high surrogate must be followed by `\u` and a low one.
                        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                              bytes[position + 1] == UInt8(ascii: "u") else { throw Unusual() }
                        position += 2
                        let low = try readHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw Unusual() }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw Unusual()
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw Unusual() }
                    UTF8.encode(unicode) { utf8.append($0) }
                default:
                    throw Unusual()
                }
            default:
                if byte < 0x20 { throw Unusual() }
                utf8.append(byte)
            }
        }
        throw Unusual()
    }

    private mutating func readHex4() throws(Unusual) -> UInt32 {
        guard position + 4 <= bytes.count else { throw Unusual() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Unusual()
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }
}
