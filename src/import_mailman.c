/* import_mailman - Mailman 2 and 3 exports as an import plan. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "kith/bans.h"
#include "kith/import_mailman.h"
#include "kith/util.h"

/* ---- reading files ---- */

static char *
read_text(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	struct buf b;

	buf_init(&b);
	if (buf_read_file(&b, p) < 0) {
		buf_release(&b);
		free(p);
		return NULL;
	}
	free(p);
	buf_add(&b, "", 0);
	return buf_detach(&b, NULL);
}

/* The column named one of names in a CSV header line, or -1. */
static int
csv_col(const char *header, const char *a, const char *b)
{
	char *copy = xstrdup(header), *save = NULL;
	int i = 0, found = -1;

	for (char *f = strtok_r(copy, ",", &save); f && found < 0;
	    f = strtok_r(NULL, ",", &save), i++) {
		char *t = str_trim(f);

		if (*t == '"')
			t++;
		t[strcspn(t, "\"")] = '\0';
		if (!strcasecmp(t, a) || !strcasecmp(t, b))
			found = i;
	}
	free(copy);
	return found;
}

/* The field col of a simple CSV line (no quoted commas in addresses). */
static char *
csv_field(const char *line, int col)
{
	const char *p = line;

	for (int i = 0; i < col && p; i++) {
		p = strchr(p, ',');
		if (p)
			p++;
	}
	if (p == NULL)
		return NULL;
	return xstrndup(p, strcspn(p, ","));
}

/* Every member of a members file: "Name <addr>", "addr", or CSV. */
static void
read_members(struct import_plan *p, const char *dir, const char *file,
    const char *role, const char *mode, const char *format)
{
	char *text = read_text(dir, file), *save = NULL;
	int col = -1, ncol = -1, first = 1;

	if (text == NULL)
		return;
	for (char *l = strtok_r(text, "\r\n", &save); l;
	    l = strtok_r(NULL, "\r\n", &save), first = 0) {
		char *line = str_trim(l), *addr = NULL, *name = NULL;

		if (first && strchr(line, ',') && (col = csv_col(line, "email",
		    "address")) >= 0) {
			ncol = csv_col(line, "display_name", "name");
			continue;
		}
		if (*line == '\0' || *line == '#')
			continue;
		if (col >= 0) {
			char *a = csv_field(line, col), *n = ncol >= 0 ?
			    csv_field(line, ncol) : NULL;

			if (a && import_plan_member(p, str_trim(a), n ? n : "",
			    role, mode) < 0)
				import_plan_drop(p, file, "a line without an "
				    "address");
			free(a);
			free(n);
			continue;
		}
		if (import_member_line(line, &addr, &name) < 0) {
			import_plan_drop(p, file, "a line without an address");
			continue;
		}
		import_plan_member(p, addr, name, role, mode);
		if (format)
			for (size_t i = 0; i < p->nmembers; i++)
				if (!strcmp(p->members[i].address, addr))
					p->members[i].digest_format = format;
		free(addr);
		free(name);
	}
	free(text);
}

/* Owners and moderators who are no members get no list mail. */
static void
add_staff(struct import_plan *p, const char *address, const char *role)
{
	size_t before = p->nmembers;

	if (import_plan_member(p, address, "", role, NULL) == 0 &&
	    p->nmembers > before)
		p->members[p->nmembers - 1].mode = "nomail";
}

/* Every address of a Mailman 3 staff file (owners.txt, moderators.txt). */
static void
read_staff(struct import_plan *p, const char *dir, const char *file,
    const char *role)
{
	char *text = read_text(dir, file), *save = NULL;

	if (text == NULL)
		return;
	for (char *l = strtok_r(text, "\r\n", &save); l;
	    l = strtok_r(NULL, "\r\n", &save)) {
		char *a, *n;

		if (import_member_line(str_trim(l), &a, &n) == 0) {
			add_staff(p, a, role);
			free(a);
			free(n);
		}
	}
	free(text);
}

static char *
prefix_trimmed(const char *v)
{
	char *s = xstrdup(v), *t = str_trim(s), *out = xstrdup(t);

	free(s);
	return out;
}

