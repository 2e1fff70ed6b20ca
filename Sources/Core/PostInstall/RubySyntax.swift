/// The parsed shape of the Ruby statements a `post_install` body is made of. Only the forms the
/// interpreter can reason about exist here; everything else parses to `.unsupported`, which the
/// planner refuses (fail closed).
///
/// Immutable values; safe to share across queues.
indirect enum RubyExpr: Equatable, Sendable {
    enum Part: Equatable, Sendable {
        case text(String)
        case value(RubyExpr)
    }

    struct Pair: Equatable, Sendable {
        var key: RubyExpr
        var value: RubyExpr
    }

    case string([Part])
    case symbol(String)
    case number(String)
    case boolean(Bool)
    case nilValue
    /// A call: `receiver.name(args, key => value)`, or a bare name (local, helper, constant).
    case call(receiver: RubyExpr?, name: String, args: [RubyExpr], pairs: [Pair])
    case index(RubyExpr, [RubyExpr])
    case binary(String, RubyExpr, RubyExpr)
    case not(RubyExpr)
    /// A value the lexer kept opaque (regex, heredoc, word list…), or a construct not modelled.
    case opaque(String)
}

indirect enum RubyStatement: Equatable, Sendable {
    case expression(RubyExpr, line: Int)
    case assign(String, RubyExpr, line: Int)
    case conditional(RubyExpr, then: [RubyStatement], otherwise: [RubyStatement], line: Int)
    case returnNow(line: Int)
    /// Parsed as far as "not understood": the reason names the construct.
    case unsupported(String, line: Int)
}
