// SQLite 3 as Debian's libsqlite3-dev ships it.
#ifndef MOSAIC_CSQLITE_SHIM_H
#define MOSAIC_CSQLITE_SHIM_H
#include <sqlite3.h>

/// Turns off SQLite's allocation statistics, which take a process-wide mutex on every
/// allocation (`sqlite3_config` is variadic, so Swift cannot call it). Only effective before
/// SQLite initializes, that is before the first connection opens; returns SQLITE_MISUSE after.
static inline int mosaic_sqlite3_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
#endif
