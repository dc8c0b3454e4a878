/*
 * test_deliverability - the modules of issue 17 that work on bytes alone:
 * DMARC records and organisational domains (dmarc.h), the settings the
 * filter reads (filter.h), the byte-range MIME tree (mimeedit.h: a
 * rebuild without edits gives the input back, byte for byte) and the
 * footer against golden files: tests/data/footer/NAME.eml with a text
 * footer -> tests/data/footer/out/NAME.txt.eml, with a text and an
 * HTML footer -> NAME.html.eml (KITH_UPDATE_GOLDEN=1 writes them; review
 * them with git diff).  t39-footer.sh reads the same shapes with
 * Python's email package through the whole post path.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/dmarc.h"
#include "kith/dns.h"
#include "kith/filter.h"
#include "kith/filter_rules.h"
#include "kith/footer.h"
#include "kith/mimeedit.h"
#include "kith/util.h"
#include "unit.h"

#define FOOTER_DATA TEST_DATA_DIR "/footer"

static const struct {
	const char *txt;
	int ok;		/* 0: a DMARC record */
	int p, sp, strict;
} records[] = {
	{ "v=DMARC1; p=reject", 0, DMARC_P_REJECT, -1, 0 },
	{ "v=DMARC1;p=quarantine;pct=20", 0, DMARC_P_QUARANTINE, -1, 0 },
	{ "v=DMARC1; p=none; sp=reject; adkim=s", 0, DMARC_P_NONE,
	  DMARC_P_REJECT, 1 },
	{ "  v = DMARC1 ;  P = Reject ; ", 0, DMARC_P_REJECT, -1, 0 },	/* ABNF literals: any case */
	{ "v=DMARC1; p=REJECT", 0, DMARC_P_REJECT, -1, 0 },
	{ "v=DMARC1; p = reject ;rua=mailto:x@y", 0, DMARC_P_REJECT, -1, 0 },
	{ "v=DMARC1; p=sometimes", 0, DMARC_P_NONE, -1, 0 },	/* as p=none */
	{ "v=DMARC1; p=reject; sp=bogus", 0, DMARC_P_NONE, -1, 0 },
	{ "v=DMARC1", 0, DMARC_P_NONE, -1, 0 },			/* no p= */
	{ "v=DMARC1; x=1; p=reject", 0, DMARC_P_REJECT, -1, 0 },
	{ "v=dmarc1; p=reject", -1, 0, 0, 0 },			/* %x44.4d... */
	{ "p=reject; v=DMARC1", -1, 0, 0, 0 },			/* v= first */
	{ "v=spf1 -all", -1, 0, 0, 0 },
	{ "", -1, 0, 0, 0 },
	{ "v=DMARC1 p=reject", -1, 0, 0, 0 },
};

START_TEST(test_dmarc_parse)
{
	struct dmarc_record r;
	int got = dmarc_parse(records[_i].txt, &r);

	ck_assert_msg(got == records[_i].ok, "'%s': got %d, want %d",
	    records[_i].txt, got, records[_i].ok);
	if (got == 0) {
		ck_assert_msg((int)r.p == records[_i].p, "'%s': p got %d want "
		    "%d", records[_i].txt, r.p, records[_i].p);
		ck_assert_msg(r.sp == records[_i].sp, "'%s': sp got %d want %d",
		    records[_i].txt, r.sp, records[_i].sp);
		ck_assert_int_eq(r.adkim_strict, records[_i].strict);
	}
}
END_TEST

START_TEST(test_dmarc_parse_bounded)
{
	struct dmarc_record r;
	char *big = xmalloc(5000);

	memset(big, ';', 4999);
	big[4999] = '\0';
	memcpy(big, "v=DMARC1; p=reject", 18);
	ck_assert_int_eq(dmarc_parse(big, &r), -1);	/* over 2048 bytes */
	free(big);
}
END_TEST

static const struct {
	const char *domain, *org;
} orgs[] = {
	{ "example.com", "example.com" },
	{ "mail.example.com", "example.com" },
	{ "a.b.c.example.co.uk", "example.co.uk" },
	{ "EXAMPLE.Org.", "example.org" },
	{ "co.uk", NULL },
	{ "com", NULL },
	{ "x.reject.example", "reject.example" },
	{ "", NULL },
};

