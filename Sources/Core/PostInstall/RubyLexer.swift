/// Splits a formula's Ruby source into tokens. It knows the lexical shapes real homebrew-core
/// formulae use (strings with `#{}` interpolation, heredocs, `%w[]` lists, regex literals,
/// symbols, labels, comments, `=begin` blocks) so that the block structure of the whole file can
/// be followed; what it cannot read becomes an `.unsupported` token instead of a guess.
///
/// Value type used on one thread at a time.
struct RubyLexer {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    /// Heredoc terminators waiting for the end of the current line: (terminator, squiggly/dash).
    private var pendingHeredocs: [(String, Bool)] = []
    /// `#{"#{"#{…}"}"}` nesting: bounded so a hostile source cannot overflow the stack.
    private var interpolationDepth = 0
    private var tooDeep = false

    init(_ source: String) { bytes = Array(source.utf8) }

    static func tokenize(_ source: String) -> [RubyLexeme] {
        var lexer = RubyLexer(source)
        let lexemes = lexer.lex(untilClosingBrace: false)
        if lexer.tooDeep { return [RubyLexeme(token: .unsupported("string interpolation nested too deeply"), spaceBefore: false, line: 1)] }
        return lexemes
    }

    private func peek(_ offset: Int = 0) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    private static func isIdentStart(_ c: UInt8) -> Bool { c == 0x5F || (c >= 0x61 && c <= 0x7A) || c >= 0x80 }
    private static func isUpper(_ c: UInt8) -> Bool { c >= 0x41 && c <= 0x5A }
    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    private static func isIdentPart(_ c: UInt8) -> Bool { isIdentStart(c) || isUpper(c) || isDigit(c) }

    /// Whether the last token ends a value (then `/` divides and `[` indexes).
    private static func endsValue(_ lexeme: RubyLexeme?) -> Bool {
        guard let lexeme else { return false }
        switch lexeme.token {
        case .identifier(let name):
            return !["if", "unless", "while", "until", "and", "or", "not", "return", "when", "then", "else", "elsif",
                     "do", "puts", "in"].contains(name)
        case .constant, .string, .number, .symbol, .opaque: return true
        case .op(let o): return o == ")" || o == "]" || o == "}"
        default: return false
        }
    }

    private mutating func text(_ from: Int, _ to: Int) -> String {
        String(decoding: bytes[from..<to], as: UTF8.self)
    }

