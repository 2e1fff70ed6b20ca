/// Recursive-descent parser from a method body's tokens to `RubyStatement`s. A statement it
/// cannot parse (a block, `begin`/`rescue`/`ensure`, `case`, a loop…) is skipped as a whole —
/// following the block structure so the statements after it still line up — and kept as
/// `.unsupported` with the reason, for the planner to refuse and the coverage report to count.
///
/// Value type used on one thread at a time.
struct RubyParser {
    private struct Failure: Error { var reason: String }

    private let lexemes: [RubyLexeme]
    private let ends: [Int: Int]
    private var i = 0
    /// Recursion depth: a hostile source of 100,000 nested parentheses or `if`s must be refused,
    /// not overflow the stack.
    private var nesting = 0
    private static let maxNesting = 100

    private mutating func enter() throws(Failure) {
        nesting += 1
        if nesting > Self.maxNesting { throw Failure(reason: "nesting deeper than \(Self.maxNesting)") }
    }

    init(_ lexemes: [RubyLexeme]) {
        self.lexemes = lexemes
        self.ends = FormulaSource.matchEnds(lexemes) ?? [:]
    }

    static func parse(_ lexemes: [RubyLexeme]) -> [RubyStatement] {
        var parser = RubyParser(lexemes)
        return parser.statements(until: [])
    }

    private var token: RubyToken? { i < lexemes.count ? lexemes[i].token : nil }
    private var line: Int { i < lexemes.count ? lexemes[i].line : (lexemes.last?.line ?? 0) }
    private func isKeyword(_ word: String) -> Bool { token == .identifier(word) }

    private mutating func skipNewlines() { while let t = token, t.isNewline { i += 1 } }

    /// Statements up to (not including) one of the `terminators` keywords at this level.
    private mutating func statements(until terminators: Set<String>) -> [RubyStatement] {
        var out: [RubyStatement] = []
        while true {
            skipNewlines()
            guard let t = token else { break }
            if case .identifier(let w) = t, terminators.contains(w) { break }
            let start = i
            let startLine = line
            do throws(Failure) {
                let statement = try self.statement()
                guard token == nil || token!.isNewline || (token.map { if case .identifier(let w) = $0 { terminators.contains(w) } else { false } } ?? false)
                else { throw Failure(reason: "unexpected \(describe(token))") }
                out.append(statement)
            } catch {
                i = start
                skipStatement(terminators: terminators)
                out.append(.unsupported(error.reason, line: startLine))
            }
        }
        return out
    }

    /// Skips one statement, jumping over whole blocks.
    private mutating func skipStatement(terminators: Set<String>) {
        var depth = 0
        var first = true
        while let t = token {
            if depth == 0, !first, t.isNewline { return }
            if depth == 0, !first, case .identifier(let w) = t, terminators.contains(w) { return }
            first = false
            if let end = ends[i] { i = end + 1; continue }
            if case .op(let o) = t {
                if ["(", "[", "{"].contains(o) { depth += 1 }
                if [")", "]", "}"].contains(o) { depth = max(0, depth - 1) }
            }
            i += 1
        }
    }

    private func describe(_ t: RubyToken?) -> String {
        switch t {
        case nil: return "end of method"
        case .identifier(let n)?: return "`\(n)`"
        case .constant(let n)?: return "`\(n)`"
        case .op(let o)?: return "`\(o)`"
        case .opaque(let k)?: return k
        case .label(let l)?: return "`\(l):`"
        default: return "token"
        }
    }

    private mutating func statement() throws(Failure) -> RubyStatement {
        try enter()
        defer { nesting -= 1 }
        let startLine = line
        if case .identifier(let w)? = token {
            switch w {
            case "if", "unless":
                i += 1
                var condition = try expression()
                if w == "unless" { condition = .not(condition) }
                if isKeyword("then") { i += 1 }
                let body = statements(until: ["elsif", "else", "end"])
                let otherwise = try elseBranch()
                return .conditional(condition, then: body, otherwise: otherwise, line: startLine)
            case "return":
                i += 1
                if token == nil || token!.isNewline { return .returnNow(line: startLine) }
                if isKeyword("if") || isKeyword("unless") { return try modifier(.returnNow(line: startLine)) }
                throw Failure(reason: "`return` with a value")
            case "begin", "case", "while", "until", "for", "def", "class", "module":
                throw Failure(reason: "`\(w)` block")
            case "rescue", "ensure":
                throw Failure(reason: "`\(w)` clause")
            case "raise", "odie", "exit", "abort", "fail":
                throw Failure(reason: "`\(w)` (aborts the post-install)")
            default: break
            }
        }
        var statement: RubyStatement
        if case .identifier(let name)? = token, i + 1 < lexemes.count, lexemes[i + 1].token == .op("="),
           name.first.map({ $0.isLowercase || $0 == "_" }) == true {
            i += 2
            statement = .assign(name, try expression(), line: startLine)
        } else {
            statement = .expression(try expression(), line: startLine)
        }
        if case .op(let o)? = token, o.hasSuffix("="), o != "==", o != "!=" { throw Failure(reason: "assignment `\(o)`") }
        if isKeyword("do") || token == .op("{") { throw Failure(reason: "block (`do … end` / `{ … }`)") }
        return try modifier(statement)
    }

