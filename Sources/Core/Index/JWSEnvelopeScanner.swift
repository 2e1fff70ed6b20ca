import Foundation

/// Pulls `payload` (unescaped) and the raw `signatures` array out of a JWS JSON envelope in one
/// pass over the bytes. `JSONDecoder` builds a Swift `String` of the 30 MB payload and then
/// copies it again; this scanner writes the unescaped bytes straight into one buffer, which
/// is what verification and decoding consume. It accepts only a top-level object and refuses
/// duplicate `payload` keys, so there is exactly one candidate for what gets verified.
///
/// Stateless; safe from any queue.
enum JWSEnvelopeScanner {
    struct Parts {
        var payload: Data?
        /// The `signatures` value exactly as written, for `JSONDecoder`.
        var signatures: Data?
    }

    /// nil when the envelope is not a well-formed JSON object at the places the scanner reads.
    static func scan(_ data: Data) -> Parts? {
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Parts? in
            let bytes = raw.bindMemory(to: UInt8.self)
            var index = 0
            var parts = Parts()
            skipSpace(bytes, &index)
            guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return nil }
            index += 1
            skipSpace(bytes, &index)
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { return parts }
            while true {
                skipSpace(bytes, &index)
                guard let key = string(bytes, &index) else { return nil }
                skipSpace(bytes, &index)
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
                index += 1
                skipSpace(bytes, &index)
                switch key {
                case Array("payload".utf8):
                    guard parts.payload == nil, let value = string(bytes, &index) else { return nil }
                    parts.payload = Data(value)
                case Array("signatures".utf8):
                    let start = index
                    guard skipValue(bytes, &index) else { return nil }
                    parts.signatures = Data(UnsafeBufferPointer(rebasing: bytes[start ..< index]))
                default:
                    guard skipValue(bytes, &index) else { return nil }
                }
                skipSpace(bytes, &index)
                guard index < bytes.count else { return nil }
                if bytes[index] == UInt8(ascii: "}") { return parts }
                guard bytes[index] == UInt8(ascii: ",") else { return nil }
                index += 1
            }
        }
    }

    private static func skipSpace(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    /// Reads a JSON string starting at its opening quote; returns its UTF-8 bytes unescaped.
    private static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) -> [UInt8]? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        index += 1
        var out: [UInt8] = []
        var runStart = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart ..< index]))
                index += 1
                return out
            }
            if byte < 0x20 { return nil }  // raw control characters are not allowed in JSON strings
            guard byte == UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            if out.isEmpty { out.reserveCapacity(bytes.count - runStart) }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart ..< index]))
            index += 1
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): out.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hex4(bytes, index + 1) else { return nil }
                index += 4
                if (0xD800 ..< 0xDC00).contains(scalar) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    guard index + 2 < bytes.count, bytes[index + 1] == UInt8(ascii: "\\"), bytes[index + 2] == UInt8(ascii: "u"),
                          let low = hex4(bytes, index + 3), (0xDC00 ..< 0xE000).contains(low) else { return nil }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                } else if (0xDC00 ..< 0xE000).contains(scalar) {
                    return nil
                }
                guard let unicode = Unicode.Scalar(scalar) else { return nil }
                out.append(contentsOf: Array(String(Character(unicode)).utf8))
            default:
                return nil
            }
            index += 1
            runStart = index
        }
        return nil
    }

    private static func hex4(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) -> UInt32? {
        guard start + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for offset in 0 ..< 4 {
            let byte = bytes[start + offset]
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
    private static func skipValue(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) -> Bool {
        guard index < bytes.count else { return false }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            return string(bytes, &index) != nil
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    guard string(bytes, &index) != nil else { return false }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 {
                        index += 1
                        return true
                    }
                default:
                    break
                }
                index += 1
            }
            return false
        default:
            let start = index
            while index < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D]
                .contains(bytes[index]) { index += 1 }
            return index > start
        }
    }
}
