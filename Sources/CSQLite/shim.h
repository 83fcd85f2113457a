// SQLite 3 as Debian's libsqlite3-dev ships it.
#ifndef MOSAIC_CSQLITE_SHIM_H
#define MOSAIC_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
