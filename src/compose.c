/* compose - list copies and notices. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kith/compose.h"
#include "kith/mime.h"
#include "kith/subject.h"
#include "kith/util.h"

/* Headers the list replaces or must not pass on from the author's copy. */
static const char *const dropped_headers[] = {
	"List-Id", "List-Post", "List-Help", "List-Subscribe",
	"List-Unsubscribe", "List-Unsubscribe-Post", "List-Archive",
	"List-Owner", "Precedence", "Return-Path", "Delivered-To",
	"X-Original-To", "Errors-To", "Return-Receipt-To", "X-Loop", NULL
};

static int
header_dropped(const struct header_field *f, const struct list_copy_opts *o)
{
	for (int i = 0; dropped_headers[i]; i++)
		if (header_is(f, dropped_headers[i]))
			return 1;
	if (*o->subject_prefix && header_is(f, "Subject"))
		return 1;
	if ((o->reply_to_list || o->from_rewrite) && header_is(f, "Reply-To"))
		return 1;
	if (o->from_rewrite && (header_is(f, "From") || header_is(f, "Sender")))
		return 1;
	return 0;
}

char *
compose_message_id(const char *domain)
{
	char *hex = random_hex(12), *id;

	id = xasprintf("kith.%lld.%s@%s", (long long)now_utc(), hex, domain);
	free(hex);
	return id;
}

void
compose_date(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, n, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

static int
has_header(const struct message *m, const char *name)
{
	char *v = message_header(m, name);
	int found = v != NULL;

	free(v);
	return found;
}

/*
 * fold_line - one header line s[0..n) (no line end) into b: as it is when
 * SMTP can carry it, else folded at white space into lines of about 78
 * octets (RFC 5322 2.2.3).  Folding only puts a line end before white
 * space, so the field's value, and a DKIM relaxed hash of it, stay the
 * same.  A line with no white space to fold at goes as it is (receive
 * quarantines such mail: message_parse).
 */
static void
fold_line(struct buf *b, const char *s, size_t n, const char *eol)
{
	if (n > HEADER_LINE_MAX)
		while (n > 78) {
			size_t k = header_fold_at(s, n, 78);

			if (k == 0)
				break;
			buf_add(b, s, k);
			buf_adds(b, eol);
			s += k;
			n -= k;
		}
	buf_add(b, s, n);
	buf_adds(b, eol);
}

void
compose_fold_header(struct buf *b, const char *head, size_t len,
    const char *eol)
{
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(head + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - head) : len, n = end - i;

		if (n && head[end - 1] == '\r')
			n--;
		fold_line(b, head + i, n, eol);
		i = end + 1;
	}
}

/*
 * copy_field - one of the author's header fields into b, folded where
 * SMTP needs it, with the message's line ends (also after a last field
 * that had none: a message without a body).
 */
static void
copy_field(struct buf *b, const struct header_field *f, const char *eol)
{
	struct buf t;

	if (f->value == f->name + f->name_len + 1) {
		compose_fold_header(b, f->start, f->len, eol);
		return;
	}
	/* "To   : x" (RFC 822 obsolete syntax) becomes "To: x": strict
	 * parsers would take it for the body's start. */
	buf_init(&t);
	buf_add(&t, f->name, f->name_len);
	buf_addc(&t, ':');
	buf_add(&t, f->value, f->len - (size_t)(f->value - f->start));
	compose_fold_header(b, t.data, t.len, eol);
	buf_release(&t);
}

void
compose_list_fields(struct buf *b, const char *name, const char *local,
    const char *domain, const char *address)
{
	char *id = xasprintf("%s.%s", local, domain);

	mime_field_addr(b, "List-Id", name, id);
	free(id);
	mime_fieldf(b, "List-Post", "<mailto:%s>", address);
	mime_fieldf(b, "List-Help", "<mailto:%s-request@%s?subject=help>",
	    local, domain);
	mime_fieldf(b, "List-Subscribe", "<mailto:%s-subscribe@%s>", local,
	    domain);
}

/*
 * list_headers - the header fields the list adds or replaces, with CRLF
 * line ends (compose_list_copy gives them the message's own).
 */