    private mutating func modifier(_ statement: RubyStatement) throws(Failure) -> RubyStatement {
        if isKeyword("if") || isKeyword("unless") {
            let negate = isKeyword("unless")
            let startLine = line
            i += 1
            let condition = try expression()
            return .conditional(negate ? .not(condition) : condition, then: [statement], otherwise: [], line: startLine)
        }
        if isKeyword("rescue") { throw Failure(reason: "`rescue` modifier") }
        if isKeyword("while") || isKeyword("until") { throw Failure(reason: "loop modifier") }
        return statement
    }

    private mutating func elseBranch() throws(Failure) -> [RubyStatement] {
        if isKeyword("end") { i += 1; return [] }
        if isKeyword("else") {
            i += 1
            let body = statements(until: ["end"])
            guard isKeyword("end") else { throw Failure(reason: "missing `end`") }
            i += 1
            return body
        }
        if isKeyword("elsif") {
            let startLine = line
            i += 1
            let condition = try expression()
            if isKeyword("then") { i += 1 }
            let body = statements(until: ["elsif", "else", "end"])
            return [.conditional(condition, then: body, otherwise: try elseBranch(), line: startLine)]
        }
        throw Failure(reason: "missing `end`")
    }

    // MARK: Expressions

    private mutating func expression() throws(Failure) -> RubyExpr {
        try enter()
        defer { nesting -= 1 }
        var left = try andExpression()
        while token == .op("||") || isKeyword("or") {
            i += 1
            left = .binary("||", left, try andExpression())
        }
        if token == .op("?") { throw Failure(reason: "ternary `? :`") }
        return left
    }

    private mutating func andExpression() throws(Failure) -> RubyExpr {
        var left = try notExpression()
        while token == .op("&&") || isKeyword("and") {
            i += 1
            left = .binary("&&", left, try notExpression())
        }
        return left
    }

    private mutating func notExpression() throws(Failure) -> RubyExpr {
        if token == .op("!") || isKeyword("not") {
            i += 1
            try enter()
            defer { nesting -= 1 }
            return .not(try notExpression())
        }
        var left = try additive()
        if case .op(let o)? = token, o == "==" || o == "!=" {
            i += 1
            left = .binary(o, left, try additive())
        }
        return left
    }

    private mutating func additive() throws(Failure) -> RubyExpr {
        var left = try multiplicative()
        while case .op(let o)? = token, o == "+" {
            i += 1
            left = .binary(o, left, try multiplicative())
        }
        return left
    }

    private mutating func multiplicative() throws(Failure) -> RubyExpr {
        var left = try postfix()
        while token == .op("/") {
            i += 1
            left = .binary("/", left, try postfix())
        }
        return left
    }

    private mutating func postfix() throws(Failure) -> RubyExpr {
        var value = try primary()
        while true {
            if case .op(let o)? = token, o == "." || o == "&." {
                i += 1
                guard case .identifier(let name)? = token else { throw Failure(reason: "method name after `.`") }
                i += 1
                let (args, pairs) = try arguments(allowCommand: true)
                value = .call(receiver: value, name: name, args: args, pairs: pairs)
            } else if token == .op("::") {
                i += 1
                guard case .constant(let name)? = token else { throw Failure(reason: "constant after `::`") }
                i += 1
                value = .call(receiver: value, name: name, args: [], pairs: [])
            } else if token == .op("["), i < lexemes.count, !lexemes[i].spaceBefore {
                i += 1
                var items: [RubyExpr] = []
                while token != .op("]") {
                    items.append(try expression())
                    if token == .op(",") { i += 1 } else if token != .op("]") { throw Failure(reason: "`[` index") }
                }
                i += 1
                value = .index(value, items)
            } else {
                return value
            }
        }
    }

