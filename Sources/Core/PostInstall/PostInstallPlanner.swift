/// Interprets a formula's `post_install` (and the zero-argument helper methods it calls) into a
/// list of `PostInstallEffect`s, without touching the disk. Fail closed: the first call, value or
/// construct outside the allow-list refuses the whole body, so nothing runs partially.
///
/// Allow-list (each follows the brew method of the same name — `extend/pathname.rb`,
/// `extend/fileutils.rb`/Ruby FileUtils, `formula.rb` path helpers):
/// - paths: `prefix bin sbin lib libexec include share pkgshare doc info man manN elisp frameworks
///   etc pkgetc var opt_*`, `HOMEBREW_PREFIX`, `HOMEBREW_CELLAR`, `Formula["x"].<same>`,
///   `path/"x"`, `"#{…}"` interpolation, `Pathname.new`, `.dirname`, `.basename`, `.parent`, `.to_s`;
/// - tests: `OS.mac?`, `OS.linux?`, `Hardware::CPU.arm?/intel?`, `.exist?`, `.file?`,
///   `.directory?`, `.symlink?`, `File.exist?`, `!`, `&&`, `||`;
/// - effects: `mkpath`/`mkdir_p`, `install_symlink`, `ln_sf`/`ln_s`, `rm`/`rm_f`/`unlink`/`delete`
///   (of an existing file, or forced), `touch`, `cp`, `atomic_write`/`write` of `x.read` or a literal;
/// - `ohai`/`opoo`/`puts` (output only), local variables, `if`/`unless`/`elsif`/modifiers, `return`.
///
/// Value type used on one thread at a time.
struct PostInstallPlanner {
    struct Refusal: Error, Equatable, Sendable {
        var reason: String
        var line: Int?
        var description: String { line.map { "line \($0): \(reason)" } ?? reason }
    }

    /// Who the post-install runs for and where.
    ///
    /// Immutable value; safe to share across queues.
    struct Context: Sendable {
        var name: String
        var version: String
        /// HOMEBREW_PREFIX, as a real path (no symlink components).
        var prefix: String
        /// The keg `<prefix>/Cellar/<name>/<pkg_version>` under the same real prefix.
        var kegPath: String
        var linux: Bool = PostInstallHost.isLinux
        var arm: Bool = PostInstallHost.isArm

        var cellar: String { prefix + "/Cellar" }
    }

    indirect enum Value: Equatable {
        case path(String)
        case string(String)
        case bool(Bool)
        case nilValue
        case formula(String)
        case namespace(String)
        case fileContents(String)
        case symbol(String)
        case number(String)
    }

    private let source: FormulaSource
    private let context: Context
    private let world: PostInstallWorld
    private var overlay: [String: PostInstallWorld.State] = [:]
    private var effects: [PostInstallEffect] = []
    private var locals: [[String: Value]] = [[:]]
    private var depth = 0
    private var returning = false
    private var line: Int?

    init(source: FormulaSource, context: Context, world: PostInstallWorld) {
        self.source = source
        self.context = context
        self.world = world
    }

    /// The effects of `post_install`, or why it is refused.
    static func plan(_ source: FormulaSource, context: Context, world: PostInstallWorld) -> Result<[PostInstallEffect], Refusal> {
        var planner = PostInstallPlanner(source: source, context: context, world: world)
        do throws(Refusal) {
            if let problem = source.structureProblem { throw Refusal(reason: problem) }
            guard source.methods["post_install"] != nil else { throw Refusal(reason: "no `def post_install` in the formula") }
            _ = try planner.callMethod("post_install")
            return .success(planner.effects)
        } catch {
            return .failure(error)
        }
    }

    // MARK: Statements

    private mutating func callMethod(_ name: String) throws(Refusal) -> Value {
        guard let method = source.methods[name] else { throw refuse("unknown method `\(name)`") }
        guard !method.hasParameters else { throw refuse("helper `\(name)` takes arguments") }
        guard depth < 16 else { throw refuse("helper methods nest too deeply") }
        depth += 1
        locals.append([:])
        defer { depth -= 1; locals.removeLast(); returning = false }
        let statements = RubyParser.parse(method.body)
        // `rescue`/`ensure` change the control flow of every path through the method (an
        // `ensure` runs even after `return`), so their presence refuses the method up front.
        for case .unsupported(let reason, let l) in statements where reason.contains("`ensure`") || reason.contains("`rescue`") {
            line = l
            throw refuse(reason)
        }
        return try run(statements)
    }

