/* test_message - parsing real and odd mail; RFC 2047 both ways. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kith/message.h"
#include "kith/rfc2047.h"
#include "kith/util.h"
#include "unit.h"

static struct message m;
static char err[256];

START_TEST(test_real_multipart)
{
	struct buf b;

	buf_init(&b);
	ck_assert_int_eq(buf_read_file(&b, TEST_DATA_DIR "/greek-korean-pdf.eml"), 0);
	ck_assert_int_eq(message_parse(&m, b.data, b.len, err, sizeof(err)), 0);
	ck_assert_str_eq(m.subject, "Συνάντηση την Παρασκευή · 금요일 모임");
	ck_assert_str_eq(m.from_addr, "alice@example.org");
	ck_assert_str_eq(m.from_name, "Αλίκη Παπαδοπούλου");
	ck_assert_str_eq(m.message_id, "greek-korean-1@example.org");
	ck_assert_msg(strstr(m.text, "η συνάντηση είναι την Παρασκευή"),
	    "decoded text: %s", m.text);
	ck_assert_msg(strstr(m.text, "금요일 모임은"), "Korean text: %s", m.text);
	ck_assert_msg(strstr(m.text, "%PDF") == NULL, "attachment not indexed");
	/* 2026-11-24 10:00 +0100 = 09:00 UTC */
	ck_assert_int_eq(m.date, 1795510800);
	ck_assert_str_eq(m.eol, "\n");
	message_release(&m);
	buf_release(&b);
}
END_TEST

START_TEST(test_charsets_and_encodings)
{
	const char *latin1 =
	    "From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.fr>\r\n"
	    "Subject: =?iso-8859-2?q?Za=BF=F3=B3=E6?=\r\n"
	    "Content-Type: text/plain; charset=iso-8859-1\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "caf=E9 cr=E8me\r\n";
	const char *b64 =
	    "From: x@example.org\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: base64\n\n"
	    "zrrOsc67zrfOvM6tz4HOsQ==\n";
	const char *html =
	    "From: x@example.org\nContent-Type: text/html; charset=utf-8\n\n"
	    "<html><style>p{}</style><p>Hello &amp; <b>welcome</b></p></html>\n";
	const char *unknown =
	    "From: x@example.org\nContent-Type: text/plain; charset=unknown-8bit\n\n"
	    "na\xefve\n";

	ck_assert_int_eq(message_parse(&m, latin1, strlen(latin1), err, sizeof(err)), 0);
	ck_assert_str_eq(m.from_name, "André");
	ck_assert_str_eq(m.subject, "Zażółć");
	ck_assert_msg(strstr(m.text, "café crème"), "got '%s'", m.text);
	ck_assert_str_eq(m.eol, "\r\n");
	ck_assert_str_eq(m.message_id, "");
	message_release(&m);

	ck_assert_int_eq(message_parse(&m, b64, strlen(b64), err, sizeof(err)), 0);
	ck_assert_str_eq(m.text, "καλημέρα");
	message_release(&m);

	ck_assert_int_eq(message_parse(&m, html, strlen(html), err, sizeof(err)), 0);
	ck_assert_msg(strstr(m.text, "Hello & ") && strstr(m.text, "welcome") &&
	    !strstr(m.text, "<b>") && !strstr(m.text, "p{}"), "got '%s'", m.text);
	message_release(&m);

	ck_assert_int_eq(message_parse(&m, unknown, strlen(unknown), err, sizeof(err)), 0);
	ck_assert_msg(strstr(m.text, "naïve"), "cp1252 fallback: '%s'", m.text);
	message_release(&m);
}
END_TEST

static const struct {
	const char *raw;
	size_t len;
	int ok;
} garbage[] = {
	{ "", 0, 0 },
	{ "\x00\x01\x02 binary", 9, 0 },
	{ "no header here\n\nbody", 20, 0 },
	{ "Subject: x\x00y\n\nbody", 18, 0 },
	{ "Subject: only a header", 22, 1 },
	{ "From: a@b\n\n", 11, 1 },
	{ "From: a@b\nSubject: no body at all\n", 34, 1 },
	{ "From: <<<>>>@@@\nContent-Type: multipart/mixed\n\n--\n", 51, 1 },
};

START_TEST(test_garbage)
{
	int r = message_parse(&m, garbage[_i].raw, garbage[_i].len, err,
	    sizeof(err));

	ck_assert_msg((r == 0) == garbage[_i].ok, "case %d: got %d (%s)", _i,
	    r, r ? err : "");
	/* every field is a string, also when the part it comes from is empty */
	ck_assert_uint_eq(strlen(m.text) + strlen(m.subject) + 1 > 0, 1);
	message_release(&m);
}
END_TEST

START_TEST(test_headers_folded)
{
	const char *raw = "Subject: one\n two\nX-Empty:\nTo: a@b\n\nbody\n";
	struct header_iter it;
	struct header_field f;
	int n = 0;

	header_iter_init(&it, raw, strlen(raw));
	while (header_next(&it, &f))
		n++;
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(header_block_end(raw, strlen(raw)), strlen(raw) - 5);
	ck_assert_int_eq(message_parse(&m, raw, strlen(raw), err, sizeof(err)), 0);
	ck_assert_str_eq(m.subject, "one two");
	message_release(&m);
}
END_TEST

START_TEST(test_rfc2047_encode)
{
	const char *texts[] = {
		"plain ascii stays", "Συνάντηση την Παρασκευή · 금요일 모임 "
		"και πολύ μεγάλο κείμενο που πρέπει να χωριστεί σε πολλές λέξεις",
		"line\r\nbreak", "=?UTF-8?B?bm90?= an encoded word", "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char *enc = rfc2047_encode(texts[i], "\r\n"), *dec, *p, *save;
		char *copy;

		ck_assert_msg(strchr(enc, '\r') == NULL || strstr(enc, "\r\n "),
		    "only folding line breaks: %s", enc);
		dec = rfc2047_decode(enc, strlen(enc));
		if (i == 2)
			ck_assert_msg(!strpbrk(dec, "\r\n"), "no line break: %s", dec);
		else
			ck_assert_msg(!strcmp(dec, texts[i]), "round trip %zu: got "
			    "'%s' want '%s'", i, dec, texts[i]);
		/* every encoded-word fits in 75 characters and decodes alone */
		copy = xstrdup(enc);
		for (p = strtok_r(copy, " \r\n", &save); p; p = strtok_r(NULL,
		    " \r\n", &save)) {
			if (strncmp(p, "=?", 2))
				continue;
			ck_assert_msg(strlen(p) <= 75, "word too long: %s", p);
			free(dec);
			dec = rfc2047_decode(p, strlen(p));
			ck_assert_msg(strstr(dec, "\xef\xbf\xbd") == NULL,
			    "a word split a character: %s", p);
		}
		free(copy);
		free(dec);
		free(enc);
	}
}
END_TEST

Suite *
message_suite(void)
{
	Suite *s = suite_create("message");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_real_multipart);
	tcase_add_test(tc, test_charsets_and_encodings);
	tcase_add_loop_test(tc, test_garbage, 0,
	    (int)(sizeof(garbage) / sizeof(garbage[0])));
	tcase_add_test(tc, test_headers_folded);
	tcase_add_test(tc, test_rfc2047_encode);
	suite_add_tcase(s, tc);
	return s;
}