static void
list_headers(struct buf *b, const struct list_copy_opts *o,
    const struct message *m)
{
	char *v;

	if (*m->message_id == '\0')
		mime_fieldf(b, "Message-ID", "<%s>", o->message_id);
	/* RFC 5322 requires a Date; the author's client may have left it out. */
	if (m->date == 0 && !has_header(m, "Date")) {
		char date[64];

		compose_date(now_utc(), date, sizeof(date));
		mime_field(b, "Date", date);
	}
	if (*o->subject_prefix) {
		v = subject_prefixed(m->subject, o->subject_prefix);
		mime_field_text(b, "Subject", v);
		free(v);
	}
	if (o->from_rewrite) {
		/*
		 * The author's domain may publish DMARC p=reject: the copy
		 * comes from the list's address, replies still reach the
		 * author (or the list, when it says so).
		 */
		v = xasprintf("%s via %s", *m->from_name ? m->from_name :
		    m->from_addr, o->list_name);
		mime_field_addr(b, "From", v, o->list_address);
		mime_field_addr(b, "Reply-To", NULL, o->reply_to_list ||
		    *m->from_addr == '\0' ? o->list_address : m->from_addr);
		free(v);
	} else if (o->reply_to_list)
		mime_field_addr(b, "Reply-To", NULL, o->list_address);
	compose_list_fields(b, o->list_name, o->list_local, o->list_domain,
	    o->list_address);
	if (*o->archive_url)
		mime_fieldf(b, "List-Archive", "<%s>", o->archive_url);
	if (o->archived_at && *o->archived_at)
		mime_fieldf(b, "Archived-At", "<%s>", o->archived_at);
	mime_field(b, "Precedence", "list");
	mime_field(b, "X-Loop", o->list_address);
}

char *
compose_list_copy(const struct list_copy_opts *o, const struct message *m,
    size_t *outlen)
{
	struct header_iter it;
	struct header_field f;
	struct buf head, b;

	buf_init(&b);
	buf_grow(&b, m->len + 2048);
	/* Every line of the header fits SMTP: nothing spills into the body. */
	header_iter_init(&it, m->raw, m->body_off);
	while (header_next(&it, &f))
		if (!header_dropped(&f, o))
			copy_field(&b, &f, m->eol);
	buf_init(&head);
	list_headers(&head, o, m);
	compose_fold_header(&b, head.data, head.len, m->eol);
	buf_release(&head);
	buf_adds(&b, m->eol);
	if (m->body_off < m->len)
		buf_add(&b, m->raw + m->body_off, m->len - m->body_off);
	return buf_detach(&b, outlen);
}

static int
header_safe(const char *s)
{
	return s && *s && !strpbrk(s, "\r\n<>");
}

char *
compose_notice(const struct notice *n, size_t *outlen)
{
	struct mime_part *top = mime_text_new("plain", n->text), *mix;
	const char *at = strchr(n->from, '@');
	char date[64], *id, *out;

	if (n->attach) {
		struct mime_part *msg = mime_message_new(n->attach,
		    n->attach_len);

		mix = mime_multipart_new("mixed");
		mime_part_add(mix, top);
		mime_part_disposition(msg, MIME_INLINE, NULL);
		mime_part_add(mix, msg);
		top = mix;
	}
	compose_date(n->date ? n->date : now_utc(), date, sizeof(date));
	id = compose_message_id(at ? at + 1 : "localhost");
	mime_header_addr(top, "From", n->from_name, n->from);
	mime_header_addr(top, "To", NULL, n->to);
	mime_header_text(top, "Subject", n->subject);
	mime_header(top, "Date", date);
	mime_headerf(top, "Message-ID", "<%s>", id);
	if (header_safe(n->in_reply_to))
		mime_headerf(top, "In-Reply-To", "<%s>", n->in_reply_to);
	if (header_safe(n->reply_to))
		mime_header_addr(top, "Reply-To", NULL, n->reply_to);
	if (n->list_id && *n->list_id)
		mime_header(top, "List-Id", n->list_id);
	mime_header(top, "Auto-Submitted", n->reply ? "auto-replied" :
	    "auto-generated");
	out = mime_detach(top, NULL, outlen);
	mime_part_free(top);
	free(id);
	return out;
}

char *
html_escape(const char *s)
{
	struct buf b;

	buf_init(&b);
	for (; *s; s++) {
		switch (*s) {
		case '<': buf_adds(&b, "&lt;"); break;
		case '>': buf_adds(&b, "&gt;"); break;
		case '&': buf_adds(&b, "&amp;"); break;
		case '"': buf_adds(&b, "&quot;"); break;
		case '\'': buf_adds(&b, "&#39;"); break;
		default: buf_addc(&b, *s);
		}
	}
	return b.data ? buf_detach(&b, NULL) : xstrdup("");
}
