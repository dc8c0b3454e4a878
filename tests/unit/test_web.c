/* test_web - the web pages without HTTP: tokens in URLs, logged paths,
 * listen addresses, the join form's rate limits, and web_handle itself
 * on a real database.  Table-driven. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/config.h"
#include "kith/db.h"
#include "kith/lists.h"
#include "kith/members.h"
#include "kith/throttle.h"
#include "kith/tokens.h"
#include "kith/util.h"
#include "kith/web.h"
#include "kith/weblinks.h"
#include "unit.h"

static const struct {
	const char *token;
	int ok;
	long long thing, member;
} parse_cases[] = {
	{ "17-0-abcdefghijklmnop", 0, 0, 17 },
	{ "4.17-zz-abcdefghijklmnop", 0, 4, 17 },
	{ "h.9.3-1a2b-abcdefghijklmnop", 0, 9, 3 },
	{ "h.9-0-abcdefghijklmnop", -1, 0, 0 },		/* h. needs two */
	{ "x-0-abcdefghijklmnop", -1, 0, 0 },
	{ "0-0-abcdefghijklmnop", -1, 0, 0 },		/* no member 0 */
	{ "4.-0-abcdefghijklmnop", -1, 0, 0 },
	{ "4.5.6-0-abcdefghijklmnop", -1, 0, 0 },
	{ "-0-abcdefghijklmnop", -1, 0, 0 },
	{ "17", -1, 0, 0 },
	{ "", -1, 0, 0 },
};	/* the shape only: web_resolve checks the MAC */

START_TEST(test_parse)
{
	int64_t thing = -1, member = -1;
	int r = weblink_parse(parse_cases[_i].token, &thing, &member);

	ck_assert_msg(r == parse_cases[_i].ok, "case %d: got %d", _i, r);
	if (r == 0)
		ck_assert_msg(thing == parse_cases[_i].thing &&
		    member == parse_cases[_i].member, "case %d: %lld.%lld", _i,
		    (long long)thing, (long long)member);
}
END_TEST

/* Tokens never reach a log line. */
static const struct {
	const char *path, *want;
} log_cases[] = {
	{ "/u/17-0-abcdefghijklmnop", "/u/[token]" },
	{ "/p/17-0-abcdefghijklmnop", "/p/[token]" },
	{ "/r/4.17-zz-abcdefghijklmnop", "/r/[token]" },
	{ "/m/h.9.3-1a2b-abcdefghijklmnop", "/m/[token]" },
	{ "/unsubscribe/team@example.org/17-0-abcdefghijklmnop",
	    "/unsubscribe/team@example.org/[token]" },
	{ "/l/team", "/l/team" },
	{ "/healthz", "/healthz" },
	{ "/", "/" },
	{ "/x/17-0-abcdefghijklmnop/y", "/x/[token]/y" },	/* any place */
	{ "/u/short", "/u/[token]" },
	{ "Error for /v/3.4-0-abcdefghijklmnop here",
	    "Error for /v/[token] here" },
};

START_TEST(test_log_path)
{
	char *got = web_log_path(log_cases[_i].path);

	ck_assert_msg(!strcmp(got, log_cases[_i].want), "case %d: got '%s'",
	    _i, got);
	free(got);
}
END_TEST

static const struct {
	const char *spec;
	int kind, port;
	const char *host;
} listen_cases[] = {
	{ "127.0.0.1:8025", 0, 8025, "127.0.0.1" },
	{ "localhost:80", 0, 80, "localhost" },
	{ "[::1]:8025", 0, 8025, "::1" },
	{ "0.0.0.0:0", 0, 0, "0.0.0.0" },
	{ "unix:/run/kith/serve.sock", 1, 0, "/run/kith/serve.sock" },
	{ "unix:relative.sock", -1, 0, NULL },
	{ "::1:8025", -1, 0, NULL },
	{ "127.0.0.1", -1, 0, NULL },
	{ "127.0.0.1:", -1, 0, NULL },
	{ ":8025", -1, 0, NULL },
	{ "127.0.0.1:65536", -1, 0, NULL },
	{ "127.0.0.1:80x", -1, 0, NULL },
	{ "[::1]8025", -1, 0, NULL },
};

