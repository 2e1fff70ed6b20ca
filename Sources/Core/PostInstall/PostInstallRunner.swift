import Foundation

/// What became of a formula's `post_install` when pour poured it.
///
/// Immutable value; safe to share across queues.
enum PostInstallOutcome: Equatable, Sendable {
    /// The interpreter understood the whole body and carried out its effects.
    case ran(effects: [PostInstallEffect])
    /// The body is beyond the interpreter, but its effect was recognised and carried out.
    case recognised(rule: PostInstallRecognition.Rule, effects: [PostInstallEffect])
    /// Nothing was changed; the user has to run `brew postinstall <name>`.
    case notRun(reason: String)

    static func command(for name: String) -> String { "brew postinstall \(name)" }
}

/// Runs the `post_install` of a freshly poured and linked keg, as brew's
/// `formula_installer.rb#finish` does after linking: read the formula source the bottle carries
/// (`<keg>/.brew/<name>.rb`, which `post_install_formula_path` picks for formulae from the API),
/// plan, and only then execute. Records the outcome in the receipt (`pour_post_install`), which
/// `pour doctor` reads.
///
/// Stateless; call on the install's serial link queue (it writes into the shared prefix).
enum PostInstallRunner {
    /// The receipt field naming what happened: `{"status": "ran"|"recognised"|"not_run", …}`.
    static let receiptField = "pour_post_install"

    static func run(name: String, version: String, kegPath: String, layout: PrefixLayout) -> PostInstallOutcome {
        let outcome = perform(name: name, version: version, kegPath: kegPath, layout: layout)
        record(outcome, name: name, kegPath: kegPath)
        return outcome
    }

    private static func perform(name: String, version: String, kegPath: String, layout: PrefixLayout) -> PostInstallOutcome {
        let sourcePath = kegPath + "/.brew/" + name + ".rb"
        guard PosixFS.kind(sourcePath) == .file, let data = FileManager.default.contents(atPath: sourcePath) else {
            return .notRun(reason: "the bottle carries no .brew/\(name).rb to read post_install from")
        }
        guard let realPrefix = PosixFS.realPath(layout.prefix) else { return .notRun(reason: "the prefix does not resolve") }
        // Cut on bytes (`PathComponents.relative`): by `Character` count, a prefix ending in a
        // grapheme "prepend" lost the `/` before `Cellar` (`PostInstallPrefixBytesTests`).
        guard let kegRelative = PathComponents.relative(kegPath, below: layout.prefix) else {
            return .notRun(reason: "keg outside the prefix")
        }
        let context = PostInstallPlanner.Context(name: name, version: version, prefix: realPrefix,
                                                 kegPath: realPrefix + "/" + kegRelative)
        let source = FormulaSource.parse(String(decoding: data, as: UTF8.self))
        switch PostInstallPlanner.plan(source, context: context, world: .real) {
        case .success(let effects):
            if let bad = unconfined(effects, prefix: realPrefix) {
                return .notRun(reason: "a directory on the way to \(bad) is a symlink or a file")
            }
            do throws(PostInstallConfinement.Failure) {
                try PostInstallExecutor.execute(effects, prefix: realPrefix)
                return .ran(effects: effects)
            } catch {
                return .notRun(reason: "stopped at \(error.description)")
            }
        case .failure(let refusal):
            guard let (rule, effects) = PostInstallRecognition.recognise(source, context: context, world: .real) else {
                return .notRun(reason: refusal.description)
            }
            if let bad = unconfined(effects, prefix: realPrefix) {
                return .notRun(reason: "a directory on the way to \(bad) is a symlink or a file")
            }
            if rule == .caBundle, !isPEMBundle(context.kegPath + "/share/" + name + "/cacert.pem") {
                return .notRun(reason: "share/\(name)/cacert.pem is not a PEM certificate bundle")
            }
            do throws(PostInstallConfinement.Failure) {
                try PostInstallExecutor.execute(effects, prefix: realPrefix)
                return .recognised(rule: rule, effects: effects)
            } catch {
                return .notRun(reason: "stopped at \(error.description)")
            }
        }
    }

    /// The first effect whose path (or source) passes through a symlink or a file on disk now.
    private static func unconfined(_ effects: [PostInstallEffect], prefix: String) -> String? {
        for effect in effects {
            var paths = [effect.path]
            if case .copy(let from, _) = effect { paths.append(from) }
            if let bad = paths.first(where: { !PostInstallConfinement.probe($0, root: prefix) }) { return bad }
        }
        return nil
    }

    private static func isPEMBundle(_ path: String) -> Bool {
        guard PosixFS.kind(path) == .file, let data = FileManager.default.contents(atPath: path) else { return false }
        return String(decoding: data, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----")
    }

    /// Adds the outcome to the keg's receipt; a receipt pour cannot rewrite leaves the outcome
    /// reported by the run only.
    private static func record(_ outcome: PostInstallOutcome, name: String, kegPath: String) {
        guard var receipt = try? InstallReceipt.read(kegPath: kegPath) else { return }
        var entry: [String: ReceiptJSONValue] = [:]
        switch outcome {
        case .ran(let effects):
            entry = ["status": .string("ran"), "effects": .array(effects.map { .string($0.description) })]
        case .recognised(let rule, let effects):
            entry = ["status": .string("recognised"), "rule": .string(rule.rawValue),
                     "effects": .array(effects.map { .string($0.description) })]
        case .notRun(let reason):
            entry = ["status": .string("not_run"), "reason": .string(reason), "command": .string(PostInstallOutcome.command(for: name))]
        }
        receipt.extra[receiptField] = .object(entry)
        try? receipt.write(kegPath: kegPath, package: name)
    }

    /// The `not_run` entry of a receipt, for `pour doctor`: (reason, command).
    static func pending(in receipt: InstallReceipt) -> (reason: String, command: String)? {
        guard case .object(let entry)? = receipt.extra[receiptField], entry["status"] == .string("not_run") else { return nil }
        var reason = "", command = ""
        if case .string(let r)? = entry["reason"] { reason = r }
        if case .string(let c)? = entry["command"] { command = c }
        return (reason, command)
    }
}

extension PostInstallRunner {
    /// The install event for an outcome.
    static func event(name: String, _ outcome: PostInstallOutcome) -> InstallEvent {
        switch outcome {
        case .ran(let effects):
            return .postInstallRan(name: name, detail: "post_install ran (\(effects.count) change\(effects.count == 1 ? "" : "s"))")
        case .recognised(let rule, let effects):
            return .postInstallRan(name: name, detail: "post_install effect recognised: \(rule.rawValue) (\(effects.count) change\(effects.count == 1 ? "" : "s"))")
        case .notRun(let reason):
            return .postInstallNotRun(name: name, reason: reason, command: PostInstallOutcome.command(for: name))
        }
    }
}
