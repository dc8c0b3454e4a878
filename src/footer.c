/* footer - the list's footer, added to its mail MIME-aware. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/compose.h"
#include "kith/db.h"
#include "kith/dmarc.h"
#include "kith/footer.h"
#include "kith/log.h"
#include "kith/feature.h"
#include "kith/mime.h"
#include "kith/mimeedit.h"
#include "kith/notice.h"
#include "kith/outbox.h"
#include "kith/util.h"
#include "kith/weblinks.h"

#include <libetpan/libetpan.h>

/* ---- adding a footer to a message ---- */

/* 1 for a part whose bytes a signature or encryption covers. */
static int
sealed(const struct medit_part *p)
{
	return medit_is(p, "multipart/signed") ||
	    medit_is(p, "multipart/encrypted") ||
	    medit_is(p, "application/pkcs7-mime") ||
	    medit_is(p, "application/x-pkcs7-mime") ||
	    medit_is(p, "application/pgp-encrypted");
}

/* 1 when the text or HTML of a message body, not a file attached. */
static int
body_text(const struct medit_part *p, const char *type)
{
	return medit_is(p, type) && !p->attachment && *p->filename == '\0';
}

/* add in charset cs: a copy (UTF-8 and ASCII), or converted when every
 * character survives the round trip; NULL when not. */
static char *
in_charset(const char *add, const char *cs, size_t *n)
{
	char *conv = NULL, *back = NULL, *out = NULL;
	size_t convlen = 0, backlen = 0;

	if (*cs == '\0' || !strcmp(cs, "utf-8") || !strcmp(cs, "us-ascii")) {
		*n = strlen(add);
		return xstrdup(add);
	}
	if (charconv_buffer(cs, "utf-8", add, strlen(add), &conv, &convlen) !=
	    MAIL_CHARCONV_NO_ERROR)
		return NULL;
	if (charconv_buffer("utf-8", cs, conv, convlen, &back, &backlen) ==
	    MAIL_CHARCONV_NO_ERROR && backlen == strlen(add) &&
	    !memcmp(back, add, backlen)) {
		out = xmalloc(convlen + 1);
		memcpy(out, conv, convlen);
		out[convlen] = '\0';
		*n = convlen;
	}
	charconv_buffer_free(conv);
	if (back)
		charconv_buffer_free(back);
	return out;
}

/* Where HTML goes in doc: before the last </body>, else </html>, else the end. */
static size_t
html_spot(const char *doc, size_t n)
{
	static const char *const tags[] = { "</body", "</html", NULL };

	for (int t = 0; tags[t]; t++) {
		size_t tl = strlen(tags[t]);

		for (size_t i = n; i-- > 0;)
			if (i + tl <= n && !strncasecmp(doc + i, tags[t], tl))
				return i;
	}
	return n;
}

/* body with LF line ends made CRLF (RFC 2046 canonical form); caller frees. */
static char *
crlf(const char *s, size_t n, size_t *outlen)
{
	struct buf b;

	buf_init(&b);
	buf_grow(&b, n + n / 16 + 2);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			buf_addc(&b, '\r');
		buf_addc(&b, s[i]);
	}
	buf_adds(&b, "");
	return buf_detach(&b, outlen);
}

/* 1 when a line of s[0..n) is longer than SMTP carries. */
static int
long_lines(const char *s, size_t n)
{
	size_t col = 0;

	for (size_t i = 0; i < n; i++) {
		col = s[i] == '\n' ? 0 : col + 1;
		if (col > HEADER_LINE_MAX + 1)
			return 1;
	}
	return 0;
}

/* The encoding a rebuilt text part keeps from the original. */
static enum mime_encoding
same_encoding(const struct medit_part *p, const char *body, size_t n,
    int utf8)
{
	if (!strcmp(p->cte, "base64"))
		return MIME_BASE64;
	if (!strcmp(p->cte, "quoted-printable") || long_lines(body, n))
		return MIME_QP;
	if (!strcmp(p->cte, "8bit") || !strcmp(p->cte, "binary") || !utf8)
		return MIME_8BIT;
	return MIME_AUTO;	/* 7bit while it is ASCII, else QP */
}

/*
 * leaf_with - the new content of text leaf p with add (UTF-8) appended,
 * or put before </body> (html): Content-Type, encoding, blank line and
 * body, in p's charset and encoding.  NULL when p cannot take it (a
 * charset that cannot hold the footer, a NUL in the text).
 */
