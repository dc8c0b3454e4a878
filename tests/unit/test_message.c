/* test_message - parsing real and odd mail; RFC 2047 both ways. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kith/message.h"
#include "kith/mimeshape.h"
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

/*
 * Header values in raw UTF-8 (RFC 6532, what many clients and old
 * archives' mbox files carry) read as UTF-8; raw bytes that are not
 * UTF-8 still read as Latin-1.
 */
START_TEST(test_raw_utf8_header)
{
	const char *utf8 =
	    "From: \"김민지\" <minji@example.kr>\n"
	    "Subject: Příliš =?utf-8?q?=C5=BElu=C5=A5ou=C4=8Dk=C3=BD?= kůň\n\n"
	    "x\n";
	const char *latin1 = "From: Andr\xe9 <a@example.fr>\n"
	    "Subject: caf\xe9\n\nx\n";

	ck_assert_int_eq(message_parse(&m, utf8, strlen(utf8), err, sizeof(err)), 0);
	ck_assert_str_eq(m.from_name, "김민지");
	ck_assert_str_eq(m.subject, "Příliš žluťoučký kůň");
	message_release(&m);
	ck_assert_int_eq(message_parse(&m, latin1, strlen(latin1), err,
	    sizeof(err)), 0);
	ck_assert_str_eq(m.from_name, "André");
	ck_assert_str_eq(m.subject, "café");
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
	/* every field is a string, also when the part it comes from is
	 * empty; a failed parse holds nothing (releasing it is harmless) */
	if (r == 0)
		ck_assert_uint_eq(strlen(m.text) + strlen(m.subject) + 1 > 0, 1);
	else
		ck_assert_msg(m.text == NULL && m.subject == NULL &&
		    m.message_id == NULL, "case %d: a failed parse holds "
		    "strings", _i);
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

/* ---- the shape of a MIME structure (mimeshape.h) ---------------------- */

/* A multipart nested n levels deep, or with n parts side by side. */
static char *
shaped(const char *kind, int n)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "From: a@example.org\r\nSubject: shaped\r\n"
	    "MIME-Version: 1.0\r\n");
	if (!strcmp(kind, "deep")) {
		for (int i = 0; i < n; i++)
			buf_addf(&b, "Content-Type: multipart/mixed; "
			    "boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i);
		buf_adds(&b, "Content-Type: text/plain\r\n\r\nhello\r\n");
		for (int i = n - 1; i >= 0; i--)
			buf_addf(&b, "--b%d--\r\n", i);
	} else {
		buf_adds(&b, "Content-Type: multipart/mixed; boundary=w\r\n"
		    "\r\n");
		for (int i = 0; i < n; i++)
			buf_addf(&b, "--w\r\nContent-Type: text/plain\r\n\r\n"
			    "part %d\r\n", i);
		buf_adds(&b, "--w--\r\n");
	}
	return buf_detach(&b, NULL);
}

static const struct {
	const char *what;
	const char *raw;	/* or NULL: shaped(kind, n) */
	const char *kind;
	int n;
	int rc, depth;
	size_t parts;
} shape_cases[] = {
	{ "plain text", "Subject: x\n\nhi\n", NULL, 0, 0, 0, 0 },
	{ "50 levels", NULL, "deep", 50, 0, 50, 50 },
	{ "51 levels", NULL, "deep", 51, -1, 51, 50 },
	{ "10,000 levels", NULL, "deep", 10000, -1, 51, 50 },
	{ "1,000 parts", NULL, "wide", 1000, 0, 1, 1000 },
	{ "1,001 parts", NULL, "wide", 1001, -1, 1, 1001 },
	{ "multipart/alternative in mixed",
	  "Content-Type: multipart/mixed; boundary=\"a b\"\n\n--a b\n"
	  "Content-Type: multipart/alternative; boundary=c\n\n--c\n\nx\n"
	  "--c\n\ny\n--c--\n--a b\n\nz\n--a b--\n", NULL, 0, 0, 2, 4 },
	{ "the outer delimiter ends the inner part",
	  "Content-Type: multipart/mixed; boundary=a\n\n--a\n"
	  "Content-Type: multipart/mixed; boundary=c\n\n--c\n\nx\n--a\n"
	  "Content-Type: multipart/mixed; boundary=d\n\n--d\n\ny\n--a--\n",
	  NULL, 0, 0, 2, 4 },
	{ "--b1x is no delimiter of b1",
	  "Content-Type: multipart/mixed; boundary=b1\n\n--b1\n"
	  "Content-Type: multipart/mixed; boundary=b1x\n\n--b1x\n\nx\n"
	  "--b1x--\n--b1--\n", NULL, 0, 0, 2, 2 },
	{ "digest parts are messages",
	  "Content-Type: multipart/digest; boundary=d\n\n--d\n\n"
	  "Subject: one\n\n1\n--d\n\nSubject: two\n\n2\n--d--\n", NULL,
	  0, 0, 2, 4 },
	{ "message/rfc822 nests a message",
	  "Content-Type: message/rfc822\n\nSubject: in\n"
	  "Content-Type: multipart/mixed; boundary=m\n\n--m\n\nx\n--m--\n",
	  NULL, 0, 0, 2, 2 },
	{ "an RFC 2231 boundary cannot be read",
	  "Content-Type: multipart/mixed; boundary*0=a; boundary*1=b\n\n"
	  "--ab\n\nx\n--ab--\n", NULL, 0, -1, 0, 0 },
	{ "two Content-Type fields",
	  "Content-Type: text/plain\nContent-Type: multipart/mixed; "
	  "boundary=x\n\n--x\n\ny\n--x--\n", NULL, 0, -1, 0, 0 },
	{ "a multipart without boundary is a leaf",
	  "Content-Type: multipart/mixed\n\n--x\n\ny\n", NULL, 0, 0, 0,
	  0 },
};

