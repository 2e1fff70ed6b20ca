/// The command line of the example, parsed by hand (no dependencies beyond PourCore).
///
/// Thread-safety: an immutable value.
struct PluginArguments: Sendable {
    var prefix: String
    var cache: String?
    var jobs: Int?
    var plugins: [String]

    static func parse(_ arguments: [String]) -> Result<PluginArguments, ParseFailure> {
        var prefix: String?
        var cache: String?
        var jobs: Int?
        var plugins: [String] = []
        var index = 0
        func value(for option: String) -> Result<String, ParseFailure> {
            index += 1
            guard index < arguments.count else { return .failure(ParseFailure("\(option) needs a value")) }
            return .success(arguments[index])
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--prefix":
                switch value(for: argument) {
                case .success(let v): prefix = v
                case .failure(let failure): return .failure(failure)
                }
            case "--cache":
                switch value(for: argument) {
                case .success(let v): cache = v
                case .failure(let failure): return .failure(failure)
                }
            case "--jobs":
                switch value(for: argument) {
                case .success(let v):
                    guard let n = Int(v), n > 0 else { return .failure(ParseFailure("--jobs must be a positive number")) }
                    jobs = n
                case .failure(let failure): return .failure(failure)
                }
            default:
                if argument.hasPrefix("-") { return .failure(ParseFailure("unknown option \(argument)")) }
                plugins.append(argument)
            }
            index += 1
        }
        guard let prefix else { return .failure(ParseFailure("--prefix is required")) }
        guard !plugins.isEmpty else { return .failure(ParseFailure("name at least one plugin")) }
        return .success(PluginArguments(prefix: prefix, cache: cache, jobs: jobs, plugins: plugins))
    }
}

/// A command-line mistake, printed with the usage line.
struct ParseFailure: Error, Sendable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
