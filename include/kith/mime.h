/*
 * mime - the one place outgoing mail is built: a tree of parts, their
 * transfer encodings, their parameters and the message's header fields,
 * written out as the bytes that go to the outbox.  No other module
 * writes a boundary or a Content-Transfer-Encoding.
 *
 * A tree is leaves (text, data, an attached message) under multipart
 * nodes (mixed, alternative, related, digest).  The top part carries the
 * message's header fields; mime_write() adds MIME-Version and each
 * part's Content-* fields.  Everything written has CRLF line ends (an
 * attached message keeps its own) and header lines folded at white space
 * to 78 columns; text that could not fold under 998 is encoded, while a
 * structured value (mime_header) is the caller's and folds only where it
 * has white space.
 *
 * Transfer encodings are chosen per leaf when it is written: text is
 * 7bit when it is (ASCII, lines of at most 998 octets), else
 * quoted-printable; data is base64; an attached message goes as it is
 * (8bit when it holds 8-bit bytes).  A caller may ask for one (MIME_8BIT:
 * the text as it is, for a digest that carries members' posts anyway).
 *
 * Boundaries are "=_kith_" and 24 hex digits, random or, when the caller
 * gives a seed, derived from it (golden-file tests).  Quoted-printable
 * and base64 never write "=_", so only 7bit, 8bit and message bodies
 * (and the parts' own header values) can hold one; each boundary is
 * checked against them and another drawn when it occurs.
 *
 * Why not libetpan's writer (API-NOTES 1.4): its boundaries come from an
 * unseeded random() and are never checked against the content, and it
 * has no RFC 2047 or 2231 encoder.
 *
 * Ownership: mime_*_new() return a part the caller frees with
 * mime_part_free(), unless it was handed to mime_part_add(), after which
 * the parent owns it.  Every string argument is copied.  A tree is not
 * shared between threads.
 */
#ifndef KITH_MIME_H
#define KITH_MIME_H

#include <stddef.h>

#include "kith/util.h"

struct mime_part;

enum mime_encoding {
	MIME_AUTO,	/* 7bit, else quoted-printable (text) or base64 */
	MIME_8BIT,	/* text as it is, labelled 8bit */
	MIME_QP,	/* quoted-printable (LF and CRLF end lines) */
	MIME_BASE64
};

enum mime_disposition { MIME_DISP_NONE, MIME_INLINE, MIME_ATTACHMENT };

/*
 * mime_text_new - text/SUBTYPE; charset=UTF-8 with body utf8 (LF or CRLF
 * lines; stray CRs are dropped).  Caller frees with mime_part_free().
 */
struct mime_part *mime_text_new(const char *subtype, const char *utf8);

/* A leaf of type (e.g. "application/pdf") holding len bytes of data;
 * caller frees with mime_part_free(). */
struct mime_part *mime_data_new(const char *type, const void *data,
    size_t len);

/*
 * mime_message_new - message/rfc822 holding raw[0..len) byte for byte
 * (RFC 2046 allows no other encoding).  In a multipart/digest it needs
 * no Content-Type: that is the default there.  Caller frees.
 */
struct mime_part *mime_message_new(const char *raw, size_t len);

/*
 * mime_raw_new - a part exactly as it came in a received message: its
 * own header fields, a blank line and its body, written byte for byte
 * (a post's part the list passes on untouched when it adds a footer or
 * drops another part).  Without the line end that precedes the next
 * delimiter.  Caller frees with mime_part_free().
 */
struct mime_part *mime_raw_new(const char *raw, size_t len);

/* multipart/SUBTYPE ("mixed", "alternative", "related", "digest");
 * caller frees with mime_part_free(). */
struct mime_part *mime_multipart_new(const char *subtype);

/* Append child to the multipart parent, which owns it from now on. */
void mime_part_add(struct mime_part *parent, struct mime_part *child);

/* mime_part_free - p and its children; NULL is a no-op. */
void mime_part_free(struct mime_part *p);

/*
 * mime_part_param - a Content-Type parameter (method=REQUEST, name=...):
 * a token, a quoted-string, or RFC 2231 (UTF-8, with continuations) when
 * the value is not ASCII or too long for one line.
 */
void mime_part_param(struct mime_part *p, const char *name,
    const char *value);

/* Ask for a transfer encoding; MIME_AUTO (the default) decides. */
void mime_part_encoding(struct mime_part *p, enum mime_encoding e);

/* Content-Disposition, with a filename (RFC 2231 when needed) or NULL. */
void mime_part_disposition(struct mime_part *p, enum mime_disposition d,
    const char *filename);

/* Content-ID: <id> (id without <>). */
void mime_part_content_id(struct mime_part *p, const char *id);

/* Content-Description: utf8 (RFC 2047 when needed). */
void mime_part_description(struct mime_part *p, const char *utf8);

/*
 * Header fields of the message (on the top part), in the order added.
 * Controls in values become spaces, so nothing a member wrote can start
 * a field of its own.
 *
 * mime_header - a structured value (addresses, ids, dates) as it is,
 * folded at white space; mime_headerf formats it first.
 * mime_header_text - unstructured text (Subject): RFC 2047 encoded-words
 * when it is not plain ASCII.
 * mime_header_addr - "display <addr>", the name a quoted-string or
 * encoded-words; just "<addr>" when display is NULL or empty.
 * mime_header_addrs - n of those, comma-separated.
 */
void mime_header(struct mime_part *p, const char *name, const char *value);
void mime_headerf(struct mime_part *p, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void mime_header_text(struct mime_part *p, const char *name,
    const char *utf8);
void mime_header_addr(struct mime_part *p, const char *name,
    const char *display, const char *addr);

struct mime_addr {
	const char *display;	/* UTF-8, or NULL */
	const char *addr;
};
void mime_header_addrs(struct mime_part *p, const char *name,
    const struct mime_addr *v, size_t n);

/* The header block of the message whose top part is p (mime_field*). */
struct buf *mime_head(struct mime_part *p);

/*
 * The same field writers on a buffer, for a header block that is not a
 * tree's (the list copy, whose body is never touched): "Name: value"
 * and CRLF appended to b.
 */
void mime_field(struct buf *b, const char *name, const char *value);
void mime_fieldf(struct buf *b, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void mime_field_text(struct buf *b, const char *name, const char *utf8);
void mime_field_addr(struct buf *b, const char *name, const char *display,
    const char *addr);
void mime_field_addrs(struct buf *b, const char *name,
    const struct mime_addr *v, size_t n);

/*
 * mime_write - the message whose top part is p appended to out: p's
 * header fields, MIME-Version, then the parts.  seed NULL draws random
 * boundaries; the same seed gives the same bytes.
 */
void mime_write(struct mime_part *p, const char *seed, struct buf *out);

/*
 * mime_write_part - p as a body part rather than a message: its
 * Content-* fields (and any header fields added), a blank line and its
 * body, without MIME-Version; for a part that replaces one inside a
 * received message.
 */
void mime_write_part(struct mime_part *p, const char *seed, struct buf *out);

/* mime_write into a new string; caller frees.  *len gets its length. */
char *mime_detach(struct mime_part *p, const char *seed, size_t *len);

#endif
