/// The methods of a formula class, cut out of its Ruby source by following the block structure
/// (`def`/`do`/`if`/`begin`/… … `end`) of the whole file, so that `post_install` and the helper
/// methods it calls can be read without running Ruby.
///
/// `def`s inside `on_macos do … end` are dropped on Linux and those inside `on_linux do … end` on
/// macOS, as brew's `OnSystem` blocks do (`extend/on_system.rb`).
///
/// Immutable value; safe to share across queues.
struct FormulaSource: Sendable {
    /// A method's parameter names (empty for zero-argument helpers) and body tokens.
    struct Method: Sendable {
        var name: String
        var hasParameters: Bool
        var body: [RubyLexeme]
    }

    var className: String?
    var methods: [String: Method]
    /// Set when the block structure could not be followed (the file is then not interpreted).
    var structureProblem: String?

    var definesPostInstall: Bool { methods["post_install"] != nil }

    static let openers: Set<String> = ["def", "class", "module", "begin", "case", "do", "if", "unless", "while", "until", "for"]

    /// Whether the keyword at `index` opens a block that an `end` closes (modifier `if`/`unless`/
    /// `while`/`until` and endless `def x = …` do not).
    static func opensBlock(_ lexemes: [RubyLexeme], at index: Int) -> Bool {
        guard case .identifier(let word) = lexemes[index].token, openers.contains(word) else { return false }
        if index > 0, case .op(let o) = lexemes[index - 1].token, o == "." || o == "&." || o == "::" { return false }
        switch word {
        case "if", "unless", "while", "until":
            guard index > 0 else { return true }
            switch lexemes[index - 1].token {
            case .newline: return true
            case .op(let o): return o != ")" && o != "]" && o != "}"
            case .identifier(let w): return ["then", "else", "do", "and", "or", "not", "begin"].contains(w)
            default: return false
            }
        case "def":
            // Endless method: `def name = expr` or `def name(args) = expr`.
            var j = index + 1
            while j < lexemes.count, lexemes[j].token != .newline {
                if lexemes[j].token == .op("(") {
                    var depth = 0
                    while j < lexemes.count {
                        if lexemes[j].token == .op("(") { depth += 1 }
                        if lexemes[j].token == .op(")") { depth -= 1; if depth == 0 { break } }
                        j += 1
                    }
                    j += 1
                    break
                }
                if case .op(let o) = lexemes[j].token, o != "." { break }
                j += 1
            }
            if j < lexemes.count, lexemes[j].token == .op("=") { return false }
            return true
        default:
            return true
        }
    }

    /// For every block opener, the index of its `end`; nil when the structure does not balance.
    static func matchEnds(_ lexemes: [RubyLexeme]) -> [Int: Int]? {
        var stack: [(index: Int, word: String)] = []
        var ends: [Int: Int] = [:]
        var loopHeaderLine = -1 // `while x do`: that `do` belongs to the loop
        for (i, lexeme) in lexemes.enumerated() {
            guard case .identifier(let word) = lexeme.token else { continue }
            if i > 0, case .op(let o) = lexemes[i - 1].token, o == "." || o == "&." || o == "::" { continue }
            if word == "end" {
                guard let top = stack.popLast() else { return nil }
                ends[top.index] = i
            } else if word == "do" && loopHeaderLine == lexeme.line {
                loopHeaderLine = -1
            } else if opensBlock(lexemes, at: i) {
                if ["while", "until", "for"].contains(word) { loopHeaderLine = lexeme.line }
                stack.append((i, word))
            }
        }
        return stack.isEmpty ? ends : nil
    }

