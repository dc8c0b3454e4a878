/* members - subscriptions. */
#include "config.h"

#include <ctype.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wctype.h>

#include "kith/address.h"
#include "kith/db.h"
#include "kith/i18n.h"
#include "kith/log.h"
#include "kith/members.h"
#include "kith/util.h"

void
member_release(struct member *m)
{
	free(m->address);
	free(m->name);
	free(m->role);
	free(m->mode);
	free(m->digest_format);
	memset(m, 0, sizeof(*m));
}

enum member_result
member_add(struct db *db, int64_t list_id, const char *address,
    const char *name)
{
	char *addr = address_normalize(address);
	struct db_stmt *st;
	int rc;

	if (addr == NULL)
		return MEMBER_INVALID;
	st = db_prepare(db, "INSERT INTO members(list_id, address, name, "
	    "joined) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING");
	if (st == NULL) {
		free(addr);
		return MEMBER_ERROR;
	}
	db_bind(st, "itti", list_id, addr, name ? name : "", now_utc());
	rc = db_step(st);
	db_finalize(st);
	free(addr);
	if (rc != DB_DONE)
		return MEMBER_ERROR;
	return db_changes(db) ? MEMBER_ADDED : MEMBER_EXISTS;
}

enum member_result
member_remove(struct db *db, int64_t list_id, const char *address)
{
	char *addr = address_normalize(address);
	int st;

	if (addr == NULL)
		return MEMBER_INVALID;
	st = db_exec(db, "DELETE FROM members WHERE list_id=? AND address=?",
	    "it", list_id, addr);
	free(addr);
	/* stored by an older Kith with a Unicode domain (member_find) */
	if (st == KITH_OK && db_changes(db) == 0 &&
	    (addr = address_as_stored_before(address)) != NULL) {
		st = db_exec(db, "DELETE FROM members WHERE list_id=? AND "
		    "address=?", "it", list_id, addr);
		free(addr);
	}
	if (st != KITH_OK)
		return MEMBER_ERROR;
	return db_changes(db) ? MEMBER_REMOVED : MEMBER_NOT_FOUND;
}

static void
member_from_row(struct db_stmt *st, struct member *m)
{
	m->id = db_col_int64(st, 0);
	m->address = db_col_text(st, 1);
	m->name = db_col_text(st, 2);
	m->role = db_col_text(st, 3);
	m->mode = db_col_text(st, 4);
	m->joined = db_col_int64(st, 5);
	m->moderated = db_col_int(st, 6);
	m->posts = db_col_int64(st, 7);
	m->nomail_until = db_col_int64(st, 8);
	m->digest_format = db_col_text(st, 9);
	m->digest_since = db_col_int64(st, 10);
	m->disabled = db_col_int64(st, 11);
}

#define MEMBER_COLUMNS "SELECT id, address, name, role, mode, joined, " \
	"moderated, posts, nomail_until, digest_format, digest_since, disabled " \
	"FROM members "

/* The member of list_id stored as addr: 1 (into m) or 0. */
static int
find_stored(struct db *db, int64_t list_id, const char *addr,
    struct member *m)
{
	struct db_stmt *st = db_cached(db, MEMBER_COLUMNS "WHERE list_id=? "
	    "AND address=?");
	int found = 0;

	if (st) {
		db_bind(st, "it", list_id, addr);
		if (db_step(st) == DB_ROW) {
			member_from_row(st, m);
			found = 1;
		}
		db_cached_done(st);
	}
	return found;
}

int
member_find(struct db *db, int64_t list_id, const char *address,
    struct member *m)
{
	char *addr = address_normalize(address);
	int found;

	memset(m, 0, sizeof(*m));
	if (addr == NULL)
		return KITH_PERM;
	found = find_stored(db, list_id, addr, m);
	free(addr);
	/* a member an older Kith stored with a Unicode domain, as typed */
	if (!found && (addr = address_as_stored_before(address)) != NULL) {
		found = find_stored(db, list_id, addr, m);
		free(addr);
	}
	return found ? KITH_OK : KITH_PERM;
}

