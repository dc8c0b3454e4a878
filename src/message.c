/* message - raw header access and a libetpan parse of what Kith needs. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libetpan/libetpan.h>

#include "kith/address.h"
#include "kith/html.h"
#include "kith/log.h"
#include "kith/message.h"
#include "kith/mimeshape.h"
#include "kith/rfc2047.h"
#include "kith/util.h"

#define TEXT_MAX (1024 * 1024)	/* indexed text per post */
/* Headers read field by field; Postfix keeps 100 KB (header_size_limit). */
#define HEADER_PARSE_MAX (256 * 1024)

/*
 * The parse of the message being handled, so that reading its parts
 * again (message_find_part, message_attachments, a second message_parse
 * of the same bytes) costs no second parse.  Set by message_parse, kept
 * until that message is released.  Compared by address and length only.
 * One a thread: kith serve parses on its LMTP connections' threads, its
 * committer and its web threads at once.
 */
static _Thread_local struct {
	const char *raw;
	size_t len;
	struct mailmime *tree;		/* NULL when opaque */
	int opaque;
	int set;
	const struct message *owner;	/* compared, never read */
} memo;

void
header_iter_init(struct header_iter *it, const char *raw, size_t len)
{
	it->p = raw;
	it->end = raw + len;
}

static const char *
line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl + 1 : end;
}

int
header_next(struct header_iter *it, struct header_field *f)
{
	const char *p = it->p, *colon, *name_end, *next, *vend;

	if (p >= it->end || *p == '\n' || (*p == '\r' && p + 1 < it->end &&
	    p[1] == '\n'))
		return 0;
	colon = p;
	while (colon < it->end && *colon != ':' && *colon != '\n' &&
	    (unsigned char)*colon > 32 && (unsigned char)*colon < 127)
		colon++;
	name_end = colon;
	/* RFC 822 obsolete syntax: white space between name and colon. */
	while (colon < it->end && (*colon == ' ' || *colon == '\t'))
		colon++;
	if (colon >= it->end || *colon != ':' || name_end == p)
		return 0;
	next = line_end(colon, it->end);
	/* Continuation lines start with white space. */
	while (next < it->end && (*next == ' ' || *next == '\t'))
		next = line_end(next, it->end);
	vend = next;
	if (vend > colon && vend[-1] == '\n')
		vend--;
	if (vend > colon && vend[-1] == '\r')
		vend--;
	f->name = p;
	f->name_len = (size_t)(name_end - p);
	f->value = colon + 1;
	f->value_len = (size_t)(vend - f->value);
	f->start = p;
	f->len = (size_t)(next - p);
	it->p = next;
	return 1;
}

int
header_is(const struct header_field *f, const char *name)
{
	return strlen(name) == f->name_len &&
	    strncasecmp(f->name, name, f->name_len) == 0;
}

size_t
header_block_end(const char *raw, size_t len)
{
	struct header_iter it;
	struct header_field f;

	header_iter_init(&it, raw, len);
	while (header_next(&it, &f))
		;
	if (it.p < it.end && *it.p == '\n')
		return (size_t)(it.p + 1 - raw);
	if (it.p + 1 < it.end && it.p[0] == '\r' && it.p[1] == '\n')
		return (size_t)(it.p + 2 - raw);
	return (size_t)(it.p - raw);
}

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

size_t
header_fold_at(const char *s, size_t n, size_t width)
{
	size_t k;

	if (n <= width)
		return 0;
	/* A fold goes before white space that follows a non-blank, so that
	 * no line of the folded field is blank. */
	for (k = width; k > 0; k--)
		if (is_wsp(s[k]) && !is_wsp(s[k - 1]))
			return k;
	for (k = width + 1; k < n; k++)
		if (is_wsp(s[k]) && !is_wsp(s[k - 1]))
			return k;
	return 0;
}

