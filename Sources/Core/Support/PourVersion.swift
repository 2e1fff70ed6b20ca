/// pour's version and the Homebrew version it writes into receipts.
///
/// Thread-safety: a stateless namespace of constants and functions; use it from any thread.
package enum PourVersion {
    package static let string = "0.1.0"
    /// Written as `homebrew_version` in receipts so brew reads them as its own.
    package static let homebrewCompatible = "4.4.0"
}
