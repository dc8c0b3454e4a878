/*
 * archive_search - the archive's search engine, for the web page
 * (/a/LIST/?q=...) and `kith archive search` alike.
 *
 * A query is what a person types:
 *
 *   picnic saturday          both words (any order, any case, any
 *                            diacritics: "kalimera" is not "καλημέρα",
 *                            but "καλημερα" is, and "prilis" is "Příliš")
 *   "book club"              the phrase
 *   picn*                    words starting so
 *   -minutes                 not this word (or "-phrase")
 *   화요일  会議  議          Korean, Chinese, Japanese inside longer words
 *                            (fts.h): "화요일" finds "화요일에"
 *   subject:picnic           in the subject; subject:"book club"
 *   from:alice               sender's name or address contains it
 *   after:2026-05 before:2026-06-15   received on or after / before a
 *                            day (YYYY, YYYY-MM or YYYY-MM-DD, UTC)
 *
 * Nothing a person types reaches the database's own query syntax: every
 * word is quoted.  The backend searches (db_search_posts, db.h): on sqlite
 * FTS5, on PostgreSQL a tsvector index for words and pg_trgm for
 * Chinese, Japanese and Korean.  Results are ranked (a word in the
 * subject counts three times one in the body: bm25 on sqlite, ts_rank on
 * PostgreSQL), each with its subject and a snippet of its
 * body where the matched words are marked by ARCHIVE_MARK_OPEN and
 * ARCHIVE_MARK_CLOSE (control characters that never survive into what
 * Kith shows; archive_html_marked() makes them <mark>).
 */
#ifndef KITH_ARCHIVE_SEARCH_H
#define KITH_ARCHIVE_SEARCH_H

#include <stdint.h>

#include "kith/archive.h"

struct db;

#define ARCHIVE_MARK_OPEN "\x01"
#define ARCHIVE_MARK_CLOSE "\x02"

struct search_query {
	char *match;		/* the query form (db_search_posts, db.h; FTS5's
				 * syntax); NULL: no words */
	char *from;		/* from: text, or NULL */
	int64_t after, before;	/* UTC seconds, 0 for none */
};

/*
 * archive_search_parse - q as above into sq (release with
 * archive_search_release).  0, or -1 when it asks for nothing at all
 * (no words, no from:, no dates).
 */
int archive_search_parse(const char *q, struct search_query *sq);
void archive_search_release(struct search_query *sq);

struct search_hit {
	struct post p;		/* subject as shown (list prefix removed) */
	char *subject_marked;	/* the subject with the words marked */
	char *snippet;		/* some words of the body, marked */
};

struct search_opts {
	int64_t list_id;
	int limit, offset;	/* limit 0: 20 */
	int names_only;		/* from: looks at names and the address's
				 * local part only (addresses hidden) */
};

/*
 * archive_search_run - the posts of the list matching sq, best first
 * (newest first when sq has no words), fn called with each (borrowed
 * for the call; non-zero stops).  KITH_OK, KITH_TEMP (busy) or KITH_PERM.
 */
int archive_search_run(struct db *db, const struct search_opts *o,
    const struct search_query *sq,
    int (*fn)(const struct search_hit *, void *), void *ctx);

#endif