START_TEST(test_org_domain)
{
	char *got = dmarc_org_domain(orgs[_i].domain);

	if (orgs[_i].org == NULL)
		ck_assert_msg(got == NULL, "'%s': got '%s', want none",
		    orgs[_i].domain, got);
	else
		ck_assert_msg(got && !strcmp(got, orgs[_i].org), "'%s': got "
		    "'%s', want '%s'", orgs[_i].domain, got ? got : "(none)",
		    orgs[_i].org);
	free(got);
}
END_TEST

static const struct {
	const char *key, *value;
	int ok;
} settings[] = {
	{ "mime_filter", "executables", 1 },
	{ "mime_filter", "none", 1 },
	{ "mime_filter", "", 1 },
	{ "mime_filter", "video/*, .zip, application/x-foo", 1 },
	{ "mime_filter", "executables .iso", 1 },
	{ "mime_filter", "bogus", 0 },
	{ "mime_filter", "a.b.c", 0 },
	{ "mime_filter", "video/", 0 },
	{ "spam_header", "spamassassin, rspamd", 1 },
	{ "spam_header", "off", 1 },
	{ "spam_header", "X-Verdict: spam|probable", 1 },
	{ "spam_header", "X Verdict: spam", 0 },
	{ "spam_header", "X-Verdict:", 0 },
	{ "spam_header", "bogus", 0 },
	{ "posting", "anyone", 0 },
};

START_TEST(test_filter_settings)
{
	ck_assert_msg(filter_setting_valid(settings[_i].key,
	    settings[_i].value) == settings[_i].ok, "%s '%s': want %d",
	    settings[_i].key, settings[_i].value, settings[_i].ok);
}
END_TEST

/* The .eml files of tests/data/footer, sorted; caller frees. */
static char **
footer_inputs(size_t *n)
{
	DIR *d = opendir(FOOTER_DATA);
	struct dirent *e;
	char **names = NULL;

	*n = 0;
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len > 4 && !strcmp(e->d_name + len - 4, ".eml")) {
			names = xrealloc(names, (*n + 1) * sizeof(*names));
			names[(*n)++] = xstrdup(e->d_name);
		}
	}
	closedir(d);
	for (size_t i = 1; i < *n; i++)
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0;
		    j--) {
			char *t = names[j];

			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	return names;
}

static void
free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

START_TEST(test_medit_identity)
{
	size_t n;
	char **names = footer_inputs(&n);
	const char *more[] = { TEST_DATA_DIR "/greek-korean-pdf.eml",
		TEST_DATA_DIR "/mime/mixed.eml", TEST_DATA_DIR "/mime/digest.eml",
		TEST_DATA_DIR "/mime/invitation.eml" };

	ck_assert_int_gt((int)n, 5);
	for (size_t i = 0; i < n + 4; i++) {
		char *path = i < n ? xasprintf("%s/%s", FOOTER_DATA, names[i]) :
		    xstrdup(more[i - n]), *out;
		struct medit_part *top;
		struct buf b;
		size_t len;

		buf_init(&b);
		ck_assert_msg(buf_read_file(&b, path) == 0, "%s", path);
		top = medit_parse(b.data, b.len);
		ck_assert_msg(top != NULL, "%s does not parse", path);
		out = medit_rebuild(top, NULL, 0, "\n", &len);
		ck_assert_msg(len == b.len && !memcmp(out, b.data, len),
		    "%s: rebuilt without edits, it differs", path);
		free(out);
		medit_free(top);
		buf_release(&b);
		free(path);
	}
	free_names(names, n);
}
END_TEST

START_TEST(test_medit_params)
{
	static const char msg[] = "Content-Type: multipart/mixed; boundary=\"b 1\"\n\n"
	    "--b 1\nContent-Type: application/octet-stream;\n"
	    " name*0*=utf-8''inv%C3%B6ice;\n name*1=\".pdf.exe\"\n"
	    "Content-Disposition: attachment\n\nx\n"
	    "--b 1\nContent-Type: text/plain; charset=\"ISO-8859-2\"; "
	    "format=flowed\nContent-Disposition: inline; filename="
	    "\"=?utf-8?q?p=C5=99=C3=ADloha.txt?=\"\n"
	    "Content-Transfer-Encoding: Quoted-Printable\n\ny\n--b 1--\n";
	struct medit_part *top = medit_parse(msg, strlen(msg));

	ck_assert_ptr_nonnull(top);
	ck_assert_str_eq(top->type, "multipart/mixed");
	ck_assert_int_eq((int)top->nkids, 2);
	ck_assert_str_eq(top->kids[0].filename, "invöice.pdf.exe");
	ck_assert_int_eq(top->kids[0].attachment, 1);
	ck_assert_str_eq(top->kids[1].charset, "iso-8859-2");
	ck_assert_str_eq(top->kids[1].format, "flowed");
	ck_assert_str_eq(top->kids[1].cte, "quoted-printable");
	ck_assert_str_eq(top->kids[1].filename, "příloha.txt");
	medit_free(top);
}
END_TEST

