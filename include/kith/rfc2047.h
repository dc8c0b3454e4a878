/*
 * rfc2047 - header text in and out.  libetpan only decodes (API-NOTES 1.3),
 * so the encoder is ours: rfc2047_word() makes one encoded-word, and the
 * MIME builder's field writers (kith/mime.h) fold them into header lines.
 * Member-supplied text reaches a header only through those, which also
 * turn CR, LF and other controls into spaces.
 */
#ifndef KITH_RFC2047_H
#define KITH_RFC2047_H

#include <stddef.h>

/*
 * rfc2047_decode - decode encoded-words in a raw header value (unfolded
 * first) to UTF-8.  Raw 8-bit text is read as UTF-8 when it is valid
 * UTF-8 (RFC 6532), else as Latin-1.  Caller frees.
 */
char *rfc2047_decode(const char *raw, size_t len);

/*
 * rfc2047_needed - 1 when header text utf8 cannot go as it is: controls,
 * 8-bit bytes, something that looks like an encoded-word, or a word too
 * long to fold (over 900 characters).
 */
int rfc2047_needed(const char *utf8);

/*
 * rfc2047_word - one base64 encoded-word of at most room characters
 * (never more than 75) appended to b, holding as many whole UTF-8
 * sequences from s[0..len) as fit (always at least one); returns the
 * bytes it took.
 */
struct buf;
size_t rfc2047_word(struct buf *b, const char *s, size_t len, size_t room);

/* 1 when s[0..len) is valid UTF-8 throughout. */
int utf8_valid(const char *s, size_t len);
/* Replace invalid UTF-8 sequences with U+FFFD; caller frees. */
char *utf8_sanitize(const char *s, size_t len);

/*
 * An organiser's text (an event's title, a poll's question): valid UTF-8
 * of at most max bytes, no control characters; multi allows tabs and
 * line ends (a description).  1 when it is, 0 when not.
 */
int utf8_text_ok(const char *s, size_t max, int multi);
/* s made such a text: bad bytes as U+FFFD, control characters as
 * spaces, cut to max bytes on a character's start; caller frees.  For
 * text that comes from elsewhere (an old list's description). */
char *utf8_text_mend(const char *s, size_t max, int multi);

#endif
