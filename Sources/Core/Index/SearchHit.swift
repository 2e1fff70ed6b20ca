extension FormulaIndex {
    /// One search result.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    public struct SearchHit: Hashable, Sendable {
        /// Which field of the formula matched the query.
        ///
        /// Thread-safety: an immutable value; safe to share across queues.
        public enum Match: String, Sendable {
            case exact, prefix, substring, text
        }

        public var name: String
        public var desc: String?
        public var version: String
        public var match: Match
    }
}

package typealias SearchHit = FormulaIndex.SearchHit