    /// Runs statements; the value of the last one is the method's value (Ruby's implicit return).
    private mutating func run(_ statements: [RubyStatement]) throws(Refusal) -> Value {
        var last: Value = .nilValue
        for statement in statements {
            if returning { break }
            switch statement {
            case .unsupported(let reason, let l):
                line = l
                throw refuse(reason)
            case .returnNow(let l):
                line = l
                returning = true
                return .nilValue
            case .assign(let name, let expr, let l):
                line = l
                let value = try evaluate(expr)
                locals[locals.count - 1][name] = value
                last = value
            case .expression(let expr, let l):
                line = l
                last = try evaluate(expr)
            case .conditional(let condition, let then, let otherwise, let l):
                line = l
                last = try truthy(evaluate(condition)) ? run(then) : run(otherwise)
            }
        }
        return last
    }

    private func refuse(_ reason: String) -> Refusal { Refusal(reason: reason, line: line) }

    private func truthy(_ value: Value) -> Bool {
        switch value {
        case .bool(false), .nilValue: return false
        default: return true
        }
    }

    // MARK: Expressions

    private mutating func evaluate(_ expr: RubyExpr) throws(Refusal) -> Value {
        switch expr {
        case .string(let parts):
            var text = ""
            for part in parts {
                switch part {
                case .text(let s): text += s
                case .value(let e): text += try stringValue(evaluate(e))
                }
            }
            return .string(text)
        case .symbol(let s): return .symbol(s)
        case .number(let n): return .number(n)
        case .boolean(let b): return .bool(b)
        case .nilValue: return .nilValue
        case .opaque(let kind): throw refuse("\(kind) value")
        case .not(let e): return .bool(!truthy(try evaluate(e)))
        case .binary(let op, let l, let r):
            switch op {
            case "&&":
                let left = try evaluate(l)
                return truthy(left) ? try evaluate(r) : left
            case "||":
                let left = try evaluate(l)
                return truthy(left) ? left : try evaluate(r)
            case "/":
                return try join(evaluate(l), evaluate(r))
            case "+":
                let left = try evaluate(l), right = try evaluate(r)
                if case .string(let a) = left, case .string(let b) = right { return .string(a + b) }
                throw refuse("`+` on paths")
            case "==", "!=":
                let equal = try evaluate(l) == evaluate(r)
                return .bool(op == "==" ? equal : !equal)
            default:
                throw refuse("operator `\(op)`")
            }
        case .index(let base, let items):
            let receiver = try evaluate(base)
            guard receiver == .namespace("Formula"), items.count == 1, case .string(let name) = try evaluate(items[0]) else {
                throw refuse("indexing other than Formula[\"name\"]")
            }
            return .formula(name)
        case .call(let receiver, let name, let args, let pairs):
            if let receiver { return try method(name, on: evaluate(receiver), args: args, pairs: pairs) }
            return try function(name, args: args, pairs: pairs)
        }
    }

    private func stringValue(_ value: Value) throws(Refusal) -> String {
        switch value {
        case .path(let p), .string(let p): return p
        case .symbol(let s), .number(let s): return s
        default: throw refuse("interpolation of a value that is not a path or string")
        }
    }

    private func join(_ left: Value, _ right: Value) throws(Refusal) -> Value {
        guard case .path(let base) = left else { throw refuse("`/` on a value that is not a path") }
        let tail: String
        switch right {
        case .string(let s), .path(let s): tail = s
        default: throw refuse("`/` with a value that is not a string")
        }
        if PathComponents.isAbsolute(tail) { return .path(tail) } // Pathname#/ with an absolute path replaces
        return .path(tail.isEmpty ? base : base + "/" + tail)
    }

    // MARK: Receiver-less calls