#define TEXT_FOOTER "-- \nTeam <team@example.org>\nLeave: mailto:team-unsubscribe@example.org\n"
#define HTML_FOOTER "<p class=\"footer\">Team: <a href=\"mailto:team-unsubscribe@example.org\">leave</a></p>\n"

/* footer_apply on input NAME against its golden file, with or without HTML. */
static void
golden(const char *name, int html)
{
	char *in = xasprintf("%s/%s", FOOTER_DATA, name);
	char *out = xasprintf("%s/out/%.*s.%s.eml", FOOTER_DATA,
	    (int)(strlen(name) - 4), name, html ? "html" : "txt");
	char why[160] = "", *got;
	struct buf b, want;
	size_t len = 0;

	buf_init(&b);
	ck_assert_msg(buf_read_file(&b, in) == 0, "%s", in);
	got = footer_apply(b.data, b.len, TEXT_FOOTER, html ? HTML_FOOTER :
	    NULL, &len, why, sizeof(why));
	ck_assert_msg(got != NULL, "%s: no footer: %s", name, why);
	if (getenv("KITH_UPDATE_GOLDEN")) {
		FILE *f = fopen(out, "wb");

		ck_assert_ptr_nonnull(f);
		fwrite(got, 1, len, f);
		fclose(f);
	}
	buf_init(&want);
	ck_assert_msg(buf_read_file(&want, out) == 0, "no golden file %s "
	    "(KITH_UPDATE_GOLDEN=1 writes it)", out);
	ck_assert_msg(want.len == len && !memcmp(want.data, got, len),
	    "%s differs from what footer_apply makes:\n%s", out, got);
	buf_release(&want);
	buf_release(&b);
	free(got);
	free(in);
	free(out);
}

START_TEST(test_footer_golden)
{
	size_t n;
	char **names = footer_inputs(&n);

	for (size_t i = 0; i < n; i++) {
		golden(names[i], 0);
		golden(names[i], 1);
	}
	free_names(names, n);
}
END_TEST

START_TEST(test_footer_sealed)
{
	static const char *const sealed[] = {
		"Content-Type: multipart/signed; protocol=\"application/"
		"pkcs7-signature\"; boundary=s\n\n--s\nContent-Type: text/plain"
		"\n\nsigned\n--s\nContent-Type: application/pkcs7-signature\n\n"
		"MIIB\n--s--\n",
		"Content-Type: multipart/encrypted; protocol=\"application/"
		"pgp-encrypted\"; boundary=e\n\n--e\nContent-Type: application/"
		"pgp-encrypted\n\nVersion: 1\n--e--\n",
		"Content-Type: application/pkcs7-mime; smime-type=enveloped-data"
		"\nContent-Transfer-Encoding: base64\n\nMIIB\n",
	};
	char why[160];
	size_t len;

	for (size_t i = 0; i < sizeof(sealed) / sizeof(sealed[0]); i++) {
		*why = '\0';
		ck_assert_ptr_null(footer_apply(sealed[i], strlen(sealed[i]),
		    TEXT_FOOTER, HTML_FOOTER, &len, why, sizeof(why)));
		ck_assert_msg(strstr(why, "left alone"), "why: %s", why);
	}
}
END_TEST

/* a configuration with a memo and a name server that refuses at once */
#define NO_SERVER "127.0.0.1@1"
static void
memo_config(struct kith_config *cfg, char *server, struct dns_memo *memo)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->dns_server = server;
	cfg->dns_timeout_ms = 300;
	cfg->dns_memo = memo;
}