static char *
leaf_with(const struct medit_part *p, const char *add, int html, size_t *n)
{
	const char *sub = strchr(p->type, '/') + 1;
	int utf8 = *p->charset == '\0' || !strcmp(p->charset, "utf-8") ||
	    !strcmp(p->charset, "us-ascii");
	size_t dlen, alen, at, blen;
	char *dec = medit_decode(p, &dlen), *a = in_charset(add, p->charset,
	    &alen), *body, *out = NULL;
	struct mime_part *part;
	struct buf b;

	if (a == NULL || memchr(dec, '\0', dlen))
		goto done;
	buf_init(&b);
	at = html ? html_spot(dec, dlen) : dlen;
	buf_add(&b, dec, at);
	if (!html && at > 0 && dec[at - 1] != '\n')
		buf_addc(&b, '\n');
	buf_add(&b, a, alen);
	buf_add(&b, dec + at, dlen - at);
	buf_adds(&b, "");
	body = buf_detach(&b, &blen);
	if (utf8)
		part = mime_text_new(sub, body);
	else {
		char *type = xasprintf("text/%s", sub), *c = crlf(body, blen,
		    &blen);

		part = mime_data_new(type, c, blen);
		mime_part_param(part, "charset", p->charset);
		free(type);
		free(c);
	}
	if (*p->format)
		mime_part_param(part, "format", p->format);
	if (*p->delsp)
		mime_part_param(part, "delsp", p->delsp);
	mime_part_encoding(part, same_encoding(p, body, strlen(body), utf8));
	buf_init(&b);
	mime_write_part(part, "kith-footer", &b);
	out = buf_detach(&b, n);
	mime_part_free(part);
	free(body);
done:
	free(dec);
	free(a);
	return out;
}

/*
 * as_is - 1 when text can simply follow the bytes of text leaf p: a body
 * sent as it is (7bit, 8bit) in UTF-8 or ASCII that text keeps valid.
 * Then nothing is decoded or encoded again (each member's copy of a
 * post with the member's own footer costs a copy of the post, no more).
 */
static int
as_is(const struct medit_part *p, const char *text)
{
	int ascii = 1;

	for (const char *s = text; *s; s++)
		ascii &= (unsigned char)*s < 0x80;
	if (long_lines(text, strlen(text)))
		return 0;
	if (!strcmp(p->cte, "7bit"))
		return ascii && (*p->charset == '\0' ||
		    !strcmp(p->charset, "us-ascii") ||
		    !strcmp(p->charset, "utf-8"));
	if (!strcmp(p->cte, "8bit") || !strcmp(p->cte, "binary"))
		return !strcmp(p->charset, "utf-8") || (ascii &&
		    (*p->charset == '\0' || !strcmp(p->charset, "us-ascii")));
	return 0;
}

/* The edit that puts text after the bytes of p (as_is). */
static char *
after_bytes(const struct medit_part *p, const char *text, size_t *n)
{
	struct buf b;

	buf_init(&b);
	/* the text ends in a line end, unless the body has none */
	if (p->len > p->body && p->start[p->len - 1] != '\n')
		buf_adds(&b, "\r\n");
	for (const char *s = text; *s; s++) {
		if (*s == '\n' && (s == text || s[-1] != '\r'))
			buf_addc(&b, '\r');
		buf_addc(&b, *s);
	}
	return buf_detach(&b, n);
}

/* The footer as a part of its own: text, or text and HTML as alternatives. */
static struct mime_part *
footer_part(const char *text, const char *html)
{
	struct mime_part *t = mime_text_new("plain", text), *alt;

	mime_part_disposition(t, MIME_INLINE, NULL);
	if (html == NULL)
		return t;
	alt = mime_multipart_new("alternative");
	mime_part_add(alt, t);
	mime_part_add(alt, mime_text_new("html", html));
	return alt;
}

