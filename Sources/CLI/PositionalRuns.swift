import ArgumentParser

/// A command whose positional arguments are formula names (`pour install NAME...`).
protocol FormulaNamesCommand: ParsableCommand {
    var names: [String] { get set }
}

/// Long runs of formula names handed to ArgumentParser as one placeholder each, and put back
/// after parsing.
///
/// Why: ArgumentParser (1.8) stores a repeating positional argument as `Any` and, for every value,
/// copies the whole array and unions the set of input origins seen so far, so parsing n names is
/// quadratic: `pour install` with the 1,000 names of the many-small benchmark spent ~50 ms (14 % of
/// a `--dry-run`'s CPU) in `LenientParser.parsePositionalValues` before any work began
/// (Docs/Performance.md, "Seventh pass").
///
/// What is collapsed is exactly what the parser would have taken as positionals: in a run of
/// consecutive words that do not begin with `-`, every word after the first. The first is kept
/// as it was, because it may be the value of the option before it (`--prefix /opt a b c`); the
/// others cannot be an option's value, since no option of pour takes more than one value. The
/// placeholder begins with a NUL, which no word of a real command line (a C string) can contain,
/// so it never meets a real name. Only the line of a command that takes names is collapsed (any
/// other would refuse a placeholder with an error naming it); runs shorter than `minimumRun` are
/// left alone (a typical command line is parsed exactly as before), and so is shell completion
/// (`---completion`), which reads the words itself.
struct PositionalRuns {
    /// The collapsed words of each run, by placeholder number.
    private(set) var runs: [[String]] = []

    static let minimumRun = 16
    private static let marker = "\u{0}pour-names-"

    /// The command line to hand to ArgumentParser (without the program name); `takesNames` says
    /// whether a subcommand's positionals are formula names.
    static func collapse(_ arguments: [String], takesNames: (String) -> Bool) -> (arguments: [String], runs: PositionalRuns) {
        var collapsed = PositionalRuns()
        guard let command = arguments.first, takesNames(command), !arguments.contains("---completion") else {
            return (arguments, collapsed)
        }
        var result = [command]
        result.reserveCapacity(arguments.count)
        var index = 1
        while index < arguments.count {
            var end = index
            while end < arguments.count, !arguments[end].hasPrefix("-") { end += 1 }
            if end - index >= minimumRun {
                result.append(arguments[index])
                result.append(marker + String(collapsed.runs.count))
                collapsed.runs.append(Array(arguments[(index + 1)..<end]))
            } else {
                result.append(contentsOf: arguments[index..<end])
            }
            if end < arguments.count { result.append(arguments[end]) }
            index = end + 1
        }
        return (result, collapsed)
    }

    /// `names` as parsed, with each placeholder replaced by the words it stands for.
    func expand(_ names: [String]) -> [String] {
        guard !runs.isEmpty else { return names }
        var result: [String] = []
        result.reserveCapacity(names.count + runs.reduce(0) { $0 + $1.count })
        for name in names {
            if name.hasPrefix(PositionalRuns.marker), let number = Int(name.dropFirst(PositionalRuns.marker.count)),
               runs.indices.contains(number) {
                result.append(contentsOf: runs[number])
            } else {
                result.append(name)
            }
        }
        return result
    }

    /// Puts the collapsed names back into a parsed command: a placeholder stands where
    /// positionals stood, so it has landed in the command's names.
    func restore(_ command: ParsableCommand) -> ParsableCommand {
        guard !runs.isEmpty, var named = command as? any FormulaNamesCommand else { return command }
        named.names = expand(named.names)
        return named
    }
}
