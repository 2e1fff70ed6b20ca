import ArgumentParser
import Foundation
import PourCore

/// `pour-registry postinstall-coverage <Formula dir>`: how many formulae with a `post_install`
/// pour's interpreter runs fully, runs by a recognised effect, or refuses (and why), measured on
/// a homebrew-core checkout's `Formula/` tree.
struct PostInstallCoverageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postinstall-coverage",
        abstract: "Report post_install interpreter coverage over a homebrew-core Formula directory.")

    @Argument(help: "A homebrew-core Formula directory (searched recursively for *.rb).")
    var formulaDirectory: String

    @Option(help: "Print the verdict of these formulae in full (comma-separated names).")
    var show: String = ""

    @Option(help: "How many refusal reasons to list.")
    var top: Int = 15

    @Flag(help: "Classify as on macOS instead of Linux.")
    var mac = false

    func run() throws {
        let root = URL(fileURLWithPath: formulaDirectory)
        guard let walker = FileManager.default.enumerator(atPath: root.path) else {
            throw ValidationError("cannot read \(formulaDirectory)")
        }
        let shown = Set(show.split(separator: ",").map(String.init))
        var total = 0, runs = 0, recognised = 0, refused = 0
        var reasons: [String: [String]] = [:]
        var rules: [String: [String]] = [:]
        for case let relative as String in walker where relative.hasSuffix(".rb") {
            let name = String((relative as NSString).lastPathComponent.dropLast(3))
            guard let data = FileManager.default.contents(atPath: root.appendingPathComponent(relative).path) else { continue }
            let verdict = PostInstallCoverage.classify(source: String(decoding: data, as: UTF8.self), name: name, linux: !mac)
            if shown.contains(name) { print("\(name): \(verdict)") }
            switch verdict {
            case .none: continue
            case .runs: runs += 1
            case .recognised(let rule, _): recognised += 1; rules[rule, default: []].append(name)
            case .refused(let reason): refused += 1; reasons[PostInstallCoverage.category(of: reason), default: []].append(name)
            }
            total += 1
        }
        func percent(_ n: Int) -> String { total == 0 ? "0" : String(format: "%.1f", Double(n) * 100 / Double(total)) }
        print("formulae with post_install: \(total)")
        print("  interpreted fully:   \(runs) (\(percent(runs)) %)")
        print("  recognised effect:   \(recognised) (\(percent(recognised)) %)")
        for (rule, names) in rules.sorted(by: { $0.key < $1.key }) {
            print("    \(rule): \(names.sorted().joined(separator: ", "))")
        }
        print("  refused (fail closed): \(refused) (\(percent(refused)) %)")
        print("top refusal reasons (first refusal per formula):")
        for (reason, names) in reasons.sorted(by: { ($0.value.count, $1.key) > ($1.value.count, $0.key) }).prefix(top) {
            print(String(format: "  %4d  ", names.count) + reason + "  (e.g. " + names.sorted().prefix(3).joined(separator: ", ") + ")")
        }
    }
}
