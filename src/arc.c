/* arc - verify the chain a post came with, stamp and seal list copies. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/arc.h"
#include "kith/dkim.h"
#include "kith/log.h"
#include "kith/message.h"
#include "kith/util.h"

#define TAGS_MAX 32
#define FIELDS_MAX 1000		/* header fields read for h= selection */

/* The header fields the ARC-Message-Signature covers, when present. */
static const char *const ams_names[] = {
	"From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To",
	"References", "MIME-Version", "Content-Type",
	"Content-Transfer-Encoding", "Reply-To", "List-Id", "List-Post",
	"List-Help", "List-Subscribe", "List-Archive", "DKIM-Signature", NULL
};

static const char *const cv_names[] = { "none", "pass", "fail" };

/* ---- tag=value lists (RFC 6376 3.2) ---- */

struct tag {
	char name[16];
	char *value;		/* trimmed; folding white space kept inside */
};

struct taglist {
	struct tag t[TAGS_MAX];
	int n;
};

static void
tags_release(struct taglist *tl)
{
	for (int i = 0; i < tl->n; i++)
		free(tl->t[i].value);
	tl->n = 0;
}

/* tags_parse - 0 and tl filled, -1 when malformed or a tag repeats. */
static int
tags_parse(const char *v, size_t len, struct taglist *tl)
{
	const char *s = v, *end = v + len;

	tl->n = 0;
	while (s < end) {
		const char *semi = memchr(s, ';', (size_t)(end - s)), *eq;
		size_t n = semi ? (size_t)(semi - s) : (size_t)(end - s), nl, vl;
		const char *seg = str_trim_span(s, &n);

		s = semi ? semi + 1 : end;
		if (n == 0)
			continue;
		if ((eq = memchr(seg, '=', n)) == NULL || tl->n == TAGS_MAX)
			goto bad;
		nl = (size_t)(eq - seg);
		vl = n - nl - 1;
		seg = str_trim_span(seg, &nl);
		if (nl == 0 || nl >= sizeof(tl->t[0].name))
			goto bad;
		for (int i = 0; i < tl->n; i++)
			if (strlen(tl->t[i].name) == nl &&
			    !strncmp(tl->t[i].name, seg, nl))
				goto bad;
		memcpy(tl->t[tl->n].name, seg, nl);
		tl->t[tl->n].name[nl] = '\0';
		eq = str_trim_span(eq + 1, &vl);
		tl->t[tl->n++].value = xstrndup(eq, vl);
	}
	return 0;
bad:
	tags_release(tl);
	return -1;
}

static const char *
tag_get(const struct taglist *tl, const char *name)
{
	for (int i = 0; i < tl->n; i++)
		if (!strcmp(tl->t[i].name, name))
			return tl->t[i].value;
	return NULL;
}

/* s without any white space (base64 values fold); caller frees. */
static char *
no_space(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;

	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			*o++ = *s;
	*o = '\0';
	return out;
}

/*
 * strip_b - value with the b= tag's value (and the white space around
 * it) deleted, as a signature is computed (RFC 6376 3.7); caller frees.
 */
static char *
strip_b(const char *v, size_t len)
{
	const char *s = v, *end = v + len;
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "");
	while (s < end) {
		const char *semi = memchr(s, ';', (size_t)(end - s));
		size_t n = semi ? (size_t)(semi - s) : (size_t)(end - s);
		size_t k = n;
		const char *seg = str_trim_span(s, &k);
		const char *eq = memchr(seg, '=', k);
		size_t nl = eq ? (size_t)(eq - seg) : 0;

		str_trim_span(seg, &nl);
		if (eq && nl == 1 && *seg == 'b')
			buf_add(&b, s, (size_t)(eq + 1 - s));
		else
			buf_add(&b, s, n);
		if (semi)
			buf_addc(&b, ';');
		s = semi ? semi + 1 : end;
	}
	return buf_detach(&b, NULL);
}

/* ---- the ARC header fields of a header block ---- */

struct arc_set {
	struct header_field f[3];	/* AAR, AMS, AS */
	int have[3];
};

enum { AAR, AMS, AS };

