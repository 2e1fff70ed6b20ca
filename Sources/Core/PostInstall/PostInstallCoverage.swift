import Foundation

/// Classifies a formula source the way an install would treat its `post_install`, without a keg:
/// for `pour-registry postinstall-coverage`, which measures the interpreter on real
/// homebrew-core sources. The prefix is the Linux default, as left by pour and link on a first install: its link
/// directories and the keg's usual directories exist, nothing else does.
///
/// Stateless.
package enum PostInstallCoverage {
    package enum Verdict: Equatable, Sendable {
        /// No `def post_install` in the source.
        case none
        case runs(effects: [String])
        case recognised(rule: String, effects: [String])
        case refused(reason: String)
    }

    package static func classify(source text: String, name: String, linux: Bool = true) -> Verdict {
        let source = FormulaSource.parse(text, linux: linux)
        guard source.definesPostInstall || source.structureProblem != nil else { return .none }
        let prefix = "/home/linuxbrew/.linuxbrew"
        let context = PostInstallPlanner.Context(name: name, version: "1.0", prefix: prefix,
                                                 kegPath: prefix + "/Cellar/" + name + "/1.0", linux: linux, arm: false)
        // A prefix after pour and link: its link directories and the keg's usual ones exist.
        let keg = context.kegPath
        var directories: Set<String> = [prefix, keg, keg + "/share/" + name]
        for d in ["bin", "etc", "include", "lib", "sbin", "share", "var", "opt", "Cellar", "Cellar/" + name] { directories.insert(prefix + "/" + d) }
        for d in ["bin", "etc", "include", "lib", "libexec", "sbin", "share"] { directories.insert(keg + "/" + d) }
        let frozen = directories
        let world = PostInstallWorld(state: { frozen.contains($0) ? .directory : .missing }, realDirectory: { frozen.contains($0) ? $0 : nil })
        switch PostInstallPlanner.plan(source, context: context, world: world) {
        case .success(let effects): return .runs(effects: effects.map(\.description))
        case .failure(let refusal):
            if let (rule, effects) = PostInstallRecognition.recognise(source, context: context, world: world) {
                return .recognised(rule: rule.rawValue, effects: effects.map(\.description))
            }
            return .refused(reason: refusal.reason)
        }
    }

    /// A refusal reason with paths and names taken out, so that reasons group.
    package static func category(of reason: String) -> String {
        var text = reason
        if let colon = text.range(of: ": /") { text = String(text[..<colon.lowerBound]) }
        if text.hasPrefix("unknown method") || text.hasPrefix("helper `") { return text.replacingOccurrences(of: "`[^`]*`", with: "`…`", options: .regularExpression) }
        return text
    }
}