    /// Parenthesised arguments, or (for `allowCommand`) command-style ones: `cp a, b`.
    private mutating func arguments(allowCommand: Bool) throws(Failure) -> ([RubyExpr], [RubyExpr.Pair]) {
        var args: [RubyExpr] = []
        var pairs: [RubyExpr.Pair] = []
        if token == .op("("), i < lexemes.count, !lexemes[i].spaceBefore {
            i += 1
            skipNewlines()
            while token != .op(")") {
                try argument(&args, &pairs)
                skipNewlines()
                if token == .op(",") { i += 1; skipNewlines() } else if token != .op(")") { throw Failure(reason: "argument list") }
            }
            i += 1
            return (args, pairs)
        }
        guard allowCommand, i < lexemes.count, lexemes[i].spaceBefore, startsArgument(token) else { return ([], []) }
        while true {
            try argument(&args, &pairs)
            guard token == .op(",") else { break }
            i += 1
            skipNewlines()
        }
        return (args, pairs)
    }

    private func startsArgument(_ t: RubyToken?) -> Bool {
        switch t {
        case .string?, .symbol?, .number?, .constant?, .label?, .opaque?: return true
        case .identifier(let w)?:
            return !["if", "unless", "while", "until", "and", "or", "do", "then", "end", "rescue", "else", "elsif"].contains(w)
        case .op(let o)?: return o == "(" || o == "!" || o == "[" || o == "::"
        default: return false
        }
    }

    private mutating func argument(_ args: inout [RubyExpr], _ pairs: inout [RubyExpr.Pair]) throws(Failure) {
        if case .label(let key)? = token {
            i += 1
            pairs.append(.init(key: .symbol(key), value: try expression()))
            return
        }
        if token == .op("*") || token == .op("&") || token == .op("**") { throw Failure(reason: "splat or block argument") }
        let value = try expression()
        if token == .op("=>") {
            i += 1
            pairs.append(.init(key: value, value: try expression()))
        } else {
            args.append(value)
        }
    }

    private mutating func primary() throws(Failure) -> RubyExpr {
        guard let t = token else { throw Failure(reason: "unexpected end of method") }
        switch t {
        case .string(let parts):
            i += 1
            var out: [RubyExpr.Part] = []
            for part in parts {
                switch part {
                case .text(let s): out.append(.text(s))
                case .interpolation(let tokens):
                    var inner = RubyParser(tokens.map { RubyLexeme(token: $0, spaceBefore: false, line: line) })
                    let value = try inner.expression()
                    guard inner.token == nil else { throw Failure(reason: "complex string interpolation") }
                    out.append(.value(value))
                }
            }
            return .string(out)
        case .symbol(let s): i += 1; return .symbol(s)
        case .number(let n): i += 1; return .number(n)
        case .opaque(let kind): i += 1; return .opaque(kind)
        case .op("("):
            i += 1
            skipNewlines()
            let value = try expression()
            skipNewlines()
            guard token == .op(")") else { throw Failure(reason: "parenthesised expression") }
            i += 1
            return value
        case .op("["):
            throw Failure(reason: "array literal")
        case .op("::"):
            i += 1
            return try primary()
        case .constant(let name):
            i += 1
            if token == .op("("), !lexemes[i].spaceBefore {
                let (args, pairs) = try arguments(allowCommand: false)
                return .call(receiver: nil, name: name, args: args, pairs: pairs)
            }
            return .call(receiver: nil, name: name, args: [], pairs: [])
        case .identifier(let name):
            switch name {
            case "true": i += 1; return .boolean(true)
            case "false": i += 1; return .boolean(false)
            case "nil": i += 1; return .nilValue
            case "self": i += 1; return .call(receiver: nil, name: "self", args: [], pairs: [])
            case "if", "unless", "while", "until", "case", "begin", "do", "end", "def", "yield", "lambda", "proc":
                throw Failure(reason: "`\(name)` in an expression")
            default: break
            }
            i += 1
            let (args, pairs) = try arguments(allowCommand: true)
            return .call(receiver: nil, name: name, args: args, pairs: pairs)
        case .op(let o): throw Failure(reason: "operator `\(o)`")
        case .label(let l): throw Failure(reason: "label `\(l):`")
        default: throw Failure(reason: "unexpected token")
        }
    }
}
