import Foundation

/// The parts of a JWS JSON envelope (`formula.jws.json`) as positions in the file: where the
/// `payload` string starts, and the raw `signatures` value (small; copied for `JSONDecoder`).
///
/// The payload — the whole 30 MB catalogue as one JSON string — is never copied here: `scan`
/// steps over it, and `streamPayload` unescapes it in runs straight into a consumer (the
/// signature digest, then the decoder), so no pass holds it whole. The scan accepts only a
/// top-level object and refuses a second `payload` key, so exactly one string is verified and
/// the same one decoded.
///
/// Stateless apart from the reader it is handed; used on the queue building the index.
struct JWSEnvelope {
    /// Offset of the payload string's opening quote; nil when the envelope has no payload.
    var payloadOffset: Int64?
    /// The `signatures` value exactly as written; nil when absent.
    var signatures: Data?

    /// Larger `signatures` values are refused: an entry is a few hundred bytes.
    static let signaturesLimit = 1 << 20

    /// Finds the parts; nil when the envelope is not a well-formed JSON object where it is read.
    static func scan(_ reader: CatalogueReader) -> JWSEnvelope? {
        reader.seek(to: 0)
        var envelope = JWSEnvelope()
        skipSpace(reader)
        guard reader.next() == UInt8(ascii: "{") else { return nil }
        skipSpace(reader)
        if reader.peek() == UInt8(ascii: "}") { return envelope }
        while true {
            skipSpace(reader)
            guard let key = shortString(reader) else { return nil }
            skipSpace(reader)
            guard reader.next() == UInt8(ascii: ":") else { return nil }
            skipSpace(reader)
            switch key {
            case Array("payload".utf8):
                guard envelope.payloadOffset == nil, reader.peek() == UInt8(ascii: "\"") else { return nil }
                envelope.payloadOffset = reader.offset
                guard unescapeString(reader, into: { (_: UnsafeRawBufferPointer) throws(Never) in }) else { return nil }
            case Array("signatures".utf8):
                let start = reader.offset
                guard skipValue(reader) else { return nil }
                let end = reader.offset
                guard end - start <= signaturesLimit else { return nil }
                envelope.signatures = copy(reader, from: start, to: end)
            default:
                guard skipValue(reader) else { return nil }
            }
            skipSpace(reader)
            switch reader.next() {
            case UInt8(ascii: "}"): return envelope
            case UInt8(ascii: ","): continue
            default: return nil
            }
        }
    }

    /// Unescapes the payload string at `offset` into `consume`, in runs; false when the string is
    /// not well formed (an unpaired surrogate, a raw control character, the file ends inside it).
    static func streamPayload<E: Error>(_ reader: CatalogueReader, from offset: Int64,
                                        into consume: (UnsafeRawBufferPointer) throws(E) -> Void) throws(E) -> Bool {
        reader.seek(to: offset)
        return try unescapeString(reader, into: consume)
    }

    // MARK: JSON stepping

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private static func skipSpace(_ reader: CatalogueReader) {
        while let byte = reader.peek(), isSpace(byte) { reader.advance(by: 1) }
    }

    private static func copy(_ reader: CatalogueReader, from start: Int64, to end: Int64) -> Data {
        reader.seek(to: start)
        var out = Data(capacity: Int(end - start))
        while reader.offset < end {
            let run = reader.available()
            guard !run.isEmpty else { break }
            let take = min(run.count, Int(end - reader.offset))
            out.append(UnsafeBufferPointer(rebasing: run[0 ..< take]))
            reader.advance(by: take)
        }
        return out
    }

    /// A key: its unescaped bytes, cut at 64 (the keys compared here are short; a longer key is
    /// some other key and only needs stepping over).
    private static func shortString(_ reader: CatalogueReader) -> [UInt8]? {
        var key: [UInt8] = []
        let ok = unescapeString(reader) { (run: UnsafeRawBufferPointer) throws(Never) in
            if key.count < 64 { key.append(contentsOf: run.prefix(64 - key.count)) }
        }
        return ok ? key : nil
    }