static int
arc_kind(const struct header_field *f)
{
	if (header_is(f, "ARC-Authentication-Results"))
		return AAR;
	if (header_is(f, "ARC-Message-Signature"))
		return AMS;
	if (header_is(f, "ARC-Seal"))
		return AS;
	return -1;
}

/* The instance of an ARC field: its i= tag (first, in an AAR); 0 if none. */
static int
instance_of(const struct header_field *f, int kind)
{
	struct taglist tl;
	const char *i;
	char *end;
	long n = 0;

	if (kind == AAR) {
		const char *semi = memchr(f->value, ';', f->value_len);
		size_t len = semi ? (size_t)(semi - f->value) : f->value_len;

		if (tags_parse(f->value, len, &tl) < 0)
			return 0;
	} else if (tags_parse(f->value, f->value_len, &tl) < 0)
		return 0;
	if ((i = tag_get(&tl, "i")) != NULL) {
		n = strtol(i, &end, 10);
		if (*end || n < 1 || n > ARC_MAX_INSTANCE)
			n = 0;
	}
	tags_release(&tl);
	return (int)n;
}

/*
 * collect - the ARC sets of the header block raw[0..hlen) into sets
 * (ARC_MAX_INSTANCE + 1 of them, by instance).  *max gets the highest
 * instance.  -1 when a field has no valid instance or one repeats.
 */
static int
collect(const char *raw, size_t hlen, struct arc_set *sets, int *max)
{
	struct header_iter it;
	struct header_field f;
	int bad = 0;

	memset(sets, 0, (ARC_MAX_INSTANCE + 1) * sizeof(*sets));
	*max = 0;
	header_iter_init(&it, raw, hlen);
	while (header_next(&it, &f)) {
		int kind = arc_kind(&f), i;

		if (kind < 0)
			continue;
		if ((i = instance_of(&f, kind)) == 0) {
			bad = 1;	/* the chain fails; the field is ignored */
			continue;
		}
		if (sets[i].have[kind])
			bad = 1;
		sets[i].have[kind] = 1;
		sets[i].f[kind] = f;
		if (i > *max)
			*max = i;
	}
	return bad ? -1 : 0;
}

/* canon of field f, optionally with b= emptied and no CRLF, into b */
static void
add_canon(struct buf *b, const struct header_field *f, int unsigned_last)
{
	char *v = unsigned_last ? strip_b(f->value, f->value_len) : NULL;
	char *c = dkim_canon_field(f->name, f->name_len, v ? v : f->value,
	    v ? strlen(v) : f->value_len);
	size_t n = strlen(c);

	buf_add(b, c, unsigned_last ? n - 2 : n);
	free(c);
	free(v);
}

/* ---- verification ---- */

/*
 * key_of - the public key (p=) of selector s at domain d: 1 and *p
 * (caller frees), 0 when there is none or it is revoked, -1 when DNS
 * gave no answer.
 */
static int
key_of(struct dns *d, const char *s, const char *dom, int64_t now, char **p)
{
	char *name = xasprintf("%s._domainkey.%s", s, dom);
	struct dns_txt t;
	enum dns_status st = dns_txt(d, name, now, &t);
	int r = st == DNS_TEMP ? -1 : 0;

	for (size_t i = 0; st == DNS_FOUND && i < t.n && r == 0; i++) {
		struct taglist tl;
		const char *k, *key, *v;

		if (tags_parse(t.rec[i], strlen(t.rec[i]), &tl) < 0)
			continue;
		v = tag_get(&tl, "v");
		k = tag_get(&tl, "k");
		key = tag_get(&tl, "p");
		if ((v == NULL || !strcmp(v, "DKIM1")) && (k == NULL ||
		    !strcmp(k, "rsa")) && key && *key) {
			*p = no_space(key);
			r = 1;
		}
		tags_release(&tl);
	}
	dns_txt_release(&t);
	free(name);
	return r;
}

/*
 * check_sig - the signature in tags tl over input, with the key its d=
 * and s= name.  0 when it verifies, else -1 with why.
 */