/* Wrap top in multipart/mixed with the footer after it. */
static char *
wrap(const struct medit_part *top, const char *eol, const char *text,
    const char *html, size_t *n)
{
	struct mime_part *mix = mime_multipart_new("mixed");
	size_t blen;
	char *body = medit_as_body(top, eol, &blen), *out;
	struct medit_edit e;
	struct buf b;

	mime_part_add(mix, mime_raw_new(body, blen));
	mime_part_add(mix, footer_part(text, html));
	buf_init(&b);
	mime_write_part(mix, "kith-footer", &b);
	mime_part_free(mix);
	free(body);
	memset(&e, 0, sizeof(e));
	e.part = top;
	e.content = b.data;
	e.content_len = b.len;
	out = medit_rebuild(top, &e, 1, eol, n);
	buf_release(&b);
	return out;
}

/* A new last part of multipart/mixed top, every other byte kept. */
static char *
append_part(const struct medit_part *top, const char *eol, const char *text,
    const char *html, size_t *n)
{
	char *bnd = medit_boundary(top), *out = NULL;
	struct mime_part *fp;
	struct medit_edit e;
	struct buf b;

	if (bnd == NULL || top->nkids == 0) {
		free(bnd);
		return NULL;
	}
	buf_init(&b);
	buf_addf(&b, "\r\n--%s\r\n", bnd);
	fp = footer_part(text, html);
	mime_write_part(fp, "kith-footer", &b);
	mime_part_free(fp);
	/* the footer must not hold the delimiter it sits between */
	if (memmem(b.data + 4 + strlen(bnd), b.len - 4 - strlen(bnd), bnd,
	    strlen(bnd)) == NULL) {
		/* the part's last line end belongs to the closing delimiter */
		if (b.len >= 2 && b.data[b.len - 1] == '\n')
			b.len -= b.data[b.len - 2] == '\r' ? 2 : 1;
		memset(&e, 0, sizeof(e));
		e.part = &top->kids[top->nkids - 1];
		e.content = b.data;
		e.content_len = b.len;
		e.append = 1;
		out = medit_rebuild(top, &e, 1, eol, n);
	}
	buf_release(&b);
	free(bnd);
	return out;
}

struct inplace {
	struct medit_edit *e;
	size_t n;
	int failed;
	const char *text, *html;
};

/* Every body text and HTML part under p gets its footer in place. */
static void
in_place(const struct medit_part *p, struct inplace *ip)
{
	size_t len = 0;
	int append = 0;
	char *c;

	if (sealed(p) || medit_is(p, "message/rfc822"))
		return;
	if (!strncmp(p->type, "multipart/", 10)) {
		for (size_t i = 0; i < p->nkids && !ip->failed; i++)
			in_place(&p->kids[i], ip);
		return;
	}
	if (body_text(p, "text/plain") && as_is(p, ip->text))
		c = after_bytes(p, ip->text, &len), append = 1;
	else if (body_text(p, "text/plain"))
		c = leaf_with(p, ip->text, 0, &len);
	else if (body_text(p, "text/html"))
		c = leaf_with(p, ip->html, 1, &len);
	else
		return;
	if (c == NULL) {
		ip->failed = 1;
		return;
	}
	ip->e = xrealloc(ip->e, (ip->n + 1) * sizeof(*ip->e));
	memset(&ip->e[ip->n], 0, sizeof(*ip->e));
	ip->e[ip->n].part = p;
	ip->e[ip->n].append = append;
	ip->e[ip->n].content = c;
	ip->e[ip->n++].content_len = len;
}

/* Footers into the parts of an alternative or related top; NULL if none took. */
static char *
apply_in_place(const struct medit_part *top, const char *eol,
    const char *text, const char *html, size_t *n)
{
	struct inplace ip = { NULL, 0, 0, text, html };
	char *out = NULL;

	in_place(top, &ip);
	if (!ip.failed && ip.n > 0)
		out = medit_rebuild(top, ip.e, ip.n, eol, n);
	for (size_t i = 0; i < ip.n; i++)
		free((char *)ip.e[i].content);
	free(ip.e);
	return out;
}

/* One leaf at the top: the footer goes into it, or the message is wrapped. */
static char *
apply_leaf(const struct medit_part *top, const char *eol, const char *add,
    int html, size_t *n)
{
	struct medit_edit e;
	size_t len = 0;
	char *c, *out;

	memset(&e, 0, sizeof(e));
	if (!html && as_is(top, add)) {
		c = after_bytes(top, add, &len);
		e.append = 1;
	} else
		c = leaf_with(top, add, html, &len);
	if (c == NULL)
		return NULL;
	e.part = top;
	e.content = c;
	e.content_len = len;
	out = medit_rebuild(top, &e, 1, eol, n);
	free(c);
	return out;
}

