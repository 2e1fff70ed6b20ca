/// Everything the Registry layer (formula JSON → `Formula` → `FormulaCatalog`) can report.
///
/// Each case names the formula or data source involved and its `description` is one line saying
/// what went wrong and what the user can do about it.
///
/// Thread-safety: an immutable value; safe to share across queues.
public enum RegistryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No formula, full name, alias or old name matches `name`; `suggestions` are close matches.
    case unknownFormula(name: String, suggestions: [String])
    /// `source` (a file name or URL) is not formula JSON of the expected shape.
    case malformedJSON(source: String, detail: String)
    /// The formula object lacks a field pour cannot do without (`name`, `versions.stable`).
    case missingField(formula: String, field: String)
    /// A metadata value that becomes part of a path is unsafe there (`PathNames`).
    case unsafeName(formula: String, field: String, value: String, reason: String)

    public var description: String {
        switch self {
        case .unknownFormula(let name, let suggestions):
            let hint = suggestions.isEmpty
                ? "check the spelling or refresh the formula catalogue"
                : "did you mean " + suggestions.map { "'\($0)'" }.joined(separator: ", ") + "?"
            return "No formula named '\(name)': \(hint)"
        case .malformedJSON(let source, let detail):
            return "Cannot read formula data from \(source) (\(detail)): delete the cached copy and download it again"
        case .missingField(let formula, let field):
            return "Formula '\(formula)' has no '\(field)' in its API data: it cannot be poured; refresh the catalogue or report it to its tap"
        case .unsafeName(let formula, let field, let value, let reason):
            return "Formula '\(formula)' has an unsafe \(field) '\(value)' (\(reason)): it cannot be poured; report it to its tap"
        }
    }
}