static int
check_sig(struct dns *d, const struct taglist *tl, const struct buf *input,
    int64_t now, const char *what, char *why, size_t whylen)
{
	const char *a = tag_get(tl, "a"), *dom = tag_get(tl, "d"),
	    *sel = tag_get(tl, "s"), *b = tag_get(tl, "b");
	char *key = NULL, *sig;
	int r;

	if (a == NULL || strcmp(a, "rsa-sha256") || dom == NULL ||
	    sel == NULL || b == NULL) {
		snprintf(why, whylen, "%s: not rsa-sha256 with d=, s= and b=",
		    what);
		return -1;
	}
	r = key_of(d, sel, dom, now, &key);
	if (r <= 0) {
		snprintf(why, whylen, "%s: %s key %s._domainkey.%s", what,
		    r < 0 ? "no DNS answer for the" : "no", sel, dom);
		return -1;
	}
	sig = no_space(b);
	r = dkim_verify_data(key, input->data, input->len, sig);
	free(sig);
	free(key);
	if (r != 1) {
		snprintf(why, whylen, "%s: the signature (d=%s) does not "
		    "verify", what, dom);
		return -1;
	}
	return 0;
}

/*
 * pick_headers - the fields named in h (colon-separated) from the header
 * block, each name taking the next instance from the bottom up (RFC 6376
 * 5.4.2), canonicalised into b.
 */
static void
pick_headers(struct buf *b, const char *raw, size_t hlen, const char *h)
{
	struct header_field *all = xcalloc(FIELDS_MAX, sizeof(*all));
	char *used = xcalloc(FIELDS_MAX, 1), *names = xstrdup(h), *save = NULL;
	struct header_iter it;
	size_t n = 0;

	header_iter_init(&it, raw, hlen);
	while (n < FIELDS_MAX && header_next(&it, &all[n]))
		n++;
	for (char *name = strtok_r(names, ":", &save); name;
	    name = strtok_r(NULL, ":", &save)) {
		name = str_trim(name);
		for (size_t i = n; i-- > 0;)
			if (!used[i] && header_is(&all[i], name)) {
				used[i] = 1;
				add_canon(b, &all[i], 0);
				break;
			}
	}
	free(names);
	free(used);
	free(all);
}

/* The newest AMS against the message as received: 0, or -1 with why. */
static int
verify_ams(struct dns *d, const char *raw, size_t len,
    const struct header_field *ams, int64_t now, char *why, size_t whylen)
{
	size_t hlen = header_block_end(raw, len);
	struct taglist tl;
	const char *c, *h, *bh;
	char hash[64], *want = NULL;
	struct buf in;
	int r = -1;

	if (tags_parse(ams->value, ams->value_len, &tl) < 0) {
		snprintf(why, whylen, "ARC-Message-Signature: malformed");
		return -1;
	}
	buf_init(&in);
	c = tag_get(&tl, "c");
	h = tag_get(&tl, "h");
	bh = tag_get(&tl, "bh");
	if ((c && strcmp(c, "relaxed/relaxed")) || h == NULL || bh == NULL ||
	    tag_get(&tl, "l")) {
		snprintf(why, whylen, "ARC-Message-Signature: not "
		    "relaxed/relaxed with h= and bh=");
		goto done;
	}
	dkim_body_hash(raw + hlen, len - hlen, 0, hash);
	want = no_space(bh);
	if (strcmp(hash, want)) {
		snprintf(why, whylen, "ARC-Message-Signature: the body "
		    "changed since it was signed");
		goto done;
	}
	pick_headers(&in, raw, hlen, h);
	add_canon(&in, ams, 1);
	r = check_sig(d, &tl, &in, now, "ARC-Message-Signature", why, whylen);
done:
	free(want);
	buf_release(&in);
	tags_release(&tl);
	return r;
}

/* ARC-Seal i over sets 1..i (only i when its cv is fail): 0 or -1. */
static int
verify_seal(struct dns *d, const struct arc_set *sets, int i, int64_t now,
    enum arc_cv *cv, char *why, size_t whylen)
{
	struct taglist tl;
	const char *v;
	struct buf in;
	int r = -1;