/* ---- Mailman 2: config_list -o ---- */

struct py {
	const char *p, *end;
	char *err;
	size_t errlen;
	int line;
};

static void
py_skip_space(struct py *x, int newlines)
{
	while (x->p < x->end) {
		if (*x->p == '#') {
			while (x->p < x->end && *x->p != '\n')
				x->p++;
		} else if (*x->p == '\n' && newlines) {
			x->line++;
			x->p++;
		} else if (*x->p == ' ' || *x->p == '\t' || *x->p == '\r' ||
		    (*x->p == '\\' && x->p + 1 < x->end && x->p[1] == '\n')) {
			x->p += *x->p == '\\' ? 2 : 1;
		} else
			break;
	}
}

static int
py_fail(struct py *x, const char *what)
{
	snprintf(x->err, x->errlen, "line %d: %s", x->line, what);
	return -1;
}

/* A Python string literal (any quotes, u/r/b prefixes) into out. */
static int
py_string(struct py *x, struct buf *out)
{
	int raw = 0, triple;
	char q;

	while (x->p < x->end && strchr("uUrRbB", *x->p)) {
		raw |= *x->p == 'r' || *x->p == 'R';
		x->p++;
	}
	q = *x->p;
	triple = x->end - x->p >= 3 && x->p[1] == q && x->p[2] == q;
	x->p += triple ? 3 : 1;
	while (x->p < x->end) {
		char c = *x->p;

		if (c == q && (!triple || (x->end - x->p >= 3 && x->p[1] == q &&
		    x->p[2] == q))) {
			x->p += triple ? 3 : 1;
			return 0;
		}
		if (c == '\n') {
			if (!triple)
				return py_fail(x, "a string runs past its line");
			x->line++;
		}
		if (c == '\\' && !raw && x->p + 1 < x->end) {
			char e = x->p[1];

			x->p += 2;
			switch (e) {
			case 'n': buf_addc(out, '\n'); break;
			case 't': buf_addc(out, '\t'); break;
			case 'r': buf_addc(out, '\r'); break;
			case '\n': x->line++; break;
			case 'x':
				if (x->end - x->p >= 2 && isxdigit((unsigned char)
				    x->p[0]) && isxdigit((unsigned char)x->p[1])) {
					char h[3] = { x->p[0], x->p[1], 0 };

					buf_addc(out, (char)strtol(h, NULL, 16));
					x->p += 2;
				}
				break;
			case 'u': {
				unsigned cp;
				char h[5];

				if (x->end - x->p < 4)
					return py_fail(x, "a cut \\u escape");
				memcpy(h, x->p, 4);
				h[4] = '\0';
				cp = (unsigned)strtoul(h, NULL, 16);
				x->p += 4;
				if (cp < 0x80)
					buf_addc(out, (char)cp);
				else if (cp < 0x800) {
					buf_addc(out, (char)(0xc0 | cp >> 6));
					buf_addc(out, (char)(0x80 | (cp & 0x3f)));
				} else {
					buf_addc(out, (char)(0xe0 | cp >> 12));
					buf_addc(out, (char)(0x80 | ((cp >> 6) &
					    0x3f)));
					buf_addc(out, (char)(0x80 | (cp & 0x3f)));
				}
				break;
			}
			default:
				if (e >= '0' && e <= '7') {
					int v = e - '0', k = 0;

					while (k++ < 2 && x->p < x->end &&
					    *x->p >= '0' && *x->p <= '7')
						v = v * 8 + (*x->p++ - '0');
					buf_addc(out, (char)v);
				} else
					buf_addc(out, e);	/* \\ \' \" */
			}
			continue;
		}
		buf_addc(out, c);
		x->p++;
	}
	return py_fail(x, "a string is not closed");
}

static int py_value(struct py *x, struct buf *out, int depth);

