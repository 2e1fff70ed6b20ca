import Foundation

/// Reads a Brewfile without a Ruby interpreter.
///
/// brew runs the file through `instance_eval` (`Library/Homebrew/bundle/dsl.rb`), so a Brewfile
/// may hold any Ruby. Real ones are almost always a list of DSL calls (`brew`, `tap`, `cask`,
/// `mas`, `vscode`, `whalebrew`, …) with literal arguments, comments, and sometimes platform
/// conditions. pour handles exactly that subset:
/// - entries with literal arguments, parenthesised or not, spread over several lines while a
///   bracket is open or a line ends with `,`;
/// - `if`/`unless` blocks and trailing modifiers whose condition is `OS.mac?` or `OS.linux?`
///   (answered for the running platform, as brew would) and their `else`;
/// - anything else that decides what runs — other conditions, `elsif`, `case`, loops, `do`
///   blocks, variables as arguments, string interpolation — is not evaluated: the entries it
///   governs are reported with their line and not installed (never guessed).
///
/// Thread-safety: a stateless namespace; call it from any thread (it reads one file).
package enum BrewfileParser {
    /// Reads and parses `path`. `isLinux` answers `OS.linux?`/`OS.mac?`.
    package static func read(path: String, isLinux: Bool) throws(BrewfileError) -> Brewfile {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"
            throw .unreadable(path: path, reason: reason)
        }
        return try parse(String(decoding: data, as: UTF8.self), path: path, isLinux: isLinux)
    }

    package static func parse(_ text: String, path: String, isLinux: Bool) throws(BrewfileError) -> Brewfile {
        var state = ParseState(path: path, isLinux: isLinux)
        let physical = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var index = 0
        while index < physical.count {
            let startLine = index + 1
            var tokens: [Token] = []
            var depth = 0
            // Join physical lines while a bracket is open or the line ends with a comma/backslash.
            repeat {
                var line = physical[index]
                index += 1
                var continued = false
                if line.hasSuffix("\\") {
                    line.removeLast()
                    continued = true
                }
                let lexed: [Token]
                do throws(LexError) {
                    lexed = try Lexer.tokens(line)
                } catch {
                    throw .syntax(path: path, line: index, message: error.message)
                }
                tokens += lexed
                for token in lexed {
                    switch token {
                    case .punct("("), .punct("["), .punct("{"): depth += 1
                    case .punct(")"), .punct("]"), .punct("}"): depth -= 1
                    default: break
                    }
                }
                if tokens.last == .punct(",") { continued = true }
                if depth < 0 { throw .syntax(path: path, line: index, message: "unbalanced closing bracket") }
                if depth == 0 && !continued { break }
            } while index < physical.count
            if depth > 0 { throw .syntax(path: path, line: startLine, message: "unclosed bracket or parenthesis") }
            try state.statement(tokens, line: startLine)
        }
        if let open = state.frames.last {
            throw .syntax(path: path, line: open.line, message: "`\(open.text)` has no matching `end`")
        }
        return state.brewfile
    }
}

// MARK: - Statements

/// The open `if`/`unless`/`do` blocks and what has been read so far.
private struct ParseState {
    struct Frame {
        var line: Int
        var text: String
        /// nil: pour cannot evaluate the condition (or the construct has none).
        var active: Bool?
    }

    let path: String
    let isLinux: Bool
    var frames: [Frame] = []
    var brewfile: Brewfile
    /// Taps the file names (besides homebrew/core), to explain skipped `user/repo/name` formulae.
    var otherTaps: Set<String> = []

    init(path: String, isLinux: Bool) {
        self.path = path
        self.isLinux = isLinux
        brewfile = Brewfile(path: path)
    }

    /// Whether statements at this point run: true, false (a condition pour evaluated to false),
    /// or the frame that cannot be evaluated.
    enum Context { case active, inactive(Frame), unevaluable(Frame) }

    var context: Context {
        if let frame = frames.first(where: { $0.active == nil }) { return .unevaluable(frame) }
        if let frame = frames.first(where: { $0.active == false }) { return .inactive(frame) }
        return .active
    }

    mutating func notice(_ line: Int, _ kind: BrewfileNotice.Kind, _ message: String) {
        brewfile.notices.append(BrewfileNotice(line: line, kind: kind, message: message))
    }