	if (tags_parse(sets[i].f[AS].value, sets[i].f[AS].value_len, &tl) < 0) {
		snprintf(why, whylen, "ARC-Seal i=%d: malformed", i);
		return -1;
	}
	buf_init(&in);
	v = tag_get(&tl, "cv");
	*cv = v == NULL ? ARC_FAIL : !strcmp(v, "none") ? ARC_NONE :
	    !strcmp(v, "pass") ? ARC_PASS : ARC_FAIL;
	if (tag_get(&tl, "h")) {
		snprintf(why, whylen, "ARC-Seal i=%d: h= is not allowed", i);
		goto done;
	}
	for (int j = *cv == ARC_FAIL ? i : 1; j <= i; j++) {
		add_canon(&in, &sets[j].f[AAR], 0);
		add_canon(&in, &sets[j].f[AMS], 0);
		add_canon(&in, &sets[j].f[AS], j == i);
	}
	{
		char what[32];

		snprintf(what, sizeof(what), "ARC-Seal i=%d", i);
		r = check_sig(d, &tl, &in, now, what, why, whylen);
	}
done:
	buf_release(&in);
	tags_release(&tl);
	return r;
}

enum arc_cv
arc_verify(struct dns *d, const char *raw, size_t len, int64_t now,
    int *max, char *why, size_t whylen)
{
	struct arc_set *sets = xcalloc(ARC_MAX_INSTANCE + 1, sizeof(*sets));
	size_t hlen = header_block_end(raw, len);
	enum arc_cv result = ARC_FAIL;
	int n;

	*why = '\0';
	if (collect(raw, hlen, sets, &n) < 0) {
		snprintf(why, whylen, "an ARC header field without a valid "
		    "or with a repeated instance");
		*max = n;
		goto done;
	}
	*max = n;
	if (n == 0) {
		result = ARC_NONE;
		goto done;
	}
	for (int i = 1; i <= n; i++)
		if (!sets[i].have[AAR] || !sets[i].have[AMS] ||
		    !sets[i].have[AS]) {
			snprintf(why, whylen, "ARC set i=%d is incomplete", i);
			goto done;
		}
	if (verify_ams(d, raw, len, &sets[n].f[AMS], now, why, whylen) < 0)
		goto done;
	for (int i = n; i >= 1; i--) {
		enum arc_cv cv;

		if (verify_seal(d, sets, i, now, &cv, why, whylen) < 0)
			goto done;
		if (cv == ARC_FAIL || (i == 1) != (cv == ARC_NONE)) {
			snprintf(why, whylen, "ARC-Seal i=%d says cv=%s", i,
			    cv_names[cv]);
			goto done;
		}
	}
	result = ARC_PASS;
done:
	free(sets);
	return result;
}

/* ---- the stamp: ARC-Authentication-Results ---- */

/* v without comments, line breaks as spaces, runs of space as one. */
static char *
ar_clean(const char *v, size_t len)
{
	struct buf b;
	int depth = 0, quoted = 0;

	buf_init(&b);
	buf_adds(&b, "");
	for (size_t i = 0; i < len; i++) {
		char c = v[i];

		if ((unsigned char)c < 0x20 || c == 0x7f)
			c = ' ';
		if (c == '\\' && i + 1 < len && (quoted || depth)) {
			if (!depth) {
				buf_addc(&b, c);
				buf_addc(&b, v[i + 1]);
			}
			i++;
			continue;
		}
		if (!quoted && c == '(') {
			depth++;
			continue;
		}
		if (!quoted && depth) {
			depth -= c == ')';
			continue;
		}
		if (c == '"')
			quoted = !quoted;
		if (c == ' ' && (b.len == 0 || b.data[b.len - 1] == ' '))
			continue;
		buf_addc(&b, c);
	}
	return buf_detach(&b, NULL);
}

/*
 * our_results - the resinfos of our MTA's Authentication-Results (those
 * above any other host's, as membership_sender_proven reads them), "; "
 * separated, without arc= (ours replaces it) and "none".
 */
static void
our_results(struct buf *out, const char *authserv_id, const char *raw,
    size_t len)
{
	struct header_iter it;
	struct header_field f;
	int ours = 0;

	if (*authserv_id == '\0')
		return;
	header_iter_init(&it, raw, header_block_end(raw, len));
	while (header_next(&it, &f)) {
		char *v, *save = NULL, *part;
		int first = 1;

		if (header_is(&f, "Received")) {
			if (ours)
				return;
			continue;
		}
		if (!header_is(&f, "Authentication-Results"))
			continue;
		v = ar_clean(f.value, f.value_len);
		for (part = strtok_r(v, ";", &save); part;
		    part = strtok_r(NULL, ";", &save), first = 0) {
			part = str_trim(part);
			if (first) {
				char *sp = strchr(part, ' ');

				if (sp)
					*sp = '\0';	/* a version after the id */
				if (strcasecmp(part, authserv_id)) {
					free(v);
					return;	/* another host's: ours are above */
				}
				ours = 1;
				continue;
			}
			if (*part == '\0' || !strcasecmp(part, "none") ||
			    !strncasecmp(part, "arc=", 4))
				continue;
			buf_addf(out, "; %s", part);
		}
		free(v);
	}
}

