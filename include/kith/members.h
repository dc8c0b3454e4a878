/*
 * members - subscriptions of addresses to lists, with role and delivery
 * mode.  Addresses are normalised (address_normalize) before they are
 * stored or compared.
 */
#ifndef KITH_MEMBERS_H
#define KITH_MEMBERS_H

#include <stdint.h>
#include <stdio.h>

struct db;

struct member {
	int64_t id;
	char *address;
	char *name;
	char *role;	/* owner | moderator | member */
	char *mode;	/* each | digest-daily | digest-weekly | nomail */
	int64_t joined;
	int moderated;	/* every post held */
	int64_t posts;	/* accepted posts so far */
	int64_t nomail_until;	/* 0, or when nomail ends */
	char *digest_format;	/* mime | plain */
	int64_t digest_since;	/* posts received since then go in its digests */
	int64_t disabled;	/* 0, or when bounces disabled delivery */
};

void member_release(struct member *m);

enum member_result { MEMBER_ADDED, MEMBER_EXISTS, MEMBER_INVALID,
	MEMBER_REMOVED, MEMBER_NOT_FOUND, MEMBER_ERROR, MEMBER_MOVED };

/* Add inside the caller's transaction or alone (autocommit). */
enum member_result member_add(struct db *db, int64_t list_id,
    const char *address, const char *name);
enum member_result member_remove(struct db *db, int64_t list_id,
    const char *address);
/* KITH_OK and *m filled, or KITH_PERM when address is not a member. */
int member_find(struct db *db, int64_t list_id, const char *address,
    struct member *m);

/*
 * member_move - member id of list_id is at to from now on: the row, and
 * with it all that is keyed by the id (tags, answers, settings, role),
 * and the core's records kept by address (the history of joins, which
 * notices went out), so that the member's join date and notice limits
 * carry over.  Inside the caller's transaction.  MEMBER_MOVED;
 * MEMBER_INVALID when to is not an address, MEMBER_EXISTS when it is a
 * member already, MEMBER_NOT_FOUND, MEMBER_ERROR.
 */
enum member_result member_move(struct db *db, int64_t list_id, int64_t id,
    const char *to);

/* KITH_OK and *m, or KITH_PERM: by member id, within list_id. */
int member_find_id(struct db *db, int64_t list_id, int64_t id, struct member *m);
/* Set role (owner|moderator|member), KITH_PERM for other values or no member. */
int member_set_role(struct db *db, int64_t list_id, const char *address,
    const char *role);
/* Set a column: "moderated" 0/1, "mode" (each|digest-daily|digest-weekly|
 * nomail) with until for nomail. KITH_PERM for a bad value or no member. */
int member_set_mode(struct db *db, int64_t list_id, const char *address,
    const char *mode, int64_t until);
int member_set_moderated(struct db *db, int64_t list_id, const char *address,
    int on);
/* member_set_thanks - the thank-you after a first post and the like, on
 * or off; KITH_PERM when not a member. */
int member_set_thanks(struct db *db, int64_t list_id, const char *address,
    int on);
/* mime | plain; KITH_PERM for other values or no member. */
int member_set_digest_format(struct db *db, int64_t list_id,
    const char *address, const char *format);
/*
 * member_set_lang - the member's own language ("cs"; "" for the list's).
 * The caller checks that Kith has it (template_lang_ok).  KITH_PERM for a
 * malformed code or no such member.
 */
int member_set_lang(struct db *db, int64_t list_id, const char *address,
    const char *code);
/* member_lang - the member's own language, "" when none or not a member;
 * caller frees. */
char *member_lang(struct db *db, int64_t list_id, const char *address);
/* 1 when address is the list's only owner (a list without one has nobody
 * to approve, moderate or hear of it), 0 when not, -1 on error. */
int member_sole_owner(struct db *db, int64_t list_id, const char *address);