/* 1 when line s[0..n) is at most 998 octets or can be folded to that. */
static int
header_line_foldable(const char *s, size_t n)
{
	while (n > HEADER_LINE_MAX) {
		size_t k = header_fold_at(s, n, HEADER_LINE_MAX);

		if (k == 0 || k > HEADER_LINE_MAX)
			return 0;
		s += k;
		n -= k;
	}
	return 1;
}

const char *
message_eol(const char *raw, size_t len)
{
	const char *nl = memchr(raw, '\n', len);

	return nl && nl > raw && nl[-1] == '\r' ? "\r\n" : "\n";
}

static char *
unfold(const char *v, size_t n)
{
	char *s = xmalloc(n + 1);
	size_t j = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i] != '\r' && v[i] != '\n')
			s[j++] = v[i];
	s[j] = '\0';
	return s;
}

char *
message_header(const struct message *m, const char *name)
{
	struct header_iter it;
	struct header_field f;

	header_iter_init(&it, m->raw, m->body_off);
	while (header_next(&it, &f))
		if (header_is(&f, name)) {
			char *v = unfold(f.value, f.value_len), *t;

			t = xstrdup(str_trim(v));
			free(v);
			return t;
		}
	return NULL;
}

/* First <id> in s, without brackets; "" when none. */
static char *
first_msgid(const char *s)
{
	const char *lt = strchr(s, '<'), *gt;

	if (lt && (gt = strchr(lt, '>')) && gt > lt + 1)
		return xstrndup(lt + 1, (size_t)(gt - lt - 1));
	return xstrdup("");
}

static char *
all_msgids(const char *s)
{
	struct buf b;
	const char *lt, *gt;

	buf_init(&b);
	while ((lt = strchr(s, '<')) && (gt = strchr(lt, '>'))) {
		if (gt > lt + 1) {
			if (b.len)
				buf_addc(&b, ' ');
			buf_add(&b, lt + 1, (size_t)(gt - lt - 1));
		}
		s = gt + 1;
	}
	return b.data ? buf_detach(&b, NULL) : xstrdup("");
}

static int64_t
date_to_epoch(const struct mailimf_date_time *d)
{
	struct tm tm;
	int zone = d->dt_zone, sign = zone < 0 ? -1 : 1;
	int64_t t;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = d->dt_year - 1900;
	tm.tm_mon = d->dt_month - 1;
	tm.tm_mday = d->dt_day;
	tm.tm_hour = d->dt_hour;
	tm.tm_min = d->dt_min;
	tm.tm_sec = d->dt_sec;
	t = (int64_t)timegm(&tm);
	zone *= sign;
	return t - sign * ((zone / 100) * 3600 + (zone % 100) * 60);
}

static void
read_from(struct message *m, const struct mailimf_single_fields *sf)
{
	struct mailimf_mailbox *mb;
	clistiter *it;

	if (!sf->fld_from || !sf->fld_from->frm_mb_list)
		return;
	it = clist_begin(sf->fld_from->frm_mb_list->mb_list);
	if (!it)
		return;
	mb = clist_content(it);
	if (mb->mb_addr_spec) {
		char *a = address_normalize(mb->mb_addr_spec);

		if (a) {
			free(m->from_addr);
			m->from_addr = a;
		}
	}
	if (mb->mb_display_name) {
		free(m->from_name);
		m->from_name = rfc2047_decode(mb->mb_display_name,
		    strlen(mb->mb_display_name));
	}
}

