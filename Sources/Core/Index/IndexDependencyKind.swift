/// Dependency kinds a caller can ask about (`pour uses --include-build` …).
///
/// Thread-safety: an immutable value; safe to share across queues.
package enum IndexDependencyKind: String, CaseIterable, Hashable, Sendable {
    case runtime, build, test, recommended, optional

    var schemaKind: IndexSchema.DependencyKind {
        switch self {
        case .runtime: return .runtime
        case .build: return .build
        case .test: return .test
        case .recommended: return .recommended
        case .optional: return .optional
        }
    }
}
