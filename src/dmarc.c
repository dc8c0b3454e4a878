/* dmarc - the author's DMARC policy, and wrapping a post for it. */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpsl.h>

#include "kith/compose.h"
#include "kith/dmarc.h"
#include "kith/lists.h"
#include "kith/log.h"
#include "kith/mime.h"
#include "kith/notice.h"
#include "kith/template.h"
#include "kith/util.h"

#define RECORD_MAX 2048
#define TAGS_MAX 32

/* ---- the record ---- */

/* s[0..n) equals word, ignoring case (ABNF literals are case-blind). */
static int
word_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && !strncasecmp(s, word, n);
}

static int
policy_word(const char *s, size_t n)
{
	if (word_is(s, n, "none"))
		return DMARC_P_NONE;
	if (word_is(s, n, "quarantine"))
		return DMARC_P_QUARANTINE;
	if (word_is(s, n, "reject"))
		return DMARC_P_REJECT;
	return -1;
}

int
dmarc_parse(const char *txt, struct dmarc_record *r)
{
	size_t len = strnlen(txt, RECORD_MAX + 1);
	int tags = 0, p = -1, sp = -1, bad = 0;
	const char *s = txt, *end;

	memset(r, 0, sizeof(*r));
	r->sp = -1;
	r->pct = 100;
	if (len > RECORD_MAX)
		return -1;
	end = txt + len;
	while (s < end && tags < TAGS_MAX) {
		const char *semi = memchr(s, ';', (size_t)(end - s));
		size_t n = semi ? (size_t)(semi - s) : (size_t)(end - s);
		const char *tag = str_trim_span(s, &n), *eq = memchr(tag, '=', n);
		size_t nlen, vlen;
		const char *val;

		s = semi ? semi + 1 : end;
		if (n == 0)
			continue;	/* "v=DMARC1; p=reject;" ends in ";" */
		if (eq == NULL) {
			if (tags == 0)
				return -1;
			continue;
		}
		nlen = (size_t)(eq - tag);
		vlen = n - nlen - 1;
		val = str_trim_span(eq + 1, &vlen);
		tag = str_trim_span(tag, &nlen);
		/* the version must come first and be exactly DMARC1 */
		if (tags++ == 0) {
			/* "DMARC1" is case-sensitive (%x44.4d.41.52.43.31) */
			if (!word_is(tag, nlen, "v") || vlen != 6 ||
			    memcmp(val, "DMARC1", 6))
				return -1;
			continue;
		}
		if (word_is(tag, nlen, "p"))
			p = policy_word(val, vlen);
		else if (word_is(tag, nlen, "sp")) {
			sp = policy_word(val, vlen);
			bad |= sp < 0;
		} else if (word_is(tag, nlen, "adkim"))
			r->adkim_strict = word_is(val, vlen, "s");
		else if (word_is(tag, nlen, "pct")) {
			char num[8];

			if (vlen && vlen < sizeof(num)) {
				memcpy(num, val, vlen);
				num[vlen] = '\0';
				r->pct = atoi(num);
			}
		}
	}
	if (tags == 0)
		return -1;
	/* RFC 7489 6.6.3: no valid p, or a bad sp: as if p=none */
	if (p < 0 || bad) {
		r->p = DMARC_P_NONE;
		r->sp = -1;
		return 0;
	}
	r->p = (enum dmarc_policy)p;
	r->sp = sp;
	return 0;
}

/* ---- organisational domains ---- */

static const psl_ctx_t *psl;
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;

/* The newest list: Debian's publicsuffix file, or libpsl's own copy. */
static void
psl_load(void)
{
	psl = psl_latest(NULL);
	if (psl == NULL)
		psl = psl_builtin();
}

char *
dmarc_org_domain(const char *domain)
{
	char *lower, *org = NULL;
	const char *reg;

	if (domain == NULL || *domain == '\0' || strlen(domain) > 253)
		return NULL;
	pthread_once(&psl_once, psl_load);
	if (psl == NULL)
		return NULL;
	lower = str_lower(xstrdup(domain));
	while (*lower && lower[strlen(lower) - 1] == '.')
		lower[strlen(lower) - 1] = '\0';
	reg = psl_registrable_domain(psl, lower);
	if (reg)
		org = xstrdup(reg);
	free(lower);
	return org;
}

/* ---- the decision ---- */

/*
 * lookup - the one DMARC record at _dmarc.name: 1 and *r, 0 when there is
 * none (or more than one: RFC 7489 6.6.3 applies no policy then), -1 on a
 * temporary failure (why set).
 */
static int
lookup(struct dns *d, const char *name, int64_t now, struct dmarc_record *r,
    char *where, size_t wlen, char *why, size_t whylen)
{
	struct dns_txt t;
	enum dns_status st;
	int found = 0;

	snprintf(where, wlen, "_dmarc.%s", name);
	st = dns_txt(d, where, now, &t);
	if (st == DNS_TEMP) {
		snprintf(why, whylen, "%s: %s", where, t.why);
		dns_txt_release(&t);
		return -1;
	}
	for (size_t i = 0; st == DNS_FOUND && i < t.n; i++) {
		struct dmarc_record one;

		if (dmarc_parse(t.rec[i], &one) == 0 && found++ == 0)
			*r = one;
	}
	dns_txt_release(&t);
	return found == 1;
}

static const char *const policy_names[] = { "none", "quarantine", "reject" };