int
member_find_id(struct db *db, int64_t list_id, int64_t id, struct member *m)
{
	/* prepared once a connection: every web token resolves through here */
	struct db_stmt *st = db_cached(db, MEMBER_COLUMNS
	    "WHERE list_id=? AND id=?");
	int found = 0;

	memset(m, 0, sizeof(*m));
	if (st == NULL)
		return KITH_PERM;
	db_bind(st, "ii", list_id, id);
	if (db_step(st) == DB_ROW) {
		member_from_row(st, m);
		found = 1;
	}
	db_cached_done(st);
	return found ? KITH_OK : KITH_PERM;
}

enum member_result
member_move(struct db *db, int64_t list_id, int64_t id, const char *to)
{
	char *addr = address_normalize(to);
	struct member m, other;
	int st;

	if (addr == NULL)
		return MEMBER_INVALID;
	if (member_find_id(db, list_id, id, &m) != KITH_OK) {
		free(addr);
		return MEMBER_NOT_FOUND;
	}
	if (find_stored(db, list_id, addr, &other)) {
		member_release(&other);
		st = KITH_PERM;
	} else
		st = db_exec(db, "UPDATE members SET address=? WHERE id=?", "ti",
		    addr, id);
	/* the joins stay the member's: retention, join dates, the nudge */
	if (st == KITH_OK)
		st = db_exec(db, "UPDATE member_log SET address=? WHERE "
		    "list_id=? AND address=?", "tit", addr, list_id, m.address);
	/* what went to the old address counts for the new: no second
	 * welcome-like notice; what the new one had heard as a stranger goes */
	if (st == KITH_OK)
		st = db_exec(db, "DELETE FROM notice_log WHERE list_id=? AND "
		    "address=?", "it", list_id, addr);
	if (st == KITH_OK)
		st = db_exec(db, "UPDATE notice_log SET address=? WHERE "
		    "list_id=? AND address=?", "tit", addr, list_id, m.address);
	member_release(&m);
	free(addr);
	return st == KITH_OK ? MEMBER_MOVED : st == KITH_PERM ? MEMBER_EXISTS :
	    MEMBER_ERROR;
}

/* st of an UPDATE of one member: KITH_PERM when it matched nobody. */
static int
one_changed(struct db *db, int st)
{
	if (st != KITH_OK)
		return st;
	return db_changes(db) ? KITH_OK : KITH_PERM;
}

/* UPDATE members SET <column>=value for one member; KITH_PERM when none. */
static int
member_update(struct db *db, int64_t list_id, const char *address,
    const char *column, const char *text, int64_t n, int is_text)
{
	char *addr = address_normalize(address), *sql;
	int st;

	if (addr == NULL)
		return KITH_PERM;
	/* column comes from this file, never from input */
	sql = xasprintf("UPDATE members SET %s=? WHERE list_id=? AND address=?",
	    column);
	st = is_text ? db_exec(db, sql, "tit", text, list_id, addr) :
	    db_exec(db, sql, "iit", n, list_id, addr);
	free(addr);
	/* stored by an older Kith with a Unicode domain (member_find) */
	if (st == KITH_OK && db_changes(db) == 0 &&
	    (addr = address_as_stored_before(address)) != NULL) {
		st = is_text ? db_exec(db, sql, "tit", text, list_id, addr) :
		    db_exec(db, sql, "iit", n, list_id, addr);
		free(addr);
	}
	free(sql);
	return one_changed(db, st);
}

int
member_set_thanks(struct db *db, int64_t list_id, const char *address,
    int on)
{
	return member_update(db, list_id, address, "thanks", NULL, on != 0, 0);
}

int
member_set_role(struct db *db, int64_t list_id, const char *address,
    const char *role)
{
	if (strcmp(role, "owner") && strcmp(role, "moderator") &&
	    strcmp(role, "member"))
		return KITH_PERM;
	return member_update(db, list_id, address, "role", role, 0, 1);
}

