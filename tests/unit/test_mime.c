/*
 * test_mime - the MIME builder: which transfer encoding each part gets
 * and its exact bytes, header fields in Korean, Greek and Czech, folding
 * limits, RFC 2231 file names, boundaries that never occur in the
 * content, and whole trees against golden files (tests/data/mime/NAME.eml,
 * written with a seed; KITH_UPDATE_GOLDEN=1 rewrites them, then review
 * them with git diff).  tests/integration/t35-mime.sh parses the golden
 * files with Python's email package.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/compose.h"
#include "kith/mime.h"
#include "kith/rfc2047.h"
#include "kith/util.h"
#include "unit.h"

#define MIME_DATA TEST_DATA_DIR "/mime"

/* The header block and the body of a written message. */
static void
split(const char *msg, char **head, const char **body)
{
	const char *e = strstr(msg, "\r\n\r\n");

	ck_assert_ptr_nonnull(e);
	*head = xstrndup(msg, (size_t)(e - msg) + 2);
	*body = e + 4;
}

/* The value of field name in head, unfolded; "" when absent. */
static char *
field(const char *head, const char *name)
{
	size_t n = strlen(name);
	struct buf b;

	buf_init(&b);
	for (const char *p = head; *p;) {
		const char *eol = strstr(p, "\r\n");

		if (!strncasecmp(p, name, n) && p[n] == ':') {
			p += n + 1;
			for (;;) {
				eol = strstr(p, "\r\n");
				buf_add(&b, p, (size_t)(eol - p));
				if (eol[2] != ' ' && eol[2] != '\t')
					break;
				p = eol + 2;
			}
			break;
		}
		p = eol + 2;
	}
	if (b.data == NULL)
		return xstrdup("");
	return buf_detach(&b, NULL);
}

/* ---- transfer encodings ------------------------------------------------ */

enum leaf { TEXT, DATA, MESSAGE };

