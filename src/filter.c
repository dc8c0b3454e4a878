/* filter - spam verdicts and the content filter. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/filter.h"
#include "kith/filter_rules.h"
#include "kith/html.h"
#include "kith/log.h"
#include "kith/mime.h"
#include "kith/mimeedit.h"
#include "kith/notice.h"
#include "kith/util.h"

/* Programs and scripts, by type and by name ("executables"). */
static const char *const exec_types[] = {
	"application/x-msdownload", "application/x-msdos-program",
	"application/x-dosexec", "application/x-executable",
	"application/x-ms-installer", "application/x-msi",
	"application/vnd.microsoft.portable-executable",
	"application/x-sh", "application/x-csh", "application/x-bat",
	"application/hta", "application/x-ms-shortcut",
	"application/javascript", "application/x-javascript",
	"text/javascript", "application/x-vbscript", "text/vbscript",
	"application/java-archive", "application/x-java-archive", NULL
};
static const char *const exec_names[] = {
	".exe", ".scr", ".com", ".bat", ".cmd", ".pif", ".cpl", ".js",
	".jse", ".vbs", ".vbe", ".wsf", ".wsh", ".hta", ".msi", ".msp",
	".ps1", ".lnk", ".reg", ".jar", ".scf", NULL
};

/* The settings' rules: filter_rules.h. */

/* ---- spam ---- */

/* value with runs of white space as one space, trimmed, lower case. */
static void
squeeze(char *v)
{
	char *o = v;
	int space = 0;

	for (char *p = v; *p; p++) {
		if (isspace((unsigned char)*p)) {
			space = o > v;
			continue;
		}
		if (space)
			*o++ = ' ';
		space = 0;
		*o++ = (char)tolower((unsigned char)*p);
	}
	*o = '\0';
}

/* 1 when a field of m named r->name has one of r's values. */
static int
spam_matches(const struct message *m, const struct spam_rule *r, char *seen,
    size_t seenlen)
{
	struct header_iter it;
	struct header_field f;
	int hit = 0;

	header_iter_init(&it, m->raw, m->body_off);
	while (!hit && header_next(&it, &f)) {
		char *v, *vals, *save = NULL, *want;

		if (!header_is(&f, r->name))
			continue;
		v = xstrndup(f.value, f.value_len);
		squeeze(v);
		vals = xstrdup(r->values);
		for (want = strtok_r(vals, "|", &save); want && !hit;
		    want = strtok_r(NULL, "|", &save)) {
			squeeze(want);
			hit = !strcmp(v, want);
		}
		if (hit)
			snprintf(seen, seenlen, "%.63s: %.120s", r->name, v);
		free(vals);
		free(v);
	}
	return hit;
}

enum filter_verdict
filter_spam(struct db *db, const struct list *l, const struct message *m,
    char *why, size_t whylen)
{
	char *spec = list_setting(db, l->id, "spam_header");
	char *action = list_setting(db, l->id, "spam_action"), seen[256] = "";
	struct spam_rule rules[8];
	enum filter_verdict v = FILTER_PASS;
	int n = 0, hit = 0;

	*why = '\0';
	if (spec && filter_spam_parse(spec, rules, 8, &n) == 0)
		for (int i = 0; i < n && !hit; i++)
			hit = spam_matches(m, &rules[i], seen, sizeof(seen));
	if (hit) {
		snprintf(why, whylen, "the MTA's spam filter says so (%s)",
		    seen);
		if (action && !strcmp(action, "discard"))
			v = FILTER_DISCARD;
		else if (action && !strcmp(action, "pass"))
			log_info("filter: passed '<%s>' to '%s' although %s",
			    m->message_id, l->address, why);
		else
			v = FILTER_HOLD;
	}
	free(spec);
	free(action);
	return v;
}

/* ---- the content filter ---- */

/* 1 when name (a file name) ends in ext, ignoring case and the trailing
 * dots and spaces Windows ignores too. */