START_TEST(test_listen)
{
	char host[128] = "";
	int port = -1;
	int kind = config_listen_parse(listen_cases[_i].spec, host, sizeof(host),
	    &port);

	ck_assert_msg(kind == listen_cases[_i].kind, "case %d: kind %d", _i,
	    kind);
	if (kind >= 0)
		ck_assert_msg(port == listen_cases[_i].port &&
		    !strcmp(host, listen_cases[_i].host), "case %d: %s %d", _i,
		    host, port);
}
END_TEST

/* GCRA with a burst: "3 at once, then one per interval". */
START_TEST(test_throttle_allow)
{
	char dir[256];
	struct db *db = unit_db(dir, sizeof(dir));
	int64_t wait, t = 1000000000000LL, iv = 1000000;	/* 1 s */
	int granted = 0;

	ck_assert_ptr_nonnull(db);
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(throttle_allow(db, "join-x", iv, 3, t, &wait),
		    KITH_OK);
		granted += wait == 0;
	}
	ck_assert_int_eq(granted, 3);
	ck_assert(wait > 0 && wait <= iv);
	/* one interval later, one more; then none */
	ck_assert_int_eq(throttle_allow(db, "join-x", iv, 3, t + iv, &wait),
	    KITH_OK);
	ck_assert_int_eq(wait, 0);
	throttle_allow(db, "join-x", iv, 3, t + iv, &wait);
	ck_assert(wait > 0);
	/* another scope is not touched */
	throttle_allow(db, "join-y", iv, 3, t + iv, &wait);
	ck_assert_int_eq(wait, 0);
	/* caught up: pruned, and a full burst again */
	ck_assert_int_eq(throttle_prune(db, "join-", t + 10 * iv), KITH_OK);
	ck_assert_int_eq(db_int(db, -1, NULL, "SELECT count(*) FROM throttle",
	    ""), 0);
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

/* The last of a query's plan (EXPLAIN QUERY PLAN's detail), or NULL. */
static char *
plan_of(struct db *db, const char *sql)
{
	char *q = xasprintf("EXPLAIN QUERY PLAN %s", sql), *plan = NULL;
	struct db_stmt *st = db_prepare(db, q);

	ck_assert_ptr_nonnull(st);
	while (db_step(st) == DB_ROW) {
		free(plan);
		plan = db_col_text(st, 3);
	}
	db_finalize(st);
	free(q);
	return plan;
}

/* Every leave, join and held post asks for the list's owners or
 * moderators: an index answers, not a walk through every member (the
 * one-click unsubscribe took 8 ms at 20,000 members without it).  The
 * index holds them only (schema 21): a member's join or leave writes
 * no entry of it, one random page of WAL fewer. */