/* Decode one leaf's transfer encoding and charset into out. */
static void
part_text(struct buf *out, struct mailmime *part, int html)
{
	struct mailmime_data *d = part->mm_data.mm_single;
	const char *charset;
	char *dec = NULL, *conv = NULL;
	size_t idx = 0, declen = 0, convlen = 0;
	int enc;

	size_t inlen, room = out->len < TEXT_MAX ? TEXT_MAX - out->len : 0;

	if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT || room == 0)
		return;
	/* Only what the index keeps is decoded: base64 takes 4 bytes for
	 * 3, quoted-printable up to 3 ("=XX") for 1. */
	enc = d->dt_encoded ? d->dt_encoding : MAILMIME_MECHANISM_8BIT;
	inlen = d->dt_data.dt_text.dt_length;
	if (enc == MAILMIME_MECHANISM_BASE64 && inlen / 4 > room / 3 + 1)
		inlen = (room / 3 + 1) * 4;
	else if (enc == MAILMIME_MECHANISM_QUOTED_PRINTABLE && inlen / 3 > room)
		inlen = 3 * room + 3;
	else if (enc != MAILMIME_MECHANISM_BASE64 &&
	    enc != MAILMIME_MECHANISM_QUOTED_PRINTABLE && inlen > room)
		inlen = room;
	if (mailmime_part_parse(d->dt_data.dt_text.dt_data, inlen, &idx, enc,
	    &dec, &declen) != MAILIMF_NO_ERROR)
		return;
	if (declen > room)
		declen = room;
	charset = part->mm_content_type ?
	    mailmime_content_charset_get(part->mm_content_type) : "us-ascii";
	if (charset && strcasecmp(charset, "utf-8") &&
	    strcasecmp(charset, "us-ascii") &&
	    charconv_buffer("utf-8", charset, dec, declen, &conv, &convlen) !=
	    MAIL_CHARCONV_NO_ERROR) {
		/* Unknown charsets happen (unknown-8bit): read as cp1252. */
		if (charconv_buffer("utf-8", "windows-1252", dec, declen, &conv,
		    &convlen) != MAIL_CHARCONV_NO_ERROR)
			conv = NULL;
	}
	if (out->len)
		buf_addc(out, '\n');
	if (html)
		html_to_text(out, conv ? conv : dec, conv ? convlen : declen);
	else
		buf_add(out, conv ? conv : dec, conv ? convlen : declen);
	if (conv)
		charconv_buffer_free(conv);
	mmap_string_unref(dec);
}

static int
is_attachment(struct mailmime *part)
{
	struct mailmime_disposition *disp;

	if (!part->mm_mime_fields)
		return 0;
	for (clistiter *it = clist_begin(part->mm_mime_fields->fld_list); it;
	    it = clist_next(it)) {
		struct mailmime_field *f = clist_content(it);

		if (f->fld_type != MAILMIME_FIELD_DISPOSITION)
			continue;
		disp = f->fld_data.fld_disposition;
		return disp && disp->dsp_type &&
		    disp->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_ATTACHMENT;
	}
	return 0;
}

static int
is_text(struct mailmime *part, const char *subtype)
{
	struct mailmime_content *ct = part->mm_content_type;

	if (ct == NULL)		/* no Content-Type: text/plain by default */
		return strcmp(subtype, "plain") == 0;
	return ct->ct_type && ct->ct_type->tp_type ==
	    MAILMIME_TYPE_DISCRETE_TYPE && ct->ct_type->tp_data.tp_discrete_type
	    && ct->ct_type->tp_data.tp_discrete_type->dt_type ==
	    MAILMIME_DISCRETE_TYPE_TEXT && ct->ct_subtype &&
	    strcasecmp(ct->ct_subtype, subtype) == 0;
}

/* Collect text/plain leaves; html_only when the body has no plain part. */
static void
walk_text(struct buf *out, struct mailmime *mime, int want_html, int depth)
{
	if (mime == NULL || depth > 20 || out->len > TEXT_MAX)
		return;
	switch (mime->mm_type) {
	case MAILMIME_SINGLE:
		if (is_attachment(mime))
			return;
		if (is_text(mime, want_html ? "html" : "plain"))
			part_text(out, mime, want_html);
		return;
	case MAILMIME_MULTIPLE:
		for (clistiter *it = clist_begin(mime->mm_data.mm_multipart.mm_mp_list);
		    it; it = clist_next(it))
			walk_text(out, clist_content(it), want_html, depth + 1);
		return;
	case MAILMIME_MESSAGE:
		/* Only the top-level message: forwarded ones are attachments. */
		if (depth == 0)
			walk_text(out, mime->mm_data.mm_message.mm_msg_mime,
			    want_html, depth + 1);
		return;
	}
}

