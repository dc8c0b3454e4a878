/* rfc2047 - decode with libetpan, encode ourselves. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libetpan/libetpan.h>
#include <openssl/evp.h>

#include "kith/rfc2047.h"
#include "kith/util.h"

/* Length of the UTF-8 sequence starting at s, or 0 when invalid. */
static size_t
utf8_seq_len(const unsigned char *s, size_t avail)
{
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * utf8_sanitize - a copy of s with every invalid byte replaced by U+FFFD;
 * valid runs are copied whole (a post's body goes through here: a byte
 * at a time was a quarter of the CPU of storing one).
 */
char *
utf8_sanitize(const char *s, size_t len)
{
	struct buf b;
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	buf_init(&b);
	buf_grow(&b, len);
	while (i < len) {
		size_t n = p[i] < 0x80 ? 1 : utf8_seq_len(p + i, len - i);

		if (n == 0) {
			buf_add(&b, p + run, i - run);
			buf_adds(&b, "\xef\xbf\xbd");
			run = ++i;
		} else
			i += n;
	}
	buf_add(&b, p + run, i - run);
	return buf_detach(&b, NULL);
}

int
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0, n; i < len; i += n)
		if ((n = utf8_seq_len(p + i, len - i)) == 0)
			return 0;
	return 1;
}

char *
rfc2047_decode(const char *raw, size_t len)
{
	char *unfolded = xmalloc(len + 1), *out = NULL, *clean;
	size_t j = 0, idx = 0;

	/* Unfold: CR and LF go; the white space that follows them stays. */
	for (size_t i = 0; i < len; i++)
		if (raw[i] != '\r' && raw[i] != '\n')
			unfolded[j++] = raw[i];
	unfolded[j] = '\0';
	/* raw 8-bit text is UTF-8 when it reads as UTF-8 (RFC 6532) */
	if (mailmime_encoded_phrase_parse(utf8_valid(unfolded, j) ? "utf-8" :
	    "iso-8859-1", unfolded, j, &idx,
	    "utf-8", &out) != MAILIMF_NO_ERROR || out == NULL) {
		clean = utf8_sanitize(unfolded, j);
		free(unfolded);
		return clean;
	}
	clean = utf8_sanitize(out, strlen(out));
	free(out);
	free(unfolded);
	return clean;
}

/* Longer words cannot be folded into a header line SMTP carries. */
#define WORD_MAX 900

int
rfc2047_needed(const char *s)
{
	size_t word = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x7f || *p < 0x20)
			return 1;
		word = *p == ' ' ? 0 : word + 1;
		/* encoded-words can be folded between them; a word cannot */
		if (word > WORD_MAX)
			return 1;
	}
	return strstr(s, "=?") != NULL;
}

size_t
rfc2047_word(struct buf *b, const char *s, size_t len, size_t room)
{
	/* =?UTF-8?B?...?= is 12 characters around 4 for every 3 bytes */
	size_t max, n = 0;
	const unsigned char *p = (const unsigned char *)s;
	unsigned char enc[64];

	if (room > 75)		/* RFC 2047 2: at most 75 characters */
		room = 75;
	max = room > 12 ? (room - 12) / 4 * 3 : 0;
	while (n < len) {
		size_t k = utf8_seq_len(p + n, len - n);

		if (k == 0)
			k = 1;
		if (n + k > max && n > 0)
			break;
		n += k;
	}
	EVP_EncodeBlock(enc, p, (int)n);
	buf_addf(b, "=?UTF-8?B?%s?=", enc);
	return n;
}

/*
 * utf8_text_ok - s is valid UTF-8 of at most max bytes without control
 * characters; multi allows tabs and line ends (a description).
 */
int
utf8_text_ok(const char *s, size_t max, int multi)
{
	char *t = utf8_text_mend(s, max, multi);
	int ok = !strcmp(t, s);

	free(t);
	return ok;
}

char *
utf8_text_mend(const char *s, size_t max, int multi)
{
	char *t = utf8_sanitize(s, strlen(s));
	size_t n;

	for (unsigned char *p = (unsigned char *)t; *p; p++)
		if ((*p < ' ' && !(multi && (*p == '\n' || *p == '\r' ||
		    *p == '\t'))) || *p == 0x7f)
			*p = ' ';
	/* cut on a character's first byte */
	if ((n = strlen(t)) > max) {
		n = max;
		while (n > 0 && ((unsigned char)t[n] & 0xc0) == 0x80)
			n--;
		t[n] = '\0';
	}
	return t;
}
