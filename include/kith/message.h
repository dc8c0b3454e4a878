/*
 * message - read an inbound message: raw header fields (for rewriting
 * without touching the bytes), the fields Kith decides on (From,
 * Message-ID, threading, Subject decoded to UTF-8, Date) and the decoded
 * text of the body for the full-text index.  Parsing is libetpan's
 * (mailmime_parse); its codes stop here.
 */
#ifndef KITH_MESSAGE_H
#define KITH_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

/* One raw header field inside a message buffer (borrowed pointers). */
struct header_field {
	const char *name;
	size_t name_len;
	const char *value;	/* after the colon, folding kept */
	size_t value_len;	/* without the final line ending */
	const char *start;	/* the whole field, line ending included */
	size_t len;
};

struct header_iter {
	const char *p, *end;
};

/* Iterate the header block of raw (stops at the empty line). */
void header_iter_init(struct header_iter *it, const char *raw, size_t len);
/* 1 and *f filled, or 0 at the end of the header block. */
int header_next(struct header_iter *it, struct header_field *f);
int header_is(const struct header_field *f, const char *name);
/* Offset of the body (after the empty line), or len when none. */
size_t header_block_end(const char *raw, size_t len);
/* The longest line SMTP carries, without its CRLF (RFC 5321 4.5.3.1.6). */
#define HEADER_LINE_MAX 998

/*
 * header_fold_at - where to fold the header line s[0..n) (no line end)
 * so that its first piece is at most width octets: the offset of the last
 * white space at or before width that follows a non-blank, else of the
 * first one after it; 0 when n <= width or there is none.  Folding means
 * a line end before that white space (RFC 5322 2.2.3).
 */
size_t header_fold_at(const char *s, size_t n, size_t width);

/* "\r\n" when the first line ends in CRLF, else "\n". */
const char *message_eol(const char *raw, size_t len);

struct message {
	const char *raw;	/* borrowed: the caller keeps it alive */
	size_t len;
	size_t size;		/* bytes received: more than len when only
				 * the head was read (inbound, too big) */
	int opaque;		/* MIME too deep or wide (mimeshape.h): only
				 * the header was read, text is "" */
	size_t body_off;
	const char *eol;
	char *message_id;	/* without <>; "" when absent */
	char *from_addr;	/* normalised; "" when absent or invalid */
	char *from_name;	/* UTF-8 */
	char *subject;		/* UTF-8, decoded */
	char *in_reply_to;	/* first id, without <> */
	char *references;	/* space-separated ids, without <> */
	int64_t date;		/* 0 when absent or unparseable */
	char *text;		/* decoded text/plain (or stripped HTML) */
	char *parts;		/* archive_parts() of raw, made beforehand
				 * (inbound_parse, on kith serve's LMTP
				 * connection threads); NULL: not made */
};

/*
 * message_parse - parse raw (which must outlive m).  0, or -1 with the
 * reason in err: the input is not a mail message at all.
 * Release with message_release(); a failed parse holds nothing (m is
 * zeroed, and releasing it again is harmless).
 *
 * The cost is bounded: a structure deeper than MIME_DEPTH_MAX or wider
 * than MIME_PARTS_MAX is not handed to libetpan (m->opaque), and at most
 * 1 MB of text is decoded.  Until m is released its parse is kept:
 * message_attachments(), message_find_part() and message_parse() on the
 * same bytes (same address and length) do not parse again.
 */
int message_parse(struct message *m, const char *raw, size_t len,
    char *err, size_t errlen);
void message_release(struct message *m);

/*
 * message_header_foldable - 0 when every line of m's header is at most
 * 998 octets or can be folded to that at white space; else -1 with the
 * reason in err.  Mail Kith passes on must pass: a line it cannot fold
 * would break the header of every copy.
 */
int message_header_foldable(const struct message *m, char *err,
    size_t errlen);

/*
 * message_attachments - call fn for every part that is not body text
 * (attachments, inline images, forwarded messages): its file name (""
 * when none), MIME type and decoded size.  Returns how many (0 for an
 * opaque message).
 */
int message_attachments(const char *raw, size_t len,
    void (*fn)(const char *name, const char *type, size_t size, void *ctx),
    void *ctx);

/*
 * message_attachment - the n-th (from 1) part message_attachments()
 * lists: its decoded bytes (NUL-terminated, length in *outlen), its file
 * name and MIME type (caller frees all three); a forwarded message as it
 * is.  NULL when there is no such part.
 */
char *message_attachment(const char *raw, size_t len, int n, char **name,
    char **type, size_t *outlen);

/*
 * message_find_part - the decoded bytes (transfer encoding undone,
 * charset kept) of the first part want accepts, given its file name ("")
 * and MIME type; NUL-terminated, length in *outlen.  NULL when none (or
 * the message is opaque).  Caller frees.
 */
char *message_find_part(const char *raw, size_t len,
    int (*want)(const char *name, const char *type, void *ctx), void *ctx,
    size_t *outlen);

/* First value of header name, unfolded, raw (not decoded); caller frees; NULL if absent. */
char *message_header(const struct message *m, const char *name);

#endif