int
message_header_foldable(const struct message *m, char *err, size_t errlen)
{
	const char *raw = m->raw;
	size_t hlen = m->body_off;

	for (size_t i = 0; i < hlen;) {
		const char *nl = memchr(raw + i, '\n', hlen - i);
		size_t end = nl ? (size_t)(nl - raw) : hlen, n = end - i;

		if (n && raw[end - 1] == '\r')
			n--;
		if (!header_line_foldable(raw + i, n)) {
			snprintf(err, errlen, "a header line of %zu characters "
			    "cannot be folded to the 998 SMTP allows (no white "
			    "space)", n);
			return -1;
		}
		i = end + 1;
	}
	return 0;
}

/*
 * header_block_valid - is this mail at all?  A stray bad line inside a
 * header is tolerated (it starts the body, as in other MTAs); no header
 * field at all, or NUL bytes in the header, is garbage for quarantine.
 */
static int
header_block_valid(const char *raw, size_t len, size_t body_off,
    char *err, size_t errlen)
{
	struct header_iter it;
	struct header_field f;
	int n = 0;

	if (memchr(raw, '\0', body_off)) {
		snprintf(err, errlen, "NUL byte in the header");
		return -1;
	}
	header_iter_init(&it, raw, len);
	while (header_next(&it, &f))
		n++;
	if (n == 0) {
		snprintf(err, errlen, "no header fields: not a mail message");
		return -1;
	}
	return 0;
}

/*
 * tree_parse - libetpan's parse of raw, when its shape is within the
 * limits (mimeshape.h); *opaque and no tree when it is not.  0, or -1
 * with err when libetpan cannot parse it at all.
 */
static int
tree_parse(const char *raw, size_t len, struct mailmime **tree, int *opaque,
    char *err, size_t errlen)
{
	struct mimeshape shape;
	size_t idx = 0;

	*tree = NULL;
	memset(&shape, 0, sizeof(shape));
	if (header_block_end(raw, len) > HEADER_PARSE_MAX)
		shape.why = "the header is over 256 KB";
	*opaque = shape.why || mimeshape_check(raw, len, MIME_DEPTH_MAX,
	    MIME_PARTS_MAX, &shape) < 0;
	if (*opaque) {
		log_info("message: only the header is read: %s (limits: %d "
		    "MIME levels, %d parts, 256 KB of header)", shape.why,
		    MIME_DEPTH_MAX, MIME_PARTS_MAX);
		return 0;
	}
	if (mailmime_parse(raw, len, &idx, tree) != MAILIMF_NO_ERROR ||
	    *tree == NULL || (*tree)->mm_type != MAILMIME_MESSAGE) {
		snprintf(err, errlen, "MIME structure cannot be parsed");
		if (*tree)
			mailmime_free(*tree);
		*tree = NULL;
		return -1;
	}
	return 0;
}

/* The tree of raw: the memo's when it is the same bytes, else a new one
 * that *owned says the caller frees. */
static int
tree_get(const char *raw, size_t len, struct mailmime **tree, int *opaque,
    int *owned)
{
	char err[64] = "";

	*owned = 0;
	if (memo.set && memo.raw == raw && memo.len == len) {
		*tree = memo.tree;
		*opaque = memo.opaque;
		return 0;
	}
	if (tree_parse(raw, len, tree, opaque, err, sizeof(err)) < 0)
		return -1;
	*owned = *tree != NULL;
	return 0;
}

/* How much of a header of hlen bytes to parse: whole lines, bounded. */
static size_t
head_prefix(const char *raw, size_t hlen)
{
	const char *nl;

	if (hlen <= HEADER_PARSE_MAX)
		return hlen;
	nl = memrchr(raw, '\n', HEADER_PARSE_MAX);
	return nl ? (size_t)(nl + 1 - raw) : HEADER_PARSE_MAX;
}