/* footer_apply on a parsed message. */
static char *
apply_tree(const struct medit_part *top, const char *eol, const char *text,
    const char *html, size_t *n, char *why, size_t whylen)
{
	char *out = NULL;

	if (sealed(top)) {
		snprintf(why, whylen, "%s: left alone so that it stays valid",
		    top->type);
		return NULL;
	}
	if (body_text(top, "text/plain"))
		out = apply_leaf(top, eol, text, 0, n);
	else if (body_text(top, "text/html") && html)
		out = apply_leaf(top, eol, html, 1, n);
	else if ((medit_is(top, "multipart/alternative") ||
	    medit_is(top, "multipart/related")) && html)
		out = apply_in_place(top, eol, text, html, n);
	else if (medit_is(top, "multipart/mixed"))
		out = append_part(top, eol, text, html, n);
	return out ? out : wrap(top, eol, text, html, n);
}

char *
footer_apply(const char *raw, size_t len, const char *text, const char *html,
    size_t *outlen, char *why, size_t whylen)
{
	struct medit_part *top = medit_parse(raw, len);
	char *out;

	if (top == NULL) {
		snprintf(why, whylen, "its MIME structure is too deep or wide "
		    "to change");
		return NULL;
	}
	out = apply_tree(top, message_eol(raw, len), text, html, outlen, why,
	    whylen);
	medit_free(top);
	return out;
}

int
footer_keeps_signature(const struct message *m)
{
	const char *at = strrchr(m->from_addr, '@');
	char *org = at ? dmarc_org_domain(at + 1) : NULL;
	struct header_iter it;
	struct header_field f;
	int found = 0;

	if (org == NULL)
		return 0;
	header_iter_init(&it, m->raw, m->body_off);
	while (!found && header_next(&it, &f)) {
		char *v, *d, *end, *dorg;

		if (!header_is(&f, "DKIM-Signature"))
			continue;
		v = xstrndup(f.value, f.value_len);
		/* the d= tag: after the start or a ';' */
		for (d = v; (d = strstr(d, "d=")) != NULL; d += 2)
			if (d == v || d[-1] == ';' || d[-1] == ' ' ||
			    d[-1] == '\t' || d[-1] == '\n')
				break;
		if (d) {
			d += 2;
			d += strspn(d, " \t\r\n");
			end = d + strcspn(d, "; \t\r\n");
			*end = '\0';
			dorg = dmarc_org_domain(d);
			found = dorg && !strcmp(dorg, org);
			free(dorg);
		}
		free(v);
	}
	free(org);
	return found;
}

/* ---- rendering ---- */

/* The template text of name for list l, or NULL when there is none. */
static char *
load_text(const struct kith_config *cfg, const struct template_opts *o,
    const char *name, char *lang)
{
	char *path = template_find(cfg, o, name, lang);
	struct buf b;

	if (path == NULL)
		return NULL;
	buf_init(&b);
	if (buf_read_file(&b, path) < 0) {
		log_error("footer: cannot read '%s'", path);
		buf_release(&b);
		free(path);
		return NULL;
	}
	free(path);
	buf_adds(&b, "");
	return buf_detach(&b, NULL);
}

/* 1 when a {{...}} of text names a member's own value. */
static int
per_member(const char *text)
{
	static const char *const names[] = { "unsubscribe", "preferences",
		"member", NULL };

	for (const char *s = text; s && (s = strstr(s, "{{")) != NULL; s += 2) {
		const char *end = strstr(s, "}}");
		size_t n = end ? (size_t)(end - s) : strlen(s);

		for (int i = 0; names[i]; i++)
			if (memmem(s, n, names[i], strlen(names[i])))
				return 1;
	}
	return 0;
}

/* What the footer templates of one list are in one language; kept
 * between copies. */
struct texts {
	char *text, *html;	/* template sources; html NULL when none */
	char asked[NOTICE_LANG_LEN];	/* the reader's language */
	char lang[16], hlang[16];	/* the languages the files are in */
	int per_member;
};

static void
texts_release(struct texts *t)
{
	free(t->text);
	free(t->html);
	memset(t, 0, sizeof(*t));
}

/*
 * texts_load - l's footer.txt in language lang (notice_lang), and its
 * footer.html when the list's footer_html is on.  0, or -1 (logged).
 */