    private mutating func function(_ name: String, args: [RubyExpr], pairs: [RubyExpr.Pair]) throws(Refusal) -> Value {
        if args.isEmpty && pairs.isEmpty {
            for scope in locals.reversed() { if let value = scope[name] { return value } }
            if let path = formulaPath(name, formula: context.name) { return .path(path) }
            switch name {
            case "HOMEBREW_PREFIX": return .path(context.prefix)
            case "HOMEBREW_CELLAR": return .path(context.cellar)
            case "name": return .string(context.name)
            case "version": return .string(context.version)
            case "OS", "Hardware", "Formula", "File", "FileUtils", "Pathname": return .namespace(name)
            default: break
            }
            if source.methods[name] != nil { return try callMethod(name) }
        }
        switch name {
        case "ohai", "opoo", "puts", "odebug", "oh1", "print": return .nilValue
        case "Pathname":
            guard args.count == 1 else { throw refuse("Pathname() arguments") }
            return try pathValue(evaluate(args[0]))
        case "mkdir_p", "mkpath":
            for arg in args { try makeDirectory(pathArgument(arg)) }
            return .nilValue
        case "rm", "rm_f", "safe_rm":
            let forced = try option("force", pairs)
            let force = name == "rm_f" || forced
            for arg in args { try remove(pathArgument(arg), force: force) }
            return .nilValue
        case "touch":
            for arg in args { try touch(pathArgument(arg)) }
            return .nilValue
        case "cp":
            guard args.count == 2 else { throw refuse("cp with \(args.count) arguments") }
            try copy(from: pathArgument(args[0]), to: pathArgument(args[1]))
            return .nilValue
        case "ln_sf", "ln_s":
            guard args.count == 2 else { throw refuse("\(name) with \(args.count) arguments") }
            let forced = try option("force", pairs)
            try link(source: evaluate(args[0]), destination: pathArgument(args[1]), force: name == "ln_sf" || forced)
            return .nilValue
        default:
            if ["system", "quiet_system", "safe_system", "exec", "spawn", "which"].contains(name) {
                throw refuse("`\(name)` runs a program")
            }
            if source.methods[name] != nil { throw refuse("helper `\(name)` called with arguments") }
            throw refuse("unsupported call `\(name)`")
        }
    }

    private mutating func option(_ key: String, _ pairs: [RubyExpr.Pair]) throws(Refusal) -> Bool {
        var result = false
        for pair in pairs {
            guard pair.key == .symbol(key) else { throw refuse("option `\(pair.key)`") }
            result = truthy(try evaluate(pair.value))
        }
        return result
    }

    // MARK: Methods on values

    private mutating func method(_ name: String, on receiver: Value, args: [RubyExpr], pairs: [RubyExpr.Pair]) throws(Refusal) -> Value {
        switch receiver {
        case .namespace("OS"):
            switch name {
            case "mac?": return .bool(!context.linux)
            case "linux?": return .bool(context.linux)
            default: throw refuse("OS.\(name)")
            }
        case .namespace("Hardware"):
            if name == "CPU" { return .namespace("Hardware::CPU") }
        case .namespace("Hardware::CPU"):
            switch name {
            case "arm?": return .bool(context.arm)
            case "intel?": return .bool(!context.arm)
            default: break
            }
        case .namespace("Pathname") where name == "new" && args.count == 1:
            return try pathValue(evaluate(args[0]))
        case .namespace("File"):
            switch name {
            case "exist?", "file?", "directory?", "symlink?":
                guard args.count == 1 else { break }
                return try predicate(name, path: pathArgument(args[0]))
            case "read":
                guard args.count == 1 else { break }
                return .fileContents(try pathArgument(args[0]))
            case "join":
                var parts: [String] = []
                for arg in args { parts.append(try stringValue(evaluate(arg))) }
                return .string(parts.joined(separator: "/"))
            default: break
            }
        case .namespace("FileUtils"):
            return try function(name, args: args, pairs: pairs)
        case .formula(let formula):
            if args.isEmpty, let path = formulaPath(name, formula: formula) { return .path(path) }
        case .path(let path):
            return try pathMethod(name, path: path, args: args, pairs: pairs)
        case .string(let s):
            if name == "to_s" { return .string(s) }
        default: break
        }
        throw refuse("unsupported call `.\(name)`")
    }

    private mutating func pathMethod(_ name: String, path: String, args: [RubyExpr], pairs: [RubyExpr.Pair]) throws(Refusal) -> Value {
        switch name {
        case "exist?", "file?", "directory?", "symlink?", "readable?":
            return try predicate(name, path: path)
        case "to_s", "to_path": return .string(path)
        case "dirname", "parent": return .path(PosixFS.parent(path))
        case "basename": return .string(PosixFS.baseName(path))
        case "read": return .fileContents(path)
        case "mkpath":
            try makeDirectory(path)
            return .nilValue
        case "unlink", "delete":
            try remove(path, force: false)
            return .nilValue
        case "atomic_write", "write":
            guard args.count == 1, pairs.isEmpty else { throw refuse("\(name) arguments") }
            switch try evaluate(args[0]) {
            case .fileContents(let from): try copy(from: from, to: path)
            case .string(let text): try write(text, to: path)
            default: throw refuse("\(name) of a value that is neither a file's contents nor a string")
            }
            return .nilValue
        case "install_symlink":
            guard !args.isEmpty || !pairs.isEmpty else { throw refuse("install_symlink without arguments") }
            for arg in args {
                let source = try pathValue(evaluate(arg))
                guard case .path(let s) = source else { throw refuse("install_symlink source") }
                try installSymlink(directory: path, source: s, name: PosixFS.baseName(s))
            }
            for pair in pairs {
                guard case .path(let s) = try pathValue(evaluate(pair.key)) else { throw refuse("install_symlink source") }
                try installSymlink(directory: path, source: s, name: stringValue(evaluate(pair.value)))
            }
            return .nilValue
        case "make_relative_symlink":
            guard args.count == 1, case .path(let source) = try pathValue(evaluate(args[0])) else { throw refuse("make_relative_symlink argument") }
            try confine(path)
            try makeDirectory(PosixFS.parent(path))
            try link(source: .string(PosixFS.relative(from: PosixFS.parent(path), to: PosixFS.normalize(source))),
                     destination: path, force: true)
            return .nilValue
        default:
            throw refuse("unsupported call `.\(name)`")
        }
    }

