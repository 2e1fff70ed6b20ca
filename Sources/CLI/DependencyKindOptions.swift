import ArgumentParser
import PourCore

/// `--include-build` / `--include-test` / `--include-optional`, shared by deps and uses.
struct DependencyKindOptions: ParsableArguments {
    @Flag(name: .customLong("include-build"), help: "Include build dependencies.")
    var includeBuild = false

    @Flag(name: .customLong("include-test"), help: "Include test dependencies.")
    var includeTest = false

    @Flag(name: .customLong("include-optional"), help: "Include optional dependencies.")
    var includeOptional = false

    /// Runtime and recommended always; the others on request (brew's defaults).
    var kinds: Set<IndexDependencyKind> {
        var kinds: Set<IndexDependencyKind> = [.runtime, .recommended]
        if includeBuild { kinds.insert(.build) }
        if includeTest { kinds.insert(.test) }
        if includeOptional { kinds.insert(.optional) }
        return kinds
    }

    func names(of formula: Formula) -> [String] {
        var names = formula.dependencies + formula.recommendedDependencies
        if includeBuild { names += formula.buildDependencies }
        if includeTest { names += formula.testDependencies }
        if includeOptional { names += formula.optionalDependencies }
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }
}