static int
texts_load(struct db *db, const struct kith_config *cfg, const struct list *l,
    const char *lang, struct texts *t)
{
	struct template_opts o = { l->local, lang, NULL };
	char *html = list_setting(db, l->id, "footer_html");

	memset(t, 0, sizeof(*t));
	snprintf(t->asked, sizeof(t->asked), "%s", lang);
	t->text = load_text(cfg, &o, "footer.txt", t->lang);
	if (t->text == NULL)
		log_error("footer: no footer.txt for '%s'", l->address);
	else if (html && !strcmp(html, "on") && (t->html = load_text(cfg, &o,
	    "footer.html", t->hlang)) == NULL)
		log_error("footer: footer_html is on but there is no "
		    "footer.html for '%s'; the text footer goes alone",
		    l->address);
	free(html);
	if (t->text == NULL) {
		texts_release(t);
		return -1;
	}
	t->per_member = per_member(t->text) || per_member(t->html);
	return 0;
}

/*
 * values_with - the values a footer sees: the list's, and a member's
 * when given; archive_url and the member's unsubscribe links when the
 * caller has them already (NULL: made here).
 */
static struct tvars *
values_with(struct db *db, const struct kith_config *cfg,
    const struct token_key *k, const struct list *l, int64_t member_id,
    const char *rcpt, const char *name, const char *archive_url,
    const char *mailto_in, const char *url_in)
{
	struct tvars *tv = tv_new();
	const char *at = strchr(l->address, '@');
	char *archive = archive_url ? NULL : list_archive_url(db, cfg, l);
	char *mailto = NULL, *url = NULL, *prefs = NULL;
	int links = 0;

	notice_list_tv(tv, l);
	tv_str(tv, "archive", archive_url ? archive_url : archive);
	free(archive);
	if (member_id > 0 && k && mailto_in) {
		mailto = xstrdup(mailto_in);
		url = url_in ? xstrdup(url_in) : NULL;
		links = 1;
	} else if (member_id > 0 && k)
		links = weblink_list_unsubscribe(cfg, k, l->address,
		    member_id, rcpt, &mailto, &url) == 0;
	if (links) {
		/* the page behind the link asks once, then leaves */
		tv_str(tv, "unsubscribe", url ? url : mailto);
		prefs = weblink_prefs(cfg, k, l->address, member_id, rcpt);
	} else
		tv_strf(tv, "unsubscribe", "mailto:%.*s-unsubscribe%s",
		    (int)(at - l->address), l->address, at);
	if (prefs == NULL)
		prefs = weblink_list(cfg, l->address);
	if (prefs)
		tv_str(tv, "preferences", prefs);
	else
		tv_strf(tv, "preferences", "mailto:%.*s-request%s?subject=help",
		    (int)(at - l->address), l->address, at);
	tv_str(tv, "member.address", rcpt ? rcpt : "");
	tv_str(tv, "member.name", name && *name ? name : rcpt ? rcpt : "");
	if (name && *name && rcpt)
		tv_strf(tv, "member", "%s <%s>", name, rcpt);
	else
		tv_str(tv, "member", rcpt ? rcpt : "");
	free(mailto);
	free(url);
	free(prefs);
	return tv;
}

/* The values a footer sees: the list's, and a member's when given. */
static struct tvars *
values(struct db *db, const struct kith_config *cfg, const struct token_key *k,
    const struct list *l, int64_t member_id, const char *rcpt,
    const char *name)
{
	return values_with(db, cfg, k, l, member_id, rcpt, name, NULL, NULL,
	    NULL);
}

static char *
render_one(const char *src, const char *where, const char *lang,
    const struct list *l, const struct tvars *tv)
{
	struct template_opts o = { l->local, lang, NULL };
	struct template_out out;
	char err[512] = "", *text;

	if (template_string(src, where, &o, tv, &out, err, sizeof(err)) < 0) {
		log_error("footer: %s", err);
		return NULL;
	}
	text = out.body;
	out.body = NULL;
	template_out_release(&out);
	return text;
}