static const struct {
	enum leaf leaf;
	const char *in;
	enum mime_encoding ask;
	const char *cte;	/* "" when the part has none */
	const char *want;	/* the body as written */
	const char *what;
} encodings[] = {
	{ TEXT, "plain text\n", MIME_AUTO, "7bit", "plain text\r\n",
	  "ASCII text goes as it is" },
	{ TEXT, "crlf\r\nlines\r\n", MIME_AUTO, "7bit", "crlf\r\nlines\r\n",
	  "CRLF lines stay" },
	{ TEXT, "stray\rCR\n", MIME_AUTO, "7bit", "strayCR\r\n",
	  "a stray CR is dropped" },
	{ TEXT, "Zażółć\n", MIME_AUTO, "quoted-printable",
	  "Za=C5=BC=C3=B3=C5=82=C4=87\r\n", "Czech: quoted-printable" },
	{ TEXT, "a=b é\n", MIME_AUTO, "quoted-printable", "a=3Db =C3=A9\r\n",
	  "'=' is =3D" },
	{ TEXT, "trailing space é \n", MIME_AUTO, "quoted-printable",
	  "trailing space =C3=A9=20\r\n", "white space at a line's end" },
	{ TEXT, "é no newline", MIME_AUTO, "quoted-printable",
	  "=C3=A9 no newline\r\n", "the message ends in a line end" },
	{ TEXT, "é\n"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxx\n", MIME_AUTO, "quoted-printable", "=C3=A9\r\n"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxx=\r\nxxxxx\r\n", "soft breaks at 76 columns" },
	{ TEXT, "안녕하세요\n", MIME_8BIT, "8bit", "안녕하세요\r\n",
	  "8bit when the caller asks" },
	{ TEXT, "Καλημέρα\n", MIME_BASE64, "base64",
	  "zprOsc67zrfOvM6tz4HOsQ0K\r\n",
	  "base64 when the caller asks" },
	{ TEXT, "plain\n", MIME_QP, "quoted-printable", "plain\r\n",
	  "quoted-printable when the caller asks" },
	/* the quoted-printable cases of the encoder this one replaced */
	{ TEXT, "a=b\n", MIME_QP, "quoted-printable", "a=3Db\r\n", "QP: '='" },
	{ TEXT, "trailing space \n", MIME_QP, "quoted-printable",
	  "trailing space=20\r\n", "QP: white space at a line's end" },
	{ TEXT, "no newline", MIME_QP, "quoted-printable", "no newline\r\n",
	  "QP: no line end at the end" },
	{ TEXT, "crlf\r\nlines\r\n", MIME_QP, "quoted-printable",
	  "crlf\r\nlines\r\n", "QP: CRLF lines" },
	{ TEXT, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxx\n", MIME_QP, "quoted-printable",
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxx=\r\nxxxxx\r\n", "QP: a soft break at 76 columns" },
	{ DATA, "%PDF\n\x01\xff", MIME_AUTO, "base64", "JVBERgoB/w==\r\n",
	  "data: base64" },
	{ DATA, "BEGIN:VCALENDAR\r\n", MIME_8BIT, "8bit", "BEGIN:VCALENDAR\r\n",
	  "data as it is when asked" },
	{ MESSAGE, "Subject: x\n\nbody\n", MIME_AUTO, "",
	  "Subject: x\n\nbody\n", "an ASCII message: byte for byte, no label" },
	{ MESSAGE, "Subject: x\n\nčau\n", MIME_BASE64, "8bit",
	  "Subject: x\n\nčau\n", "an 8-bit message: labelled 8bit, never "
	  "encoded" },
};

START_TEST(test_encoding)
{
	struct mime_part *p;
	char *out, *head, *cte, *want;
	const char *body;

	switch (encodings[_i].leaf) {
	case TEXT:
		p = mime_text_new("plain", encodings[_i].in);
		break;
	case DATA:
		p = mime_data_new("application/octet-stream", encodings[_i].in,
		    strlen(encodings[_i].in));
		break;
	default:
		p = mime_message_new(encodings[_i].in,
		    strlen(encodings[_i].in));
	}
	mime_part_encoding(p, encodings[_i].ask);
	out = mime_detach(p, "t", NULL);
	split(out, &head, &body);
	cte = field(head, "Content-Transfer-Encoding");
	want = xasprintf("%s%s", *encodings[_i].cte ? " " : "",
	    encodings[_i].cte);
	ck_assert_msg(!strcmp(cte, want), "%s: got encoding '%s', want '%s'",
	    encodings[_i].what, cte, want);
	free(want);
	ck_assert_msg(!strcmp(body, encodings[_i].want), "%s: got body\n%s\n"
	    "want\n%s", encodings[_i].what, body, encodings[_i].want);
	free(cte);
	free(head);
	free(out);
	mime_part_free(p);
}
END_TEST

/* A line over 998 octets cannot go as 7bit: quoted-printable. */
START_TEST(test_long_line)
{
	char *text = xmalloc(1200), *out, *head, *cte;
	const char *body;
	struct mime_part *p;

	memset(text, 'a', 1100);
	strcpy(text + 1100, "\n");
	p = mime_text_new("plain", text);
	out = mime_detach(p, "t", NULL);
	split(out, &head, &body);
	cte = field(head, "Content-Transfer-Encoding");
	ck_assert_str_eq(cte, " quoted-printable");
	for (const char *l = body; *l; l = strstr(l, "\r\n") + 2)
		ck_assert_int_le(strstr(l, "\r\n") - l, 76);
	free(cte);
	free(head);
	free(out);
	free(text);
	mime_part_free(p);
}
END_TEST

/* ---- header fields ------------------------------------------------------ */

enum hkind { H_TEXT, H_ADDR, H_PLAIN };

static const struct {
	enum hkind kind;
	const char *name, *text, *addr, *want;
} headers[] = {
	{ H_TEXT, "Subject", "Hello there", NULL, "Subject: Hello there\r\n" },
	{ H_TEXT, "Subject", "Συνάντηση την Παρασκευή", NULL,
	  "Subject: =?UTF-8?B?zqPPhc69zqzOvc+EzrfPg863IM+EzrfOvSDOoM6xz4HO"
	  "sc+DzrrOtc+F?=\r\n"
	  " =?UTF-8?B?zq4=?=\r\n" },
	{ H_TEXT, "Subject", "스터디 모임 안내", NULL,
	  "Subject: =?UTF-8?B?7Iqk7YSw65SUIOuqqOyehCDslYjrgrQ=?=\r\n" },
	{ H_TEXT, "Subject", "Pálava v sobotu", NULL,
	  "Subject: =?UTF-8?B?UMOhbGF2YSB2IHNvYm90dQ==?=\r\n" },
	{ H_TEXT, "Subject", "line\r\nBcc: evil@example.com", NULL,
	  "Subject: line  Bcc: evil@example.com\r\n" },
	{ H_TEXT, "Subject", "looks =?UTF-8?B?bm90?= encoded", NULL,
	  "Subject: =?UTF-8?B?bG9va3MgPT9VVEYtOD9CP2JtOTA/PSBlbmNvZGVk?=\r\n" },
	{ H_ADDR, "From", "Jiří Dvořák", "jiri@example.cz",
	  "From: =?UTF-8?B?SmnFmcOtIER2b8WZw6Fr?= <jiri@example.cz>\r\n" },
	{ H_ADDR, "To", "김민준", "minjun@example.org",
	  "To: =?UTF-8?B?6rmA66+87KSA?= <minjun@example.org>\r\n" },
	{ H_ADDR, "From", "Γιώργος Παπαδόπουλος", "g@example.gr",
	  "From: =?UTF-8?B?zpPOuc+Oz4HOs86/z4IgzqDOsc+AzrHOtM+Mz4DOv8+FzrvO"
	  "v8+C?=\r\n"
	  " <g@example.gr>\r\n" },
	{ H_ADDR, "From", "Team \"A\" \\ B", "team@example.org",
	  "From: \"Team \\\"A\\\" \\\\ B\" <team@example.org>\r\n" },
	{ H_ADDR, "To", "", "x@example.net", "To: <x@example.net>\r\n" },
	{ H_ADDR, "To", NULL, "x@example.net\r\nBcc: <y@z>",
	  "To: <x@example.netBcc:y@z>\r\n" },
	{ H_PLAIN, "List-Unsubscribe", "<https://lists.example.org/u/"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa>, <mailto:team-unsubscribe+bbbbbbbb@"
	  "example.org>", NULL, "List-Unsubscribe: <https://lists.example.org/"
	  "u/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa>,\r\n <mailto:team-unsubscribe+"
	  "bbbbbbbb@example.org>\r\n" },
};

START_TEST(test_header)
{
	struct buf b;

	buf_init(&b);
	switch (headers[_i].kind) {
	case H_TEXT:
		mime_field_text(&b, headers[_i].name, headers[_i].text);
		break;
	case H_ADDR:
		mime_field_addr(&b, headers[_i].name, headers[_i].text,
		    headers[_i].addr);
		break;
	default:
		mime_field(&b, headers[_i].name, headers[_i].text);
	}
	ck_assert_msg(!strcmp(b.data, headers[_i].want), "got\n%s\nwant\n%s",
	    b.data, headers[_i].want);
	buf_release(&b);
}
END_TEST

/* An address list, folded after its commas. */
START_TEST(test_addrs)
{
	struct mime_addr v[] = { { "Olga Nováková", "olga@example.cz" },
		{ NULL, "dana@example.org" }, { "Wim", "wim@example.nl" } };
	struct buf b;

	buf_init(&b);
	mime_field_addrs(&b, "Cc", v, 3);
	ck_assert_str_eq(b.data, "Cc: =?UTF-8?B?T2xnYSBOb3bDoWtvdsOh?= "
	    "<olga@example.cz>, <dana@example.org>,\r\n \"Wim\" "
	    "<wim@example.nl>\r\n");
	buf_release(&b);
}
END_TEST

/*
 * Folding limits: every line of a field is at most 78 octets (or, when a
 * single word is longer, that word alone on its line and never over
 * 998); continuation lines start with white space and are never blank;
 * unfolded and decoded, the text is the same.
 */
/* 1 when line p[0..n) holds one word (after "Name:" on the first). */
static int
one_word(const char *p, size_t n, int first)
{
	const char *s = first ? memchr(p, ':', n) : p;

	ck_assert_ptr_nonnull(s);
	s++;
	while (s < p + n && *s == ' ')
		s++;
	return memchr(s, ' ', (size_t)(p + n - s)) == NULL;
}

static const char *const fold_texts[] = {
	"Συνάντηση την Παρασκευή · 금요일 모임 και πολύ μεγάλο κείμενο που "
	"πρέπει να χωριστεί σε πολλές λέξεις · Přehled výdajů za rok 2026",
	"a plain ASCII subject that is much longer than one line of seventy "
	"eight characters and so must be folded at white space, twice over",
	"😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀",
	"spaces  in   a    row     stay      as       they        are and "
	"the line is long enough to fold somewhere in the middle of them",
	"http://example.org/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
	"a URL longer than a line",
	"Συνάντηση την Παρασκευή · 금요일 모임 και πολύ μεγάλο κείμενο που "
	"πρέπει να χωριστεί σε πολλές λέξεις",
	NULL,	/* a word of 950 characters: set up in the test */
};

START_TEST(test_fold_limits)
{
	static const char *const names[] = { "Subject", "X-A-Much-Longer-"
	    "Field-Name-For-Folding" };
	char *text, *dec;
	struct buf b, raw;

	if (fold_texts[_i]) {
		text = xstrdup(fold_texts[_i]);
	} else {
		text = xmalloc(960);
		memset(text, 'w', 950);
		text[950] = '\0';
	}
	for (int k = 0; k < 2; k++) {
		const char *p, *colon;

		buf_init(&b);
		mime_field_text(&b, names[k], text);
		for (p = b.data; *p; p = strstr(p, "\r\n") + 2) {
			size_t n = (size_t)(strstr(p, "\r\n") - p);

			ck_assert_msg(n <= 78 || (n <= 998 && one_word(p, n,
			    p == b.data)), "line of %zu octets:\n%s", n,
			    b.data);
			ck_assert_msg(p == b.data || *p == ' ', "continuation "
			    "without white space:\n%s", b.data);
			ck_assert_msg(strspn(p, " \t") < n, "a blank line:\n%s",
			    b.data);
		}
		/* unfold, then decode what follows "Name:" */
		buf_init(&raw);
		for (p = b.data; *p; p++)
			if (*p != '\r' && *p != '\n')
				buf_addc(&raw, *p);
		/* (decoding would also join runs of spaces) */
		colon = strchr(raw.data, ':');
		dec = rfc2047_needed(text) ? rfc2047_decode(colon + 2,
		    strlen(colon + 2)) : xstrdup(colon + 2);
		ck_assert_msg(!strcmp(dec, text), "round trip: got '%s' want "
		    "'%s'", dec, text);
		free(dec);
		buf_release(&raw);
		buf_release(&b);
	}
	free(text);
}
END_TEST

/* Every encoded-word fits 75 characters and decodes alone (no split
 * character). */
START_TEST(test_encoded_words)
{
	struct buf b;
	char *copy, *p, *save;

	if (fold_texts[_i] == NULL)
		return;
	buf_init(&b);
	mime_field_text(&b, "Subject", fold_texts[_i]);
	copy = xstrdup(b.data);
	for (p = strtok_r(copy, " \r\n", &save); p; p = strtok_r(NULL,
	    " \r\n", &save)) {
		char *dec;

		if (strncmp(p, "=?", 2))
			continue;
		ck_assert_msg(strlen(p) <= 75, "word too long: %s", p);
		dec = rfc2047_decode(p, strlen(p));
		ck_assert_msg(strstr(dec, "\xef\xbf\xbd") == NULL,
		    "a word split a character: %s", p);
		free(dec);
	}
	free(copy);
	buf_release(&b);
}
END_TEST

/* ---- RFC 2231 parameters ----------------------------------------------- */

static const struct {
	const char *filename, *want;
} filenames[] = {
	{ "invite.ics", "Content-Disposition: attachment; "
	  "filename=\"invite.ics\"\r\n" },
	{ "say \"hi\".txt", "Content-Disposition: attachment; "
	  "filename=\"say \\\"hi\\\".txt\"\r\n" },
	{ "보고서.pdf", "Content-Disposition: attachment;\r\n"
	  " filename*=UTF-8''%EB%B3%B4%EA%B3%A0%EC%84%9C.pdf\r\n" },
	{ "Přehled výdajů.xlsx", "Content-Disposition: attachment;\r\n"
	  " filename*=UTF-8''P%C5%99ehled%20v%C3%BDdaj%C5%AF.xlsx\r\n" },
	{ "회의록 2026년 11월 스터디 모임 최종본.docx",
	  "Content-Disposition: attachment;\r\n"
	  " filename*0*=UTF-8''%ED%9A%8C%EC%9D%98%EB%A1%9D%202026%EB%85%84"
	  "%2011%EC%9B%94;\r\n"
	  " filename*1*=%20%EC%8A%A4%ED%84%B0%EB%94%94%20%EB%AA%A8%EC%9E%84"
	  "%20%EC%B5%9C;\r\n"
	  " filename*2*=%EC%A2%85%EB%B3%B8.docx\r\n" },
	{ "a-very-long-plain-file-name-that-does-not-fit-on-one-line-of-a-"
	  "header-at-all.txt", "Content-Disposition: attachment;\r\n"
	  " filename*0*=UTF-8''a-very-long-plain-file-name-that-does-not-fit-"
	  "on-one-line;\r\n"
	  " filename*1*=-of-a-header-at-all.txt\r\n" },
};

START_TEST(test_filename)
{
	struct mime_part *p = mime_data_new("application/octet-stream", "x", 1);
	char *out, *head, *got;
	const char *body, *s, *e;

	mime_part_disposition(p, MIME_ATTACHMENT, filenames[_i].filename);
	out = mime_detach(p, "t", NULL);
	split(out, &head, &body);
	s = strstr(head, "Content-Disposition:");
	ck_assert_ptr_nonnull(s);
	for (e = s; (e = strstr(e, "\r\n")) && e[2] == ' '; e += 2)
		;
	got = xstrndup(s, (size_t)(e + 2 - s));
	ck_assert_msg(!strcmp(got, filenames[_i].want), "got\n%s\nwant\n%s",
	    got, filenames[_i].want);
	for (s = head; (e = strstr(s, "\r\n")); s = e + 2)
		ck_assert_int_le(e - s, 78);
	free(got);
	free(head);
	free(out);
	mime_part_free(p);
}
END_TEST

/* ---- boundaries -------------------------------------------------------- */

/* The first boundary in msg (after boundary="), copied to out. */
static void
first_boundary(const char *msg, char *out, size_t n)
{
	const char *b = strstr(msg, "boundary=\"");

	ck_assert_ptr_nonnull(b);
	b += 10;
	snprintf(out, n, "%.*s", (int)strcspn(b, "\""), b);
}

/* A two-part mixed message whose first part holds text as it is. */
static struct mime_part *
adversary(const char *text, int how)
{
	struct mime_part *top = mime_multipart_new("mixed"), *p;

	switch (how) {
	case 0:
		p = mime_text_new("plain", text);
		break;
	case 1:
		p = mime_text_new("plain", text);
		mime_part_encoding(p, MIME_8BIT);
		break;
	case 2:
		p = mime_message_new(text, strlen(text));
		break;
	default:
		p = mime_text_new("plain", "x\n");
		mime_part_description(p, text);
	}
	mime_part_add(top, p);
	mime_part_add(top, mime_text_new("plain", "second\n"));
	return top;
}

/*
 * Content that holds, on a line of its own, exactly the boundary the
 * seed would give: the builder sees it and draws another, in a 7bit
 * text, an 8bit text, an attached message and a header value.
 */
START_TEST(test_boundary_not_in_content)
{
	char would[64], got[64], *text, *out;
	struct mime_part *p = adversary("harmless\n", _i);

	out = mime_detach(p, "adversary", NULL);
	first_boundary(out, would, sizeof(would));
	free(out);
	mime_part_free(p);
	/* 7bit text and the description stay ASCII: else they are encoded */
	text = xasprintf("Subject: trap\n\nbefore\n--%s\nContent-Type: text/"
	    "html\n\n<b>injected</b>\n--%s--\nafter%s\n", would, would,
	    _i == 1 || _i == 2 ? " \xc3\xa9" : "");
	p = adversary(text, _i);
	out = mime_detach(p, "adversary", NULL);
	first_boundary(out, got, sizeof(got));
	ck_assert_msg(strcmp(got, would), "the boundary in the content was "
	    "used: %s", got);
	ck_assert_msg(strstr(out, got) == strstr(out, "boundary=\"") + 10,
	    "the boundary first appears in its parameter");
	ck_assert_msg(strstr(out, would) != NULL, "the content is kept");
	free(out);
	free(text);
	mime_part_free(p);
}
END_TEST

/* Quoted-printable and base64 cannot hold "=_": no redraw is needed. */
START_TEST(test_boundary_encoded_content)
{
	char would[64], got[64], *text, *out;
	struct mime_part *top = mime_multipart_new("mixed"), *p;
	int n;

	mime_part_add(top, mime_text_new("plain", "é\n"));
	out = mime_detach(top, "enc", NULL);
	first_boundary(out, would, sizeof(would));
	free(out);
	mime_part_free(top);
	text = xasprintf("é\n--%s\n", would);
	top = mime_multipart_new("mixed");
	mime_part_add(top, mime_text_new("plain", text));
	p = mime_data_new("application/octet-stream", text, strlen(text));
	mime_part_add(top, p);
	out = mime_detach(top, "enc", NULL);
	first_boundary(out, got, sizeof(got));
	ck_assert_str_eq(got, would);
	/* the parameter, two delimiters and the close: nothing else */
	n = 0;
	for (const char *s = strstr(out, would); s; s = strstr(s + 1, would))
		n++;
	ck_assert_int_eq(n, 4);
	free(out);
	free(text);
	mime_part_free(top);
}
END_TEST

/* The same seed gives the same bytes; no seed, other boundaries. */
START_TEST(test_deterministic)
{
	struct mime_part *top = mime_multipart_new("alternative");
	char *a, *b, *c, ba[64], bc[64];

	mime_part_add(top, mime_text_new("plain", "text\n"));
	mime_part_add(top, mime_text_new("html", "<p>text</p>\n"));
	a = mime_detach(top, "seed", NULL);
	b = mime_detach(top, "seed", NULL);
	c = mime_detach(top, NULL, NULL);
	ck_assert_str_eq(a, b);
	first_boundary(a, ba, sizeof(ba));
	first_boundary(c, bc, sizeof(bc));
	ck_assert_str_ne(ba, bc);
	ck_assert_int_eq(strlen(ba), strlen(bc));
	ck_assert_msg(!strncmp(bc, "=_kith_", 7), "%s", bc);
	free(a);
	free(b);
	free(c);
	mime_part_free(top);
	mime_part_free(NULL);
}
END_TEST

/* ---- the builders on top: a notice ------------------------------------- */

/*
 * A notice with a Czech text and a held post attached: the text is
 * quoted-printable, the post goes byte for byte as message/rfc822
 * labelled 8bit, inline, and no header line passes 78 columns.
 */
START_TEST(test_notice)
{
	static const char post[] = "From: a@example.org\nSubject: =?UTF-8?Q?"
	    "=C4=8Dau?=\n\nAhoj, jak se m\xc3\xa1\xc5\xa1?\n";
	struct notice nt = { "Pražští turisté a přátelé z Brna a okolí",
		"turisti-owner@example.cz", "petr@example.org",
		"Váš příspěvek čeká na schválení moderátorem konference "
		"Pražští turisté", NULL, NULL, "<turisti.example.cz>",
		"Dobrý den,\nváš příspěvek čeká.\n", post, sizeof(post) - 1, 1, 0 };
	char *n = compose_notice(&nt, NULL), *head;
	const char *body, *p, *e;

	split(n, &head, &body);
	ck_assert_msg(strstr(head, "Content-Type: multipart/mixed;"), "%s", n);
	ck_assert_msg(strstr(body, "Content-Transfer-Encoding: quoted-printable"
	    "\r\n\r\nDobr=C3=BD den,\r\nv=C3=A1=C5=A1 p=C5=99=C3=ADsp=C4=9Bvek "
	    "=C4=8Dek=C3=A1.\r\n\r\n--"), "%s", body);
	ck_assert_msg(strstr(body, "Content-Type: message/rfc822\r\n"
	    "Content-Transfer-Encoding: 8bit\r\nContent-Disposition: inline"
	    "\r\n\r\n") && strstr(body, post), "%s", body);
	for (p = n; p < body; p = e + 2) {
		e = strstr(p, "\r\n");
		ck_assert_msg(e - p <= 78, "header line of %d: %.*s",
		    (int)(e - p), (int)(e - p), p);
	}
	free(head);
	free(n);
}
END_TEST

/* ---- whole trees against golden files ---------------------------------- */

static void
headers_of(struct mime_part *top, const char *subject)
{
	mime_header_addr(top, "From", "Pražští turisté", "turisti@example.cz");
	mime_header_addr(top, "To", "김민준", "minjun@example.org");
	mime_header_text(top, "Subject", subject);
	mime_header(top, "Date", "Mon, 01 Jun 2026 09:00:00 +0000");
	mime_header(top, "Message-ID", "<golden@example.org>");
}

/* text/plain alone */
static struct mime_part *
tree_text(void)
{
	struct mime_part *top = mime_text_new("plain", "Dobrý den,\n\nsraz v "
	    "8:00 na nádraží.\n");

	headers_of(top, "Pálava v sobotu");
	return top;
}

/* multipart/alternative: text and HTML */
static struct mime_part *
tree_alternative(void)
{
	struct mime_part *top = mime_multipart_new("alternative");

	headers_of(top, "Συνάντηση την Παρασκευή");
	mime_part_add(top, mime_text_new("plain", "Hello,\n\nthe news.\n"));
	mime_part_add(top, mime_text_new("html", "<p>Hello,</p>\n<p>the "
	    "<b>news</b>.</p>\n"));
	return top;
}

/* multipart/mixed: text and two attachments with Korean and Czech names */
static struct mime_part *
tree_mixed(void)
{
	static const unsigned char pdf[] = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
	    "1 0 obj\n<<>>\nendobj\n";
	struct mime_part *top = mime_multipart_new("mixed"), *p;

	headers_of(top, "스터디 자료 · Přílohy");
	mime_part_add(top, mime_text_new("plain", "Two files attached.\n"));
	p = mime_data_new("application/pdf", pdf, sizeof(pdf) - 1);
	mime_part_disposition(p, MIME_ATTACHMENT, "회의록 2026년 11월 "
	    "스터디 모임 최종본.pdf");
	mime_part_add(top, p);
	p = mime_data_new("text/csv", "a;b\n1;2\n", 8);
	mime_part_param(p, "name", "Přehled výdajů.csv");
	mime_part_disposition(p, MIME_ATTACHMENT, "Přehled výdajů.csv");
	mime_part_add(top, p);
	return top;
}

/* multipart/related: HTML with an inline image by Content-ID */
static struct mime_part *
tree_related(void)
{
	static const unsigned char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
	struct mime_part *top = mime_multipart_new("related"), *p;

	headers_of(top, "Logo");
	mime_part_param(top, "type", "text/html");
	mime_part_add(top, mime_text_new("html", "<p><img src=\"cid:logo@"
	    "example.org\"></p>\n"));
	p = mime_data_new("image/png", png, sizeof(png) - 1);
	mime_part_content_id(p, "logo@example.org");
	mime_part_disposition(p, MIME_INLINE, "logo.png");
	mime_part_add(top, p);
	return top;
}

/* a MIME digest (RFC 2046 5.1.5): contents, the posts, a footer */
static struct mime_part *
tree_digest(void)
{
	static const char post1[] = "From: petr@example.cz\nSubject: "
	    "=?UTF-8?Q?P=C3=A1lava?=\nContent-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n\nKdo jede na Pálavu?\n";
	static const char post2[] = "From: jiri@example.cz\nSubject: "
	    "Re: Palava\n\nJa.\n";
	struct mime_part *top = mime_multipart_new("mixed"), *d, *p;

	headers_of(top, "Turisti Digest, Vol 1, Issue 1");
	p = mime_text_new("plain", "Today's Topics:\n\n   1. Pálava (Petr)\n"
	    "   2. Re: Pálava (Jiří)\n");
	mime_part_encoding(p, MIME_8BIT);
	mime_part_description(p, "Today's Topics (2 messages)");
	mime_part_add(top, p);
	d = mime_multipart_new("digest");
	mime_part_add(d, mime_message_new(post1, strlen(post1)));
	mime_part_add(d, mime_message_new(post2, strlen(post2)));
	mime_part_add(top, d);
	p = mime_text_new("plain", "End of Turisti Digest, Vol 1, Issue 1\n");
	mime_part_encoding(p, MIME_8BIT);
	mime_part_description(p, "Digest Footer");
	mime_part_add(top, p);
	return top;
}

/* an invitation (RFC 6047): mixed [ alternative (text, HTML, calendar),
 * invite.ics ] */
static struct mime_part *
tree_invitation(void)
{
	static const char cal[] = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
	    "METHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:Pálava\r\n"
	    "END:VEVENT\r\nEND:VCALENDAR\r\n";
	struct mime_part *top = mime_multipart_new("mixed"), *alt, *p;

	headers_of(top, "Invitation: Pálava, Sat 12 Dec 2026, 08:00 CET");
	alt = mime_multipart_new("alternative");
	mime_part_add(alt, mime_text_new("plain", "You are invited, Olga.\n"));
	mime_part_add(alt, mime_text_new("html", "<p>You are invited, "
	    "Olga.</p>\n"));
	p = mime_text_new("calendar", cal);
	mime_part_param(p, "method", "REQUEST");
	mime_part_encoding(p, MIME_BASE64);
	mime_part_add(alt, p);
	mime_part_add(top, alt);
	p = mime_data_new("application/ics", cal, sizeof(cal) - 1);
	mime_part_param(p, "name", "invite.ics");
	mime_part_disposition(p, MIME_ATTACHMENT, "invite.ics");
	mime_part_add(top, p);
	return top;
}

static const struct {
	const char *name;
	struct mime_part *(*build)(void);
	int lf;		/* holds messages with LF lines, kept as they are */
} trees[] = {
	{ "text", tree_text, 0 },
	{ "alternative", tree_alternative, 0 },
	{ "mixed", tree_mixed, 0 },
	{ "related", tree_related, 0 },
	{ "digest", tree_digest, 1 },
	{ "invitation", tree_invitation, 0 },
};

START_TEST(test_golden)
{
	struct mime_part *top = trees[_i].build();
	char *got, *path = xasprintf("%s/%s.eml", MIME_DATA, trees[_i].name);
	size_t len;
	struct buf want;

	got = mime_detach(top, trees[_i].name, &len);
	if (getenv("KITH_UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "wb");

		ck_assert_ptr_nonnull(f);
		fwrite(got, 1, len, f);
		fclose(f);
	}
	buf_init(&want);
	ck_assert_msg(buf_read_file(&want, path) == 0, "no golden file %s "
	    "(KITH_UPDATE_GOLDEN=1 writes it)", path);
	ck_assert_msg(want.len == len && !memcmp(want.data, got, len),
	    "%s differs from what is built:\n%s", path, got);
	/* CRLF everywhere (but in attached messages), no line over 998 */
	for (size_t i = 0, col = 0; i < len; i++, col++) {
		if (got[i] == '\n') {
			ck_assert_msg(trees[_i].lf || (i > 0 && got[i - 1] ==
			    '\r'), "bare LF at %zu", i);
			col = 0;
		}
		ck_assert_msg(col <= 1000, "a line over 998 octets at %zu", i);
	}
	buf_release(&want);
	free(path);
	free(got);
	mime_part_free(top);
}
END_TEST

Suite *
mime_suite(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("core");

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
	tcase_add_loop_test(tc, test_encoding, 0, N(encodings));
	tcase_add_test(tc, test_long_line);
	tcase_add_loop_test(tc, test_header, 0, N(headers));
	tcase_add_test(tc, test_addrs);
	tcase_add_loop_test(tc, test_fold_limits, 0, N(fold_texts));
	tcase_add_loop_test(tc, test_encoded_words, 0, N(fold_texts));
	tcase_add_loop_test(tc, test_filename, 0, N(filenames));
	tcase_add_loop_test(tc, test_boundary_not_in_content, 0, 4);
	tcase_add_test(tc, test_boundary_encoded_content);
	tcase_add_test(tc, test_deterministic);
	tcase_add_test(tc, test_notice);
	tcase_add_loop_test(tc, test_golden, 0, N(trees));
#undef N
	suite_add_tcase(s, tc);
	return s;
}
