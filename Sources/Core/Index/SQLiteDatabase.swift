import CSQLite
import Foundation

/// A minimal handle on one SQLite database file: open, execute, prepare.
///
/// Confinement: not Sendable. A database is used by the one thread or serial queue that opened it
/// (the CLI's main thread, or the queue building or reading the index); SQLite is opened in
/// no-mutex mode because of that.
final class SQLiteDatabase {
    let path: String
    private(set) var handle: OpaquePointer?

    /// Opens (or, with `create`, creates) `path`.
    init(path: String, readOnly: Bool, create: Bool = false) throws(IndexError) {
        self.path = path
        var flags = SQLITE_OPEN_NOMUTEX
        flags |= readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE
        if create { flags |= SQLITE_OPEN_CREATE }
        var db: OpaquePointer?
        let code = sqlite3_open_v2(path, &db, flags, nil)
        handle = db
        guard code == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "open failed"
            sqlite3_close(db)
            handle = nil
            throw .database(path: path, message: message)
        }
    }

    deinit { sqlite3_close_v2(handle) }

    func execute(_ sql: String) throws(IndexError) {
        var error: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &error) == SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? lastMessage
            sqlite3_free(error)
            throw .database(path: path, message: message)
        }
    }

    func prepare(_ sql: String) throws(IndexError) -> SQLiteStatement {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
              let statement else {
            throw .database(path: path, message: lastMessage)
        }
        return SQLiteStatement(statement, database: self)
    }

    /// `PRAGMA user_version`: the schema version the file was written with.
    func userVersion() throws(IndexError) -> Int {
        let statement = try prepare("PRAGMA user_version")
        guard try statement.step() else { return 0 }
        return statement.int(0)
    }

    var lastMessage: String { handle.map { String(cString: sqlite3_errmsg($0)) } ?? "no database" }
}