/* text made HTML: escaped, lines broken, links clickable. */
static char *
text_to_html(const char *text)
{
	char *esc = html_escape(text);
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "<div class=\"kith-footer\" style=\"font-size:12px;"
	    "color:#666666\">\n");
	for (const char *s = esc; *s;) {
		if (!strncmp(s, "https://", 8) || !strncmp(s, "http://", 7) ||
		    !strncmp(s, "mailto:", 7)) {
			size_t n = strcspn(s, " \t\r\n<>\"");

			buf_adds(&b, "<a href=\"");
			buf_add(&b, s, n);
			buf_adds(&b, "\">");
			buf_add(&b, s, n);
			buf_adds(&b, "</a>");
			s += n;
		} else if (*s == '\n') {
			buf_adds(&b, "<br>\n");
			s++;
		} else
			buf_addc(&b, *s++);
	}
	buf_adds(&b, "</div>\n");
	free(esc);
	return buf_detach(&b, NULL);
}

/* Render t for one reader into *text and *html; 0 or -1. */
static int
render_texts(const struct texts *t, const struct list *l,
    const struct tvars *tv, int html_from_text, char **text, char **html)
{
	*text = render_one(t->text, "footer.txt", t->lang, l, tv);
	*html = NULL;
	if (*text == NULL)
		return -1;
	if (t->html && (*html = render_one(t->html, "footer.html", t->hlang,
	    l, tv)) == NULL) {
		free(*text);
		*text = NULL;
		return -1;
	}
	if (*html == NULL && html_from_text)
		*html = text_to_html(*text);
	return 0;
}

/* ---- posts and digests ---- */

int
footer_post(struct db *db, const struct kith_config *cfg, const struct list *l,
    const char *setting, char **copy, size_t *len)
{
	char *on = list_setting(db, l->id, setting), *text = NULL, *html = NULL;
	char *out, why[160] = "", lang[NOTICE_LANG_LEN];
	struct texts t;
	struct tvars *tv;
	size_t n = 0;
	int st = 0;

	if (on == NULL || strcmp(on, "on")) {
		free(on);
		return 0;
	}
	free(on);
	/* one copy for every reader: the list's language (notice.h) */
	notice_lang(db, l, NULL, lang);
	if (texts_load(db, cfg, l, lang, &t) < 0)
		return -1;
	if (t.per_member) {
		texts_release(&t);
		return 1;
	}
	tv = values(db, cfg, NULL, l, 0, NULL, NULL);
	if (render_texts(&t, l, tv, 0, &text, &html) < 0)
		st = -1;
	else if ((out = footer_apply(*copy, *len, text, html, &n, why,
	    sizeof(why))) != NULL) {
		free(*copy);
		*copy = out;
		*len = n;
	} else
		log_info("footer: none in this copy for '%s': %s", l->address,
		    why);
	tv_free(tv);
	free(text);
	free(html);
	texts_release(&t);
	return st;
}

int
footer_mark(struct db *db, int64_t msg_id)
{
	char render[48];

	/* the renderer's key is the message itself (feature.h) */
	snprintf(render, sizeof(render), "footer:%lld", (long long)msg_id);
	return db_exec(db, "UPDATE outbox_messages SET render=? WHERE id=?",
	    "ti", render, msg_id);
}

int
footer_mark_if(struct db *db, const struct list *l, const char *setting,
    int64_t msg_id)
{
	char *on = list_setting(db, l->id, setting);
	int st = KITH_OK;

	if (on && !strcmp(on, "on"))
		st = footer_mark(db, msg_id);
	free(on);
	return st;
}

/* ---- each member's copy at delivery ---- */

struct footer_cache {
	struct db *db;
	struct db_stmt *member;
	struct outbox_message msg;	/* the renderer's message, loaded once */
	int have_msg;
	struct medit_part *tree;	/* msg parsed */
	const char *eol;
	int64_t list_id;		/* l and archive are this list's */
	struct list l;
	char *archive;			/* the list's archive address */
	char *setting, *setting_value;	/* footer_copy: the list's choice */
	struct texts t;			/* l's footer in t.asked */
	int have_texts;
	char *shared_text, *shared_html;	/* t without a member's values */
};

struct footer_cache *
footer_cache_new(struct db *db)
{
	struct footer_cache *fc = xcalloc(1, sizeof(*fc));

	fc->db = db;
	fc->member = db_prepare(db, "SELECT name FROM members WHERE id=?");
	return fc;
}

static void
cache_texts_release(struct footer_cache *fc)
{
	texts_release(&fc->t);
	free(fc->shared_text);
	free(fc->shared_html);
	fc->shared_text = fc->shared_html = NULL;
	fc->have_texts = 0;
}