    mutating func statement(_ tokens: [Token], line: Int) throws(BrewfileError) {
        guard let first = tokens.first else { return }
        let text = Token.render(tokens)
        switch first {
        case .ident("end"):
            guard frames.popLast() != nil else { throw .syntax(path: path, line: line, message: "`end` without an open block") }
            return
        case .ident("if"), .ident("unless"):
            let value = evaluate(Array(tokens.dropFirst()))
            frames.append(Frame(line: line, text: text, active: value.map { first == .ident("if") ? $0 : !$0 }))
            return
        case .ident("else"):
            guard let last = frames.indices.last else { throw .syntax(path: path, line: line, message: "`else` without `if`") }
            frames[last].active = frames[last].active.map { !$0 }
            return
        case .ident("elsif"):
            guard let last = frames.indices.last else { throw .syntax(path: path, line: line, message: "`elsif` without `if`") }
            frames[last].active = nil
            frames[last].text = text
            frames[last].line = line
            return
        case .ident("case"), .ident("while"), .ident("until"), .ident("begin"), .ident("for"), .ident("def"),
             .ident("class"), .ident("module"):
            frames.append(Frame(line: line, text: text, active: nil))
            return
        case .ident("when"), .ident("rescue"), .ident("ensure"), .ident("in"):
            return // inside an unevaluable block by construction
        default:
            break
        }
        // `… do` / `… do |x|` opens a block.
        if tokens.contains(.ident("do")) {
            frames.append(Frame(line: line, text: text, active: nil))
            return
        }
        // A trailing `if`/`unless` modifier at the top level of the statement.
        var body = tokens
        var modifier: (keyword: String, condition: [Token])?
        var depth = 0
        for (offset, token) in tokens.enumerated() {
            switch token {
            case .punct("("), .punct("["), .punct("{"): depth += 1
            case .punct(")"), .punct("]"), .punct("}"): depth -= 1
            case .ident(let word) where depth == 0 && offset > 0 && (word == "if" || word == "unless"):
                body = Array(tokens[..<offset])
                modifier = (word, Array(tokens[(offset + 1)...]))
            default: break
            }
            if modifier != nil { break }
        }
        switch context {
        case .unevaluable(let frame):
            return reportNotRun(body, line: line, kind: .unevaluated,
                                because: "it is inside `\(frame.text)` (line \(frame.line)), which pour cannot evaluate")
        case .inactive(let frame):
            return reportNotRun(body, line: line, kind: .conditionFalse,
                                because: "`\(frame.text)` (line \(frame.line)) is false on this platform")
        case .active:
            break
        }
        if let modifier {
            let value = evaluate(modifier.condition).map { modifier.keyword == "if" ? $0 : !$0 }
            let condition = "\(modifier.keyword) \(Token.render(modifier.condition))"
            switch value {
            case nil: return reportNotRun(body, line: line, kind: .unevaluated, because: "pour cannot evaluate `\(condition)`")
            case false?: return reportNotRun(body, line: line, kind: .conditionFalse, because: "`\(condition)` is false on this platform")
            case true?: break
            }
        }
        try entry(body, line: line)
    }

    /// `OS.mac?` and `OS.linux?` (optionally negated with `!`) are the only conditions answered.
    func evaluate(_ condition: [Token]) -> Bool? {
        var tokens = condition
        if tokens.last == .ident("then") { tokens.removeLast() }
        var negate = false
        if tokens.first == .punct("!") {
            negate = true
            tokens.removeFirst()
        }
        guard tokens.count == 1, case .ident(let word) = tokens[0] else { return nil }
        switch word {
        case "OS.linux?": return negate != isLinux
        case "OS.mac?": return negate == isLinux
        default: return nil
        }
    }

    /// Reports an entry that will not run; other statements in such places say nothing.
    mutating func reportNotRun(_ tokens: [Token], line: Int, kind: BrewfileNotice.Kind, because reason: String) {
        guard case .ident(let word)? = tokens.first, BrewfileParser.entryWords.contains(word) else {
            if kind == .unevaluated, !tokens.isEmpty {
                notice(line, .unevaluated, "`\(Token.render(tokens))` not evaluated: \(reason)")
            }
            return
        }
        notice(line, kind, "`\(Token.render(tokens))` not installed: \(reason)")
    }

