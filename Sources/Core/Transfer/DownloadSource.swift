/// One place a bottle can be fetched from, with the headers that place needs.
///
/// Thread-safety: an immutable value; safe to share across queues.
package struct DownloadSource: Sendable, Equatable {
    package var url: String
    package var headers: [String]

    package init(url: String, headers: [String] = []) {
        self.url = url
        self.headers = headers
    }
}