/* [a, b] or (a, b): one item a line into out. */
static int
py_sequence(struct py *x, struct buf *out, int depth)
{
	char close = *x->p == '[' ? ']' : *x->p == '(' ? ')' : '}';
	int n = 0;

	x->p++;
	for (;;) {
		py_skip_space(x, 1);
		if (x->p >= x->end)
			return py_fail(x, "a list is not closed");
		if (*x->p == close) {
			x->p++;
			return 0;
		}
		if (n++)
			buf_addc(out, '\n');
		if (py_value(x, out, depth + 1) < 0)
			return -1;
		py_skip_space(x, 1);
		if (x->p < x->end && (*x->p == ',' || *x->p == ':'))
			x->p++;
	}
}

static int
py_value(struct py *x, struct buf *out, int depth)
{
	const char *start;

	if (depth > 8)
		return py_fail(x, "values nested too deep");
	py_skip_space(x, depth > 0);
	if (x->p >= x->end)
		return py_fail(x, "a value is missing");
	if (*x->p == '\'' || *x->p == '"' || ((strchr("uUrRbB", *x->p)) &&
	    x->p + 1 < x->end && (x->p[1] == '\'' || x->p[1] == '"')))
		return py_string(x, out);
	if (*x->p == '[' || *x->p == '(' || *x->p == '{')
		return py_sequence(x, out, depth);
	start = x->p;
	while (x->p < x->end && (isalnum((unsigned char)*x->p) ||
	    strchr("._-+", *x->p)))
		x->p++;
	if (x->p == start)
		return py_fail(x, "not a value Kith can read");
	if (x->p - start == 4 && !strncmp(start, "True", 4))
		buf_addc(out, '1');
	else if (x->p - start == 5 && !strncmp(start, "False", 5))
		buf_addc(out, '0');
	else if (!(x->p - start == 4 && !strncmp(start, "None", 4)))
		buf_add(out, start, (size_t)(x->p - start));
	return 0;
}

int
import_mailman2_config(const char *text,
    void (*fn)(const char *name, const char *value, void *ctx), void *ctx,
    char *err, size_t errlen)
{
	struct py x = { text, text + strlen(text), err, errlen, 1 };

	for (;;) {
		const char *name;
		char *key;
		struct buf v;

		py_skip_space(&x, 1);
		if (x.p >= x.end)
			return 0;
		name = x.p;
		while (x.p < x.end && (isalnum((unsigned char)*x.p) ||
		    *x.p == '_'))
			x.p++;
		if (x.p == name)
			return py_fail(&x, "not an assignment");
		key = xstrndup(name, (size_t)(x.p - name));
		py_skip_space(&x, 0);
		if (x.p >= x.end || *x.p != '=') {
			free(key);
			return py_fail(&x, "not an assignment");
		}
		x.p++;
		buf_init(&v);
		if (py_value(&x, &v, 0) < 0) {
			free(key);
			buf_release(&v);
			return -1;
		}
		buf_add(&v, "", 0);
		fn(key, v.data, ctx);
		free(key);
		buf_release(&v);
	}
}

/* ---- Mailman 3: JSON ---- */

struct js {
	const char *p;
	char *err;
	size_t errlen;
};

static void
js_space(struct js *x)
{
	while (*x->p && isspace((unsigned char)*x->p))
		x->p++;
}

static void
utf8_add(struct buf *b, unsigned cp)
{
	if (cp < 0x80)
		buf_addc(b, (char)cp);
	else if (cp < 0x800) {
		buf_addc(b, (char)(0xc0 | cp >> 6));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addc(b, (char)(0xe0 | cp >> 12));
		buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_addc(b, (char)(0xf0 | cp >> 18));
		buf_addc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	}
}

