/// Effect recognition ("schema normalisation"): when a `post_install` is beyond the interpreter
/// but its structure shows that its only lasting effect is one of a few known ones, pour rewrites
/// it to the allow-listed normal form of that effect and interprets that instead — with the same
/// planning, confinement and fail-closed rules. Anything else stays refused.
///
/// Rules (matched on the formula's code, never on its name):
/// - `caBundle`: the code reachable on this OS copies `pkgshare/"cacert.pem"` to
///   `pkgetc/"cert.pem"` and writes nothing else on disk (homebrew-core `ca-certificates`: its
///   Linux branch merges the system store when one is readable and `openssl` is on PATH, with
///   `Tempfile`, blocks and `ensure`, and always ends with that copy). Normal form:
///   `pkgetc.mkpath; cp pkgshare/"cacert.pem", pkgetc/"cert.pem"` — the Mozilla bundle alone.
/// - `caLink`: the code reachable on this OS makes `<dir>.install_symlink
///   Formula["ca-certificates"].pkgetc/"cert.pem"` and otherwise only removes `cert.pem` files
///   (`openssl@3`, `openssl@1.1`, `gnutls`, `libressl`, `quictls`, `tongsuo`…). Normal form: that
///   one statement (install_symlink replaces an existing file itself).
///
/// Stateless.
enum PostInstallRecognition {
    enum Rule: String, Sendable {
        case caBundle = "materialise the keg's PEM bundle at pkgetc/cert.pem"
        case caLink = "link <dir>/cert.pem to Formula[\"ca-certificates\"].pkgetc/cert.pem"
    }

    /// Calls that change the disk or run programs; every one in the reachable code must be
    /// explained by the rule.
    static let mutating: Set<String> = [
        "cp", "cp_r", "rm", "rm_f", "rm_r", "rm_rf", "rmtree", "mv", "ln", "ln_s", "ln_sf", "install", "install_symlink",
        "atomic_write", "write", "binwrite", "mkpath", "mkdir", "mkdir_p", "touch", "chmod", "chown", "unlink", "delete",
        "system", "quiet_system", "safe_system", "exec", "spawn", "rename", "make_relative_symlink", "inreplace",
    ]

    static func recognise(_ source: FormulaSource, context: PostInstallPlanner.Context,
                          world: PostInstallWorld) -> (Rule, [PostInstallEffect])? {
        guard source.structureProblem == nil, source.methods["post_install"] != nil else { return nil }
        let lines = reachableLines(source, linux: context.linux)
        if let plan = caBundle(lines, source: source, context: context, world: world) { return (.caBundle, plan) }
        if let plan = caLink(lines, source: source, context: context, world: world) { return (.caLink, plan) }
        return nil
    }

    // MARK: Rules

    private static func caBundle(_ lines: [[RubyLexeme]], source: FormulaSource, context: PostInstallPlanner.Context,
                                 world: PostInstallWorld) -> [PostInstallEffect]? {
        let copy: [RubyToken] = [.identifier("cp"), .identifier("pkgshare"), .op("/"), .string([.text("cacert.pem")]), .op(","),
                                 .identifier("pkgetc"), .op("/"), .string([.text("cert.pem")])]
        guard lines.contains(where: { contains($0.map(\.token), copy) }) else { return nil }
        let pipes = pipeParameters(lines)
        for line in lines {
            let tokens = line.map(\.token)
            for (k, token) in tokens.enumerated() {
                guard case .identifier(let name) = token, mutating.contains(name) else { continue }
                if case .opaque("backtick command") = token { return nil }
                let receiver: RubyToken? = k >= 2 && tokens[k - 1] == .op(".") ? tokens[k - 2] : nil
                switch name {
                case "mkpath" where receiver == .identifier("pkgetc"): continue
                case "write" where receiver.map({ if case .identifier(let r) = $0 { pipes.contains(r) } else { false } }) == true:
                    continue // the stdin of a `safe_popen_write` child (openssl computing a fingerprint)
                case "rm", "rm_f", "cp", "atomic_write":
                    if targetsCertificate(tokens) { continue }
                    return nil
                default:
                    return nil
                }
            }
        }
        guard let plan = normalForm(source, body: "pkgetc.mkpath\ncp pkgshare/\"cacert.pem\", pkgetc/\"cert.pem\"\n",
                                    context: context, world: world) else { return nil }
        return plan
    }

