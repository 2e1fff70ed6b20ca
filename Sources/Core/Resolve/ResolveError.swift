/// Everything dependency resolution can report. Each `description` is one line naming the
/// formulae involved and what the user can do.
///
/// Thread-safety: an immutable value; safe to share across queues.
public enum ResolveError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A requested name matches no formula, alias or old name; `suggestions` are close matches.
    case unknownFormula(name: String, suggestions: [String])
    /// `formula` declares `dependency`, which the catalogue does not contain.
    case missingDependency(formula: String, dependency: String)
    /// The runtime dependencies loop; `path` starts and ends with the same formula.
    case dependencyCycle(path: [String])
    /// A formula the user asked for is disabled upstream.
    case disabledFormula(name: String)
    /// No bottle file for `tag` (nor its fallbacks); `requiredBy` is the dependent when the
    /// formula was pulled in as a dependency.
    case noBottle(formula: String, tag: String, requiredBy: String?)
    /// The formula's metadata was refused when decoded (an unsafe path name, see `PathNames`).
    case refusedMetadata(RegistryError)

    public var description: String {
        switch self {
        case .unknownFormula(let name, let suggestions):
            return RegistryError.unknownFormula(name: name, suggestions: suggestions).description
        case .missingDependency(let formula, let dependency):
            return "Formula '\(formula)' depends on '\(dependency)', which is not in the catalogue: refresh the catalogue or tap the repository that provides it"
        case .dependencyCycle(let path):
            return "Dependency cycle \(path.joined(separator: " → ")): the formula data is inconsistent; refresh the catalogue or report it to the tap"
        case .disabledFormula(let name):
            return "Formula '\(name)' is disabled upstream and can no longer be installed: pick a replacement"
        case .refusedMetadata(let error):
            return error.description
        case .noBottle(let formula, let tag, let requiredBy):
            let context = requiredBy.map { " (needed by '\($0)')" } ?? ""
            return "Formula '\(formula)'\(context) has no bottle for \(tag): pour installs bottles only; use `brew install --build-from-source \(formula)`"
        }
    }
}
