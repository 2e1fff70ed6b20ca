import Foundation

/// A Homebrew version string (`5.1.15`, `4.4.0-12-gabc1234`, `5.2.0-rc1`) compared the way
/// brew's `Version` does for the values a tab's `homebrew_version` takes (`Library/Homebrew/version.rb`):
/// split into numeric and alphabetic tokens, numbers compared as numbers (so `5.1.9` < `5.1.15`,
/// which a string compare gets wrong), missing tokens count as zero, and a pre-release word
/// (`alpha`, `beta`, `pre`, `rc`) sorts before the release it precedes. Any other trailing word
/// (a `git describe` suffix such as `-12-gabc1234`) sorts after it.
///
/// Immutable value; safe to share across queues.
package struct HomebrewVersion: Comparable, Sendable {
    enum Token: Equatable {
        case number(UInt64)
        case prerelease(String)
        case word(String)
    }

    let tokens: [Token]

    package init(_ text: String) {
        var tokens: [Token] = []
        var current = ""
        var currentIsDigit = false
        func flush() {
            guard !current.isEmpty else { return }
            if currentIsDigit {
                tokens.append(.number(UInt64(current.prefix(18)) ?? UInt64.max))
            } else {
                let lower = current.lowercased()
                let isPre = ["alpha", "beta", "pre", "rc"].contains(lower)
                tokens.append(isPre ? .prerelease(lower) : .word(lower))
            }
            current = ""
        }
        for character in text {
            if character.isASCII && character.isNumber {
                if !currentIsDigit { flush() }
                currentIsDigit = true
                current.append(character)
            } else if character.isASCII && character.isLetter {
                if currentIsDigit { flush() }
                currentIsDigit = false
                current.append(character)
            } else {
                flush()
            }
        }
        flush()
        self.tokens = tokens
    }

    /// Rank of a token against "nothing here": pre-release words below, numbers equal at 0,
    /// other words above.
    private static func compare(_ lhs: Token?, _ rhs: Token?) -> Int {
        switch (lhs, rhs) {
        case (nil, nil): return 0
        case (.number(let a), .number(let b)): return a == b ? 0 : (a < b ? -1 : 1)
        case (.number(let a), nil): return a == 0 ? 0 : 1
        case (nil, .number(let b)): return b == 0 ? 0 : -1
        case (.prerelease, nil), (.prerelease, .number), (.prerelease, .word): return -1
        case (nil, .prerelease), (.number, .prerelease), (.word, .prerelease): return 1
        case (.prerelease(let a), .prerelease(let b)), (.word(let a), .word(let b)):
            return a == b ? 0 : (a < b ? -1 : 1)
        case (.word, nil), (.word, .number): return 1
        case (nil, .word), (.number, .word): return -1
        }
    }

    package static func < (lhs: HomebrewVersion, rhs: HomebrewVersion) -> Bool {
        for index in 0..<max(lhs.tokens.count, rhs.tokens.count) {
            let order = compare(index < lhs.tokens.count ? lhs.tokens[index] : nil,
                                index < rhs.tokens.count ? rhs.tokens[index] : nil)
            if order != 0 { return order < 0 }
        }
        return false
    }

    package static func == (lhs: HomebrewVersion, rhs: HomebrewVersion) -> Bool { !(lhs < rhs) && !(rhs < lhs) }
}