static int
name_ends(const char *name, const char *ext)
{
	size_t n = strlen(name), e = strlen(ext);

	while (n > 0 && (name[n - 1] == '.' || name[n - 1] == ' '))
		n--;
	return n > e && !strncasecmp(name + n - e, ext, e);
}

static int
type_matches(const char *type, const char *rule)
{
	size_t n = strlen(rule);

	if (n >= 2 && !strcmp(rule + n - 2, "/*"))
		return !strncmp(type, rule, n - 1);
	return !strcmp(type, rule);
}

/* The size of p's body once decoded, without decoding base64. */
static size_t
decoded_size(const struct medit_part *p)
{
	size_t len = p->len - p->body, chars = 0, n;
	const char *s = p->start + p->body;
	char *dec;

	if (!strcmp(p->cte, "base64")) {
		for (size_t i = 0; i < len; i++)
			chars += isalnum((unsigned char)s[i]) || s[i] == '+' ||
			    s[i] == '/';
		return chars * 3 / 4;
	}
	if (strcmp(p->cte, "quoted-printable"))
		return len;
	dec = medit_decode(p, &n);
	free(dec);
	return n;
}

/* Why leaf p is not passed on (static text), or NULL. */
static const char *
blocked(const struct medit_part *p, const struct rules *r, int64_t max_kb)
{
	int body = (!strcmp(p->type, "text/plain") ||
	    !strcmp(p->type, "text/html")) && !p->attachment &&
	    *p->filename == '\0';

	if (r->executables) {
		for (int i = 0; exec_types[i]; i++)
			if (!strcmp(p->type, exec_types[i]))
				return "a program or script";
		for (int i = 0; *p->filename && exec_names[i]; i++)
			if (name_ends(p->filename, exec_names[i]))
				return "a program or script";
	}
	for (int i = 0; i < r->n; i++)
		if (r->entry[i][0] == '.' ? *p->filename &&
		    name_ends(p->filename, r->entry[i]) :
		    type_matches(p->type, r->entry[i]))
			return "a kind of file this list does not pass on";
	if (max_kb > 0 && !body && decoded_size(p) > (size_t)max_kb * 1024)
		return "larger than the list allows";
	return NULL;
}

struct found {
	const struct medit_part **part;
	const char **why;
	size_t n;
	int plain, html;	/* body text parts seen */
};

static void
found_add(struct found *f, const struct medit_part *p, const char *why)
{
	f->part = xrealloc(f->part, (f->n + 1) * sizeof(*f->part));
	f->why = xrealloc(f->why, (f->n + 1) * sizeof(*f->why));
	f->part[f->n] = p;
	f->why[f->n++] = why;
}

/* Every leaf under p that is blocked; body text parts counted (depth 0:
 * the post itself, not a message attached to it). */
static void
walk(const struct medit_part *p, const struct rules *r, int64_t max_kb,
    struct found *f, int inner)
{
	const char *why;

	if (p->nkids) {
		int nested = inner || !strcmp(p->type, "message/rfc822");

		for (size_t i = 0; i < p->nkids; i++)
			walk(&p->kids[i], r, max_kb, f, nested);
		return;
	}
	if (!inner && !p->attachment && *p->filename == '\0') {
		f->plain |= !strcmp(p->type, "text/plain");
		f->html |= !strcmp(p->type, "text/html");
	}
	if ((why = blocked(p, r, max_kb)) != NULL)
		found_add(f, p, why);
}

/* The list's filter settings and what they find in m; 0, or -1 when m
 * cannot be read as MIME (then it passes as it is). */
static int
scan(struct db *db, const struct list *l, const struct message *m,
    struct medit_part **tree, struct found *f)
{
	char *spec = list_setting(db, l->id, "mime_filter");
	int64_t max_kb = list_setting_int(db, l->id, "max_attachment_kb", 0);
	struct rules r;

	memset(f, 0, sizeof(*f));
	*tree = m->opaque ? NULL : medit_parse(m->raw, m->len);
	if (*tree == NULL) {
		free(spec);
		return -1;
	}
	if (filter_rules_parse(spec ? spec : "", &r) < 0)
		filter_rules_parse("executables", &r);	/* stored before a check */
	walk(*tree, &r, max_kb, f, 0);
	filter_rules_release(&r);
	free(spec);
	return 0;
}