    static func parse(_ source: String, linux: Bool = PostInstallHost.isLinux) -> FormulaSource {
        let lexemes = RubyLexer.tokenize(source)
        if let bad = lexemes.first(where: { if case .unsupported = $0.token { true } else { false } }),
           case .unsupported(let what) = bad.token {
            return FormulaSource(className: nil, methods: [:], structureProblem: "line \(bad.line): \(what)")
        }
        guard let ends = matchEnds(lexemes) else {
            return FormulaSource(className: nil, methods: [:], structureProblem: "unbalanced blocks (def/do/if … end)")
        }
        var className: String?
        var methods: [String: Method] = [:]
        var duplicates: Set<String> = []
        // Walk the class body: descend into `do` blocks (DSL like on_linux), skip other blocks.
        var tooDeep = false
        func walk(from start: Int, to stop: Int, dropped: Bool, depth: Int = 0) {
            // Nested `do`/`class` blocks recurse; a hostile file of 100,000 of them must not
            // overflow the stack.
            guard depth < 64 else { tooDeep = true; return }
            var i = start
            while i < stop {
                if lexemes[i].token == .identifier("def"), ends[i] == nil, !dropped,
                   case .identifier(let name)? = lexemes[safe: i + 1]?.token, lexemes[safe: i + 2]?.token == .op("=") {
                    // Endless method `def name = expr`: its body runs to the end of the line.
                    var j = i + 3
                    while j < stop, lexemes[j].token != .newline { j += 1 }
                    if methods[name] != nil { duplicates.insert(name) }
                    methods[name] = Method(name: name, hasParameters: false,
                                           body: [RubyLexeme(token: .newline, spaceBefore: false, line: lexemes[i].line)]
                                               + Array(lexemes[(i + 3)..<j]))
                    i = j
                    continue
                }
                guard case .identifier(let word) = lexemes[i].token, let end = ends[i] else { i += 1; continue }
                if word == "def" {
                    var j = i + 1
                    var name = ""
                    while j < end, lexemes[j].token != .newline, lexemes[j].token != .op("("), lexemes[j].token != .op(";") {
                        switch lexemes[j].token {
                        case .identifier(let n), .constant(let n): name += n
                        case .op("."): name += "."
                        default: break
                        }
                        j += 1
                    }
                    let hasParameters = j < end && lexemes[j].token == .op("(")
                        && !(j + 1 < end && lexemes[j + 1].token == .op(")"))
                    var bodyStart = j
                    while bodyStart < end, lexemes[bodyStart].token != .newline, lexemes[bodyStart].token != .op(";") { bodyStart += 1 }
                    if !dropped {
                        if methods[name] != nil { duplicates.insert(name) }
                        methods[name] = Method(name: name, hasParameters: hasParameters,
                                               body: Array(lexemes[min(bodyStart, end)..<end]))
                    }
                    i = end + 1
                } else if word == "do" {
                    let caller: String? = i > 0 ? { if case .identifier(let n) = lexemes[i - 1].token { n } else { nil } }() : nil
                    let drop = dropped || (linux && caller == "on_macos") || (!linux && caller == "on_linux")
                    walk(from: i + 1, to: end, dropped: drop, depth: depth + 1)
                    i = end + 1
                } else if word == "class" {
                    if className == nil, i + 1 < end, case .constant(let n) = lexemes[i + 1].token { className = n }
                    walk(from: i + 1, to: end, dropped: dropped, depth: depth + 1)
                    i = end + 1
                } else {
                    i = end + 1
                }
            }
        }
        walk(from: 0, to: lexemes.count, dropped: false)
        var problem: String? = tooDeep ? "blocks nested deeper than 64" : nil
        if let d = duplicates.sorted().first(where: { $0 == "post_install" || methods[$0] != nil }), duplicates.contains(d) {
            problem = "method `\(d)` is defined more than once"
        }
        return FormulaSource(className: className, methods: methods, structureProblem: problem)
    }
}

/// Facts about the machine pour runs on that formula conditions test (`OS.mac?`, `OS.linux?`,
/// `Hardware::CPU.arm?`).
enum PostInstallHost {
    #if os(Linux)
        static let isLinux = true
    #else
        static let isLinux = false
    #endif
    #if arch(arm64)
        static let isArm = true
    #else
        static let isArm = false
    #endif
}

private extension Array {
    subscript(safe index: Int) -> Element? { index >= 0 && index < count ? self[index] : nil }
}
