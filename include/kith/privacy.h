/*
 * privacy - what Kith holds about one person, and erasing it (GDPR
 * articles 15 and 17); removing one post from the archive.
 *
 * Every table that can hold an address, a name or a member id is listed
 * in privacy_tables[] with the rows that concern a person (a SQL
 * condition on ?1, the normalised address) and what forget does to them.
 * The unit test test_privacy scans the schema for such columns
 * (privacy_columns[]): a new table that holds one and is not listed here
 * fails it.  docs/PRIVACY.md describes the tables and the choices.
 *
 * Functions take the caller's database connection; privacy_forget and
 * privacy_remove_post keep their own write transaction.  Nothing here
 * prints: results go into a struct buf the caller shows.
 */
#ifndef KITH_PRIVACY_H
#define KITH_PRIVACY_H

#include <stddef.h>
#include <stdint.h>

#include "kith/membership.h"
#include "kith/tokens.h"
#include "kith/outcome.h"
#include "kith/util.h"

struct db;

/* What forget does to the posts the person wrote. */
enum privacy_posts {
	PRIVACY_POSTS_KEEP,		/* stay as they are */
	PRIVACY_POSTS_ANONYMISE,	/* stay, author and address replaced */
	PRIVACY_POSTS_DELETE		/* leave the archive, its index, digests */
};

/* "keep" | "anonymise" (or "anonymize") | "delete": 0, or -1. */
int privacy_posts_parse(const char *s, enum privacy_posts *out);

/* The author and address an anonymised post shows instead. */
#define PRIVACY_ANON_NAME "Former member"
#define PRIVACY_ANON_ADDRESS "forgotten@invalid"

struct privacy_table {
	const char *table;
	const char *columns;	/* ",address,name,": its person-like columns */
	const char *where;	/* rows about ?1 (the address); NULL: none */
	const char *omit;	/* ",raw,": columns left out of the export */
	const char *forget;	/* SQL run by forget with ?1; NULL: see note */
	const char *note;	/* why not, or what else takes care of it */
};

/* In the order forget works through them. */
extern const struct privacy_table privacy_tables[];
extern const size_t privacy_ntables;
/* Column names that may hold a person (address, name, member id, a whole
 * mail); NULL-terminated.  What the schema test looks for. */
extern const char *const privacy_columns[];

/*
 * privacy_export - everything the database holds about address (any
 * case; normalised here) across all lists, into out: JSON ({"address",
 * "generated", "forgotten", "lists", "tables": {TABLE: [ROW...]}}) or
 * text for people.  bodies 0 leaves out the text of posts (a mail that
 * would be too big).  KITH_OK, KITH_PERM (not an address), KITH_TEMP.
 */
int privacy_export(struct db *db, const struct token_key *key,
    const char *address, int json, int bodies, int64_t now, struct buf *out);

/*
 * privacy_forget - erase address from every table (privacy_tables), its
 * posts as mode says, in one transaction with sqlite's secure_delete on
 * (freed space is overwritten with zeros), the full-text indexes merged
 * (no deleted term left in them) and the WAL checkpointed and truncated
 * afterwards.  Records the address as forgotten (an HMAC with the site
 * secret, and the lists where it was banned, so that the ban holds).
 * One line per table changed goes to report.  KITH_OK, KITH_PERM (not an
 * address; err says so), KITH_TEMP (busy; nothing changed).  *checkpointed
 * is 0 when a reader kept the WAL from being truncated (the old bytes are
 * gone at the next checkpoint).
 */
int privacy_forget(struct db *db, const struct token_key *key,
    const char *address, enum privacy_posts mode, int64_t now,
    struct buf *report, int *checkpointed, char *err, size_t errlen);

/*
 * privacy_forgotten - 1 when address was forgotten (and then *at, and
 * *banned ",0,3," when not NULL; caller frees), 0 when not, -1 on error.
 */
int privacy_forgotten(struct db *db, const struct token_key *key,
    const char *address, int64_t *at, char **banned);

/*
 * privacy_unforget - address came back by its own confirmed request: the
 * record goes, unless it keeps a ban (privacy_banned), which still holds.
 * KITH_OK or KITH_TEMP.
 */
int privacy_unforget(struct db *db, const struct token_key *key,
    const char *address);

/* 1 when address was forgotten while banned on list_id or site-wide. */
int privacy_banned(struct db *db, const struct token_key *key, int64_t list_id,
    const char *address);

/*
 * privacy_remove_post - take post id out of the archive for good: the
 * row, its search terms, the copies not yet delivered, and every index
 * and listing (archive ls/search/show, index/get by mail, digests to
 * come); a row in posts_removed (its id, number, Message-ID, date, when,
 * reason, by) stands in its place.  by is the owner's address or "" for
 * the command line.  Inside the caller's transaction.  KITH_OK, KITH_PERM
 * (no such post: err says so), KITH_TEMP.
 */
int privacy_remove_post(struct db *db, int64_t id, const char *reason,
    const char *by, int64_t now, char *err, size_t errlen);

/* A removed post: KITH_OK with its removal time, reason (caller frees)
 * and list id; KITH_PERM when id was never removed. */
int privacy_removed(struct db *db, int64_t id, int64_t *removed, char **reason,
    int64_t *list_id);

/*
 * privacy_scrub - after deletions: merge every full-text index (deleted
 * terms leave it) and checkpoint the WAL (TRUNCATE).  1 when the WAL was
 * emptied, 0 when a reader kept it, -1 on error.  Outside a transaction.
 */
int privacy_scrub(struct db *db);

/*
 * By mail (membership_act, after the sender confirmed or was proven):
 * privacy_mail_data - "my data": everything about address, in a mail to
 * address alone;
 * privacy_mail_remove - "remove POST [REASON]" by an owner of the list:
 * POST is "#NUMBER", "NUMBER" or "<Message-ID>".  A line for the reply
 * goes to out.  KITH_OK, KITH_PERM (not done; out says why), KITH_TEMP.
 */
int privacy_mail_data(const struct mail_ctx *c, const char *address,
    struct outcome *out);
int privacy_mail_remove(const struct mail_ctx *c, const char *address,
    const char *args, struct outcome *out);

/*
 * privacy_remove_line - the command line a "remove" request confirms:
 * "remove <Message-ID> REASON", from what the owner (sender) wrote (args:
 * "", "#12 reason", "<id@x> reason") and the post their mail answered
 * (parent: its In-Reply-To, may be ""), checked against the list.  NULL
 * with the reason in out when sender is no owner of the list (the line
 * says how to leave: "remove me" means that) or no post is named
 * (caller frees).
 */
char *privacy_remove_line(const struct mail_ctx *c, const char *sender,
    const char *args, const char *parent, struct outcome *out);

#endif
