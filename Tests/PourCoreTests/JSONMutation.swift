import Foundation
@testable import PourCore

/// Seeded random edits of JSON documents, for the tests that check a byte reader either steps
/// aside or agrees with `JSONDecoder` (`FormulaJSONReadingTests`, `InstallReceiptReadingTests`):
/// each document is parsed, one to four random keys (at the top, in a nested object, or in an
/// object inside a list) are set to random values from `pool`, and it is written back.
enum JSONMutation {
    static func documents(from bases: [String], count: Int, keys: [String], pool: [Any], seed: UInt64) throws -> [String] {
        var random = SplitMix64(state: seed)
        var result: [String] = []
        for iteration in 0..<count {
            guard var root = try JSONSerialization.jsonObject(with: Data(bases[iteration % bases.count].utf8)) as? [String: Any]
            else { throw CocoaError(.propertyListReadCorrupt) }
            for _ in 0..<(1 + random.below(4)) {
                root = mutate(root, keys: keys, pool: pool, random: &random, depth: 0)
            }
            result.append(String(decoding: try JSONSerialization.data(withJSONObject: root), as: UTF8.self))
        }
        return result
    }

    /// Sets a random key of `object`, or of an object nested in it (lists of objects included),
    /// to a random pool value.
    private static func mutate(_ object: [String: Any], keys: [String], pool: [Any], random: inout SplitMix64,
                               depth: Int) -> [String: Any] {
        var object = object
        let nested = object.keys.sorted().filter { object[$0] is [String: Any] || object[$0] is [[String: Any]] }
        if depth < 4, !nested.isEmpty, random.below(2) == 0 {
            let key = nested[random.below(nested.count)]
            if let inner = object[key] as? [String: Any] {
                object[key] = mutate(inner, keys: keys, pool: pool, random: &random, depth: depth + 1)
                return object
            }
            if var list = object[key] as? [[String: Any]], !list.isEmpty {
                let index = random.below(list.count)
                list[index] = mutate(list[index], keys: keys, pool: pool, random: &random, depth: depth + 1)
                object[key] = list
                return object
            }
        }
        object[keys[random.below(keys.count)]] = pool[random.below(pool.count)]
        return object
    }
}