    mutating func entry(_ tokens: [Token], line: Int) throws(BrewfileError) {
        guard case .ident(let word) = tokens[0], BrewfileParser.entryWords.contains(word) else {
            notice(line, .ignored, "`\(Token.render(tokens))` ignored: not a Brewfile entry pour understands")
            return
        }
        var arguments = Array(tokens.dropFirst())
        if arguments.first == .punct("(") {
            guard arguments.last == .punct(")") else {
                throw .syntax(path: path, line: line, message: "`\(word)(` is not closed on its statement")
            }
            arguments = Array(arguments.dropFirst().dropLast())
        }
        let items = split(arguments)
        if word == "cask_args" {
            return notice(line, .skippedType, "`cask_args` skipped: pour installs formulae only")
        }
        guard let firstItem = items.first, !firstItem.isEmpty else {
            throw .syntax(path: path, line: line, message: "`\(word)` needs a name in quotes")
        }
        guard firstItem.count == 1, case .string(let rawName, let interpolated) = firstItem[0] else {
            if case .ident = firstItem[0] {
                return notice(line, .unevaluated, "`\(Token.render(tokens))` not installed: its name is a Ruby expression pour cannot evaluate")
            }
            throw .syntax(path: path, line: line, message: "`\(word)` needs a name in quotes, found `\(Token.render(firstItem))`")
        }
        if interpolated {
            return notice(line, .unevaluated, "`\(Token.render(tokens))` not installed: pour cannot evaluate string interpolation")
        }
        var options: [(key: String, value: Value)] = []
        for item in items.dropFirst() {
            guard let option = parseOption(item) else {
                if word == "tap", options.isEmpty, item.count == 1, case .string = item[0] { continue } // clone URL
                throw .syntax(path: path, line: line, message: "cannot read the argument `\(Token.render(item))` of `\(word)`")
            }
            options.append(option)
        }
        switch word {
        case "brew": brew(rawName, options: options, line: line)
        case "tap": tap(rawName, line: line)
        default:
            let reason = word == "mas" ? "Mac App Store apps need macOS"
                : word == "cask" ? "casks are macOS applications; pour installs formulae only"
                : "pour installs Homebrew formulae only"
            notice(line, .skippedType, "\(word) \"\(rawName)\" skipped: \(reason)")
        }
    }

    mutating func brew(_ rawName: String, options: [(key: String, value: Value)], line: Int) {
        // `Dsl.sanitize_brew_name`: lower-cased; `homebrew/homebrew/x` and core's full name are `x`.
        var name = rawName.lowercased()
        for corePrefix in ["homebrew/homebrew/", "homebrew/core/", "homebrew/homebrew-core/"] where name.hasPrefix(corePrefix) {
            name = String(name.dropFirst(corePrefix.count))
        }
        if name.contains("/") {
            let parts = name.split(separator: "/")
            let tap = parts.count == 3 ? "\(parts[0])/\(parts[1].replacingOccurrences(of: "homebrew-", with: ""))" : name
            return notice(line, .unsupportedTap, "brew \"\(rawName)\" skipped: formulae from the tap \(tap) are not supported (pour installs homebrew/core bottles)")
        }
        var formula = BrewfileFormula(name: name, line: line)
        for (key, value) in options {
            switch (key, value) {
            case ("link", .bool(let flag)):
                formula.link = flag
            case ("link", .symbol("overwrite")):
                formula.link = true
                formula.linkOverwrite = true
            case ("args", _):
                formula.unsupportedOptions.append(key)
                notice(line, .unsupportedOption, "brew \"\(name)\": `args: \(value.text)` not applied; bottles have no build options (installing the bottle)")
            case ("restart_service", _), ("start_service", _):
                formula.unsupportedOptions.append(key)
                notice(line, .unsupportedOption, "brew \"\(name)\": `\(key): \(value.text)` not applied; pour does not manage services (run `brew services` for it)")
            case ("conflicts_with", _):
                formula.unsupportedOptions.append(key)
                notice(line, .unsupportedOption, "brew \"\(name)\": `conflicts_with: \(value.text)` not applied; unlink or uninstall those formulae first")
            default:
                formula.unsupportedOptions.append(key)
                notice(line, .unsupportedOption, "brew \"\(name)\": option `\(key): \(value.text)` not supported by pour; ignored")
            }
        }
        if let existing = brewfile.formulae.firstIndex(where: { $0.name == name }) {
            // brew processes every line; the second one can only change options.
            if let link = formula.link {
                brewfile.formulae[existing].link = link
                brewfile.formulae[existing].linkOverwrite = formula.linkOverwrite
            }
            return
        }
        brewfile.formulae.append(formula)
    }