    // MARK: Paths

    /// A formula path helper (`formula.rb`), for this formula (its keg) or another one (its opt
    /// link, which is what `Formula#prefix` returns for an installed, opt-linked formula).
    private func formulaPath(_ helper: String, formula: String) -> String? {
        let own = formula == context.name
        let opt = context.prefix + "/opt/" + formula
        let base = own ? context.kegPath : opt
        switch helper {
        case "etc": return context.prefix + "/etc"
        case "pkgetc": return context.prefix + "/etc/" + formula
        case "var": return context.prefix + "/var"
        case "prefix", "opt_prefix": return helper == "prefix" ? base : (own ? context.kegPath : opt)
        case "bin", "sbin", "lib", "libexec", "include", "share":
            return base + "/" + helper
        case "opt_bin", "opt_sbin", "opt_lib", "opt_libexec", "opt_include", "opt_share":
            return (own ? context.kegPath : opt) + "/" + helper.dropFirst(4)
        case "pkgshare": return base + "/share/" + formula
        case "opt_pkgshare": return (own ? context.kegPath : opt) + "/share/" + formula
        case "doc": return base + "/share/doc/" + formula
        case "info": return base + "/share/info"
        case "man": return base + "/share/man"
        case "man1", "man2", "man3", "man4", "man5", "man6", "man7", "man8":
            return base + "/share/man/" + helper
        case "elisp": return base + "/share/emacs/site-lisp/" + formula
        case "opt_elisp": return (own ? context.kegPath : opt) + "/share/emacs/site-lisp/" + formula
        case "frameworks": return base + "/Frameworks"
        case "bash_completion": return base + "/etc/bash_completion.d"
        case "zsh_completion", "zsh_function": return base + "/share/zsh/site-functions"
        case "fish_completion": return base + "/share/fish/vendor_completions.d"
        default: return nil
        }
    }

    private func pathValue(_ value: Value) throws(Refusal) -> Value {
        switch value {
        case .path: return value
        case .string(let s): return .path(s)
        default: throw refuse("a path was expected")
        }
    }

    /// A path argument, absolute and free of `.`/`..` (a relative path would depend on the
    /// working directory brew happens to have; `..` could step out of the prefix).
    private mutating func pathArgument(_ expr: RubyExpr) throws(Refusal) -> String {
        guard case .path(let path) = try pathValue(evaluate(expr)) else { throw refuse("a path was expected") }
        return try checkedPath(path)
    }

    private func checkedPath(_ path: String) throws(Refusal) -> String {
        guard PathComponents.isAbsolute(path) else { throw refuse("relative path `\(path)`") }
        let components = PathComponents.split(path)
        guard !components.contains(where: { $0 == ".." || $0 == "." }) else { throw refuse("path with `..` or `.`: \(path)") }
        return "/" + components.joined(separator: "/")
    }

    /// Plan-time half of the confinement rule (the execute-time half is
    /// `PostInstallConfinement`): writes go only to the formula's own keg or to the prefix
    /// directories brew's post-install sandbox opens (`formula_installer.rb#post_install`:
    /// `Keg.keg_link_directories` = bin etc include lib sbin share var), never to pour's own
    /// state under `var/homebrew`.
    private func confine(_ path: String) throws(Refusal) {
        let path = try checkedPath(path)
        if PathComponents.isAtOrBelow(path, context.kegPath) { return }
        for directory in ["bin", "etc", "include", "lib", "sbin", "share", "var"] {
            let root = context.prefix + "/" + directory
            if PathComponents.isAtOrBelow(path, root) {
                if directory == "var" && PathComponents.isAtOrBelow(path, root + "/homebrew") { break }
                return
            }
        }
        throw refuse("writes outside the keg and the prefix's link directories: \(path)")
    }