/* From, Message-ID, threading, Subject and Date out of the header. */
static void
read_header(struct message *m, struct mailimf_fields *fields)
{
	struct mailimf_single_fields sf;
	char *v;

	mailimf_single_fields_init(&sf, fields);
	read_from(m, &sf);
	if ((v = message_header(m, "Message-ID"))) {
		free(m->message_id);
		m->message_id = first_msgid(v);
		free(v);
	}
	if ((v = message_header(m, "In-Reply-To"))) {
		free(m->in_reply_to);
		m->in_reply_to = first_msgid(v);
		free(v);
	}
	if ((v = message_header(m, "References"))) {
		free(m->references);
		m->references = all_msgids(v);
		free(v);
	}
	if ((v = message_header(m, "Subject"))) {
		free(m->subject);
		m->subject = rfc2047_decode(v, strlen(v));
		free(v);
	}
	if (sf.fld_orig_date && sf.fld_orig_date->dt_date_time)
		m->date = date_to_epoch(sf.fld_orig_date->dt_date_time);
}

/* The decoded text of tree, at most TEXT_MAX bytes of it. */
static char *
tree_text(struct mailmime *tree)
{
	struct buf text;
	char *out;

	buf_init(&text);
	walk_text(&text, tree, 0, 0);
	if (text.len == 0)
		walk_text(&text, tree, 1, 0);
	out = utf8_sanitize(text.data ? text.data : "", text.len);
	buf_release(&text);
	return out;
}

int
message_parse(struct message *m, const char *raw, size_t len, char *err,
    size_t errlen)
{
	struct mailmime *tree = NULL;
	struct mailimf_fields *fields = NULL;
	int owned = 0;
	size_t idx = 0;

	memset(m, 0, sizeof(*m));
	m->raw = raw;
	m->len = m->size = len;
	m->message_id = xstrdup("");
	m->from_addr = xstrdup("");
	m->from_name = xstrdup("");
	m->subject = xstrdup("");
	m->in_reply_to = xstrdup("");
	m->references = xstrdup("");
	m->body_off = header_block_end(raw, len);
	m->eol = message_eol(raw, len);
	if (len == 0) {
		snprintf(err, errlen, "empty message");
		goto fail;
	}
	if (header_block_valid(raw, len, m->body_off, err, errlen) < 0)
		goto fail;
	if (memo.set && memo.raw == raw && memo.len == len) {
		tree = memo.tree;
		m->opaque = memo.opaque;
	} else if (tree_parse(raw, len, &tree, &m->opaque, err, errlen) < 0)
		goto fail;
	else
		owned = 1;
	if (tree)
		fields = tree->mm_data.mm_message.mm_fields;
	else if (mailimf_fields_parse(raw, head_prefix(raw, m->body_off), &idx,
	    &fields) != MAILIMF_NO_ERROR)
		fields = NULL;
	read_header(m, fields);
	if (tree == NULL && fields)
		mailimf_fields_free(fields);
	/* An opaque message's body is not read: no text, no commands. */
	m->text = tree ? tree_text(tree) : xstrdup("");
	if (owned) {
		/* A parse of other bytes replaces the memo; nobody holds its
		 * tree beyond one call. */
		if (memo.set && memo.tree)
			mailmime_free(memo.tree);
		memo.raw = raw;
		memo.len = len;
		memo.tree = tree;
		memo.opaque = m->opaque;
		memo.set = 1;
		memo.owner = m;
	}
	return 0;
fail:
	/* Nothing for the caller to release after a failed parse. */
	message_release(m);
	return -1;
}

void
message_release(struct message *m)
{
	if (memo.set && memo.owner == m) {
		if (memo.tree)
			mailmime_free(memo.tree);
		memset(&memo, 0, sizeof(memo));
	}
	free(m->message_id);
	free(m->from_addr);
	free(m->from_name);
	free(m->subject);
	free(m->in_reply_to);
	free(m->references);
	free(m->text);
	free(m->parts);
	memset(m, 0, sizeof(*m));
}