int
member_set_mode(struct db *db, int64_t list_id, const char *address,
    const char *mode, int64_t until)
{
	if (strcmp(mode, "each") && strcmp(mode, "digest-daily") &&
	    strcmp(mode, "digest-weekly") && strcmp(mode, "nomail"))
		return KITH_PERM;
	char *addr = address_normalize(address);
	int st;

	if (addr == NULL)
		return KITH_PERM;
	/* Entering a digest mode: the digest starts with posts from now on
	 * (the ones before went out one by one). */
	st = db_exec(db, "UPDATE members SET digest_since=CASE WHEN ?1 LIKE "
	    "'digest-%' AND mode NOT LIKE 'digest-%' THEN ?3 ELSE digest_since "
	    "END, mode=?1, nomail_until=?2 WHERE list_id=?4 AND address=?5",
	    "tiiit", mode, strcmp(mode, "nomail") ? (int64_t)0 : until,
	    now_utc(), list_id, addr);
	free(addr);
	return one_changed(db, st);
}

int
member_set_digest_format(struct db *db, int64_t list_id, const char *address,
    const char *format)
{
	if (strcmp(format, "mime") && strcmp(format, "plain"))
		return KITH_PERM;
	return member_update(db, list_id, address, "digest_format", format, 0, 1);
}

int
member_set_lang(struct db *db, int64_t list_id, const char *address,
    const char *code)
{
	/* the caller checked that Kith has the language (template.h) */
	if (*code && !i18n_code_valid(code))
		return KITH_PERM;
	return member_update(db, list_id, address, "lang", code, 0, 1);
}

char *
member_lang(struct db *db, int64_t list_id, const char *address)
{
	char *addr = address ? address_normalize(address) : NULL, *lang = NULL;
	struct db_stmt *st;

	if (addr == NULL)
		return xstrdup("");
	/* prepared once a connection: every notice asks it */
	st = db_cached(db, "SELECT lang FROM members WHERE list_id=? AND "
	    "address=?");
	if (st) {
		db_bind(st, "it", list_id, addr);
		if (db_step(st) == DB_ROW)
			lang = db_col_text(st, 0);
		db_cached_done(st);
	}
	free(addr);
	return lang ? lang : xstrdup("");
}

int
member_sole_owner(struct db *db, int64_t list_id, const char *address)
{
	char *addr = address_normalize(address);
	int st;
	int64_t n;

	if (addr == NULL)
		return 0;
	/* a number, not a boolean: the SQL both backends take (sql-check) */
	n = db_int(db, 0, &st, "SELECT CASE WHEN count(*) = 1 AND "
	    "max(address) = ? THEN 1 ELSE 0 END FROM members WHERE list_id=? "
	    "AND role='owner'", "ti", addr, list_id);
	free(addr);
	return st != KITH_OK ? -1 : n == 1;
}

struct db_stmt *
member_staff(struct db *db, int64_t list_id)
{
	struct db_stmt *st = db_prepare(db, "SELECT id, address FROM members "
	    "WHERE list_id=? AND (role='owner' OR role='moderator')");

	if (st)
		db_bind(st, "i", list_id);
	return st;
}

int
member_set_moderated(struct db *db, int64_t list_id, const char *address,
    int on)
{
	return member_update(db, list_id, address, "moderated", NULL, on != 0, 0);
}

void
member_count_post(struct db *db, int64_t list_id, const char *address)
{
	db_exec(db, "UPDATE members SET posts=posts+1 WHERE list_id=? AND "
	    "address=?", "it", list_id, address);
}

int
member_foreach(struct db *db, int64_t list_id,
    int (*fn)(const struct member *, void *), void *ctx)
{
	struct db_stmt *st = db_prepare(db, MEMBER_COLUMNS
	    "WHERE list_id=? ORDER BY address");
	int rc;

	if (st == NULL)
		return KITH_PERM;
	db_bind(st, "i", list_id);
	while ((rc = db_step(st)) == DB_ROW) {
		struct member m;
		int stop;

		member_from_row(st, &m);
		stop = fn(&m, ctx);
		member_release(&m);
		if (stop)
			break;
	}
	db_finalize(st);
	return rc == DB_ROW || rc == DB_DONE ? KITH_OK : db_status(rc);
}