static int
js_string(struct js *x, struct buf *out)
{
	x->p++;
	while (*x->p && *x->p != '"') {
		if (*x->p == '\\') {
			char e = x->p[1];
			unsigned cp;

			x->p += 2;
			switch (e) {
			case 'n': buf_addc(out, '\n'); break;
			case 't': buf_addc(out, '\t'); break;
			case 'r': buf_addc(out, '\r'); break;
			case 'b': buf_addc(out, '\b'); break;
			case 'f': buf_addc(out, '\f'); break;
			case 'u':
				if (sscanf(x->p, "%4x", &cp) != 1)
					return -1;
				x->p += 4;
				if (cp >= 0xd800 && cp < 0xdc00 && x->p[0] == '\\' &&
				    x->p[1] == 'u') {
					unsigned lo;

					if (sscanf(x->p + 2, "%4x", &lo) == 1 &&
					    lo >= 0xdc00 && lo < 0xe000) {
						cp = 0x10000 + ((cp - 0xd800) << 10) +
						    (lo - 0xdc00);
						x->p += 6;
					}
				}
				utf8_add(out, cp);
				break;
			case '\0':
				return -1;
			default:
				buf_addc(out, e);
			}
		} else
			buf_addc(out, *x->p++);
	}
	if (*x->p != '"')
		return -1;
	x->p++;
	return 0;
}

/* Skip any JSON value (nested ones are not settings Kith maps). */
static int
js_skip(struct js *x, int depth)
{
	struct buf junk;
	int rc = 0;

	js_space(x);
	if (depth > 32)
		return -1;
	if (*x->p == '"') {
		buf_init(&junk);
		rc = js_string(x, &junk);
		buf_release(&junk);
		return rc;
	}
	if (*x->p == '{' || *x->p == '[') {
		char close = *x->p == '{' ? '}' : ']';

		x->p++;
		for (;;) {
			js_space(x);
			if (*x->p == close) {
				x->p++;
				return 0;
			}
			if (js_skip(x, depth + 1) < 0)
				return -1;
			js_space(x);
			if (*x->p == ',' || *x->p == ':')
				x->p++;
			else if (*x->p != close)
				return -1;
		}
	}
	while (*x->p && (isalnum((unsigned char)*x->p) || strchr("+-.", *x->p)))
		x->p++;
	return 0;
}

int
import_mailman3_settings(const char *text,
    void (*fn)(const char *key, const char *value, void *ctx), void *ctx,
    char *err, size_t errlen)
{
	struct js x = { strchr(text, '{'), err, errlen };

	if (x.p == NULL) {
		snprintf(err, errlen, "no JSON object in the settings");
		return -1;
	}
	x.p++;
	for (;;) {
		struct buf k, v;
		int ok = 1;

		js_space(&x);
		if (*x.p == '}')
			return 0;
		if (*x.p != '"')
			break;
		buf_init(&k);
		buf_init(&v);
		if (js_string(&x, &k) < 0)
			ok = 0;
		js_space(&x);
		if (ok && *x.p == ':') {
			x.p++;
			js_space(&x);
			if (*x.p == '"')
				ok = js_string(&x, &v) == 0;
			else if (*x.p == '{' || *x.p == '[')
				ok = js_skip(&x, 0) == 0 && (buf_adds(&v, "\x01"),
				    1);
			else {
				const char *s = x.p;

				while (*x.p && (isalnum((unsigned char)*x.p) ||
				    strchr("+-.", *x.p)))
					x.p++;
				if (x.p - s == 4 && !strncmp(s, "true", 4))
					buf_addc(&v, '1');
				else if (x.p - s == 5 && !strncmp(s, "false", 5))
					buf_addc(&v, '0');
				else if (!(x.p - s == 4 && !strncmp(s, "null", 4)))
					buf_add(&v, s, (size_t)(x.p - s));
				ok = x.p > s;
			}
		} else
			ok = 0;
		buf_add(&k, "", 0);
		buf_add(&v, "", 0);
		/* nested values (lists, objects) are marked \x01: not settings */
		if (ok && v.data[0] != '\x01')
			fn(k.data, v.data, ctx);
		buf_release(&k);
		buf_release(&v);
		if (!ok)
			break;
		js_space(&x);
		if (*x.p == ',')
			x.p++;
		else if (*x.p != '}')
			break;
	}
	snprintf(err, errlen, "the settings are not a JSON object Kith can read");
	return -1;
}

/* ---- mapping ---- */

struct map_ctx {
	struct import_plan *p;
	int version;
	char *real_name, *host_name;	/* Mailman 2: the list's address */
	char *list_name, *mail_host;	/* Mailman 3, when no address */
};

