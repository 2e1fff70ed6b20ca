/// pour's version and the Homebrew version it writes into receipts.
public enum PourVersion {
    public static let string = "0.1.0"
    /// Written as `homebrew_version` in receipts so brew reads them as its own.
    public static let homebrewCompatible = "4.4.0"
}