    /// Reads a JSON string from its opening quote, handing its UTF-8 bytes, unescaped, to
    /// `consume` in pieces of up to 64 KiB. The payload escapes every quote of the catalogue
    /// (`\"name\":…`), so its plain stretches are a few bytes long: they are gathered into one
    /// buffer rather than handed over one by one (a hash update and a splitter call each).
    private static func unescapeString<E: Error>(_ reader: CatalogueReader,
                                                 into consume: (UnsafeRawBufferPointer) throws(E) -> Void) throws(E) -> Bool {
        guard reader.next() == UInt8(ascii: "\"") else { return false }
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 1)
        defer { out.deallocate() }
        var filled = 0
        func flush() throws(E) {
            if filled > 0 { try consume(UnsafeRawBufferPointer(rebasing: out[0 ..< filled])) }
            filled = 0
        }
        while true {
            let run = reader.available()
            if run.isEmpty { return false }
            var end = 0
            while end < run.count {
                let byte = run[end]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
                end += 1
            }
            var copied = 0
            while copied < end {
                if filled == out.count { try flush() }
                let take = min(end - copied, out.count - filled)
                (out.baseAddress! + filled).copyMemory(from: run.baseAddress! + copied, byteCount: take)
                filled += take
                copied += take
            }
            reader.advance(by: end)
            if end == run.count { continue }
            switch reader.next() {
            case UInt8(ascii: "\""):
                try flush()
                return true
            case UInt8(ascii: "\\"):
                guard let scalar = escape(reader) else { return false }
                if filled + 4 > out.count { try flush() }
                UTF8.encode(scalar) { unit in
                    out[filled] = unit
                    filled += 1
                }
            default:
                return false  // a raw control character is not allowed in a JSON string
            }
        }
    }

    /// The character an escape stands for, the reader just past the backslash.
    private static func escape(_ reader: CatalogueReader) -> Unicode.Scalar? {
        switch reader.next() {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            guard var value = hex4(reader) else { return nil }
            if (0xD800 ..< 0xDC00).contains(value) {
                // A high surrogate must be followed by an escaped low surrogate.
                guard reader.next() == UInt8(ascii: "\\"), reader.next() == UInt8(ascii: "u"),
                      let low = hex4(reader), (0xDC00 ..< 0xE000).contains(low) else { return nil }
                value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00 ..< 0xE000).contains(value) {
                return nil
            }
            return Unicode.Scalar(value)
        default:
            return nil
        }
    }

    private static func hex4(_ reader: CatalogueReader) -> UInt32? {
        var value: UInt32 = 0
        for _ in 0 ..< 4 {
            guard let byte = reader.next() else { return nil }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0") ... UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a") ... UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A") ... UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// Steps over one JSON value (string, object, array, number or literal).
    private static func skipValue(_ reader: CatalogueReader) -> Bool {
        guard let first = reader.peek() else { return false }
        switch first {
        case UInt8(ascii: "\""):
            return unescapeString(reader, into: { (_: UnsafeRawBufferPointer) throws(Never) in })
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while let byte = reader.peek() {
                switch byte {
                case UInt8(ascii: "\""):
                    guard unescapeString(reader, into: { (_: UnsafeRawBufferPointer) throws(Never) in }) else { return false }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 {
                        reader.advance(by: 1)
                        return true
                    }
                default:
                    break
                }
                reader.advance(by: 1)
            }
            return false
        default:
            var length = 0
            while let byte = reader.peek(), byte != UInt8(ascii: ","), byte != UInt8(ascii: "}"),
                  byte != UInt8(ascii: "]"), !isSpace(byte) {
                reader.advance(by: 1)
                length += 1
            }
            return length > 0
        }
    }
}