char *
arc_stamp(struct dns *d, const char *authserv_id, const char *fallback_id,
    const char *raw, size_t len, const char *eol, int64_t now,
    enum arc_cv *cv)
{
	char why[256] = "";
	struct buf b, folded;
	int max = 0;

	*cv = arc_verify(d, raw, len, now, &max, why, sizeof(why));
	if (max + 1 > ARC_MAX_INSTANCE) {
		log_info("arc: no ARC set added: the chain has %d already",
		    max);
		return NULL;
	}
	if (*why)
		log_info("arc: the chain fails: %s", why);
	buf_init(&b);
	buf_addf(&b, "ARC-Authentication-Results: i=%d; %s; arc=%s", max + 1,
	    *authserv_id ? authserv_id : fallback_id, cv_names[*cv]);
	our_results(&b, authserv_id, raw, len);
	/* one line per resinfo reads better and keeps lines short */
	buf_init(&folded);
	for (size_t i = 0, semis = 0; i < b.len; i++) {
		buf_addc(&folded, b.data[i]);
		if (b.data[i] == ';' && ++semis > 1 && i + 1 < b.len &&
		    b.data[i + 1] == ' ') {
			buf_adds(&folded, eol);
			buf_addc(&folded, '\t');
			i++;
		}
	}
	buf_adds(&folded, eol);
	buf_release(&b);
	return buf_detach(&folded, NULL);
}

/* ---- the seal: ARC-Message-Signature and ARC-Seal ---- */

/* "Name: value" as a header field (for canonicalisation) */
static void
field_of(struct header_field *f, const char *line)
{
	const char *colon = strchr(line, ':');
	size_t n = strlen(line);

	memset(f, 0, sizeof(*f));
	f->name = line;
	f->name_len = (size_t)(colon - line);
	f->value = colon + 1;
	f->value_len = n - f->name_len - 1;
	while (f->value_len && (f->value[f->value_len - 1] == '\n' ||
	    f->value[f->value_len - 1] == '\r'))
		f->value_len--;
}

/* The names of ams_names present in the header block, colon-separated. */
static char *
ams_header_list(const char *data, size_t hlen)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "");
	for (int i = 0; ams_names[i]; i++) {
		struct header_iter it;
		struct header_field f;

		header_iter_init(&it, data, hlen);
		while (header_next(&it, &f))
			if (header_is(&f, ams_names[i])) {
				buf_addf(&b, "%s%s", b.len ? ":" : "",
				    ams_names[i]);
				break;
			}
	}
	return buf_detach(&b, NULL);
}

/* Sign the header line hdr (ending in "b=") over input; the line with b. */
static char *
sign_line(const struct dkim_key *k, struct buf *input, const char *hdr)
{
	struct header_field f;
	char *sig, *line;

	field_of(&f, hdr);
	add_canon(input, &f, 1);
	sig = dkim_sign_data(k, input->data, input->len);
	if (sig == NULL)
		return NULL;
	line = xasprintf("%s%s\r\n", hdr, sig);
	free(sig);
	return line;
}

/* cv for our stamp at instance n: none at 1, else its arc= result. */
static enum arc_cv
stamp_cv(const struct header_field *aar, int n)
{
	char *v;
	enum arc_cv cv = ARC_FAIL;

	if (n == 1)
		return ARC_NONE;
	v = ar_clean(aar->value, aar->value_len);
	for (char *p = v; (p = strstr(p, "arc=")) != NULL; p += 4)
		if (p == v || p[-1] == ' ' || p[-1] == ';') {
			cv = !strncmp(p + 4, "pass", 4) && (p[8] == '\0' ||
			    p[8] == ';' || p[8] == ' ') ? ARC_PASS : ARC_FAIL;
			break;
		}
	free(v);
	return cv;
}