static void
cache_list_release(struct footer_cache *fc)
{
	cache_texts_release(fc);
	if (fc->list_id)
		list_release(&fc->l);
	fc->list_id = 0;
	free(fc->setting);
	free(fc->setting_value);
	free(fc->archive);
	fc->setting = fc->setting_value = fc->archive = NULL;
}

static void
cache_msg_release(struct footer_cache *fc)
{
	if (fc->have_msg)
		outbox_message_release(&fc->msg);
	fc->have_msg = 0;
	medit_free(fc->tree);
	fc->tree = NULL;
}

void
footer_cache_free(struct footer_cache *fc)
{
	if (fc == NULL)
		return;
	db_finalize(fc->member);
	cache_msg_release(fc);
	cache_list_release(fc);
	free(fc);
}

/*
 * cache_list - list list_id and its footer in the language of reader
 * rcpt (NULL: the list's) into the cache unless it holds them; -1 when
 * they cannot be loaded (logged).
 */
static int
cache_list(struct footer_cache *fc, const struct kith_config *cfg,
    int64_t list_id, const char *rcpt)
{
	char lang[NOTICE_LANG_LEN];

	if (fc->list_id != list_id) {
		cache_list_release(fc);
		if (list_find_id(fc->db, list_id, &fc->l) != KITH_OK) {
			log_error("footer: no list %lld", (long long)list_id);
			return -1;
		}
		fc->list_id = list_id;
	}
	notice_lang(fc->db, &fc->l, rcpt, lang);
	if (fc->have_texts && !strcmp(fc->t.asked, lang))
		return 0;
	cache_texts_release(fc);
	if (texts_load(fc->db, cfg, &fc->l, lang, &fc->t) < 0)
		return -1;
	fc->have_texts = 1;
	return 0;
}

/* The member's name, or NULL; caller frees. */
static char *
member_name(struct footer_cache *fc, int64_t member_id)
{
	char *name = NULL;

	if (fc->member == NULL || member_id <= 0)
		return NULL;
	db_reset(fc->member);
	db_bind(fc->member, "i", member_id);
	if (db_step(fc->member) == DB_ROW)
		name = db_col_text(fc->member, 0);
	db_reset(fc->member);
	return name;
}

/*
 * personalise - the cached message's copy for one member: its
 * List-Unsubscribe (deliver.c adds none to a rendered copy), then the
 * message with the member's footer.  Caller frees; NULL when it cannot
 * be made (the row is retried).
 */
static char *
personalise(struct footer_cache *fc, const struct kith_config *cfg,
    const struct token_key *k, int64_t member_id, const char *rcpt,
    size_t *len)
{
	const struct outbox_message *m = &fc->msg;
	char *text = NULL, *html = NULL, *body = NULL, *mailto = NULL;
	char *url = NULL, why[160] = "";
	const char *t, *h;
	struct buf out;
	size_t blen = 0;

	if (cache_list(fc, cfg, m->list_id, rcpt) < 0)
		return NULL;
	if (member_id > 0 && *m->unsubscribe)
		weblink_list_unsubscribe(cfg, k, m->unsubscribe, member_id,
		    rcpt, &mailto, &url);
	if (fc->archive == NULL)
		fc->archive = list_archive_url(fc->db, cfg, &fc->l);
	if (fc->t.per_member) {
		char *name = member_name(fc, member_id);
		struct tvars *tv = values_with(fc->db, cfg, k, &fc->l,
		    member_id, rcpt, name, fc->archive, mailto, url);
		int st = render_texts(&fc->t, &fc->l, tv, 0, &text, &html);

		tv_free(tv);
		free(name);
		if (st < 0)
			goto fail;
	} else if (fc->shared_text == NULL) {
		struct tvars *tv = values(fc->db, cfg, NULL, &fc->l, 0, NULL,
		    NULL);
		int st = render_texts(&fc->t, &fc->l, tv, 0, &fc->shared_text,
		    &fc->shared_html);

		tv_free(tv);
		if (st < 0)
			goto fail;
	}
	t = text ? text : fc->shared_text;
	h = text ? html : fc->shared_html;
	if (fc->tree)
		body = apply_tree(fc->tree, fc->eol, t, h, &blen, why,
		    sizeof(why));
	buf_init(&out);
	buf_grow(&out, (body ? blen : m->len) + 512);
	/* each copy's own List-Unsubscribe, as deliver gives shared ones */
	if (mailto) {
		if (url)
			buf_addf(&out, "List-Unsubscribe: <%s>,\r\n <%s>\r\n"
			    "List-Unsubscribe-Post: List-Unsubscribe=One-Click"
			    "\r\n", url, mailto);
		else
			buf_addf(&out, "List-Unsubscribe: <%s>\r\n", mailto);
	}
	if (body)
		buf_add(&out, body, blen);
	else
		buf_add(&out, m->data, m->len);
	free(body);
	free(text);
	free(html);
	free(mailto);
	free(url);
	return buf_detach(&out, len);
fail:
	free(mailto);
	free(url);
	return NULL;
}