    mutating func tap(_ rawName: String, line: Int) {
        // `Dsl.sanitize_tap_name`: lower-cased, `user/homebrew-repo` is `user/repo`.
        var name = rawName.lowercased()
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 2, parts[1].hasPrefix("homebrew-") { name = "\(parts[0])/\(parts[1].dropFirst("homebrew-".count))" }
        if name == "homebrew/core" {
            brewfile.taps.append(BrewfileTap(name: name, line: line))
        } else {
            otherTaps.insert(name)
            notice(line, .unsupportedTap, "tap \"\(rawName)\" skipped: pour installs homebrew/core bottles only")
        }
    }

    /// Splits at top-level commas.
    func split(_ tokens: [Token]) -> [[Token]] {
        var items: [[Token]] = [[]]
        var depth = 0
        for token in tokens {
            switch token {
            case .punct("("), .punct("["), .punct("{"): depth += 1
            case .punct(")"), .punct("]"), .punct("}"): depth -= 1
            case .punct(",") where depth == 0:
                items.append([])
                continue
            default: break
            }
            items[items.count - 1].append(token)
        }
        if items.last?.isEmpty == true && items.count > 1 { items.removeLast() }
        return items
    }

    /// `key: value`, `:key => value` or `"key" => value`.
    func parseOption(_ tokens: [Token]) -> (key: String, value: Value)? {
        var rest = tokens
        let key: String
        switch rest.first {
        case .label(let name)?:
            key = name
            rest.removeFirst()
        case .symbol(let name)?, .string(let name, false)?:
            guard rest.count > 1, rest[1] == .punct("=>") else { return nil }
            key = name
            rest.removeFirst(2)
        default:
            return nil
        }
        guard !rest.isEmpty else { return nil }
        return (key, Value.parse(rest))
    }
}

/// An option's value, as far as pour needs to know it.
private enum Value: Equatable {
    case bool(Bool)
    case symbol(String)
    case other(String)

    static func parse(_ tokens: [Token]) -> Value {
        if tokens.count == 1 {
            switch tokens[0] {
            case .ident("true"): return .bool(true)
            case .ident("false"): return .bool(false)
            case .symbol(let name): return .symbol(name)
            default: break
            }
        }
        return .other(Token.render(tokens))
    }

    var text: String {
        switch self {
        case .bool(let flag): return flag ? "true" : "false"
        case .symbol(let name): return ":" + name
        case .other(let text): return text
        }
    }
}

extension BrewfileParser {
    /// The DSL methods of `Library/Homebrew/bundle/dsl.rb` and its extensions
    /// (`bundle/extensions/*.rb`: mas, vscode, go, cargo, npm, uv, flatpak, krew, winget) plus
    /// whalebrew, which older Brewfiles still carry.
    static let entryWords: Set<String> = ["brew", "tap", "cask", "cask_args", "mas", "vscode", "whalebrew", "go", "cargo",
                                          "npm", "uv", "flatpak", "krew", "winget"]
}

// MARK: - Tokens

private enum Token: Equatable {
    /// An identifier or method chain (`OS.mac?`, `Hardware::CPU.arm?`), or a keyword.
    case ident(String)
    /// `name:` (a keyword-argument label).
    case label(String)
    case symbol(String)
    /// A string literal's contents; `interpolated` when it contains `#{…}` in double quotes.
    case string(String, interpolated: Bool)
    case number(String)
    case punct(String)

    var text: String {
        switch self {
        case .ident(let word): return word
        case .label(let word): return word + ":"
        case .symbol(let word): return ":" + word
        case .string(let value, _): return "\"" + value + "\""
        case .number(let value): return value
        case .punct(let value): return value
        }
    }

