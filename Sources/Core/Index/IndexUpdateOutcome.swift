extension FormulaIndex {
    /// What `Installer.updateIndex` (`pour update`) did.
    ///
    /// Thread-safety: an immutable value; safe to share across queues.
    public enum IndexUpdateOutcome: Sendable, Equatable {
        /// The catalogue was unchanged (304 or same local file); nothing was decoded or written.
        case notModified(indexPath: String)
        /// A new index was written.
        case rebuilt(indexPath: String, formulae: Int, rejected: Int, signed: Bool, source: String)
    }
}

package typealias IndexUpdateOutcome = FormulaIndex.IndexUpdateOutcome