    mutating func lex(untilClosingBrace: Bool) -> [RubyLexeme] {
        var out: [RubyLexeme] = []
        var braceDepth = 0
        var space = false
        func emit(_ token: RubyToken) {
            out.append(RubyLexeme(token: token, spaceBefore: space, line: line))
            space = false
        }
        while let c = peek() {
            switch c {
            case 0x20, 0x09, 0x0D:
                index += 1; space = true
            case 0x5C where peek(1) == 0x0A: // line continuation
                index += 2; line += 1; space = true
            case 0x0A:
                index += 1
                emit(.newline)
                line += 1
                if !pendingHeredocs.isEmpty { skipHeredocBodies() }
                if peek() == 0x3D, text(index, min(index + 6, bytes.count)) == "=begin" { skipBlockComment() }
                if text(index, min(index + 7, bytes.count)) == "__END__" { index = bytes.count }
            case 0x23: // comment
                while let d = peek(), d != 0x0A { index += 1 }
            case 0x22, 0x60: // "string", `command`
                index += 1
                let parts = readDoubleQuoted(close: c)
                emit(c == 0x22 ? .string(parts) : .opaque(kind: "backtick command"))
            case 0x27:
                index += 1
                emit(.string([.text(readSingleQuoted(close: 0x27))]))
            case 0x3A: // : :: :symbol :"symbol"
                if peek(1) == 0x3A { index += 2; emit(.op("::")) }
                else if let d = peek(1), Self.isIdentStart(d) || Self.isUpper(d) {
                    index += 1
                    let start = index
                    while let e = peek(), Self.isIdentPart(e) || e == 0x3F || e == 0x21 || e == 0x3D { index += 1 }
                    emit(.symbol(text(start, index)))
                } else if peek(1) == 0x22 {
                    index += 2
                    let parts = readDoubleQuoted(close: 0x22)
                    emit(.symbol(parts.compactMap { if case .text(let t) = $0 { t } else { nil } }.joined()))
                } else { index += 1; emit(.op(":")) }
            case 0x7B:
                index += 1; braceDepth += 1; emit(.op("{"))
            case 0x7D:
                if untilClosingBrace && braceDepth == 0 { index += 1; return out }
                index += 1; braceDepth -= 1; emit(.op("}"))
            case 0x2F where !Self.endsValue(out.last) || (space && peek(1) != 0x20 && peek(1) != 0x3D && {
                if case .identifier = out.last?.token { return true } else { return false } }()):
                index += 1
                _ = readDoubleQuoted(close: 0x2F)
                while let d = peek(), Self.isIdentStart(d) { index += 1 } // flags
                emit(.opaque(kind: "regex"))
            case 0x25 where isPercentLiteral(afterValue: Self.endsValue(out.last), space: space):
                emit(readPercentLiteral())
            case 0x3C where peek(1) == 0x3C && isHeredocStart():
                emit(readHeredocStart())
            case 0x3F where peek(1).map { Self.isIdentPart($0) } == true && (peek(2).map { !Self.isIdentPart($0) } ?? true)
                && !Self.endsValue(out.last):
                index += 2; emit(.string([.text(text(index - 1, index))])) // ?x character literal
            case 0x40, 0x24: // @ivar, @@cvar, $global
                let start = index
                index += 1
                while let d = peek(), Self.isIdentPart(d) || d == 0x40 { index += 1 }
                emit(.identifier(text(start, index)))
            default:
                if Self.isDigit(c) {
                    let start = index
                    while let d = peek(), Self.isIdentPart(d) || (d == 0x2E && peek(1).map(Self.isDigit) == true) { index += 1 }
                    emit(.number(text(start, index)))
                } else if Self.isIdentStart(c) || Self.isUpper(c) {
                    let start = index
                    while let d = peek(), Self.isIdentPart(d) { index += 1 }
                    if let d = peek(), d == 0x3F || d == 0x21, peek(1) != 0x3D || peek(2) == 0x3D { index += 1 }
                    let name = text(start, index)
                    let afterDot: Bool = { if case .op(let o)? = out.last?.token { return o == "." || o == "&." } else { return false } }()
                    if peek() == 0x3A, peek(1) != 0x3A, !afterDot, !(out.last.map { $0.token == .op("?") } ?? false) {
                        index += 1
                        emit(.label(name))
                    } else if Self.isUpper(c) {
                        emit(.constant(name))
                    } else {
                        emit(.identifier(name))
                    }
                } else {
                    emit(.op(readOperator()))
                }
            }
        }
        return out
    }

    private mutating func readOperator() -> String {
        let three = ["**=", "<=>", "===", "...", "||=", "&&=", "<<="]
        let two = ["::", "==", "!=", "=>", "&&", "||", "<=", ">=", "<<", ">>", "+=", "-=", "*=", "/=", "|=", "&=",
                   "=~", "!~", "**", "..", "->", "&."]
        for group in [three, two] {
            let n = group[0].utf8.count
            if index + n <= bytes.count {
                let candidate = text(index, index + n)
                if group.contains(candidate) { index += n; return candidate }
            }
        }
        index += 1
        return text(index - 1, index)
    }

    /// Reads up to the closing quote; `#{…}` is lexed recursively.
    private mutating func readDoubleQuoted(close: UInt8, open: UInt8? = nil) -> [RubyToken.StringPart] {
        var parts: [RubyToken.StringPart] = []
        var buffer: [UInt8] = []
        var depth = 0
        while let c = peek() {
            if c == close && depth == 0 { index += 1; break }
            if let open, c == open { depth += 1 }
            if c == close { depth -= 1 }
            if c == 0x0A { line += 1 }
            if c == 0x5C, let next = peek(1) {
                index += 2
                switch next {
                case 0x6E: buffer.append(0x0A)
                case 0x74: buffer.append(0x09)
                case 0x30: buffer.append(0)
                case 0x65: buffer.append(0x1B)
                default: buffer.append(next)
                }
                continue
            }
            if c == 0x23, peek(1) == 0x7B {
                if !buffer.isEmpty { parts.append(.text(String(decoding: buffer, as: UTF8.self))); buffer = [] }
                index += 2
                if interpolationDepth >= 16 { tooDeep = true; index = bytes.count; break }
                var inner = RubyLexer(bytes: bytes, index: index, line: line)
                inner.interpolationDepth = interpolationDepth + 1
                let tokens = inner.lex(untilClosingBrace: true)
                if inner.tooDeep { tooDeep = true; index = bytes.count; break }
                index = inner.index
                line = inner.line
                parts.append(.interpolation(tokens.map(\.token)))
                continue
            }
            buffer.append(c)
            index += 1
        }
        if !buffer.isEmpty || parts.isEmpty { parts.append(.text(String(decoding: buffer, as: UTF8.self))) }
        return parts
    }