/* Enum values as Mailman 3 names them: "SubscriptionPolicy.confirm",
 * "confirm" (REST) and "1" alike give the name. */
static const char *
enum_name(const char *v)
{
	const char *dot = strrchr(v, '.');

	return dot ? dot + 1 : v;
}

static void
set(struct map_ctx *c, const char *key, const char *value, const char *from)
{
	char *what = xasprintf("%s %s", c->version == 2 ? "config" :
	    "setting", from);

	import_plan_setting(c->p, key, value, what);
	free(what);
}

/* Who may read the archive, unless it is off (Mailman 2's archive = 0
 * wins, whichever of the two comes first). */
static void
set_archive_readers(struct map_ctx *c, const char *value, const char *from)
{
	for (size_t i = 0; i < c->p->nsettings; i++)
		if (!strcmp(c->p->settings[i].key, "archive") &&
		    !strcmp(c->p->settings[i].value, "off"))
			return;
	set(c, "archive", value, from);
}

static void
drop(struct map_ctx *c, const char *name, const char *why)
{
	import_plan_drop(c->p, name, why);
}

static void
size_kb(struct map_ctx *c, const char *name, const char *v)
{
	char bytes[32];
	long kb = atol(v);

	if (kb <= 0) {
		drop(c, name, "no limit in Mailman: Kith keeps its max_size");
		return;
	}
	snprintf(bytes, sizeof(bytes), "%ld", kb * 1024);
	set(c, "max_size", bytes, name);
}

/* Mailman 3 settings; 1 when name is one Kith maps or reads. */
static int
map3(struct map_ctx *c, const char *name, const char *v)
{
	const char *e = enum_name(v);

	if (!strcmp(name, "display_name")) {
		free(c->p->name);
		c->p->name = xstrdup(v);
	} else if (!strcmp(name, "description")) {
		free(c->p->description);
		c->p->description = xstrdup(v);
	} else if (!strcmp(name, "posting_address") ||
	    !strcmp(name, "fqdn_listname")) {
		if (c->p->list_address == NULL && strchr(v, '@'))
			c->p->list_address = xstrdup(v);
	} else if (!strcmp(name, "list_name")) {
		free(c->list_name);
		c->list_name = xstrdup(v);
	} else if (!strcmp(name, "mail_host")) {
		free(c->mail_host);
		c->mail_host = xstrdup(v);
	} else if (!strcmp(name, "subject_prefix")) {
		char *t = prefix_trimmed(v);

		set(c, "subject_prefix", t, name);
		free(t);
	} else if (!strcmp(name, "subscription_policy"))
		set(c, "subscribe", !strcmp(e, "open") ? "open" : !strcmp(e,
		    "confirm") ? "confirm" : "approve", name);
	else if (!strcmp(name, "default_member_action")) {
		if (!strcmp(e, "hold"))
			set(c, "posting", "moderated", name);
		else if (!strcmp(e, "reject") || !strcmp(e, "discard"))
			set(c, "posting", "announce", name);
	} else if (!strcmp(name, "default_nonmember_action")) {
		if (!strcmp(e, "accept") || !strcmp(e, "defer"))
			set(c, "posting", "anyone", name);
		else
			set(c, "nonmember_action", e, name);
	} else if (!strcmp(name, "archive_policy")) {
		set(c, "archive", !strcmp(e, "never") ? "off" : !strcmp(e,
		    "public") ? "public" : "members", name);
	} else if (!strcmp(name, "max_message_size"))
		size_kb(c, name, v);
	else if (!strcmp(name, "reply_goes_to_list")) {
		if (!strcmp(e, "explicit_header"))
			drop(c, name, "Kith has no explicit Reply-To address");
		else
			set(c, "reply_to", !strcmp(e, "point_to_list") ? "list" :
			    "sender", name);
	} else if (!strcmp(name, "dmarc_mitigate_action")) {
		if (!strcmp(e, "munge_from"))
			set(c, "from_rewrite", "always", name);
		else if (!strcmp(e, "no_mitigation"))
			set(c, "from_rewrite", "never", name);
		else
			drop(c, name, "Kith rewrites From or not (from_rewrite)");
	} else if (!strcmp(name, "admin_notify_mchanges"))
		set(c, "notify_owners", !strcmp(v, "0") ? "off" : "each", name);
	else if (!strcmp(name, "emergency")) {
		if (strcmp(v, "0"))
			set(c, "posting", "moderated", name);
	} else if (!strcmp(name, "list_id") || !strcmp(name, "created_at") ||
	    !strcmp(name, "volume") || !strcmp(name, "next_digest_number") ||
	    !strcmp(name, "member_count") || !strcmp(name, "http_etag") ||
	    !strcmp(name, "self_link"))
		;	/* facts, not settings */
	else
		return 0;
	return 1;
}