    private func state(_ path: String) -> PostInstallWorld.State {
        if let planned = overlay[path] { return planned }
        // A path below a planned removal or a planned file does not exist.
        return world.state(path)
    }

    private func predicate(_ name: String, path: String) throws(Refusal) -> Value {
        let path = try checkedPath(path)
        let s = state(path)
        switch name {
        case "exist?", "readable?": return .bool(s != .missing)
        case "file?": return .bool(s == .file)
        case "directory?": return .bool(s == .directory)
        default: return .bool(s == .symlink)
        }
    }

    // MARK: Effects

    private mutating func makeDirectory(_ path: String) throws(Refusal) {
        try confine(path)
        var missing: [String] = []
        var current = path
        while current.count > context.prefix.count, state(current) != .directory {
            guard state(current) == .missing else { throw refuse("mkpath over an existing non-directory: \(current)") }
            missing.append(current)
            current = PosixFS.parent(current)
        }
        for directory in missing.reversed() {
            try confine(directory)
            effects.append(.makeDirectory(directory))
            overlay[directory] = .directory
        }
    }

    private mutating func remove(_ path: String, force: Bool) throws(Refusal) {
        try confine(path)
        switch state(path) {
        case .missing:
            if !force { throw refuse("rm of a missing file (brew would raise): \(path)") }
        case .directory:
            throw refuse("rm of a directory: \(path)")
        case .file, .symlink:
            effects.append(.remove(path))
            overlay[path] = .missing
        }
    }

    private mutating func touch(_ path: String) throws(Refusal) {
        try confine(path)
        try requireDirectory(PosixFS.parent(path))
        effects.append(.touch(path))
        if state(path) == .missing { overlay[path] = .file }
    }

    private mutating func copy(from source: String, to destination: String) throws(Refusal) {
        let source = try checkedPath(source)
        try readable(source)
        var destination = destination
        if state(destination) == .directory { destination += "/" + PosixFS.baseName(source) }
        try confine(destination)
        try requireDirectory(PosixFS.parent(destination))
        effects.append(.copy(from: source, to: destination))
        overlay[destination] = .file
    }

    private mutating func write(_ text: String, to destination: String) throws(Refusal) {
        try confine(destination)
        try requireDirectory(PosixFS.parent(destination))
        effects.append(.write(at: destination, contents: text))
        overlay[destination] = .file
    }

    /// Sources are read only from the keg or the prefix (never `/etc/shadow`).
    private func readable(_ source: String) throws(Refusal) {
        guard PathComponents.isBelow(source, context.prefix) else { throw refuse("reads a file outside the prefix: \(source)") }
    }

    private func requireDirectory(_ path: String) throws(Refusal) {
        guard state(path) == .directory else { throw refuse("parent directory does not exist: \(path)") }
    }

    /// `Pathname#install_symlink` (`extend/pathname.rb#install_symlink_p`): mkpath the
    /// directory, then `ln_sf` a link named `name` whose content is the source relative to the
    /// directory's real path (the source's parent resolved too when it exists).
    private mutating func installSymlink(directory: String, source: String, name: String) throws(Refusal) {
        let directory = try checkedPath(directory)
        try makeDirectory(directory)
        var source = PosixFS.normalize(PathComponents.isAbsolute(source) ? source : directory + "/" + source)
        if let realParent = world.realDirectory(PosixFS.parent(source)) {
            source = realParent + "/" + PosixFS.baseName(source)
        }
        try link(source: .string(PosixFS.relative(from: directory, to: source)), destination: directory + "/" + name, force: true)
    }

    /// `FileUtils.ln_s`/`ln_sf`: a link to `source` (its text as given) at `destination`, or
    /// inside it when `destination` is a directory.
    private mutating func link(source: Value, destination: String, force: Bool) throws(Refusal) {
        let target = try stringValue(source)
        var at = destination
        if state(at) == .directory { at += "/" + PosixFS.baseName(target) }
        try confine(at)
        try requireDirectory(PosixFS.parent(at))
        // The link may point anywhere a reader could follow it; keep it inside the prefix.
        let resolved = PosixFS.normalize(PathComponents.isAbsolute(target) ? target : PosixFS.parent(at) + "/" + target)
        guard PathComponents.isBelow(resolved, context.prefix) else { throw refuse("symlink pointing outside the prefix: \(target)") }
        let existing = state(at)
        if existing == .directory { throw refuse("symlink over a directory: \(at)") }
        if existing != .missing && !force { throw refuse("ln_s over an existing file (brew would raise): \(at)") }
        effects.append(.symlink(at: at, target: target))
        overlay[at] = .symlink
    }
}