/*
 * kith serve's memo (dns.h): a failure is kept DNS_MEMO_TEMP_TTL seconds,
 * so another thread's lookup of the name does not ask (or wait) again;
 * then it asks.  Without a memo every lookup asks.  Port 1 on 127.0.0.1
 * refuses at once.
 */
START_TEST(test_dns_memo)
{
	struct kith_config cfg;
	struct dns_memo *memo = dns_memo_new();
	struct dns *first, *other;
	struct dns_txt t;
	char server[] = NO_SERVER;

	memo_config(&cfg, server, memo);
	first = dns_new(&cfg, NULL);
	ck_assert_int_eq(dns_txt(first, "_dmarc.x.example", 1000, &t),
	    DNS_TEMP);
	ck_assert_uint_eq(dns_queries(first), 1);
	dns_txt_release(&t);
	other = dns_new(&cfg, NULL);
	ck_assert_int_eq(dns_txt(other, "_dmarc.x.example", 1009, &t),
	    DNS_TEMP);
	ck_assert_uint_eq(dns_queries(other), 0);
	ck_assert_msg(*t.why, "the failure's reason is kept with it");
	dns_txt_release(&t);
	ck_assert_int_eq(dns_txt(other, "_dmarc.x.example",
	    1000 + DNS_MEMO_TEMP_TTL, &t), DNS_TEMP);
	ck_assert_uint_eq(dns_queries(other), 1);
	dns_txt_release(&t);
	dns_free(other);
	dns_free(first);
	cfg.dns_memo = NULL;
	other = dns_new(&cfg, NULL);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(dns_txt(other, "_dmarc.x.example", 1000, &t),
		    DNS_TEMP);
		dns_txt_release(&t);
	}
	ck_assert_uint_eq(dns_queries(other), 2);
	dns_free(other);
	dns_memo_free(memo);
}
END_TEST

/*
 * A resolver that may not wait (kith serve's LMTP loop) learns whether
 * it would have to: a name the memo lacks is not asked, counted, and
 * not kept (the next real lookup asks); a name the memo holds, a
 * failure included, is answered as usual.
 */
START_TEST(test_dns_memo_only)
{
	struct kith_config cfg;
	struct dns_memo *memo = dns_memo_new();
	struct dns *loop, *helper;
	struct dns_txt t;
	char server[] = NO_SERVER;

	memo_config(&cfg, server, memo);
	loop = dns_new(&cfg, NULL);
	dns_memo_only(loop);
	ck_assert_int_eq(dns_txt(loop, "_dmarc.y.example", 1000, &t), DNS_TEMP);
	dns_txt_release(&t);
	ck_assert_uint_eq(dns_unasked(loop), 1);
	ck_assert_uint_eq(dns_queries(loop), 0);
	helper = dns_new(&cfg, NULL);
	ck_assert_int_eq(dns_txt(helper, "_dmarc.y.example", 1000, &t),
	    DNS_TEMP);
	dns_txt_release(&t);
	ck_assert_uint_eq(dns_queries(helper), 1);
	/* the helper's failure is in the memo now: known, not unasked */
	ck_assert_int_eq(dns_txt(loop, "_dmarc.y.example", 1001, &t), DNS_TEMP);
	dns_txt_release(&t);
	ck_assert_uint_eq(dns_unasked(loop), 1);
	ck_assert_uint_eq(dns_queries(loop), 0);
	dns_free(helper);
	dns_free(loop);
	dns_memo_free(memo);
}
END_TEST

Suite *
deliverability_suite(void)
{
	Suite *s = suite_create("deliverability");
	TCase *tc = tcase_create("core");

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
	tcase_add_loop_test(tc, test_dmarc_parse, 0, N(records));
	tcase_add_test(tc, test_dmarc_parse_bounded);
	tcase_add_loop_test(tc, test_org_domain, 0, N(orgs));
	tcase_add_loop_test(tc, test_filter_settings, 0, N(settings));
	tcase_add_test(tc, test_medit_identity);
	tcase_add_test(tc, test_medit_params);
	tcase_add_test(tc, test_footer_golden);
	tcase_add_test(tc, test_footer_sealed);
	tcase_add_test(tc, test_dns_memo);
	tcase_add_test(tc, test_dns_memo_only);
#undef N
	suite_add_tcase(s, tc);
	return s;
}
