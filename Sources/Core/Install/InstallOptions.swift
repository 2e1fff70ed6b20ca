/// Per-call choices for `Installer.install`.
///
/// Thread-safety: an immutable value; safe to share across queues.
public struct InstallOptions: Sendable, Equatable {
    /// Reinstall requested formulae even when their keg is already in the Cellar.
    public var force: Bool
    /// Link kegs into the prefix (`false` = `--no-link`: only the `opt/<name>` link is made, as for
    /// keg-only formulae, so dependents still find them).
    public var link: Bool
    /// Extract each bottle as soon as it is verified, while other downloads continue (the
    /// default). `false` (the hidden `--no-overlap` flag, a benchmark baseline only, hence not
    /// public) defers every extraction until all downloads have ended.
    package var overlapExtraction = true
    /// Extract large bottles while their bytes arrive (`StreamingExtraction`; the default). `false`
    /// (the hidden `--no-stream` flag, a benchmark baseline) extracts only verified cache files.
    /// Streaming needs `overlapExtraction`.
    package var streamExtraction = true
    /// Smallest bottle (compressed bytes) worth streaming; smaller ones extract in milliseconds.
    package var streamingMinimumBytes: Int64 = StreamingExtraction.defaultMinimumBytes
    /// Formulae to leave unlinked even when `link` is on (a Brewfile's `link: false`), as keg-only
    /// ones are: only their `opt/<name>` link is made.
    package var unlinked: Set<String> = []

    public init(force: Bool = false, link: Bool = true) {
        self.force = force
        self.link = link
    }
}