/* CSV per RFC 4180: quote a field that holds a quote, comma or line
 * break, or that starts or ends with white space (kept, not trimmed). */
static void
csv_field(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	int quote = n && (isspace((unsigned char)s[0]) ||
	    isspace((unsigned char)s[n - 1]));

	if (strpbrk(s, "\",\r\n"))
		quote = 1;
	if (!quote) {
		buf_add(b, s, n);
		return;
	}
	buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_addc(b, '"');
		buf_addc(b, *s);
	}
	buf_addc(b, '"');
}

struct export_ctx {
	struct buf b;
	int json, n;
	FILE *out;
};

static int
export_one(const struct member *m, void *ctx)
{
	struct export_ctx *x = ctx;

	if (x->json) {
		buf_adds(&x->b, x->n++ ? ",\n {\"address\": " : "{\"address\": ");
		buf_add_json(&x->b, m->address);
		buf_adds(&x->b, ", \"name\": ");
		buf_add_json(&x->b, m->name);
		buf_addc(&x->b, '}');
	} else {
		csv_field(&x->b, m->address);
		buf_addc(&x->b, ',');
		csv_field(&x->b, m->name);
		buf_adds(&x->b, "\r\n");
	}
	if (x->b.len > 65536) {
		fwrite(x->b.data, 1, x->b.len, x->out);
		buf_reset(&x->b);
	}
	return 0;
}

int
member_export(struct db *db, int64_t list_id, int json, FILE *out)
{
	struct export_ctx x;
	int st;

	memset(&x, 0, sizeof(x));
	buf_init(&x.b);
	x.json = json;
	x.out = out;
	buf_adds(&x.b, json ? "[" : "address,name\r\n");
	st = member_foreach(db, list_id, export_one, &x);
	if (json)
		buf_adds(&x.b, "]\n");
	fwrite(x.b.data, 1, x.b.len, out);
	buf_release(&x.b);
	if (st != KITH_OK)
		log_error("members: export of list %lld stopped: database error",
		    (long long)list_id);
	return st;
}

#define CSV_MAX_FIELDS 16

/*
 * csv_record - one record at *p (before end) into f[0..*nf): RFC 4180
 * with fields separated by sep (',', or ';' and tab as spreadsheets in
 * many languages write them),
 * with LF accepted for CRLF.  *p moves past the record and its line end,
 * *lines counts the line ends it spans.  -1 for a quote that is not
 * closed or is followed by something other than a comma or line end.
 */
static int
csv_record(const char **p, const char *end, char sep, struct buf *f,
    size_t *nf, int *lines)
{
	const char *s = *p;
	struct buf spare;
	int r = 0;

	*nf = 0;
	buf_init(&spare);
	for (;;) {
		struct buf *b = *nf < CSV_MAX_FIELDS ? &f[*nf] : &spare;

		buf_reset(b);
		buf_add(b, "", 0);
		(*nf)++;
		if (s < end && *s == '"') {
			for (s++; ; s++) {
				if (s >= end) {
					r = -1;
					goto done;
				}
				if (*s == '"') {
					if (s + 1 < end && s[1] == '"') {
						buf_addc(b, '"');
						s++;
						continue;
					}
					s++;
					break;
				}
				if (*s == '\n')
					(*lines)++;
				buf_addc(b, *s);
			}
			if (s < end && *s != sep && *s != '\n' &&
			    !(*s == '\r' && s + 1 < end && s[1] == '\n')) {
				r = -1;
				goto done;
			}
		} else {
			const char *e = s;

			while (e < end && *e != sep && *e != '\n' &&
			    !(*e == '\r' && e + 1 < end && e[1] == '\n'))
				e++;
			buf_add(b, s, (size_t)(e - s));
			s = e;
		}
		if (s < end && *s == sep) {
			s++;
			continue;
		}
		break;
	}
done:
	if (r < 0)	/* skip to the next line and go on from there */
		while (s < end && *s != '\n')
			s++;
	if (s < end && *s == '\r')
		s++;
	if (s < end && *s == '\n') {
		s++;
		(*lines)++;
	}
	*p = s;
	if (*nf > CSV_MAX_FIELDS)
		*nf = CSV_MAX_FIELDS;
	buf_release(&spare);
	return r;
}