char *
arc_seal(const struct dkim_key *k, const char *data, size_t len,
    int smtp_lines, int64_t now)
{
	struct arc_set *sets = xcalloc(ARC_MAX_INSTANCE + 1, sizeof(*sets));
	size_t hlen = header_block_end(data, len);
	char *h = NULL, *ams = NULL, *as = NULL, *out = NULL, bh[64], *hdr;
	struct header_field amsf;
	enum arc_cv cv;
	struct buf in;
	int n;

	buf_init(&in);
	collect(data, hlen, sets, &n);
	/* only a stamp of ours, alone at the top instance, is sealed */
	if (n == 0 || !sets[n].have[AAR] || sets[n].have[AMS] ||
	    sets[n].have[AS])
		goto done;
	cv = stamp_cv(&sets[n].f[AAR], n);
	dkim_body_hash(data + hlen, len - hlen, smtp_lines, bh);
	h = ams_header_list(data, hlen);
	pick_headers(&in, data, hlen, h);
	hdr = xasprintf("ARC-Message-Signature: i=%d; a=rsa-sha256; "
	    "c=relaxed/relaxed; d=%s; s=%s;\r\n\tt=%lld; h=%s;\r\n\tbh=%s;"
	    "\r\n\tb=", n, dkim_key_domain(k), dkim_key_selector(k),
	    (long long)now, h, bh);
	ams = sign_line(k, &in, hdr);
	free(hdr);
	if (ams == NULL)
		goto fail;
	field_of(&amsf, ams);
	sets[n].f[AMS] = amsf;
	buf_reset(&in);
	for (int j = cv == ARC_FAIL ? n : 1; j < n; j++) {
		add_canon(&in, &sets[j].f[AAR], 0);
		add_canon(&in, &sets[j].f[AMS], 0);
		add_canon(&in, &sets[j].f[AS], 0);
	}
	add_canon(&in, &sets[n].f[AAR], 0);
	add_canon(&in, &amsf, 0);
	hdr = xasprintf("ARC-Seal: i=%d; a=rsa-sha256; t=%lld; cv=%s;\r\n\t"
	    "d=%s; s=%s;\r\n\tb=", n, (long long)now, cv_names[cv],
	    dkim_key_domain(k), dkim_key_selector(k));
	as = sign_line(k, &in, hdr);
	free(hdr);
	if (as == NULL)
		goto fail;
	out = xasprintf("%s%s", as, ams);
	goto done;
fail:
	log_error("arc: signing failed; the copy goes out without its ARC "
	    "set");
done:
	buf_release(&in);
	free(h);
	free(ams);
	free(as);
	free(sets);
	return out;
}

struct arc_cache {
	int64_t msg_id;
	char *seal;		/* NULL: the message has nothing to seal */
};

struct arc_cache *
arc_cache_new(void)
{
	return xcalloc(1, sizeof(struct arc_cache));
}

void
arc_cache_free(struct arc_cache *c)
{
	if (c) {
		free(c->seal);
		free(c);
	}
}

char *
arc_cache_seal(struct arc_cache *c, const struct dkim_key *k, int64_t msg_id,
    const char *data, size_t len, int smtp_lines, int64_t now)
{
	if (c->msg_id != msg_id || msg_id <= 0) {
		free(c->seal);
		c->seal = arc_seal(k, data, len, smtp_lines, now);
		c->msg_id = msg_id;
	}
	return c->seal ? xstrdup(c->seal) : NULL;
}

char *
arc_head(struct arc_cache **c, const struct dkim_key *k, int64_t msg_id,
    const char *data, size_t len, const char *own, size_t own_len,
    int smtp_lines, int64_t now, char *head)
{
	char *seal, *all;

	if (own)
		seal = arc_seal(k, own, own_len, smtp_lines, now);
	else {
		if (*c == NULL)
			*c = arc_cache_new();
		seal = arc_cache_seal(*c, k, msg_id, data, len, smtp_lines, now);
	}
	if (seal == NULL)
		return head;
	all = xasprintf("%s%s", seal, head ? head : "");
	free(seal);
	free(head);
	return all;
}
