/// One token of a Ruby formula source, as far as the post-install interpreter needs to tell
/// tokens apart. Anything the lexer does not understand becomes `.unsupported`, which the parser
/// turns into a fail-closed statement: pour never guesses what Ruby would do.
///
/// Immutable value; safe to share across queues.
enum RubyToken: Equatable, Sendable {
    /// One piece of a double-quoted string: literal text or an interpolated `#{…}` token list.
    enum StringPart: Equatable, Sendable {
        case text(String)
        case interpolation([RubyToken])
    }

    case identifier(String)
    case constant(String)
    /// `name:` inside a call's arguments (a keyword argument or hash key).
    case label(String)
    case string([StringPart])
    case symbol(String)
    case number(String)
    case op(String)
    case newline
    /// Heredoc bodies, regex literals, `%w[…]` lists, backticks: kept as opaque values.
    case opaque(kind: String)
    case unsupported(String)

    var isNewline: Bool { self == .newline || self == .op(";") }
}

/// A token with whether whitespace precedes it (Ruby's grammar depends on it: `foo [1]` is a
/// call with an array argument, `foo[1]` an index) and its 1-based line, for error messages.
struct RubyLexeme: Equatable, Sendable {
    var token: RubyToken
    var spaceBefore: Bool
    var line: Int
}