static void
found_release(struct found *f)
{
	free(f->part);
	free(f->why);
}

/* "'name' (type)" of p for the log. */
static void
describe(const struct medit_part *p, char *out, size_t n)
{
	char *name = str_clean(*p->filename ? p->filename : "(no name)",
	    CLEAN_LINE);

	snprintf(out, n, "'%s' (%s)", name, p->type);
	free(name);
}

static int
setting_is(struct db *db, const struct list *l, const char *key,
    const char *value)
{
	char *v = list_setting(db, l->id, key);
	int is = v && !strcmp(v, value);

	free(v);
	return is;
}

enum filter_verdict
filter_content(struct db *db, const struct list *l, const struct message *m,
    const char **tmpl, char *why, size_t whylen)
{
	struct medit_part *tree;
	struct found f;
	enum filter_verdict v = FILTER_PASS;

	*why = '\0';
	*tmpl = NULL;
	if (scan(db, l, m, &tree, &f) < 0)
		return FILTER_PASS;
	if (f.n > 0 && !setting_is(db, l, "mime_filter_action", "drop")) {
		char what[320];

		describe(f.part[0], what, sizeof(what));
		snprintf(why, whylen, "%s is %s", what, f.why[0]);
		v = setting_is(db, l, "mime_filter_action", "reject") ?
		    FILTER_REJECT : FILTER_HOLD;
		*tmpl = "filtered.txt";
	} else if (f.html && !f.plain && setting_is(db, l, "html_only",
	    "reject")) {
		snprintf(why, whylen, "it has HTML and no plain text");
		v = FILTER_REJECT;
		*tmpl = "html-only.txt";
	}
	if (v != FILTER_PASS)
		log_info("filter: %s '<%s>' from '%s' to '%s': %s", v ==
		    FILTER_REJECT ? "refusing" : "holding", m->message_id,
		    m->from_addr, l->address, why);
	found_release(&f);
	medit_free(tree);
	return v;
}

/* The note that takes a dropped part's place, as part content. */
static char *
note_for(const struct kith_config *cfg, const struct list *l,
    const struct medit_part *p, const char *why, int64_t max_kb,
    size_t *n)
{
	struct template_opts o = { l->local, NULL, NULL };
	struct tvars *tv = tv_new();
	struct template_out out;
	struct mime_part *part;
	char err[512] = "", size[32];
	struct buf b;

	notice_list_tv(tv, l);
	tv_str(tv, "filename", *p->filename ? p->filename : "");
	tv_str(tv, "type", p->type);
	tv_str(tv, "size", size_human((int64_t)decoded_size(p), size,
	    sizeof(size)));
	tv_bool(tv, "too_big", !strcmp(why, "larger than the list allows"));
	tv_int(tv, "max_kb", (long long)max_kb);
	if (template_mail(cfg, &o, "part-removed.txt", tv, &out, err,
	    sizeof(err)) < 0) {
		log_error("filter: %s", err);
		tv_free(tv);
		return NULL;
	}
	tv_free(tv);
	part = mime_text_new("plain", out.body);
	template_out_release(&out);
	mime_part_disposition(part, MIME_INLINE, NULL);
	buf_init(&b);
	mime_write_part(part, "kith-filter", &b);
	mime_part_free(part);
	return buf_detach(&b, n);
}

/* Drop what the filter finds; NULL when nothing was. */
static char *
drop_parts(const struct kith_config *cfg, const struct list *l,
    const struct message *m, const struct medit_part *tree,
    const struct found *f, int64_t max_kb, size_t *len)
{
	struct medit_edit *e = xcalloc(f->n, sizeof(*e));
	char *out = NULL, what[320];
	size_t ne = 0;

	for (size_t i = 0; i < f->n; i++) {
		size_t n = 0;
		char *c = note_for(cfg, l, f->part[i], f->why[i], max_kb, &n);

		if (c == NULL)
			goto done;
		e[ne].part = f->part[i];
		e[ne].whole = 1;
		e[ne].content = c;
		e[ne++].content_len = n;
		describe(f->part[i], what, sizeof(what));
		log_info("filter: dropped %s from '<%s>' to '%s': %s", what,
		    m->message_id, l->address, f->why[i]);
	}
	out = medit_rebuild(tree, e, ne, m->eol, len);
done:
	for (size_t i = 0; i < ne; i++)
		free((char *)e[i].content);
	free(e);
	return out;
}