/* member_staff - the list's owners and moderators as rows (id, address),
 * prepared and bound: step it, then db_finalize; NULL when the database
 * fails (logged). */
struct db_stmt *member_staff(struct db *db, int64_t list_id);
/* Count one more accepted post for address (no-op for non-members). */
void member_count_post(struct db *db, int64_t list_id, const char *address);

/*
 * member_tag_valid - 1 when tag is one: 1 to MEMBER_TAG_MAX characters,
 * each a letter or digit of any script (ä, 초, ж, ٣), '-' or '_', or
 * a mark combining with the letter before it (an accent, a virama).
 * The list's "topics" are tags too, so what a member picks on the web
 * can be targeted.
 */
#define MEMBER_TAG_MAX 40
#define MEMBER_TAG_RULE "letters or digits of any script, '-' and '_', " \
	"at most 40"
int member_tag_valid(const char *tag);
/* Add (on) or remove a tag of a member; KITH_PERM when not a member. */
int member_tag(struct db *db, int64_t list_id, const char *address,
    const char *tag, int on);
/*
 * member_line - one member as a line of the old import form, or as a
 * mail client writes an address: "addr", "addr Name", "Name <addr>",
 * "\"Name\" <addr>".  NULL with *addr and *name set (caller frees), or
 * why the line has no one reading.
 */
const char *member_line(const char *line, char **addr, char **name);
/* How many members of list_id have tag (0 on a database error too). */
int64_t member_tag_count(struct db *db, int64_t list_id, const char *tag);
/* The tags members of list_id have, at most max of them ("a, b and 3
 * more"; "" for none); caller frees. */
char *list_member_tags(struct db *db, int64_t list_id, int max);
/* A member's tags, comma-separated ("" for none); caller frees. */
char *member_tags(struct db *db, int64_t member_id);

/* Call fn for each member ordered by address; stop when fn returns non-zero. */
int member_foreach(struct db *db, int64_t list_id,
    int (*fn)(const struct member *, void *), void *ctx);

struct import_counts {
	int added, skipped, invalid;
	int forgotten;		/* left out: import_skip said so */
};

/* An address import leaves out (privacy.h: forgotten): fn returns 1. */
struct import_skip {
	int (*fn)(const char *address, void *ctx);
	void *ctx;
};

/* A record import refused: where it starts, its text, and why. */
typedef void (*import_bad_fn)(int lineno, const char *text, const char *why,
    void *ctx);

/*
 * member_export - the members of list_id, ordered by address, as CSV
 * (RFC 4180: a header line "address,name", CRLF line ends, a field quoted
 * when it holds a quote, a comma or a line break, or starts or ends with
 * white space), every byte of every name kept; or with json a JSON array
 * of {"address", "name"} (bytes that are not UTF-8 become U+FFFD).
 * Export, import into another list and export again gives the same bytes.
 */
int member_export(struct db *db, int64_t list_id, int json, FILE *out);

/*
 * member_import - add the members read from in, in one transaction:
 *  - CSV as member_export writes it, found by its header line (a column
 *    "address", optionally "name"; other columns are ignored);
 *  - or the old form, one member a line: "addr", "addr Name",
 *    "Name <addr>" or "\"Name\" <addr>"; blank lines and # comments are
 *    skipped.  A line that reads two ways ("a@b Foo <c@d>") is refused,
 *    never guessed.
 * Refused records go to bad (may be NULL) and count as invalid.  KITH_OK,
 * KITH_TEMP (nothing imported), KITH_PERM when in cannot be read.
 */
int member_import(struct db *db, int64_t list_id, FILE *in,
    struct import_counts *counts, import_bad_fn bad, void *ctx);
/* The same, leaving out (and counting) the addresses skip names. */
int member_import_skip(struct db *db, int64_t list_id, FILE *in,
    struct import_counts *counts, import_bad_fn bad, void *ctx,
    const struct import_skip *skip);

#endif
