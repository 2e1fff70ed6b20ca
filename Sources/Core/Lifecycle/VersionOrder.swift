/// Orders pkg_version strings (`1.10.2_1`, `2024.11.26`, `r3108`) the way people read them:
/// runs of digits compare as numbers, everything else as text. Used only to pick "the newest
/// keg" when nothing is linked; outdatedness is decided by inequality, as brew does for bottles.
enum VersionOrder {
    static func less(_ a: String, _ b: String) -> Bool {
        let x = parts(a), y = parts(b)
        for (p, q) in zip(x, y) where p != q {
            switch (p, q) {
            case let (.number(m), .number(n)): return m < n
            case (.number, .text): return false
            case (.text, .number): return true
            case let (.text(s), .text(t)): return s < t
            }
        }
        return x.count < y.count
    }

    private enum Part: Equatable {
        case number(Int)
        case text(String)
    }

    private static func parts(_ version: String) -> [Part] {
        var result: [Part] = []
        var digits = "", text = ""
        func flush() {
            if !digits.isEmpty { result.append(.number(Int(digits.prefix(18)) ?? 0)); digits = "" }
            if !text.isEmpty { result.append(.text(text)); text = "" }
        }
        for character in version {
            if character.isASCII && character.isNumber {
                if !text.isEmpty { flush() }
                digits.append(character)
            } else if character == "." || character == "_" || character == "-" {
                flush()
            } else {
                if !digits.isEmpty { flush() }
                text.append(character)
            }
        }
        flush()
        return result
    }
}