/* The file name of a part: disposition filename, else Content-Type name. */
static char *
part_filename(struct mailmime *part)
{
	struct mailmime_single_fields sf;
	const char *name = NULL;
	char *out;

	memset(&sf, 0, sizeof(sf));
	mailmime_single_fields_init(&sf, part->mm_mime_fields,
	    part->mm_content_type);
	if (sf.fld_disposition_filename)
		name = sf.fld_disposition_filename;
	else if (sf.fld_content_name)
		name = sf.fld_content_name;
	if (name == NULL)
		return xstrdup("");
	out = rfc2047_decode(name, strlen(name));
	return out;
}

static char *
part_type(struct mailmime *part)
{
	struct mailmime_content *ct = part->mm_content_type;
	const char *major = "application";

	if (ct == NULL)
		return xstrdup("text/plain");
	if (ct->ct_type && ct->ct_type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE &&
	    ct->ct_type->tp_data.tp_discrete_type) {
		switch (ct->ct_type->tp_data.tp_discrete_type->dt_type) {
		case MAILMIME_DISCRETE_TYPE_TEXT: major = "text"; break;
		case MAILMIME_DISCRETE_TYPE_IMAGE: major = "image"; break;
		case MAILMIME_DISCRETE_TYPE_AUDIO: major = "audio"; break;
		case MAILMIME_DISCRETE_TYPE_VIDEO: major = "video"; break;
		default: break;
		}
	} else if (ct->ct_type)
		major = "message";
	return xasprintf("%s/%s", major, ct->ct_subtype ? ct->ct_subtype :
	    "octet-stream");
}

struct attach_walk {
	void (*fn)(const char *, const char *, size_t, void *);
	void *ctx;
	int n;
	int want;		/* message_attachment: its number, else 0 */
	char *out, *name, *type;
	size_t outlen;
};

/* The attachment message_attachment() asks for: keep its bytes. */
static void
attach_keep(struct attach_walk *w, const char *name, const char *type,
    const char *data, size_t len)
{
	if (w->want == 0 || w->n + 1 != w->want || w->out)
		return;
	w->out = xmalloc(len + 1);
	memcpy(w->out, data, len);
	w->out[len] = '\0';
	w->outlen = len;
	w->name = xstrdup(name);
	w->type = xstrdup(type);
}

static void
walk_attachments(struct mailmime *mime, struct attach_walk *w, int depth)
{
	if (mime == NULL || depth > 20)
		return;
	if (mime->mm_type == MAILMIME_MULTIPLE) {
		for (clistiter *it = clist_begin(mime->mm_data.mm_multipart.mm_mp_list);
		    it; it = clist_next(it))
			walk_attachments(clist_content(it), w, depth + 1);
		return;
	}
	if (mime->mm_type == MAILMIME_MESSAGE) {
		if (depth == 0)
			walk_attachments(mime->mm_data.mm_message.mm_msg_mime, w,
			    depth + 1);
		else {
			char *name = part_filename(mime);

			if (w->fn)
				w->fn(name, "message/rfc822", mime->mm_length,
				    w->ctx);
			attach_keep(w, name, "message/rfc822",
			    mime->mm_mime_start, mime->mm_length);
			w->n++;
			free(name);
		}
		return;
	}
	if (!is_attachment(mime) && (is_text(mime, "plain") ||
	    is_text(mime, "html")))
		return;
	{
		struct mailmime_data *d = mime->mm_data.mm_single;
		char *dec = NULL, *name = part_filename(mime), *type = part_type(mime);
		size_t idx = 0, declen = 0;
		int enc = d && d->dt_encoded ? d->dt_encoding :
		    MAILMIME_MECHANISM_8BIT;

		if (d && d->dt_type == MAILMIME_DATA_TEXT &&
		    mailmime_part_parse(d->dt_data.dt_text.dt_data,
		    d->dt_data.dt_text.dt_length, &idx, enc, &dec, &declen) ==
		    MAILIMF_NO_ERROR) {
			attach_keep(w, name, type, dec, declen);
			mmap_string_unref(dec);
		}
		if (w->fn)
			w->fn(name, type, declen, w->ctx);
		w->n++;
		free(name);
		free(type);
	}
}