/*
 * mm2_pattern - one entry of Mailman 2's accept_these_nonmembers as a
 * pattern Kith takes (bans.h): an address as it is; a regular expression
 * ("^.*@venue\\.example$") whose only special signs are ^ $ . .* and \.
 * as the shell pattern it means ("*@venue.example"); NULL for any other
 * (an "@otherlist" reference, a class, an alternation).  Caller frees.
 */
static char *
mm2_pattern(const char *entry)
{
	struct buf b;
	const char *p = entry;

	if (*p == '@' || *p == '\0')
		return NULL;
	if (*p != '^')	/* an address, to the letter */
		return strpbrk(p, "*?[,") == NULL && patterns_valid(p) ?
		    xstrdup(p) : NULL;
	buf_init(&b);
	for (p++; *p; p++) {
		if (*p == '.' && p[1] == '*') {
			buf_adds(&b, "*");
			p++;
		} else if (*p == '\\' && p[1] == '.') {
			buf_adds(&b, ".");
			p++;
		} else if (*p == '.')
			buf_adds(&b, "?");
		else if (*p == '$' && p[1] == '\0')
			break;
		else if (strchr("^$[](){}|+?*\\,", *p)) {
			buf_release(&b);
			return NULL;
		} else
			buf_addf(&b, "%c", *p);
	}
	if (b.data == NULL || !patterns_valid(b.data)) {
		buf_release(&b);
		return NULL;
	}
	return b.data;
}

/* Mailman 2's accept_these_nonmembers (one entry a line) as Kith's
 * accept_nonmembers; each entry Kith cannot read is printed. */
static void
accept_list(struct map_ctx *c, const char *name, const char *v)
{
	char *copy = xstrdup(v), *save = NULL, *why;
	struct buf all;

	buf_init(&all);
	for (char *e = strtok_r(copy, "\n", &save); e;
	    e = strtok_r(NULL, "\n", &save)) {
		char *pat = mm2_pattern(e);

		if (pat)
			buf_addf(&all, "%s%s", all.len ? ", " : "", pat);
		else {
			why = xasprintf("'%s' is no address or pattern Kith "
			    "reads (shell patterns like *@venue.example)", e);
			drop(c, name, why);
			free(why);
		}
		free(pat);
	}
	if (all.len)
		set(c, "accept_nonmembers", all.data, name);
	buf_release(&all);
	free(copy);
}