/* 1 when our signature d=dkim_domain aligns with the author's domain. */
static int
aligned(const char *dkim_domain, const char *domain, const char *org,
    int strict)
{
	char *ours;
	int same;

	if (dkim_domain == NULL || *dkim_domain == '\0')
		return 0;
	if (!strcasecmp(dkim_domain, domain))
		return 1;
	if (strict || org == NULL)
		return 0;
	ours = dmarc_org_domain(dkim_domain);
	same = ours && !strcmp(ours, org);
	free(ours);
	return same;
}

void
dmarc_check(struct dns *d, const char *domain, const char *dkim_domain,
    int64_t now, struct dmarc_result *res)
{
	struct dmarc_record r;
	char *lower, *org;
	int got, sub = 0;

	memset(res, 0, sizeof(*res));
	if (domain == NULL || *domain == '\0') {
		snprintf(res->why, sizeof(res->why), "no author domain");
		return;
	}
	lower = str_lower(xstrdup(domain));
	org = dmarc_org_domain(lower);
	got = lookup(d, lower, now, &r, res->where, sizeof(res->where),
	    res->why, sizeof(res->why));
	if (got == 0 && org && strcmp(org, lower)) {
		got = lookup(d, org, now, &r, res->where, sizeof(res->where),
		    res->why, sizeof(res->why));
		sub = 1;
	}
	if (got < 0) {
		/* the safe side: a needless rewrite still arrives */
		res->temp = res->rewrite = 1;
		goto done;
	}
	if (got == 0) {
		snprintf(res->why, sizeof(res->why), "no DMARC record for "
		    "'%s'", lower);
		goto done;
	}
	res->found = 1;
	res->policy = sub && r.sp >= 0 ? (enum dmarc_policy)r.sp : r.p;
	if (res->policy == DMARC_P_NONE)
		snprintf(res->why, sizeof(res->why), "%s %s=none", res->where,
		    sub && r.sp >= 0 ? "sp" : "p");
	else if (aligned(dkim_domain, lower, org, r.adkim_strict))
		snprintf(res->why, sizeof(res->why), "%s %s=%s, but our DKIM "
		    "signature (d=%s) aligns", res->where, sub && r.sp >= 0 ?
		    "sp" : "p", policy_names[res->policy], dkim_domain);
	else {
		res->rewrite = 1;
		snprintf(res->why, sizeof(res->why), "%s %s=%s", res->where,
		    sub && r.sp >= 0 ? "sp" : "p", policy_names[res->policy]);
	}
done:
	free(lower);
	free(org);
}

/* ---- wrap ---- */

/* The first value of name in m, unfolded, or NULL; caller frees. */
static char *
field(const struct message *m, const char *name)
{
	return message_header(m, name);
}

/* Copy the author's field name onto top, as a structured value. */
static void
keep_field(struct mime_part *top, const struct message *m, const char *name)
{
	char *v = field(m, name);

	if (v) {
		mime_header(top, name, str_trim(v));
		free(v);
	}
}

/* The note above the wrapped post, in the list's words; NULL on error. */
static char *
wrap_note(const struct kith_config *cfg, const struct list_copy_opts *o,
    const struct message *m)
{
	struct template_opts to = { o->list_local, NULL, NULL };
	struct tvars *tv = tv_new();
	struct template_out out;
	char err[512] = "", *text = NULL, *author;

	author = *m->from_name ? xasprintf("%s <%s>", m->from_name,
	    m->from_addr) : xstrdup(m->from_addr);
	tv_str(tv, "author", author);
	tv_str(tv, "list.name", o->list_name);
	tv_str(tv, "list.address", o->list_address);
	if (template_mail(cfg, &to, "dmarc-wrap.txt", tv, &out, err,
	    sizeof(err)) == 0) {
		text = out.body;
		out.body = NULL;
		template_out_release(&out);
	} else
		log_error("dmarc: %s", err);
	tv_free(tv);
	free(author);
	return text;
}

char *
dmarc_wrap(const struct kith_config *cfg, const struct list_copy_opts *o,
    const struct message *m, size_t *len)
{
	static const char *const kept[] = { "To", "Cc", "Date", "In-Reply-To",
		"References", NULL };
	struct mime_part *top, *inner;
	char *note = wrap_note(cfg, o, m), *from, *out;

	if (note == NULL)
		return NULL;
	top = mime_multipart_new("mixed");
	from = xasprintf("%s via %s", *m->from_name ? m->from_name :
	    m->from_addr, o->list_name);
	mime_header_addr(top, "From", from, o->list_address);
	mime_header_addr(top, "Reply-To", NULL, *m->from_addr ? m->from_addr :
	    o->list_address);
	for (int i = 0; kept[i]; i++)
		keep_field(top, m, kept[i]);
	/* the subject decoded and encoded again: never the raw bytes */
	mime_header_text(top, "Subject", m->subject);
	/* the post's own id: replies thread with it, in mail and archive */
	mime_headerf(top, "Message-ID", "<%s>", *m->message_id ?
	    m->message_id : o->message_id);
	mime_part_add(top, mime_text_new("plain", note));
	inner = mime_message_new(m->raw, m->len);
	mime_part_disposition(inner, MIME_INLINE, NULL);
	mime_part_add(top, inner);
	out = mime_detach(top, NULL, len);
	mime_part_free(top);
	free(from);
	free(note);
	return out;
}

const struct template_schema dmarc_schema[] = {
	{ "dmarc-wrap.txt", TF_FIELDS(TF_STR("author")), 0 },
};
const size_t dmarc_nschema = sizeof(dmarc_schema) / sizeof(dmarc_schema[0]);