/* The quoted-string at s ("..." with \-escapes) into name; the text
 * after it, or NULL when it is not closed. */
static const char *
quoted_name(const char *s, struct buf *name)
{
	for (s++; *s; s++) {
		if (*s == '\\' && s[1])
			s++;
		else if (*s == '"')
			return s + 1;
		buf_addc(name, *s);
	}
	return NULL;
}

/*
 * member_line - the old import form, only where it has one reading:
 * "addr", "addr Name", "Name <addr>", "\"Name\" <addr>".  A line whose
 * name part starts with another address ("a@b Foo <c@d>", what old
 * exports wrote for a name holding <...>) is refused: guessing there
 * made one member another.  Returns NULL (and *addr, *name filled, caller
 * frees) or why the line is refused.
 */
const char *
member_line(const char *line, char **addr, char **name)
{
	const char *lt = strchr(line, '<'), *rest = line;
	struct buf nb;
	char *first, *a;

	*addr = *name = NULL;
	buf_init(&nb);
	buf_add(&nb, "", 0);
	if (lt == NULL) {
		size_t n = strcspn(line, " \t,;");

		*addr = xstrndup(line, n);
		rest = line + n;
		rest += strspn(rest, " \t,;");
		*name = xstrdup(rest);
		buf_release(&nb);
		return NULL;
	}
	if (*line == '"') {
		rest = quoted_name(line, &nb);
		if (rest == NULL) {
			buf_release(&nb);
			return "the name's quote is not closed";
		}
		rest += strspn(rest, " \t");
		if (*rest != '<') {
			buf_release(&nb);
			return "after a quoted name comes <address>";
		}
		lt = rest;
	} else {
		buf_add(&nb, line, (size_t)(lt - line));
		if (strpbrk(nb.data, "\">")) {
			buf_release(&nb);
			return "a name with quotes or <> must be quoted";
		}
		/* "a@b Foo <c@d>": an old export of a@b named "Foo <c@d>"? */
		first = xstrndup(nb.data, strcspn(nb.data, " \t,;"));
		a = address_normalize(first);
		free(first);
		if (a != NULL) {
			char *b = xstrndup(lt + 1, strcspn(lt + 1, ">"));
			char *bn = address_normalize(b);
			int same = bn && !strcmp(a, bn);

			free(a);
			free(b);
			free(bn);
			if (!same) {
				buf_release(&nb);
				return "two addresses: which one is the member is "
				    "not clear (use CSV)";
			}
		}
	}
	if (strchr(lt + 1, '<') || strchr(lt, '>') == NULL ||
	    strchr(lt, '>')[1] != '\0') {
		buf_release(&nb);
		return "'Name <address>' must end with the one <address>";
	}
	*addr = xstrndup(lt + 1, strcspn(lt + 1, ">"));
	*name = xstrdup(str_trim(nb.data));
	buf_release(&nb);
	return NULL;
}

/* Add one member as import counts it; KITH_TEMP stops the import. */
static int
import_one(struct db *db, int64_t list_id, const char *addr, const char *name,
    struct import_counts *c, const struct import_skip *skip)
{
	if (skip && skip->fn(addr, skip->ctx)) {
		c->forgotten++;
		return KITH_OK;
	}
	switch (member_add(db, list_id, addr, name)) {
	case MEMBER_ADDED:
		c->added++;
		return KITH_OK;
	case MEMBER_EXISTS:
		c->skipped++;
		return KITH_OK;
	case MEMBER_INVALID:
		return KITH_PERM;
	default:
		return KITH_TEMP;
	}
}

/*
 * The header's words for a member's address and name, as spreadsheets,
 * address books and other list managers export them ("Email Address",
 * "E-mail 1 - Value", "E-mailová adresa"; "Name", "Nickname", "First
 * Name" and "Last Name"), compared without case, spaces, '-', '_', '.'.
 */
static const char *const csv_address[] = { "address", "email", "mail",
    NULL };