START_TEST(test_owner_index)
{
	static const char *const asks[] = {
		/* member_staff (members.c) */
		"SELECT id, address FROM members WHERE list_id=? AND "
		"(role='owner' OR role='moderator')",
		/* the owners' notices (membership.c, bounce.c, inbound.c) */
		"SELECT address FROM members WHERE list_id=? AND role='owner'",
	};
	char dir[256];
	struct db *db = unit_db(dir, sizeof(dir));

	ck_assert_ptr_nonnull(db);
	for (size_t i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
		char *plan = plan_of(db, asks[i]);

		ck_assert_msg(plan && strstr(plan, "members_staff") &&
		    strstr(plan, "role=?"), "%s: plan: %s", asks[i],
		    plan ? plan : "(none)");
		free(plan);
	}
	ck_assert_int_eq(db_int(db, 0, NULL, "SELECT partial FROM "
	    "pragma_index_list('members') WHERE name='members_staff'", ""), 1);
	ck_assert_int_eq(db_int(db, 1, NULL, "SELECT count(*) FROM "
	    "pragma_index_list('members') WHERE name='members_role'", ""), 0);
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

/* A site with a list and a member, and its struct web. */
struct site {
	char dir[256];
	struct web *w;
	struct token_key *key;
	int64_t bob;
};

static void
site_open(struct site *s)
{
	struct kith_config cfg;
	char err[256], *conf, *secret;
	struct db *db = unit_db(s->dir, sizeof(s->dir));
	struct member m;
	FILE *f;

	ck_assert_ptr_nonnull(db);
	secret = xasprintf("%s/secret", s->dir);
	ck_assert_int_eq(token_secret_create(secret, err, sizeof(err)), 0);
	s->key = token_key_load(secret, err, sizeof(err));
	free(secret);
	ck_assert_int_eq(list_create(db, "team@example.org",
	    "alice@example.org", "Team", "", err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(member_add(db, 1, "bob@example.org", "Bob"),
	    MEMBER_ADDED);
	ck_assert_int_eq(member_find(db, 1, "bob@example.org", &m), KITH_OK);
	s->bob = m.id;
	member_release(&m);
	db_close(db);
	conf = xasprintf("%s/kith.conf", s->dir);
	f = fopen(conf, "w");
	fprintf(f, "[site]\ndata_dir = %s\nweb_base_url = https://x.example/\n"
	    "log_level = error\n", s->dir);
	fclose(f);
	ck_assert_int_eq(config_load(&cfg, conf, err, sizeof(err)), 0);
	free(conf);
	s->w = web_new(&cfg, err, sizeof(err));
	ck_assert_msg(s->w != NULL, "web_new: %s", err);
}

static void
site_close(struct site *s)
{
	web_free(s->w);
	token_key_free(s->key);
	unit_rmdir(s->dir);
}

static int
handle(struct site *s, const char *method, const char *path,
    const struct web_field *form, size_t nform, struct web_response *rs)
{
	struct web_request rq = { method, path, "192.0.2.1", NULL, 0, form,
		nform, NULL, NULL };

	web_response_init(rs);
	web_handle(s->w, &rq, rs);
	return rs->status;
}

static const struct {
	const char *method, *path;
	int status;
	enum web_kind kind;
} route_cases[] = {
	{ "GET", "/l/team", 200, WEB_READ },
	{ "HEAD", "/l/team@example.org", 200, WEB_READ },
	{ "GET", "/l/nosuch", 404, WEB_READ },
	{ "GET", "/metrics", 200, WEB_READ },
	{ "POST", "/metrics", 405, WEB_READ },
	{ "PUT", "/l/team", 405, WEB_READ },
	{ "GET", "/", 404, WEB_READ },
	{ "GET", "/u/", 404, WEB_READ },
	{ "GET", "/u/a/b", 404, WEB_READ },
	{ "GET", "/u/<script>", 404, WEB_READ },
	{ "GET", "/u/1-0-aaaaaaaaaaaaaaaa", 403, WEB_READ },	/* forged */
	{ "GET", "/u/999-0-aaaaaaaaaaaaaaaa", 410, WEB_READ },	/* nobody */
	{ "GET", "/p/1.2-0-aaaaaaaaaaaaaaaa", 403, WEB_READ },	/* wrong shape */
	{ "GET", "/m/5-0-aaaaaaaaaaaaaaaa", 403, WEB_READ },
	{ "POST", "/l/team", 403, WEB_WRITE },			/* no CSRF */
	{ "POST", "/m/h.1.1-0-aaaaaaaaaaaaaaaa", 403, WEB_WRITE_ALONE },
};

START_TEST(test_routes)
{
	struct site s;
	struct web_response rs;
	struct web_request rq = { route_cases[_i].method, route_cases[_i].path,
		NULL, NULL, 0, NULL, 0, NULL, NULL };

	site_open(&s);
	ck_assert_int_eq(handle(&s, route_cases[_i].method, route_cases[_i].path,
	    NULL, 0, &rs), route_cases[_i].status);
	ck_assert_int_eq(web_kind(&rq), route_cases[_i].kind);
	/* every page is a whole page, even an error */
	if (strcmp(route_cases[_i].path, "/metrics"))
		ck_assert(strstr(rs.body.data, "<!DOCTYPE html>") &&
		    strstr(rs.body.data, "</html>"));
	ck_assert_ptr_null(rs.log);
	web_response_release(&rs);
	site_close(&s);
}
END_TEST

/* The one-click POST through web_handle: what the HTTP layer hands it. */
START_TEST(test_oneclick)
{
	struct site s;
	struct web_response rs;
	struct web_field oneclick = { "List-Unsubscribe", "One-Click" };
	struct web_field wrong = { "List-Unsubscribe", "one-click" };
	char *tok, *path;

	site_open(&s);
	tok = weblink_token(s.key, WEBLINK_UNSUBSCRIBE, "team@example.org",
	    "bob@example.org", 0, s.bob, 0);
	path = xasprintf("/u/%s", tok);
	ck_assert_int_eq(handle(&s, "GET", path, NULL, 0, &rs), 200);
	ck_assert_ptr_nonnull(strstr(rs.body.data, "bob@example.org"));
	web_response_release(&rs);
	ck_assert_int_eq(handle(&s, "POST", path, &wrong, 1, &rs), 400);
	web_response_release(&rs);
	ck_assert_int_eq(handle(&s, "POST", path, &oneclick, 1, &rs), 200);
	ck_assert_ptr_nonnull(rs.log);
	ck_assert_ptr_null(strstr(rs.log, tok));	/* no token logged */
	ck_assert_int_eq(rs.mail, 1);
	web_response_release(&rs);
	ck_assert_int_eq(handle(&s, "POST", path, &oneclick, 1, &rs), 410);
	web_response_release(&rs);
	free(path);
	free(tok);
	site_close(&s);
}
END_TEST

/* Every value is escaped: a list named with markup shows it as text. */
START_TEST(test_escaped)
{
	struct site s;
	struct web_response rs;
	char *dbpath;
	struct db *db;
	char err[256];

	site_open(&s);
	dbpath = xasprintf("%s/kith.db", s.dir);
	ck_assert_int_eq(db_open(dbpath, 0, 1000, DB_FAST, &db, err,
	    sizeof(err)), KITH_OK);
	db_exec(db, "UPDATE lists SET name='<i>x</i>', description="
	    "'\"><script>alert(1)</script>'", "");
	db_close(db);
	free(dbpath);
	ck_assert_int_eq(handle(&s, "GET", "/l/team", NULL, 0, &rs), 200);
	ck_assert_ptr_null(strstr(rs.body.data, "<script>"));
	ck_assert_ptr_null(strstr(rs.body.data, "<i>"));
	ck_assert_ptr_nonnull(strstr(rs.body.data,
	    "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
	web_response_release(&rs);
	site_close(&s);
}
END_TEST

Suite *
web_suite(void)
{
	Suite *s = suite_create("web");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_parse, 0,
	    sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_loop_test(tc, test_log_path, 0,
	    sizeof(log_cases) / sizeof(log_cases[0]));
	tcase_add_loop_test(tc, test_listen, 0,
	    sizeof(listen_cases) / sizeof(listen_cases[0]));
	tcase_add_test(tc, test_throttle_allow);
	tcase_add_test(tc, test_owner_index);
	tcase_add_loop_test(tc, test_routes, 0,
	    sizeof(route_cases) / sizeof(route_cases[0]));
	tcase_add_test(tc, test_oneclick);
	tcase_add_test(tc, test_escaped);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