    private static func caLink(_ lines: [[RubyLexeme]], source: FormulaSource, context: PostInstallPlanner.Context,
                               world: PostInstallWorld) -> [PostInstallEffect]? {
        let target: [RubyToken] = [.identifier("install_symlink"), .constant("Formula"), .op("["), .string([.text("ca-certificates")]),
                                   .op("]"), .op("."), .identifier("pkgetc"), .op("/"), .string([.text("cert.pem")])]
        var linkLine: [RubyLexeme]?
        for line in lines {
            let tokens = line.map(\.token)
            for token in tokens {
                guard case .identifier(let name) = token, mutating.contains(name) else { continue }
                if name == "install_symlink", contains(tokens, target), tokens.last == .string([.text("cert.pem")]) {
                    if linkLine != nil && linkLine! != line { return nil }
                    linkLine = line
                } else if ["rm", "rm_f", "unlink", "delete"].contains(name), tokens.contains(.string([.text("cert.pem")])) {
                    continue
                } else {
                    return nil
                }
            }
        }
        guard let linkLine else { return nil }
        var synthetic = source
        synthetic.methods["post_install"] = FormulaSource.Method(name: "post_install", hasParameters: false,
                                                                 body: [RubyLexeme(token: .newline, spaceBefore: false, line: 0)] + linkLine)
        guard case .success(let plan) = PostInstallPlanner.plan(synthetic, context: context, world: world) else { return nil }
        return plan
    }

    // MARK: Helpers

    /// `pkgetc/"cert.pem"` appears as a destination in the statement.
    private static func targetsCertificate(_ tokens: [RubyToken]) -> Bool {
        contains(tokens, [.identifier("pkgetc"), .op("/"), .string([.text("cert.pem")])])
    }

    private static func contains(_ tokens: [RubyToken], _ pattern: [RubyToken]) -> Bool {
        guard tokens.count >= pattern.count else { return false }
        for start in 0...(tokens.count - pattern.count) where Array(tokens[start..<start + pattern.count]) == pattern { return true }
        return false
    }

    private static func normalForm(_ source: FormulaSource, body: String, context: PostInstallPlanner.Context,
                                   world: PostInstallWorld) -> [PostInstallEffect]? {
        var synthetic = source
        synthetic.methods["post_install"] = FormulaSource.Method(name: "post_install", hasParameters: false,
                                                                 body: RubyLexer.tokenize(body))
        guard case .success(let plan) = PostInstallPlanner.plan(synthetic, context: context, world: world) else { return nil }
        return plan
    }

    /// Block parameters of `safe_popen_write(…) do |io|` blocks: writes to them go to a child's stdin.
    private static func pipeParameters(_ lines: [[RubyLexeme]]) -> Set<String> {
        var names: Set<String> = []
        for line in lines {
            let tokens = line.map(\.token)
            guard tokens.contains(.identifier("safe_popen_write")), let d = tokens.lastIndex(of: .identifier("do")),
                  d + 2 < tokens.count, tokens[d + 1] == .op("|"), case .identifier(let name) = tokens[d + 2] else { continue }
            names.insert(name)
        }
        return names
    }

    /// The lines (token runs between newlines) of `post_install` and every helper it reaches.
    /// When `post_install` is only an `if OS.mac? … else … end` dispatch, just this OS's branch
    /// is followed.
    static func reachableLines(_ source: FormulaSource, linux: Bool) -> [[RubyLexeme]] {
        var visited: Set<String> = []
        var lines: [[RubyLexeme]] = []
        var queue = ["post_install"]
        while let name = queue.popLast() {
            guard !visited.contains(name), let method = source.methods[name] else { continue }
            visited.insert(name)
            var body = method.body
            if name == "post_install", let branch = osBranch(body, linux: linux) { body = branch }
            var current: [RubyLexeme] = []
            var depth = 0 // a call's arguments may span lines: split only outside brackets
            for lexeme in body {
                if case .op(let o) = lexeme.token {
                    if o == "(" || o == "[" || o == "{" { depth += 1 }
                    if o == ")" || o == "]" || o == "}" { depth = max(0, depth - 1) }
                }
                if lexeme.token.isNewline && depth == 0 {
                    if !current.isEmpty { lines.append(current) }
                    current = []
                    continue
                }
                current.append(lexeme)
                if case .identifier(let called) = lexeme.token, source.methods[called] != nil { queue.append(called) }
            }
            if !current.isEmpty { lines.append(current) }
        }
        return lines
    }

    /// The tokens of this OS's branch when the body is exactly `if OS.mac?|OS.linux? A else B end`.
    private static func osBranch(_ body: [RubyLexeme], linux: Bool) -> [RubyLexeme]? {
        let tokens = body.filter { !$0.token.isNewline }
        guard tokens.count >= 5, tokens[0].token == .identifier("if"), tokens[1].token == .constant("OS"),
              tokens[2].token == .op("."), case .identifier(let test) = tokens[3].token, test == "mac?" || test == "linux?",
              tokens.last?.token == .identifier("end") else { return nil }
        guard let elseIndex = body.firstIndex(where: { $0.token == .identifier("else") }),
              let startIndex = body.firstIndex(where: { $0.token == .identifier(test) }),
              body.filter({ $0.token == .identifier("else") || $0.token == .identifier("if") || $0.token == .identifier("end") }).count == 3,
              let endIndex = body.lastIndex(where: { $0.token == .identifier("end") }) else { return nil }
        let first = Array(body[(startIndex + 1)..<elseIndex])
        let second = Array(body[(elseIndex + 1)..<endIndex])
        let takeFirst = (test == "linux?") == linux
        return [RubyLexeme(token: .newline, spaceBefore: false, line: 0)] + (takeFirst ? first : second)
    }
}
