import Foundation
import PourCore

/// The scripted faults of a server: an ordered list of rules, each consumed once per request it
/// fires on, so "fail twice, then succeed" is two uses of one rule.
///
/// Thread-safe: rules live in a `Locked` box; tests add rules while the event loops consume them.
package final class FaultScript: Sendable {
    /// One rule and how many more times it may fire.
    package struct Rule: Hashable, Sendable {
        package var fault: Fault
        package var match: FaultMatch
        /// Remaining uses; nil fires forever.
        package var remaining: Int?
        /// Restrict to one listener; nil for both.
        package var listener: RegistryListener?

        package init(fault: Fault, match: FaultMatch, times: Int? = 1, listener: RegistryListener? = nil) {
            self.fault = fault
            self.match = match
            remaining = times
            self.listener = listener
        }
    }

    private let rules = Locked<[Rule]>([])

    package init() {}

    /// Adds a rule; `times` nil means every matching request, forever.
    package func add(_ fault: Fault, for match: FaultMatch, times: Int? = 1, listener: RegistryListener? = nil) {
        rules.withLock { $0.append(Rule(fault: fault, match: match, times: times, listener: listener)) }
    }

    package func add(_ rule: Rule) { rules.withLock { $0.append(rule) } }

    package func removeAll() { rules.withLock { $0.removeAll() } }

    /// Rules not yet used up (for assertions that a script was fully consumed).
    package var pending: [Rule] { rules.current.filter { $0.remaining.map { $0 > 0 } ?? true } }

    /// Takes the first live rule matching the request and phase, consuming one use.
    func take(listener: RegistryListener, path: String, sha256: String?, beforeBody: Bool) -> Fault? {
        take(listener: listener, path: path, sha256: sha256, phase: beforeBody ? .beforeBody : .body)
    }

    func take(listener: RegistryListener, path: String, sha256: String?, phase: FaultPhase) -> Fault? {
        rules.withLock { list -> Fault? in
            for index in list.indices {
                let rule = list[index]
                if let remaining = rule.remaining, remaining <= 0 { continue }
                if let only = rule.listener, only != listener { continue }
                guard rule.fault.phase == phase,
                      rule.match.matches(path: path, sha256: sha256) else { continue }
                if let remaining = rule.remaining { list[index].remaining = remaining - 1 }
                return rule.fault
            }
            return nil
        }
    }

    /// Loads rules from a JSON array, e.g.
    /// `[{"sha256": "ab…", "fault": "status", "code": 503, "times": 2, "retry_after": 1},
    ///   {"path_suffix": "/formula.json", "fault": "stall", "after_bytes": 100, "seconds": 5},
    ///   {"fault": "trickle", "bytes_per_second": 50000, "times": null, "listener": "blob"}]`.
    /// Fault names: status, reset_after, stall, truncate, wrong_bytes, redirect_loop,
    /// redirect_to_auth_host, trickle, no_response, redirect (`location`), ignore_range,
    /// wrong_content_range, different_body. `times` defaults to 1; null means forever.
    package func load(fromFile path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RegistryError.io(path: path, message: "cannot read faults file")
        }
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            throw RegistryError.invalidJSON(path: path, message: "\(error)")
        }
        guard let list = parsed as? [[String: Any]] else {
            throw RegistryError.invalidJSON(path: path, message: "expected an array of objects")
        }
        let loaded = try list.enumerated().map { index, object in
            try Self.rule(from: object, where: "\(path)[\(index)]")
        }
        rules.withLock { $0.append(contentsOf: loaded) }
    }

    private static func rule(from object: [String: Any], where place: String) throws -> Rule {
        func int(_ key: String) throws -> Int {
            guard let value = object[key] as? Int else {
                throw RegistryError.invalidJSON(path: place, message: "\"\(key)\" (integer) required")
            }
            return value
        }
        let match: FaultMatch
        if let sha = object["sha256"] as? String {
            match = .sha256(sha)
        } else if let suffix = object["path_suffix"] as? String {
            match = .pathSuffix(suffix)
        } else {
            match = .any
        }
        let fault: Fault
        switch object["fault"] as? String {
        case "status": fault = .status(try int("code"), retryAfter: object["retry_after"] as? Int)
        case "reset_after": fault = .resetAfter(bytes: try int("after_bytes"))
        case "stall":
            fault = .stall(afterBytes: try int("after_bytes"), seconds: (object["seconds"] as? Double) ?? 3600)
        case "truncate": fault = .truncate(afterBytes: try int("after_bytes"))
        case "wrong_bytes": fault = .wrongBytes
        case "redirect_loop": fault = .redirectLoop
        case "redirect_to_auth_host": fault = .redirectToAuthHost
        case "trickle": fault = .trickle(bytesPerSecond: try int("bytes_per_second"))
        case "no_response": fault = .noResponse
        case "ignore_range": fault = .ignoreRange
        case "wrong_content_range": fault = .wrongContentRange
        case "different_body": fault = .differentBody
        case "redirect":
            guard let target = object["location"] as? String else {
                throw RegistryError.invalidJSON(path: place, message: "\"location\" (string) required")
            }
            fault = .redirect(to: target)
        default:
            throw RegistryError.invalidJSON(path: place, message: "unknown or missing \"fault\"")
        }
        var times: Int? = 1
        if object.keys.contains("times") { times = object["times"] as? Int }
        var listener: RegistryListener?
        if let name = object["listener"] as? String {
            guard let parsed = RegistryListener(rawValue: name) else {
                throw RegistryError.invalidJSON(path: place, message: "listener must be registry or blob")
            }
            listener = parsed
        }
        return Rule(fault: fault, match: match, times: times, listener: listener)
    }
}
