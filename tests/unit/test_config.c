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
	{ "[storage]\nbackend = mysql\n",
	  "[storage] backend must be sqlite or postgresql, not 'mysql'" },
	{ "[storage]\nbackend = postgresql\n",
	  "[storage] backend = postgresql needs dsn" },
	{ "[site]\nweb_base_url = http://lists.example.org/\n",
	  "web_base_url must be an https:// address" },
	{ "[site]\nweb_base_url = https://lists.example.org/a b\n",
	  "web_base_url must be an https:// address" },
	{ "[site]\narchive_url = javascript:alert(1)\n",
	  "archive_url must be an http:// or https:// address" },
	{ "[site]\narchive_url = https://x.example/\"onmouseover\n",
	  "archive_url must be an http:// or https:// address" },
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

/* where the database is, and how it is shown: never the password */
static const struct {
	const char *text, *path, *label;
} storage_cases[] = {
	{ "[site]\ndata_dir = /srv/k\n", "/srv/k/kith.db", "/srv/k/kith.db" },
	{ "[storage]\nbackend = sqlite\ndsn = host=x\n[site]\n"
	  "data_dir = /srv/k\n", "/srv/k/kith.db", "/srv/k/kith.db" },
	{ "[storage]\nbackend = postgresql\ndsn = host=/run/postgresql "
	  "dbname=kith\n", "postgresql:host=/run/postgresql dbname=kith",
	  "postgresql:host=/run/postgresql dbname=kith" },
	{ "[storage]\nbackend = postgresql\ndsn = host=db password=s3cret "
	  "dbname=kith\n", "postgresql:host=db password=s3cret dbname=kith",
	  "postgresql:host=db password=(set) dbname=kith" },
	{ "[storage]\nbackend = postgresql\ndsn = host=db password = "
	  "'s3 \\' cret' user=k\n",
	  "postgresql:host=db password = 's3 \\' cret' user=k",
	  "postgresql:host=db password = (set) user=k" },
	{ "[storage]\nbackend = postgresql\ndsn = postgresql://kith:s3cret@"
	  "db.example.org/kith?sslmode=require&password=s3cret\n",
	  "postgresql:postgresql://kith:s3cret@db.example.org/kith?"
	  "sslmode=require&password=s3cret",
	  "postgresql:postgresql://kith:(set)@db.example.org/kith?"
	  "sslmode=require&password=(set)" },
};

START_TEST(test_storage)
{
	struct kith_config c;
	char err[256], *p = write_tmp(storage_cases[_i].text), *got, *dump;
	size_t n;
	FILE *f;

	unsetenv("KITH_HOME");
	ck_assert_msg(config_load(&c, p, err, sizeof(err)) == 0, "%s", err);
	got = config_db_path(&c);
	ck_assert_str_eq(got, storage_cases[_i].path);
	free(got);
	got = config_db_label(&c);
	ck_assert_str_eq(got, storage_cases[_i].label);
	free(got);
	/* kith check's dump shows the dsn as the label does */
	f = open_memstream(&dump, &n);
	config_dump(&c, f);
	fclose(f);
	ck_assert_ptr_null(strstr(dump, "s3cret"));
	ck_assert_ptr_nonnull(strstr(dump, "[storage]\nbackend = "));
	free(dump);
	config_release(&c);
	unlink(p);
	free(p);
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
	tcase_add_loop_test(tc, test_storage, 0,
	    (int)(sizeof(storage_cases) / sizeof(storage_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}
