import CSQLite

/// One prepared statement. Confined like its database.
final class SQLiteStatement {
    private let statement: OpaquePointer
    private let database: SQLiteDatabase

    init(_ statement: OpaquePointer, database: SQLiteDatabase) {
        self.statement = statement
        self.database = database
    }

    deinit { sqlite3_finalize(statement) }

    /// Binds parameters 1…n in order (nil binds NULL) after resetting the statement.
    func bind(_ values: [SQLiteValue]) {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            switch value {
            case .null: sqlite3_bind_null(statement, index)
            case .int(let number): sqlite3_bind_int64(statement, index, Int64(number))
            case .text(let text): sqlite3_bind_text(statement, index, text, -1, pour_sqlite_transient())
            }
        }
    }

    /// Advances; true while a row is available.
    func step() throws(IndexError) -> Bool {
        switch sqlite3_step(statement) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw .database(path: database.path, message: database.lastMessage)
        }
    }

    /// Runs a statement that returns no rows.
    func run(_ values: [SQLiteValue]) throws(IndexError) {
        bind(values)
        while try step() {}
    }

    func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(statement, column)) }

    func text(_ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(statement, column) else { return nil }
        return String(cString: pointer)
    }

    func double(_ column: Int32) -> Double { sqlite3_column_double(statement, column) }
}

/// A value bound to a statement parameter.
enum SQLiteValue {
    case null
    case int(Int)
    case text(String)

    static func optional(_ text: String?) -> SQLiteValue { text.map { .text($0) } ?? .null }
    static func bool(_ flag: Bool) -> SQLiteValue { .int(flag ? 1 : 0) }
}