static const char *const csv_name[] = { "name", "fullname", "displayname",
    "nickname", "jméno", "jmeno", "nom", "nombre", "navn", "imię", NULL };
static const char *const csv_first[] = { "firstname", "givenname", "first",
    "vorname", "prénom", "prenom", "křestníjméno", NULL };
static const char *const csv_last[] = { "lastname", "familyname", "surname",
    "last", "nachname", "příjmení", "prijmeni", "nomdefamille", NULL };

/* a header field as compared: ASCII lower case, no ' ', '-', '_', '.' */
static char *
csv_word(const char *field)
{
	char *w = xstrdup(field), *o = w;

	for (const char *p = w; *p; p++)
		if (!strchr(" \t-_.\"", *p))
			*o++ = (char)tolower((unsigned char)*p);
	*o = '\0';
	return w;
}

/* The first column the header names with one of words (the address
 * column: a word or its start, "email1value"), or -1. */
static int
csv_column(const struct buf *f, size_t nf, const char *const *words,
    int prefix)
{
	for (size_t i = 0; i < nf; i++) {
		char *w = csv_word(f[i].data);
		int hit = 0;

		if (strchr(w, '@')) {	/* an address: no header at all */
			free(w);
			return -1;
		}

		for (size_t k = 0; words[k] && !hit; k++)
			hit = prefix ? !strncmp(w, words[k], strlen(words[k])) :
			    !strcmp(w, words[k]);
		free(w);
		if (hit)
			return (int)i;
	}
	return -1;
}

/* The separator of the header line at p: the one of ',', ';' and tab
 * found most often outside quotes (',' when none). */
static char
csv_separator(const char *p, const char *end)
{
	size_t n[3] = { 0, 0, 0 };
	int quoted = 0;

	for (; p < end && (quoted || (*p != '\n' && *p != '\r')); p++)
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted)
			n[0] += *p == ',', n[1] += *p == ';', n[2] += *p == '\t';
	return n[1] > n[0] && n[1] >= n[2] ? ';' : n[2] > n[0] ? '\t' : ',';
}

/* Where a CSV's header puts the address and the name. */
struct csv_head {
	char sep;
	int address, name, first, last;	/* columns, -1 when absent */
};

/* 1 when the line at p is a CSV header that names an address column. */
static int
csv_header(const char *p, const char *end, struct csv_head *h)
{
	struct buf f[CSV_MAX_FIELDS];
	size_t nf;
	int lines = 0;

	for (int i = 0; i < CSV_MAX_FIELDS; i++)
		buf_init(&f[i]);
	h->sep = csv_separator(p, end);
	csv_record(&p, end, h->sep, f, &nf, &lines);
	h->address = csv_column(f, nf, csv_address, 1);
	h->name = csv_column(f, nf, csv_name, 0);
	h->first = csv_column(f, nf, csv_first, 0);
	h->last = csv_column(f, nf, csv_last, 0);
	/* "Jméno;Příjmení", "Nom,Nom de famille": beside a last name, the
	 * name column is the first name */
	if (h->last >= 0 && h->first < 0 && h->name >= 0) {
		h->first = h->name;
		h->name = -1;
	}
	for (int i = 0; i < CSV_MAX_FIELDS; i++)
		buf_release(&f[i]);
	return h->address >= 0;
}

/* The member's name from a record: its name column, else first and last. */
static char *
csv_member_name(const struct csv_head *h, const struct buf *f, size_t nf)
{
	const char *first = h->first >= 0 && (size_t)h->first < nf ?
	    str_trim(f[h->first].data) : "";
	const char *last = h->last >= 0 && (size_t)h->last < nf ?
	    str_trim(f[h->last].data) : "";

	/* the name column as it is: export -> import keeps every byte */
	if (h->name >= 0 && (size_t)h->name < nf)
		return xstrdup(f[h->name].data);
	return xasprintf("%s%s%s", first, *first && *last ? " " : "", last);
}