/*
 * render_copy - the feature table's renderer (feature.h) of a message
 * footer_mark marked, "footer:MSGID": loaded and parsed once per
 * delivery run, then each member's copy.
 */
static char *
render_copy(const struct site_ctx *c, void **cache, const char *render,
    int64_t member_id, const char *rcpt, size_t *len)
{
	struct footer_cache *fc = *cache;
	long long id = 0;
	char *end = NULL;

	if (fc == NULL)
		*cache = fc = footer_cache_new(c->db);
	if (!strncmp(render, "footer:", 7))
		id = strtoll(render + 7, &end, 10);
	if (id <= 0 || end == NULL || *end) {
		log_error("footer: cannot render '%s'", render);
		return NULL;
	}
	if (!fc->have_msg || fc->msg.id != id) {
		cache_msg_release(fc);
		if (outbox_message_load(c->db, id, &fc->msg) != KITH_OK) {
			log_error("footer: no message %lld to render", id);
			return NULL;
		}
		fc->have_msg = 1;
		fc->tree = medit_parse(fc->msg.data, fc->msg.len);
		fc->eol = message_eol(fc->msg.data, fc->msg.len);
	}
	return personalise(fc, c->cfg, c->key, member_id, rcpt, len);
}

static void
render_free(void *cache)
{
	footer_cache_free(cache);
}

char *
footer_copy(struct footer_cache *fc, const struct kith_config *cfg,
    const struct token_key *k, const struct list *l, const char *setting,
    int64_t member_id, const char *rcpt, char *copy, size_t *len)
{
	char *text = NULL, *html = NULL, *name, *out, why[160] = "";
	struct tvars *tv;
	size_t n = 0;

	if (cache_list(fc, cfg, l->id, rcpt) < 0)
		return copy;
	if (fc->setting == NULL || strcmp(fc->setting, setting)) {
		free(fc->setting);
		free(fc->setting_value);
		fc->setting = xstrdup(setting);
		fc->setting_value = list_setting(fc->db, l->id, setting);
	}
	if (fc->setting_value == NULL || strcmp(fc->setting_value, "on"))
		return copy;
	name = member_name(fc, member_id);
	tv = values(fc->db, cfg, k, &fc->l, member_id, rcpt, name);
	free(name);
	if (render_texts(&fc->t, &fc->l, tv, 1, &text, &html) == 0 &&
	    (out = footer_apply(copy, *len, text, html, &n, why,
	    sizeof(why))) != NULL) {
		free(copy);
		copy = out;
		*len = n;
	}
	tv_free(tv);
	free(text);
	free(html);
	return copy;
}

/* ---- the feature table's row ---- */

#define FOOTER_FIELDS TF_FIELDS(TF_STR("unsubscribe"), \
	TF_STR("preferences"), TF_STR("archive"), TF_STR("member"), \
	TF_STR("member.name"), TF_STR("member.address"))

/* The texts footer renders and their values (kith check, texts.h). */
static const struct template_schema footer_texts[] = {
	{ "footer.txt", FOOTER_FIELDS, 0 },
	{ "footer.html", FOOTER_FIELDS, 0 },	/* with footer_html on */
};

/*
 * Not a feature members use on its own: the row gives the footer's
 * per-member copies their renderer ("footer:MSGID") and its texts to
 * kith check.  Posts and digests mark their messages (footer_mark).
 */
const struct feature footer_feature = {
	.name = "footer",
	.render = render_copy,
	.render_free = render_free,
	.texts = footer_texts,
	.ntexts = sizeof(footer_texts) / sizeof(footer_texts[0]),
};