char *
message_attachment(const char *raw, size_t len, int n, char **name,
    char **type, size_t *outlen)
{
	struct mailmime *mime = NULL;
	struct attach_walk w;
	int opaque, owned;

	memset(&w, 0, sizeof(w));
	w.want = n;
	*name = *type = NULL;
	*outlen = 0;
	if (n <= 0 || tree_get(raw, len, &mime, &opaque, &owned) < 0 ||
	    mime == NULL)
		return NULL;
	walk_attachments(mime, &w, 0);
	if (owned)
		mailmime_free(mime);
	*name = w.name;
	*type = w.type;
	*outlen = w.outlen;
	return w.out;
}

int
message_attachments(const char *raw, size_t len,
    void (*fn)(const char *, const char *, size_t, void *), void *ctx)
{
	struct mailmime *mime = NULL;
	struct attach_walk w = { fn, ctx, 0, 0, NULL, NULL, NULL, 0 };
	int opaque, owned;

	if (tree_get(raw, len, &mime, &opaque, &owned) < 0 || mime == NULL)
		return 0;
	walk_attachments(mime, &w, 0);
	if (owned)
		mailmime_free(mime);
	return w.n;
}

struct part_find {
	int (*want)(const char *name, const char *type, void *ctx);
	void *ctx;
	char *out;
	size_t len;
};

/* The first leaf part find->want accepts, decoded, into find->out. */
static void
walk_find(struct mailmime *mime, struct part_find *f, int depth)
{
	struct mailmime_data *d;
	char *name, *type, *dec = NULL;
	size_t idx = 0, declen = 0;
	int enc, ok;

	if (mime == NULL || depth > 20 || f->out)
		return;
	if (mime->mm_type == MAILMIME_MULTIPLE) {
		for (clistiter *it = clist_begin(mime->mm_data.mm_multipart.mm_mp_list);
		    it && f->out == NULL; it = clist_next(it))
			walk_find(clist_content(it), f, depth + 1);
		return;
	}
	if (mime->mm_type == MAILMIME_MESSAGE) {
		if (depth == 0)
			walk_find(mime->mm_data.mm_message.mm_msg_mime, f, 1);
		return;		/* not inside forwarded messages */
	}
	name = part_filename(mime);
	type = part_type(mime);
	ok = f->want(name, type, f->ctx);
	free(name);
	free(type);
	d = mime->mm_data.mm_single;
	if (!ok || d == NULL || d->dt_type != MAILMIME_DATA_TEXT)
		return;
	enc = d->dt_encoded ? d->dt_encoding : MAILMIME_MECHANISM_8BIT;
	if (mailmime_part_parse(d->dt_data.dt_text.dt_data,
	    d->dt_data.dt_text.dt_length, &idx, enc, &dec, &declen) !=
	    MAILIMF_NO_ERROR)
		return;
	f->out = xmalloc(declen + 1);
	memcpy(f->out, dec, declen);
	f->out[declen] = '\0';
	f->len = declen;
	mmap_string_unref(dec);
}

char *
message_find_part(const char *raw, size_t len,
    int (*want)(const char *name, const char *type, void *ctx), void *ctx,
    size_t *outlen)
{
	struct mailmime *mime = NULL;
	struct part_find f = { want, ctx, NULL, 0 };
	int opaque, owned;

	if (tree_get(raw, len, &mime, &opaque, &owned) < 0 || mime == NULL)
		return NULL;
	walk_find(mime, &f, 0);
	if (owned)
		mailmime_free(mime);
	if (outlen)
		*outlen = f.len;
	return f.out;
}
