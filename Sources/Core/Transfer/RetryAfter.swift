import Foundation

/// Parses an HTTP `Retry-After` value: delta-seconds or an HTTP-date.
enum RetryAfter {
    static func seconds(from value: String, now: Date = Date()) -> Double? {
        if let seconds = Double(value), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}