static int
import_csv(struct db *db, int64_t list_id, const char *p, const char *end,
    const struct csv_head *h, struct import_counts *c, import_bad_fn bad,
    void *ctx, const struct import_skip *skip)
{
	struct buf f[CSV_MAX_FIELDS];
	size_t nf;
	int lines = 0, ai = h->address, st = KITH_OK;

	for (int i = 0; i < CSV_MAX_FIELDS; i++)
		buf_init(&f[i]);
	csv_record(&p, end, h->sep, f, &nf, &lines);	/* the header */
	while (p < end && st != KITH_TEMP) {
		const char *rec = p;
		int lineno = lines + 1, r = csv_record(&p, end, h->sep, f, &nf,
		    &lines);
		char *text = xstrndup(rec, (size_t)(p - rec)), *name;
		const char *why = NULL;

		str_trim(text);
		if (r == 0 && nf == 1 && *f[0].data == '\0') {
			free(text);
			continue;	/* a blank line */
		}
		if (r < 0)
			why = "a quote is not closed where it should be";
		else if ((size_t)ai >= nf)
			why = "no address column";
		else {
			name = csv_member_name(h, f, nf);
			st = import_one(db, list_id, str_trim(f[ai].data), name,
			    c, skip);
			free(name);
			if (st == KITH_PERM)
				why = "not an address";
		}
		if (why) {
			c->invalid++;
			if (bad)
				bad(lineno, text, why, ctx);
		}
		free(text);
	}
	for (int i = 0; i < CSV_MAX_FIELDS; i++)
		buf_release(&f[i]);
	return st == KITH_TEMP ? KITH_TEMP : KITH_OK;
}

static int
import_legacy(struct db *db, int64_t list_id, char *p, struct import_counts *c,
    import_bad_fn bad, void *ctx, const struct import_skip *skip)
{
	int lineno = 0, st = KITH_OK;

	while (*p && st != KITH_TEMP) {
		char *nl = strchr(p, '\n'), *line = p, *addr, *name;
		const char *why;

		if (nl)
			*nl = '\0';
		p = nl ? nl + 1 : p + strlen(p);
		lineno++;
		line = str_trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		why = member_line(line, &addr, &name);
		if (why == NULL) {
			st = import_one(db, list_id, addr, name, c, skip);
			if (st == KITH_PERM)
				why = "not an address";
		}
		if (why) {
			c->invalid++;
			if (bad)
				bad(lineno, line, why, ctx);
		}
		free(addr);
		free(name);
	}
	return st == KITH_TEMP ? KITH_TEMP : KITH_OK;
}

/* What member_import_skip read, for its transaction. */
struct import_text {
	int64_t list_id;
	char *p;
	const char *end;
	struct import_counts *c;
	import_bad_fn bad;
	void *ctx;
	const struct import_skip *skip;
};

static int
import_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct import_text *x = ctx;
	struct csv_head h;

	(void)err, (void)errlen;
	/* CSV starts with its header line: a column for the address. */
	if (csv_header(x->p, x->end, &h))
		return import_csv(db, x->list_id, x->p, x->end, &h, x->c,
		    x->bad, x->ctx, x->skip);
	return import_legacy(db, x->list_id, x->p, x->c, x->bad, x->ctx,
	    x->skip);
}

int
member_import(struct db *db, int64_t list_id, FILE *in,
    struct import_counts *c, import_bad_fn bad, void *ctx)
{
	return member_import_skip(db, list_id, in, c, bad, ctx, NULL);
}

int
member_import_skip(struct db *db, int64_t list_id, FILE *in,
    struct import_counts *c, import_bad_fn bad, void *ctx,
    const struct import_skip *skip)
{
	struct buf b;
	char chunk[65536], *p;
	size_t n;
	int st;

	memset(c, 0, sizeof(*c));
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
		buf_add(&b, chunk, n);
	if (ferror(in)) {
		log_error("members: import: cannot read the input");
		buf_release(&b);
		return KITH_PERM;
	}
	buf_add(&b, "", 0);
	p = b.data;
	if (!strncmp(p, "\xef\xbb\xbf", 3))	/* a byte order mark */
		p += 3;
	{
		struct import_text x = { list_id, p, b.data + b.len, c, bad, ctx,
		    skip };

		st = db_tx(db, import_tx, &x, NULL, 0);
	}
	buf_release(&b);
	if (st != KITH_OK)
		memset(c, 0, sizeof(*c));
	return st;
}