/* Mailman 2 config_list; 1 when name is one Kith maps or reads. */
static int
map2(struct map_ctx *c, const char *name, const char *v)
{
	long n = atol(v);

	if (!strcmp(name, "real_name")) {
		free(c->real_name);
		c->real_name = xstrdup(v);
		free(c->p->name);
		c->p->name = xstrdup(v);
	} else if (!strcmp(name, "host_name")) {
		free(c->host_name);
		c->host_name = xstrdup(v);
	} else if (!strcmp(name, "description")) {
		free(c->p->description);
		c->p->description = xstrdup(v);
	} else if (!strcmp(name, "owner") || !strcmp(name, "moderator")) {
		char *copy = xstrdup(v), *save = NULL;

		for (char *a = strtok_r(copy, "\n", &save); a;
		    a = strtok_r(NULL, "\n", &save))
			add_staff(c->p, a, !strcmp(name, "owner") ? "owner" :
			    "moderator");
		free(copy);
	} else if (!strcmp(name, "subject_prefix")) {
		char *t = prefix_trimmed(v);

		set(c, "subject_prefix", t, name);
		free(t);
	} else if (!strcmp(name, "subscribe_policy"))
		set(c, "subscribe", n == 0 ? "open" : n == 1 ? "confirm" :
		    "approve", name);
	else if (!strcmp(name, "generic_nonmember_action")) {
		if (n == 0)
			set(c, "posting", "anyone", name);
		else
			set(c, "nonmember_action", n == 1 ? "hold" : n == 2 ?
			    "reject" : "discard", name);
	} else if (!strcmp(name, "emergency")) {
		if (n)
			set(c, "posting", "moderated", name);
	} else if (!strcmp(name, "max_message_size"))
		size_kb(c, name, v);
	else if (!strcmp(name, "archive")) {
		if (n == 0)
			set(c, "archive", "off", name);
	} else if (!strcmp(name, "archive_private"))
		set_archive_readers(c, n ? "members" : "public", name);
	else if (!strcmp(name, "reply_goes_to_list")) {
		if (n == 2)
			drop(c, name, "Kith has no explicit Reply-To address");
		else
			set(c, "reply_to", n ? "list" : "sender", name);
	} else if (!strcmp(name, "from_is_list") ||
	    !strcmp(name, "dmarc_moderation_action")) {
		if (n == 1)
			set(c, "from_rewrite", "always", name);
	} else if (!strcmp(name, "admin_notify_mchanges"))
		set(c, "notify_owners", n ? "each" : "off", name);
	else if (!strcmp(name, "max_days_to_hold")) {
		if (n > 0)
			set(c, "held_days", v, name);
	} else if (!strcmp(name, "accept_these_nonmembers"))
		accept_list(c, name, v);
	else
		return 0;
	return 1;
}

static void
map_one(const char *name, const char *value, void *ctx)
{
	struct map_ctx *c = ctx;

	if (!(c->version == 2 ? map2(c, name, value) : map3(c, name, value)))
		drop(c, name, "not a setting Kith has");
}

int
import_mailman_read(int version, const char *dir, struct import_plan *p,
    char *err, size_t errlen)
{
	struct map_ctx c;
	char *text, *mbox;
	int rc = 0;

	memset(&c, 0, sizeof(c));
	c.p = p;
	c.version = version;
	text = read_text(dir, "members.txt");
	if (text == NULL) {
		snprintf(err, errlen, "no members.txt in '%s' (see 'kith import "
		    "--help' for the files a Mailman export holds)", dir);
		return -1;
	}
	free(text);
	read_members(p, dir, "members.txt", NULL, NULL, NULL);
	read_members(p, dir, "digest.txt", NULL, "digest-daily", NULL);
	read_members(p, dir, "digest-plain.txt", NULL, "digest-daily",
	    "plain");
	read_members(p, dir, "nomail.txt", NULL, "nomail", NULL);
	/* Mailman 3's staff, by role; Mailman 2's come with its config */
	read_staff(p, dir, "owners.txt", "owner");
	read_staff(p, dir, "moderators.txt", "moderator");
	text = read_text(dir, version == 2 ? "config.py" : "settings.json");
	if (text) {
		rc = version == 2 ? import_mailman2_config(text, map_one, &c, err,
		    errlen) : import_mailman3_settings(text, map_one, &c, err,
		    errlen);
		free(text);
	}
	if (rc == 0 && p->list_address == NULL) {
		if (version == 2 && c.real_name && c.host_name)
			p->list_address = str_lower(xasprintf("%s@%s",
			    c.real_name, c.host_name));
		else if (version == 3 && c.list_name && c.mail_host)
			p->list_address = xasprintf("%s@%s", c.list_name,
			    c.mail_host);
	}
	mbox = xasprintf("%s/archive.mbox", dir);
	if (access(mbox, R_OK) == 0)
		p->mbox = mbox;
	else
		free(mbox);
	free(c.real_name);
	free(c.host_name);
	free(c.list_name);
	free(c.mail_host);
	return rc;
}
