/*
 * db_pg_schema - the PostgreSQL schema of the storage layer, applied in
 * order by the PostgreSQL backend as db.c applies sqlite's migrations.
 * Only the storage layer's files include this.
 */
#ifndef KITH_DB_PG_SCHEMA_H
#define KITH_DB_PG_SCHEMA_H

/*
 * db_pg_migrations[0] builds at once what sqlite's migrations 1 to 18
 * leave (schema DB_PG_BASE_VERSION); every later sqlite migration gets
 * a PostgreSQL twin appended here, so that db_pg_migrations[i] leaves
 * schema DB_PG_BASE_VERSION + i.  Each element is one or more statements
 * separated by ';' (function bodies are dollar-quoted), to run in one
 * transaction.
 */
extern const char *const db_pg_migrations[];
extern const int db_pg_nmigrations;

#define DB_PG_BASE_VERSION 18

struct db;
struct db_search;
struct db_search_hit;
/* db_pg_search_posts - db_search_posts on PostgreSQL (db_pg_search.c) */
int db_pg_search_posts(struct db *db, const struct db_search *q,
    int (*fn)(const struct db_search_hit *, void *), void *ctx);

#endif