/* Of no width, and no part of a word: a tag that looks like another. */
static int
invisible(uint32_t cp)
{
	return cp == 0xAD || cp == 0x200B || cp == 0x2060 || cp == 0xFEFF;
}

/*
 * Letters and digits as Unicode has them, through C.UTF-8's character
 * classes (glibc's, in libc-bin) rather than a table of our own; where
 * that locale is missing, ASCII ones only.  glibc files the marks that
 * combine with a letter (accents, Indic vowel signs and viramas) under
 * punctuation, so a character of no width after a letter is one too.
 */
int
member_tag_valid(const char *tag)
{
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	size_t n = strlen(tag), i = 0, chars = 0;
	int ok = n > 0, after_letter = 0;

	while (ok && i < n) {
		uint32_t cp;
		size_t len = utf8_next(tag + i, n - i, &cp);

		if (len == 0 || ++chars > MEMBER_TAG_MAX)
			ok = 0;
		else if (cp < 0x80)
			ok = isalnum((int)cp) || cp == '-' || cp == '_';
		else if (utf8 != (locale_t)0 && iswalnum_l((wint_t)cp, utf8))
			ok = 1;
		else	/* a mark on the letter before: é, the virama of क्ल */
			ok = after_letter && char_width(cp) == 0 &&
			    !char_unsafe(cp) && !invisible(cp);
		after_letter = ok && cp != '-' && cp != '_';
		i += len;
	}
	if (utf8 != (locale_t)0)
		freelocale(utf8);
	return ok;
}

int
member_tag(struct db *db, int64_t list_id, const char *address,
    const char *tag, int on)
{
	struct member m;
	int st;

	if ((st = member_find(db, list_id, address, &m)) != KITH_OK)
		return st;
	if (on)
		st = db_exec(db, "INSERT INTO member_tags(member_id, tag) "
		    "VALUES (?, ?) ON CONFLICT DO NOTHING", "it", m.id, tag);
	else
		st = db_exec(db, "DELETE FROM member_tags WHERE member_id=? AND "
		    "tag=?", "it", m.id, tag);
	member_release(&m);
	return st;
}

int64_t
member_tag_count(struct db *db, int64_t list_id, const char *tag)
{
	int st;

	return db_int(db, 0, &st, "SELECT count(*) FROM member_tags t JOIN "
	    "members m ON m.id=t.member_id WHERE m.list_id=? AND t.tag=?", "it",
	    list_id, tag);
}

char *
list_member_tags(struct db *db, int64_t list_id, int max)
{
	struct db_stmt *st = db_prepare(db, "SELECT DISTINCT t.tag FROM "
	    "member_tags t JOIN members m ON m.id=t.member_id WHERE "
	    "m.list_id=? ORDER BY t.tag");
	struct buf b;
	int n = 0;

	buf_init(&b);
	if (st) {
		db_bind(st, "i", list_id);
		while (db_step(st) == DB_ROW)
			if (n++ < max)
				buf_addf(&b, "%s%s", b.len ? ", " : "",
				    db_col_str(st, 0));
		db_finalize(st);
	}
	if (n > max)
		buf_addf(&b, " and %d more", n - max);
	return b.data ? buf_detach(&b, NULL) : xstrdup("");
}

char *
member_tags(struct db *db, int64_t member_id)
{
	/* prepared once a connection: member ls asks it of every member */
	struct db_stmt *st = db_cached(db, "SELECT tag FROM member_tags WHERE "
	    "member_id=? ORDER BY tag");
	struct buf b;

	buf_init(&b);
	if (st) {
		db_bind(st, "i", member_id);
		while (db_step(st) == DB_ROW)
			buf_addf(&b, "%s%s", b.len ? "," : "",
			    db_col_str(st, 0));
		db_cached_done(st);
	}
	return b.data ? buf_detach(&b, NULL) : xstrdup("");
}
