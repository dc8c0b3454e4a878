/*
 * db_sqlite - what the files of the sqlite storage backend share (db.c,
 * fts.c).  No module includes this: modules see include/kith/db.h only.
 */
#ifndef KITH_DB_SQLITE_H
#define KITH_DB_SQLITE_H

#include <sqlite3.h>

/* fts_register - make the "kith" tokenizer known to db; 0 or -1 (logged). */
int fts_register(sqlite3 *db);

#endif
