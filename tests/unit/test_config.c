/* test_config - kith.conf parsing, defaults, errors, KITH_HOME. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kith/config.h"
#include "kith/util.h"
#include "unit.h"

static char *
write_tmp(const char *text)
{
	char *path = xstrdup("/tmp/kith-conf.XXXXXX");
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write_all(fd, text, strlen(text)), 0);
	close(fd);
	return path;
}

START_TEST(test_values_and_defaults)
{
	struct kith_config c;
	char err[256], *p = write_tmp("# comment\n[site]\ndomain = lists.example.org\n"
	    "data_dir=/srv/kith\n\n[smtp]\nconnections = 8\ntls_verify = off\n"
	    "password = hunter2\n");

	unsetenv("KITH_HOME");
	ck_assert_int_eq(config_load(&c, p, err, sizeof(err)), 0);
	ck_assert_str_eq(c.domain, "lists.example.org");
	ck_assert_str_eq(c.data_dir, "/srv/kith");
	ck_assert_str_eq(c.transport, "maildir:/srv/kith/mail");
	ck_assert_int_eq(c.smtp_connections, 8);
	ck_assert_int_eq(c.smtp_tls_verify, 0);
	ck_assert_str_eq(c.smtp_tls, "auto");
	ck_assert_int_eq(c.batch_size, 500);
	config_release(&c);

	setenv("KITH_HOME", "/var/lib/kith-test", 1);
	ck_assert_int_eq(config_load(&c, p, err, sizeof(err)), 0);
	ck_assert_str_eq(c.data_dir, "/var/lib/kith-test");
	config_release(&c);
	unsetenv("KITH_HOME");
	unlink(p);
	free(p);
}
END_TEST

static const struct {
	const char *text, *want_err;
} bad_cases[] = {
	{ "[site]\nnosuch = 1\n", "unknown setting 'nosuch' in [site]" },
	{ "[smtp]\nconnections = 0\n", "not a number from 1 to 64" },
	{ "[smtp]\nconnections = many\n", "not a number" },
	{ "[site]\ndeliver_on_receive = maybe\n", "not on or off" },
	{ "[site\n", "bad section line" },
	{ "just words\n", "expected 'name = value'" },
	{ "[smtp]\ntls = sometimes\n", "tls must be auto, require or off" },
	{ "[site]\ndelimiter = +-\n", "delimiter must be one character" },
};

START_TEST(test_errors)
{
	struct kith_config c;
	char err[256], *p = write_tmp(bad_cases[_i].text);

	ck_assert_int_eq(config_load(&c, p, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, bad_cases[_i].want_err), "got '%s', want '%s'",
	    err, bad_cases[_i].want_err);
	config_release(&c);
	unlink(p);
	free(p);
	ck_assert_int_eq(config_load(&c, "/nonexistent/kith.conf", err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "cannot read"), "%s", err);
	config_release(&c);
}
END_TEST

Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_values_and_defaults);
	tcase_add_loop_test(tc, test_errors, 0,
	    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}