    private init(bytes: [UInt8], index: Int, line: Int) {
        self.bytes = bytes
        self.index = index
        self.line = line
    }

    private mutating func readSingleQuoted(close: UInt8) -> String {
        var buffer: [UInt8] = []
        while let c = peek() {
            index += 1
            if c == close { break }
            if c == 0x0A { line += 1 }
            if c == 0x5C, let next = peek(), next == close || next == 0x5C { buffer.append(next); index += 1; continue }
            buffer.append(c)
        }
        return String(decoding: buffer, as: UTF8.self)
    }

    private func isPercentLiteral(afterValue: Bool, space: Bool) -> Bool {
        guard let next = peek(1) else { return false }
        let delimiters: Set<UInt8> = [0x28, 0x5B, 0x7B, 0x3C, 0x7C, 0x21, 0x2F]
        if [0x77, 0x57, 0x69, 0x49, 0x71, 0x51, 0x72, 0x73].contains(next), let d = peek(2), delimiters.contains(d) {
            return !afterValue || (space && peek(3) != 0x20)
        }
        return delimiters.contains(next) && (!afterValue || (space && peek(2) != 0x20))
    }

    private mutating func readPercentLiteral() -> RubyToken {
        index += 1
        var kind: UInt8 = 0x51 // %( is %Q(
        if let k = peek(), Self.isIdentStart(k) || Self.isUpper(k) { kind = k; index += 1 }
        guard let open = peek() else { return .unsupported("%-literal at end of file") }
        index += 1
        let close: UInt8 = [0x28: 0x29, 0x5B: 0x5D, 0x7B: 0x7D, 0x3C: 0x3E][open] ?? open
        let parts = readDoubleQuoted(close: close, open: close == open ? nil : open)
        let body = parts.compactMap { if case .text(let t) = $0 { t } else { nil } }.joined()
        switch kind {
        case 0x77, 0x57: return .opaque(kind: "word list")
        case 0x69, 0x49: return .opaque(kind: "symbol list")
        case 0x72: return .opaque(kind: "regex")
        case 0x73: return .symbol(body)
        default: return .string(parts)
        }
    }

    private func isHeredocStart() -> Bool {
        guard let c = peek(2) else { return false }
        if c == 0x7E || c == 0x2D {
            guard let d = peek(3) else { return false }
            return Self.isUpper(d) || d == 0x27 || d == 0x22 || Self.isIdentStart(d)
        }
        return Self.isUpper(c) || c == 0x27 || c == 0x22
    }

    private mutating func readHeredocStart() -> RubyToken {
        index += 2
        var indented = false
        if let c = peek(), c == 0x7E || c == 0x2D { indented = true; index += 1 }
        var quote: UInt8?
        if let c = peek(), c == 0x27 || c == 0x22 { quote = c; index += 1 }
        let start = index
        while let d = peek(), Self.isIdentPart(d) { index += 1 }
        let terminator = text(start, index)
        if let quote, peek() == quote { index += 1 }
        pendingHeredocs.append((terminator, indented))
        return .opaque(kind: "heredoc")
    }

    private mutating func skipHeredocBodies() {
        for (terminator, indented) in pendingHeredocs {
            while index < bytes.count {
                let start = index
                while let c = peek(), c != 0x0A { index += 1 }
                let lineText = text(start, index)
                if index < bytes.count { index += 1 }
                line += 1
                let candidate = indented ? lineText.trimmingCharacters(in: [" ", "\t", "\r"]) : lineText
                if candidate == terminator { break }
            }
        }
        pendingHeredocs = []
    }

    private mutating func skipBlockComment() {
        while index < bytes.count {
            let start = index
            while let c = peek(), c != 0x0A { index += 1 }
            let lineText = text(start, index)
            if index < bytes.count { index += 1 }
            line += 1
            if lineText.hasPrefix("=end") { break }
        }
    }
}

private extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
