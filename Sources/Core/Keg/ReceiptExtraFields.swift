/// A JSON value kept verbatim, so fields brew writes that pour does not model (`built_on.xcode`,
/// `runtime_dependencies[].uses_from_macos`, fields of future brew versions…) survive when pour
/// rewrites a brew-written receipt (say, to mark a dependency as installed on request).
///
/// Immutable value; safe to share across queues.
package enum ReceiptJSONValue: Codable, Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([ReceiptJSONValue])
    case object([String: ReceiptJSONValue])

    package init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Int.self) { self = .int(v) }
        else if let v = try? c.decode(Double.self) { self = .double(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else if let v = try? c.decode([ReceiptJSONValue].self) { self = .array(v) }
        else { self = .object(try c.decode([String: ReceiptJSONValue].self)) }
    }

    package func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case let .bool(v): try c.encode(v)
        case let .int(v): try c.encode(v)
        case let .double(v): try c.encode(v)
        case let .string(v): try c.encode(v)
        case let .array(v): try c.encode(v)
        case let .object(v): try c.encode(v)
        }
    }
}

/// Any JSON object key, for reading and writing the fields a `CodingKeys` enum does not list.
struct ReceiptDynamicKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

enum ReceiptExtraFields {
    /// The fields of the object being decoded whose names `Known` does not list.
    static func read<Known: CodingKey>(_ decoder: Decoder, known: Known.Type) -> [String: ReceiptJSONValue] {
        guard let c = try? decoder.container(keyedBy: ReceiptDynamicKey.self) else { return [:] }
        var extra: [String: ReceiptJSONValue] = [:]
        for key in c.allKeys where Known(stringValue: key.stringValue) == nil {
            if let value = try? c.decode(ReceiptJSONValue.self, forKey: key) { extra[key.stringValue] = value }
        }
        return extra
    }

    /// Writes `extra` into the object being encoded, after the known fields, in name order.
    static func write(_ extra: [String: ReceiptJSONValue], to encoder: Encoder) throws {
        guard !extra.isEmpty else { return }
        var c = encoder.container(keyedBy: ReceiptDynamicKey.self)
        for key in extra.keys.sorted() { try c.encode(extra[key], forKey: ReceiptDynamicKey(stringValue: key)) }
    }
}