/* The part of an HTML-only post that holds its HTML: the top, or the
 * first part of a multipart/mixed. */
static const struct medit_part *
html_main(const struct medit_part *top)
{
	const struct medit_part *p = top;

	if (medit_is(p, "multipart/mixed") && p->nkids)
		p = &p->kids[0];
	if (medit_is(p, "text/html") || medit_is(p, "multipart/related"))
		return p;
	return NULL;
}

/* The first text/html leaf under p. */
static const struct medit_part *
first_html(const struct medit_part *p)
{
	if (medit_is(p, "text/html"))
		return p;
	for (size_t i = 0; i < p->nkids; i++) {
		const struct medit_part *h = first_html(&p->kids[i]);

		if (h)
			return h;
	}
	return NULL;
}

/* An HTML-only message given its text: alternative [text, the HTML]. */
static char *
convert_html(const struct message *m, const struct medit_part *tree,
    const struct list *l, size_t *len)
{
	const struct medit_part *main = html_main(tree), *h;
	struct mime_part *alt;
	struct medit_edit e;
	struct buf text, b;
	char *html, *body, *out;
	size_t blen;

	if (main == NULL || (h = first_html(main)) == NULL ||
	    (html = medit_utf8(h)) == NULL)
		return NULL;
	buf_init(&text);
	html_to_text(&text, html, strlen(html));
	buf_adds(&text, "\n");
	free(html);
	alt = mime_multipart_new("alternative");
	mime_part_add(alt, mime_text_new("plain", text.data));
	buf_release(&text);
	body = medit_as_body(main, m->eol, &blen);
	mime_part_add(alt, mime_raw_new(body, blen));
	free(body);
	buf_init(&b);
	mime_write_part(alt, "kith-filter", &b);
	mime_part_free(alt);
	memset(&e, 0, sizeof(e));
	e.part = main;
	e.content = b.data;
	e.content_len = b.len;
	out = medit_rebuild(tree, &e, 1, m->eol, len);
	buf_release(&b);
	log_info("filter: converted HTML-only '<%s>' to '%s': a plain-text "
	    "part added", m->message_id, l->address);
	return out;
}

char *
filter_apply(struct db *db, const struct kith_config *cfg, const struct list *l,
    const struct message *m, size_t *len)
{
	int64_t max_kb = list_setting_int(db, l->id, "max_attachment_kb", 0);
	struct medit_part *tree;
	struct found f;
	char *out = NULL;

	if (scan(db, l, m, &tree, &f) < 0)
		return NULL;
	if (f.n > 0 && setting_is(db, l, "mime_filter_action", "drop"))
		out = drop_parts(cfg, l, m, tree, &f, max_kb, len);
	if (f.html && !f.plain && setting_is(db, l, "html_only", "convert")) {
		struct medit_part *t2 = out ? medit_parse(out, *len) : tree;
		size_t n2 = 0;
		char *conv = t2 ? convert_html(m, t2, l, &n2) : NULL;

		if (t2 != tree)
			medit_free(t2);
		if (conv) {
			free(out);
			out = conv;
			*len = n2;
		}
	}
	found_release(&f);
	medit_free(tree);
	return out;
}

const struct template_schema filter_schema[] = {
	{ "part-removed.txt", TF_FIELDS(TF_STR("filename"), TF_STR("type"),
	    TF_STR("size"), TF_BOOL("too_big"), TF_INT("max_kb")), 0 },
};
const size_t filter_nschema = sizeof(filter_schema) /
    sizeof(filter_schema[0]);