    static func render(_ tokens: [Token]) -> String {
        var out = ""
        for (index, token) in tokens.enumerated() {
            let noSpaceBefore: Set<String> = [",", ")", "]", "}"]
            if index > 0, case .punct(let p) = token, noSpaceBefore.contains(p) {
            } else if index > 0, case .punct(let previous) = tokens[index - 1], ["(", "[", "!"].contains(previous) {
            } else if index > 0 {
                out += " "
            }
            out += token.text
        }
        return out
    }
}

private struct LexError: Error {
    var message: String
}

private enum Lexer {
    static func tokens(_ line: String) throws(LexError) -> [Token] {
        let chars = Array(line)
        var tokens: [Token] = []
        var i = 0
        func isIdentStart(_ c: Character) -> Bool { c.isLetter || c == "_" }
        func isIdentChar(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\t" || c == "\r" { i += 1; continue }
            if c == "#" { break } // comment to end of line
            if c == "\"" || c == "'" {
                var value = ""
                var interpolated = false
                i += 1
                var closed = false
                while i < chars.count {
                    let d = chars[i]
                    if d == "\\" && i + 1 < chars.count {
                        value.append(chars[i + 1])
                        i += 2
                        continue
                    }
                    if d == c { closed = true; i += 1; break }
                    if c == "\"" && d == "#" && i + 1 < chars.count && chars[i + 1] == "{" { interpolated = true }
                    value.append(d)
                    i += 1
                }
                guard closed else { throw LexError(message: "unterminated string") }
                tokens.append(.string(value, interpolated: interpolated))
                continue
            }
            if c == ":" && i + 1 < chars.count && chars[i + 1] == ":" {
                // `::` inside a constant path: glue to the previous identifier.
                if case .ident(let previous)? = tokens.last {
                    tokens.removeLast()
                    var word = previous + "::"
                    i += 2
                    while i < chars.count, isIdentChar(chars[i]) || chars[i] == "." || chars[i] == "?" || chars[i] == "!" {
                        word.append(chars[i]); i += 1
                    }
                    tokens.append(.ident(word))
                    continue
                }
            }
            if c == ":" && i + 1 < chars.count && (isIdentStart(chars[i + 1]) || chars[i + 1] == "\"") {
                i += 1
                if chars[i] == "\"" {
                    var value = ""
                    i += 1
                    while i < chars.count && chars[i] != "\"" { value.append(chars[i]); i += 1 }
                    guard i < chars.count else { throw LexError(message: "unterminated symbol") }
                    i += 1
                    tokens.append(.symbol(value))
                    continue
                }
                var word = ""
                while i < chars.count, isIdentChar(chars[i]) || chars[i] == "?" || chars[i] == "!" { word.append(chars[i]); i += 1 }
                tokens.append(.symbol(word))
                continue
            }
            if isIdentStart(c) {
                var word = ""
                while i < chars.count, isIdentChar(chars[i]) || chars[i] == "." || chars[i] == "?" || chars[i] == "!" {
                    // `?`/`!` end a method name.
                    let d = chars[i]
                    word.append(d)
                    i += 1
                    if d == "?" || d == "!" {
                        if i < chars.count, chars[i] == "." { continue }
                        break
                    }
                }
                if i < chars.count, chars[i] == ":", !(i + 1 < chars.count && chars[i + 1] == ":") {
                    i += 1
                    tokens.append(.label(word))
                } else {
                    tokens.append(.ident(word))
                }
                continue
            }
            if c.isNumber {
                var word = ""
                while i < chars.count, chars[i].isNumber || chars[i] == "_" || chars[i] == "." { word.append(chars[i]); i += 1 }
                tokens.append(.number(word))
                continue
            }
            if c == "=" && i + 1 < chars.count && chars[i + 1] == ">" {
                tokens.append(.punct("=>")); i += 2; continue
            }
            if c == "%" && i + 1 < chars.count && (chars[i + 1] == "w" || chars[i + 1] == "i") {
                // %w[...] word arrays: one opaque token.
                var word = "%"
                i += 1
                while i < chars.count && chars[i] != "]" && chars[i] != ")" && chars[i] != "}" { word.append(chars[i]); i += 1 }
                if i < chars.count { word.append(chars[i]); i += 1 }
                tokens.append(.ident(word))
                continue
            }
            tokens.append(.punct(String(c)))
            i += 1
        }
        return tokens
    }
}
