/// One search result.
public struct SearchHit: Hashable, Sendable {
    public enum Match: String, Sendable {
        case exact, prefix, substring, text
    }

    public var name: String
    public var desc: String?
    public var version: String
    public var match: Match
}
