#ifndef POUR_CSQLITE_SHIM_H
#define POUR_CSQLITE_SHIM_H
#include <sqlite3.h>

/// SQLITE_TRANSIENT is a cast macro Swift cannot import: bound text is copied by SQLite.
static inline void (*pour_sqlite_transient(void))(void *) { return SQLITE_TRANSIENT; }
#endif