static void
count_part(const char *name, const char *type, size_t size, void *ctx)
{
	(void)name;
	(void)type;
	(void)size;
	(void)ctx;
}

START_TEST(test_shape)
{
	char *raw = shape_cases[_i].raw ? xstrdup(shape_cases[_i].raw) :
	    shaped(shape_cases[_i].kind, shape_cases[_i].n);
	struct mimeshape sh;
	int rc = mimeshape_check(raw, strlen(raw), MIME_DEPTH_MAX,
	    MIME_PARTS_MAX, &sh);

	ck_assert_msg(rc == shape_cases[_i].rc && (rc < 0 ||
	    (sh.depth == shape_cases[_i].depth &&
	    sh.parts == shape_cases[_i].parts)), "%s: got %d (depth %d, %zu "
	    "parts, %s), want %d (depth %d, %zu parts)", shape_cases[_i].what,
	    rc, sh.depth, sh.parts, sh.why ? sh.why : "-", shape_cases[_i].rc,
	    shape_cases[_i].depth, shape_cases[_i].parts);
	/* Within the limits libetpan reads it; beyond, only the header. */
	ck_assert_int_eq(message_parse(&m, raw, strlen(raw), err, sizeof(err)),
	    0);
	ck_assert_int_eq(m.opaque, rc < 0);
	if (shape_cases[_i].kind && !strcmp(shape_cases[_i].kind, "deep") &&
	    rc < 0)
		ck_assert_str_eq(m.text, "");
	ck_assert_int_eq(message_attachments(raw, strlen(raw), count_part,
	    NULL) == 0 || rc == 0, 1);
	message_release(&m);
	free(raw);
}
END_TEST

static int
want_plain(const char *name, const char *type, void *ctx)
{
	(void)name;
	(void)ctx;
	return !strcmp(type, "text/plain");
}

/* The parse is kept for the message's other readers, and dropped after. */
START_TEST(test_parse_kept)
{
	char *raw = shaped("wide", 3), *part;
	size_t n;

	ck_assert_int_eq(message_parse(&m, raw, strlen(raw), err, sizeof(err)),
	    0);
	part = message_find_part(raw, strlen(raw), want_plain, NULL, &n);
	ck_assert_ptr_nonnull(part);
	ck_assert_str_eq(part, "part 0");
	free(part);
	{
		struct message again;

		ck_assert_int_eq(message_parse(&again, raw, strlen(raw), err,
		    sizeof(err)), 0);
		ck_assert_str_eq(again.subject, "shaped");
		ck_assert_str_eq(again.text, m.text);
		message_release(&again);
	}
	message_release(&m);
	/* released: the same bytes are parsed anew */
	part = message_find_part(raw, strlen(raw), want_plain, NULL, &n);
	ck_assert_ptr_nonnull(part);
	free(part);
	free(raw);
}
END_TEST

Suite *
message_suite(void)
{
	Suite *s = suite_create("message");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_real_multipart);
	tcase_add_test(tc, test_charsets_and_encodings);
	tcase_add_test(tc, test_raw_utf8_header);
	tcase_add_loop_test(tc, test_garbage, 0,
	    (int)(sizeof(garbage) / sizeof(garbage[0])));
	tcase_add_test(tc, test_headers_folded);
	tcase_add_loop_test(tc, test_shape, 0,
	    (int)(sizeof(shape_cases) / sizeof(shape_cases[0])));
	tcase_add_test(tc, test_parse_kept);
	suite_add_tcase(s, tc);
	return s;
}
