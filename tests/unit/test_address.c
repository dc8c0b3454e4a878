/* test_address - normalisation and recipient splitting, table-driven. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kith/address.h"
#include "unit.h"

static const struct {
	const char *in, *want;	/* want NULL = invalid */
} norm_cases[] = {
	{ "Alice@Example.ORG", "alice@example.org" },
	{ "  <bob@example.org>  ", "bob@example.org" },
	{ "team+x.y@example.org", "team+x.y@example.org" },
	{ "o'neil@example.ie", "o'neil@example.ie" },
	{ "user@localhost", "user@localhost" },
	{ "no-at-sign", NULL },
	{ "@example.org", NULL },
	{ "a@", NULL },
	{ "a b@example.org", NULL },
	{ "a@exa mple.org", NULL },
	{ "a..b@example.org", NULL },
	{ ".a@example.org", NULL },
	{ "a@-example.org", NULL },
	{ "a@example..org", NULL },
	{ "a@b@c.org", NULL },
	{ "\"quoted\"@example.org", NULL },
	{ "a/../../etc@example.org", NULL },
	{ "a/b@example.org", "a/b@example.org" },
	{ "", NULL },
	/* an internationalised domain, in its ASCII form (IDNA2008): the
	 * Unicode and the ASCII spelling are one member */
	{ "karel@příklad.cz", "karel@xn--pklad-zsa96e.cz" },
	{ "Karel@PŘÍKLAD.CZ", "karel@xn--pklad-zsa96e.cz" },
	{ "karel@xn--pklad-zsa96e.cz", "karel@xn--pklad-zsa96e.cz" },
	{ "<jun@한국.kr>", "jun@xn--3e0b707e.kr" },
	{ "hans@straße.de", "hans@xn--strae-oqa.de" },	/* ß stays ß */
	{ "a@exa\xffmple.org", NULL },	/* not UTF-8 */
	{ "a@\xe2\x98\x83.org", NULL },	/* a snowman is no letter */
	/* the part before the @ in UTF-8 (RFC 6531), kept as it is */
	{ "지민@example.kr", "지민@example.kr" },
	{ "\xff@example.org", NULL },
};

/* How an older Kith stored it: only for a domain not in ASCII. */
START_TEST(test_stored_before)
{
	char *a = address_as_stored_before(" <Karel@Příklad.cz> ");

	ck_assert_str_eq(a, "karel@příklad.cz");
	free(a);
	ck_assert_ptr_null(address_as_stored_before("karel@example.cz"));
	ck_assert_ptr_null(address_as_stored_before("nonsense"));
}
END_TEST

START_TEST(test_normalize)
{
	char *got = address_normalize(norm_cases[_i].in);

	if (norm_cases[_i].want == NULL)
		ck_assert_msg(got == NULL, "'%s': got '%s', want invalid",
		    norm_cases[_i].in, got);
	else
		ck_assert_msg(got && !strcmp(got, norm_cases[_i].want),
		    "'%s': got '%s', want '%s'", norm_cases[_i].in,
		    got ? got : "(invalid)", norm_cases[_i].want);
	free(got);
}
END_TEST

/* Sub-addresses a feature answers (the table's come from features.c). */
static const char *const feature_suffixes[] = { "-events", "-poll", NULL };

START_TEST(test_candidates)
{
	struct recipient r[4];
	int n = recipient_candidates("Team-Request+abc@Example.org", '+',
	    feature_suffixes, r, 4);

	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(r[0].local, "team-request");
	ck_assert_int_eq(r[0].role, ROLE_POST);
	ck_assert_str_eq(r[1].local, "team");
	ck_assert_int_eq(r[1].role, ROLE_REQUEST);
	ck_assert_str_eq(r[1].detail, "abc");
	ck_assert_str_eq(r[1].domain, "example.org");
	for (int i = 0; i < n; i++)
		recipient_release(&r[i]);

	/* A list whose name ends like a suffix still routes by the whole name. */
	n = recipient_candidates("my-events@example.org", '+', feature_suffixes,
	    r, 4);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(r[0].local, "my-events");
	ck_assert_str_eq(r[1].local, "my");
	ck_assert_int_eq(r[1].role, ROLE_FEATURE);
	ck_assert_str_eq(r[1].suffix, "-events");
	for (int i = 0; i < n; i++)
		recipient_release(&r[i]);

	ck_assert_int_eq(recipient_candidates("not an address", '+',
	    feature_suffixes, r, 4), 0);
	n = recipient_candidates("team-confirm+tok-1-abc@example.org", '+',
	    feature_suffixes, r, 4);
	ck_assert_int_eq(r[1].role, ROLE_CONFIRM);
	ck_assert_str_eq(r[1].detail, "tok-1-abc");
	for (int i = 0; i < n; i++)
		recipient_release(&r[i]);
}
END_TEST

Suite *
address_suite(void)
{
	Suite *s = suite_create("address");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_normalize, 0,
	    (int)(sizeof(norm_cases) / sizeof(norm_cases[0])));
	tcase_add_test(tc, test_candidates);
	tcase_add_test(tc, test_stored_before);
	suite_add_tcase(s, tc);
	return s;
}
