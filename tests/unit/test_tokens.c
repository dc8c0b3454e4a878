/* test_tokens - a token works for exactly what it was made for. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kith/tokens.h"
#include "kith/util.h"
#include "unit.h"

START_TEST(test_roundtrip_and_binding)
{
	struct token_key *k = token_key_new((const unsigned char *)
	    "0123456789abcdef0123456789abcdef", 32);
	struct token_key *other = token_key_new((const unsigned char *)
	    "fedcba9876543210fedcba9876543210", 32);
	char *t = token_make(k, "subscribe", "team@example.org",
	    "bob@example.org", "42", 2000000000), *p, *upper, *forged;

	ck_assert_ptr_nonnull(t);
	for (char *c = t; *c; c++)
		ck_assert_msg((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')
		    || *c == '-' || *c == '.', "token '%s' is not lower-case", t);
	ck_assert_int_eq(token_check(k, "subscribe", "team@example.org",
	    "bob@example.org", t, 1900000000, &p), 0);
	ck_assert_str_eq(p, "42");
	free(p);
	/* an MTA that upper-cases local parts does not break it */
	upper = xstrdup(t);
	for (char *c = upper; *c; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 32);
	ck_assert_int_eq(token_check(k, "subscribe", "team@example.org",
	    "bob@example.org", upper, 1900000000, &p), 0);
	free(p);
	/* any other purpose, list, address, key or time fails */
	ck_assert_int_eq(token_check(k, "unsubscribe", "team@example.org",
	    "bob@example.org", t, 1900000000, &p), -1);
	ck_assert_int_eq(token_check(k, "subscribe", "other@example.org",
	    "bob@example.org", t, 1900000000, &p), -1);
	ck_assert_int_eq(token_check(k, "subscribe", "team@example.org",
	    "eve@example.org", t, 1900000000, &p), -1);
	ck_assert_int_eq(token_check(other, "subscribe", "team@example.org",
	    "bob@example.org", t, 1900000000, &p), -1);
	ck_assert_int_eq(token_check(k, "subscribe", "team@example.org",
	    "bob@example.org", t, 2000000001, &p), -1);
	ck_assert_ptr_null(p);
	/* changing the payload or the expiry breaks the MAC */
	forged = xstrdup(t);
	forged[0] = '5';
	ck_assert_int_eq(token_check(k, "subscribe", "team@example.org",
	    "bob@example.org", forged, 1900000000, &p), -1);
	free(forged);
	forged = xasprintf("42-zzzzzzz-%s", strrchr(t, '-') + 1);
	ck_assert_int_eq(token_check(k, "subscribe", "team@example.org",
	    "bob@example.org", forged, 1900000000, &p), -1);
	free(forged);
	/* malformed input is refused, never crashes */
	ck_assert_int_eq(token_check(k, "subscribe", "team@example.org",
	    "bob@example.org", "", 0, &p), -1);
	ck_assert_int_eq(token_check(k, "subscribe", "team@example.org",
	    "bob@example.org", "a-b-c-d", 0, &p), -1);
	ck_assert_int_eq(token_check(k, "subscribe", "team@example.org",
	    "bob@example.org", "--", 0, &p), -1);
	ck_assert_ptr_null(token_make(k, "x", "l", "a", "BAD PAYLOAD", 0));
	free(upper);
	free(t);
	token_key_free(k);
	token_key_free(other);
}
END_TEST

START_TEST(test_never_expires)
{
	struct token_key *k = token_key_new((const unsigned char *)"secret-secret-secret", 20);
	char *t = token_make(k, "verp", "team", "a@b.c", "7", 0), *p;

	ck_assert_int_eq(token_check(k, "verp", "team", "a@b.c", t, 4000000000LL, &p), 0);
	ck_assert_str_eq(p, "7");
	free(p);
	free(t);
	token_key_free(k);
}
END_TEST

Suite *
tokens_suite(void)
{
	Suite *s = suite_create("tokens");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_roundtrip_and_binding);
	tcase_add_test(tc, test_never_expires);
	suite_add_tcase(s, tc);
	return s;
}
