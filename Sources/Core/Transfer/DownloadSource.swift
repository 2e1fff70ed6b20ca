/// One place a bottle can be fetched from, with the headers that place needs.
///
/// Thread-safety: an immutable value; safe to share across queues.
package struct DownloadSource: Sendable, Equatable {
    package var url: String
    package var headers: [String]
    /// True when the URL comes from a mirror the user configured (a `HOMEBREW_*_DOMAIN`), the
    /// only case where a `file://` URL is read (`URLPolicy`).
    package var allowFile: Bool

    package init(url: String, headers: [String] = [], allowFile: Bool = false) {
        self.url = url
        self.headers = headers
        self.allowFile = allowFile
    }
}
