/*
 * test_archive_search - the search query parser (what a person types ->
 * the FTS5 expression and the filters), the engine over a small archive
 * in several scripts, migration 14 rebuilding the index of an archive
 * an older Kith left, and the statement cache the archive's pages use
 * (db_cached) with two threads at once.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kith/archive.h"
#include "kith/archive_search.h"
#include "kith/db.h"
#include "kith/fts.h"
#include "kith/lists.h"
#include "kith/message.h"
#include "kith/util.h"
#include "unit.h"

static int64_t
day(int y, int m, int d)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	return (int64_t)timegm(&tm);
}

/* query -> match expression, from, after (YYYYMMDD), before */
static const struct {
	const char *q, *match, *from;
	int after, before;
} parse_cases[] = {
	{ "picnic", "\"picnic\"", NULL, 0, 0 },
	{ "picnic saturday", "\"picnic\" AND \"saturday\"", NULL, 0, 0 },
	{ "  Picnic\tSATURDAY  ", "\"Picnic\" AND \"SATURDAY\"", NULL, 0, 0 },
	{ "\"book club\" tea", "\"book club\" AND \"tea\"", NULL, 0, 0 },
	{ "\"unclosed phrase", "\"unclosed phrase\"", NULL, 0, 0 },
	{ "picn*", "\"picn\"*", NULL, 0, 0 },
	{ "*", NULL, NULL, 0, 0 },
	{ "tea -coffee", "(\"tea\") NOT (\"coffee\")", NULL, 0, 0 },
	{ "tea -coffee -\"green tea\"",
	  "(\"tea\") NOT (\"coffee\" OR \"green tea\")", NULL, 0, 0 },
	{ "-coffee", NULL, NULL, 0, 0 },
	{ "- tea", "\"tea\"", NULL, 0, 0 },
	/* FTS5's syntax is never reached: quotes, operators, columns */
	{ "a\"b", "\"a\"\"b\"", NULL, 0, 0 },
	{ "NEAR(a b) OR body:x", "\"NEAR(a\" AND \"b)\" AND \"OR\" AND "
	  "\"body:x\"", NULL, 0, 0 },
	{ "x\"\" OR \"\"y", "\"x\"\"\"\"\" AND \"OR\" AND \"y\"", NULL, 0, 0 },
	{ "^start", "\"^start\"", NULL, 0, 0 },
	{ "--- ...", NULL, NULL, 0, 0 },
	/* scripts */
	{ "καλημερα", "\"καλημερα\"", NULL, 0, 0 },
	{ "화요일", "\"화요일\"", NULL, 0, 0 },
	{ "議", "\"議\"*", NULL, 0, 0 },
	{ "회", "\"회\"*", NULL, 0, 0 },
	{ "회의", "\"회의\"", NULL, 0, 0 },
	/* fields */
	{ "subject:picnic", "subject : \"picnic\"", NULL, 0, 0 },
	{ "Subject:\"book club\" tea", "subject : \"book club\" AND \"tea\"",
	  NULL, 0, 0 },
	{ "subject:pic*", "subject : \"pic\"*", NULL, 0, 0 },
	{ "from:alice", NULL, "alice", 0, 0 },
	{ "from:\"Alice Doe\" tea", "\"tea\"", "Alice Doe", 0, 0 },
	{ "from:a from:b", NULL, "b", 0, 0 },
	{ "after:2026-05-01", NULL, NULL, 20260501, 0 },
	{ "after:2026-05 before:2026-06-15", NULL, NULL, 20260501, 20260615 },
	{ "before:2027 tea", "\"tea\"", NULL, 0, 20270101 },
	{ "after:yesterday", NULL, NULL, 0, 0 },
	{ "after:2026-13-01", NULL, NULL, 0, 0 },
	{ "after:2027-02-29", NULL, NULL, 0, 0 },	/* no such day */
	{ "before:2026-04-31", NULL, NULL, 0, 0 },
	{ "before:2028-02-29", NULL, NULL, 0, 20280229 },
	{ "after:1969", NULL, NULL, 0, 0 },
	{ "after: tea", "\"after:\" AND \"tea\"", NULL, 0, 0 },
	{ "", NULL, NULL, 0, 0 },
	{ "   ", NULL, NULL, 0, 0 },
};

START_TEST(test_parse)
{
	struct search_query sq;
	int rc = archive_search_parse(parse_cases[_i].q, &sq);
	int64_t after = parse_cases[_i].after, before = parse_cases[_i].before;
	int want_none = !parse_cases[_i].match && !parse_cases[_i].from &&
	    !after && !before;

	ck_assert_msg(rc == (want_none ? -1 : 0), "case %d '%s': rc %d", _i,
	    parse_cases[_i].q, rc);
	if (rc < 0)
		return;
	ck_assert_msg((sq.match == NULL) == (parse_cases[_i].match == NULL) &&
	    (sq.match == NULL || !strcmp(sq.match, parse_cases[_i].match)),
	    "case %d '%s': got match '%s', want '%s'", _i, parse_cases[_i].q,
	    sq.match ? sq.match : "(null)", parse_cases[_i].match ?
	    parse_cases[_i].match : "(null)");
	ck_assert_msg((sq.from == NULL) == (parse_cases[_i].from == NULL) &&
	    (sq.from == NULL || !strcmp(sq.from, parse_cases[_i].from)),
	    "case %d '%s': got from '%s'", _i, parse_cases[_i].q,
	    sq.from ? sq.from : "(null)");
	ck_assert_msg(sq.after == (after ? day((int)(after / 10000),
	    (int)(after / 100 % 100), (int)(after % 100)) : 0) &&
	    sq.before == (before ? day((int)(before / 10000),
	    (int)(before / 100 % 100), (int)(before % 100)) : 0),
	    "case %d '%s': got after %lld before %lld", _i, parse_cases[_i].q,
	    (long long)sq.after, (long long)sq.before);
	archive_search_release(&sq);
}
END_TEST


/* A query longer than is read: cut whole, before a character that would
 * not fit, and never read past its end (a short one). */
START_TEST(test_parse_long)
{
	struct search_query sq;
	struct buf q, want;

	buf_init(&q);
	buf_init(&want);
	buf_adds(&q, "a");
	for (int i = 0; i < 600; i++)	/* 1,201 bytes; byte 1,000 is in an é */
		buf_adds(&q, "\xc3\xa9");
	buf_adds(&want, "\"a");
	for (int i = 0; i < 499; i++)
		buf_adds(&want, "\xc3\xa9");
	buf_adds(&want, "\"");
	ck_assert_int_eq(archive_search_parse(q.data, &sq), 0);
	ck_assert_str_eq(sq.match, want.data);
	archive_search_release(&sq);
	{
		char *shortq = xstrdup("tea");	/* on the heap: ASan sees */

		ck_assert_int_eq(archive_search_parse(shortq, &sq), 0);
		ck_assert_str_eq(sq.match, "\"tea\"");
		archive_search_release(&sq);
		free(shortq);
	}
	buf_release(&q);
	buf_release(&want);
}
END_TEST

/* ---- the engine over a small archive ---- */

static const struct {
	const char *from, *name, *subject, *body;
	int y, m, d;
} posts[] = {
	{ "alice@example.org", "Alice Novak", "Picnic on Saturday",
	  "Bring a blanket and something to share.", 2026, 5, 2 },
	{ "bob@example.org", "Bob", "Re: Picnic on Saturday",
	  "I will bring tea. The picnic starts at noon.", 2026, 5, 3 },
	{ "minji@example.kr", "김민지", "화요일 모임",
	  "화요일에 만나요. 회의는 3시에 시작합니다.", 2026, 5, 20 },
	{ "eleni@example.gr", "Ελένη", "Καλημέρα",
	  "Καλημέρα σε όλους! Θα έρθω την Παρασκευή.", 2026, 6, 1 },
	{ "jan@example.cz", "Jan Dvořák", "Příliš žluťoučký kůň",
	  "Úpěl ďábelské ódy u řeky.", 2026, 6, 10 },
	{ "yuki@example.jp", "Yuki", "会議のお知らせ",
	  "明日の会議は十時からです。", 2026, 6, 12 },
	{ "carol@example.org", "Carol", "Book club",
	  "The green tea was lovely; next time coffee. My address is "
	  "carol@example.org.", 2026, 6, 20 },
	{ "dan@example.org", "Dan", "Minutes of June",
	  "The club met on Tuesday and decided nothing at all, as usual, "
	  "after a long talk.", 2026, 6, 21 },
};

static struct db *db;
static char dir[256];
static int64_t list_id;

static void
archive_setup(void)
{
	char err[256];
	struct list l;

	db = unit_db(dir, sizeof(dir));
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(list_create(db, "team@example.org",
	    "alice@example.org", "Team", "", err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_find(db, "team", &l, err, sizeof(err)), KITH_OK);
	list_id = l.id;
	list_release(&l);
	for (size_t i = 0; i < sizeof(posts) / sizeof(posts[0]); i++) {
		char *raw = xasprintf("From: \"%s\" <%s>\nSubject: %s\n"
		    "Message-ID: <p%zu@test>\nContent-Type: text/plain; "
		    "charset=utf-8\n\n%s\n", posts[i].name, posts[i].from,
		    posts[i].subject, i, posts[i].body);
		struct message m;
		int64_t id;

		ck_assert_int_eq(message_parse(&m, raw, strlen(raw), err,
		    sizeof(err)), 0);
		ck_assert_int_eq(archive_store(db, list_id, &m, m.message_id, 1,
		    &id), KITH_OK);
		ck_assert_int_eq(db_exec(db, "UPDATE posts SET received=? "
		    "WHERE id=?", "ii", day(posts[i].y, posts[i].m,
		    posts[i].d) + 3600, id), KITH_OK);
		message_release(&m);
		free(raw);
	}
}

static void
archive_teardown(void)
{
	db_close(db);
	unit_rmdir(dir);
}

struct hits {
	char ids[256];		/* "1,2," in result order */
	char snippet[512];	/* the first hit's */
};

static int
collect(const struct search_hit *h, void *ctx)
{
	struct hits *x = ctx;
	size_t n = strlen(x->ids);

	snprintf(x->ids + n, sizeof(x->ids) - n, "%lld,", (long long)h->p.id);
	if (n == 0 && h->snippet)
		snprintf(x->snippet, sizeof(x->snippet), "%s", h->snippet);
	return 0;
}

/* query -> the post ids found, in order; a word the first snippet marks */
static const struct {
	const char *q, *ids, *marked;
	int names_only;
} run_cases[] = {
	{ "picnic", "2,1,", "\x01picnic\x02", 0 },	/* twice beats once */
	{ "club", "7,8,", NULL, 0 },	/* the subject counts more */
	{ "PICNIC saturday", "1,2,", NULL, 0 },
	{ "\"bring tea\"", "2,", "\x01" "bring tea\x02", 0 },
	{ "\"tea bring\"", "", NULL, 0 },
	{ "bring -tea", "1,", NULL, 0 },
	{ "blank*", "1,", "\x01" "blanket\x02", 0 },
	{ "화요일", "3,", "\x01화요일\x02", 0 },
	{ "요일에", "3,", NULL, 0 },	/* inside a longer word */
	{ "회의", "3,", "\x01회의\x02", 0 },	/* two characters */
	{ "회", "3,", NULL, 0 },
	{ "만나요 시작합니다", "3,", NULL, 0 },
	{ "καλημερα", "4,", "\x01Καλημέρα\x02", 0 },
	{ "ΚΑΛΗΜΕΡΑ", "4,", NULL, 0 },
	{ "παρασκευη", "4,", NULL, 0 },
	{ "prilis zlutoucky", "5,", NULL, 0 },
	{ "RYBA", "", NULL, 0 },
	{ "会議", "6,", NULL, 0 },
	{ "議", "6,", NULL, 0 },
	{ "明日", "6,", NULL, 0 },
	{ "subject:tea", "", NULL, 0 },
	{ "subject:picnic", "1,2,", NULL, 0 },
	{ "from:alice", "1,", NULL, 0 },
	{ "from:novak", "1,", NULL, 0 },
	{ "from:example.org picnic", "2,1,", NULL, 0 },
	{ "from:example.org picnic", "", NULL, 1 },	/* addresses hidden */
	{ "from:bob@ picnic", "2,", NULL, 1 },
	{ "from:김민지", "3,", NULL, 0 },
	{ "after:2026-06", "8,7,6,5,4,", NULL, 0 },
	{ "after:2026-06 before:2026-06-11", "5,4,", NULL, 0 },
	{ "tea before:2026-06", "2,", NULL, 0 },
	{ "100%", "", NULL, 0 },
	{ "from:%", "", NULL, 0 },
};

START_TEST(test_run)
{
	struct search_opts o = { list_id, 0, 0, run_cases[_i].names_only };
	struct search_query sq;
	struct hits x;

	memset(&x, 0, sizeof(x));
	ck_assert_int_eq(archive_search_parse(run_cases[_i].q, &sq), 0);
	ck_assert_int_eq(archive_search_run(db, &o, &sq, collect, &x), KITH_OK);
	ck_assert_msg(!strcmp(x.ids, run_cases[_i].ids), "case %d '%s': got "
	    "'%s', want '%s'", _i, run_cases[_i].q, x.ids, run_cases[_i].ids);
	if (run_cases[_i].marked)
		ck_assert_msg(strstr(x.snippet, run_cases[_i].marked), "case %d "
		    "'%s': snippet '%s' lacks '%s'", _i, run_cases[_i].q,
		    x.snippet, run_cases[_i].marked);
	archive_search_release(&sq);
}
END_TEST

/* A page at a time: limit and offset. */
START_TEST(test_pages)
{
	struct search_opts o = { list_id, 2, 2, 0 };
	struct search_query sq;
	struct hits x;

	memset(&x, 0, sizeof(x));
	ck_assert_int_eq(archive_search_parse("after:2026-05", &sq), 0);
	ck_assert_int_eq(archive_search_run(db, &o, &sq, collect, &x), KITH_OK);
	ck_assert_str_eq(x.ids, "6,5,");
	archive_search_release(&sq);
}
END_TEST

/*
 * A word in more posts than the ranking window: the best of the newest
 * 2,000 come first (the oldest post, with the word twice in its
 * subject, is not among them); with a filter every match is ranked.
 */
START_TEST(test_window)
{
	struct search_opts o = { 0, 1, 0, 0 };
	struct search_query sq;
	struct hits x;
	char err[256], *raw, first[32];
	struct list l;
	int64_t id;

	ck_assert_int_eq(list_create(db, "big@example.org", "a@example.org",
	    "Big", "", err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_find(db, "big", &l, err, sizeof(err)), KITH_OK);
	o.list_id = l.id;
	ck_assert_int_eq(db_begin(db), KITH_OK);
	for (int i = 0; i < 2100; i++) {
		struct message m;

		raw = xasprintf("From: w%d@example.org\nSubject: %s\n"
		    "Message-ID: <w%d@test>\n\nsome plain words and apple "
		    "%d\n", i, i == 0 ? "apple apple" : "other", i, i);
		ck_assert_int_eq(message_parse(&m, raw, strlen(raw), err,
		    sizeof(err)), 0);
		ck_assert_int_eq(archive_store(db, l.id, &m, m.message_id, 1,
		    &id), KITH_OK);
		message_release(&m);
		free(raw);
	}
	ck_assert_int_eq(db_commit(db), KITH_OK);
	memset(&x, 0, sizeof(x));
	ck_assert_int_eq(archive_search_parse("apple", &sq), 0);
	ck_assert_int_eq(archive_search_run(db, &o, &sq, collect, &x), KITH_OK);
	snprintf(first, sizeof(first), "%lld,", (long long)db_int(db, 0, NULL,
	    "SELECT id FROM posts WHERE message_id='w0@test'", ""));
	ck_assert_msg(x.ids[0] && strcmp(x.ids, first), "the oldest post is "
	    "outside the window: got '%s'", x.ids);
	archive_search_release(&sq);
	memset(&x, 0, sizeof(x));
	ck_assert_int_eq(archive_search_parse("apple from:example.org", &sq), 0);
	ck_assert_int_eq(archive_search_run(db, &o, &sq, collect, &x), KITH_OK);
	ck_assert_str_eq(x.ids, first);
	archive_search_release(&sq);
	list_release(&l);
}
END_TEST

/* store_long - a post of 3,000 lines: line, but other at the line
 * numbered at; its id */
static int64_t
store_long(const char *head, const char *line, int at, const char *other,
    int at2, const char *other2)
{
	char err[256];
	struct buf raw;
	struct message m;
	int64_t id;

	buf_init(&raw);
	buf_adds(&raw, head);
	for (int i = 0; i < 3000; i++)
		buf_adds(&raw, i == at ? other : i == at2 ? other2 : line);
	ck_assert_int_eq(message_parse(&m, raw.data, raw.len, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(archive_store(db, list_id, &m, m.message_id, 1, &id),
	    KITH_OK);
	message_release(&m);
	buf_release(&raw);
	return id;
}

/* search_first - the posts q finds (x->ids) and the first's snippet */
static void
search_first(const char *q, struct hits *x)
{
	struct search_opts o = { 0, 5, 0, 0 };
	struct search_query sq;

	o.list_id = list_id;
	memset(x, 0, sizeof(*x));
	ck_assert_int_eq(archive_search_parse(q, &sq), 0);
	ck_assert_int_eq(archive_search_run(db, &o, &sq, collect, x), KITH_OK);
	archive_search_release(&sq);
}

/* A long text is read in chunks: words past the first are found and
 * marked where they are. */
START_TEST(test_long_text)
{
	struct hits x;

	store_long("From: z@example.org\nSubject: long\nMessage-ID: "
	    "<long@test>\nContent-Type: text/plain; charset=utf-8\n\n",
	    "filler words in a long line of text here\n",
	    2000, "haystack needle haystack\n", 2900, "한국어로 숨바꼭질했어요\n");
	search_first("needle", &x);
	ck_assert_msg(strstr(x.snippet, "haystack \x01needle\x02 haystack"),
	    "snippet '%s'", x.snippet);
	search_first("숨바꼭질", &x);
	ck_assert_msg(strstr(x.snippet, "\x01숨바꼭질\x02했어요"), "snippet '%s'",
	    x.snippet);
}
END_TEST

/* An ASCII text goes to unicode61 as it is, chunk by chunk: a word in
 * the second chunk is marked where it is, not where the first chunk's
 * offsets would put it. */
START_TEST(test_long_ascii)
{
	struct hits x;
	char want[32];
	int64_t id = store_long("From: z@example.org\nSubject: ascii\n"
	    "Message-ID: <ascii@test>\n\n",
	    "plain words in a long line of text here\n",
	    2500, "straw bales, one Pincushion, straw\n", -1, NULL);

	search_first("PINCUSHION", &x);
	snprintf(want, sizeof(want), "%lld,", (long long)id);
	ck_assert_str_eq(x.ids, want);
	ck_assert_msg(strstr(x.snippet, "one \x01Pincushion\x02, straw"),
	    "snippet '%s'", x.snippet);
}
END_TEST

/* ---- db_cached: connections in two threads at once ---- */

struct hammer {
	struct db *db;
	int kinds;		/* how many different statements it runs */
	int base, rounds, terms, wrong;
	int *stop;		/* rounds < 0: until it is set */
	int hold_us;		/* between the step and reading the answer */
};

/* Runs "SELECT base+k WHERE 0 NOT IN (1,1...)" (terms ones: slow to
 * prepare) for each k in turn and checks each answer. */
static void *
hammer_run(void *arg)
{
	struct hammer *h = arg;
	struct buf sql;

	buf_init(&sql);
	for (int i = 0; h->rounds < 0 ? !__atomic_load_n(h->stop,
	    __ATOMIC_ACQUIRE) : i < h->rounds; i++) {
		int k = h->base + i % h->kinds;
		struct db_stmt *st;

		buf_reset(&sql);
		buf_addf(&sql, "SELECT %d WHERE 0 NOT IN (1", k);
		for (int z = 0; z < h->terms; z++)
			buf_adds(&sql, ",1");
		buf_adds(&sql, ")");
		st = db_cached(h->db, sql.data);
		if (st == NULL || db_step(st) != DB_ROW) {
			h->wrong++;
			db_cached_done(st);
			continue;
		}
		if (h->hold_us)
			usleep((useconds_t)h->hold_us);
		if (db_col_int(st, 0) != k)
			h->wrong++;
		db_cached_done(st);
	}
	if (h->rounds >= 0)
		__atomic_store_n(h->stop, 1, __ATOMIC_RELEASE);
	buf_release(&sql);
	return NULL;
}

/*
 * kith serve's threads each have their connection, opened without
 * sqlite's mutex: one thread must never finalize the statements of
 * another's connection, nor have one taken from under it.  One thread
 * runs many statements, slow to prepare (it evicts, and takes its time
 * between choosing what to evict and doing it); the other 60 in turn,
 * slowly, holding each a while (so its least recently used is the one
 * chosen, and the one it takes next).
 */
START_TEST(test_cached_threads)
{
	int stop = 0;
	struct hammer h[2] = { { NULL, 200, 0, 300, 5000, 0, &stop, 0 },
	    { NULL, 60, 100000, -1, 0, 0, &stop, 20 } };
	pthread_t t[2];

	char d[256], err[256];

	snprintf(d, sizeof(d), "%s/kith-unit.XXXXXX", getenv("TMPDIR") ?
	    getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(d));
	for (int i = 0; i < 2; i++) {
		char *path = xasprintf("%s/%d.db", d, i);

		ck_assert_int_eq(db_open_at_version(path, 0, &h[i].db, err,
		    sizeof(err)), KITH_OK);
		free(path);
	}
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer_run, &h[i]),
		    0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_eq(h[0].wrong, 0);
	ck_assert_int_eq(h[1].wrong, 0);
	/* the same statement twice at once: the second is a fresh one */
	{
		struct db_stmt *a = db_cached(h[1].db, "SELECT 7");
		struct db_stmt *b = db_cached(h[1].db, "SELECT 7");

		ck_assert_ptr_nonnull(a);
		ck_assert_ptr_nonnull(b);
		ck_assert_ptr_ne(a, b);
		ck_assert_int_eq(db_step(a), DB_ROW);
		ck_assert_int_eq(db_step(b), DB_ROW);
		db_cached_done(b);
		db_cached_done(a);
		ck_assert_ptr_eq(db_cached(h[1].db, "SELECT 7"), a);
		db_cached_done(a);
	}
	for (int i = 0; i < 2; i++)
		db_close(h[i].db);
}
END_TEST

/* ---- migration 14 (the web archive) on an archive of schema 13 ---- */

START_TEST(test_migration)
{
	char d[256], *path, err[256];
	struct db *old = NULL, *now = NULL;
	int st;

	snprintf(d, sizeof(d), "%s/kith-unit.XXXXXX", getenv("TMPDIR") ?
	    getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(d));
	path = xasprintf("%s/kith.db", d);
	ck_assert_int_eq(db_open_at_version(path, 13, &old, err, sizeof(err)),
	    KITH_OK);
	/* what Kith 13 stored: lists, posts in two threads and months */
	ck_assert_int_eq(db_script(old, "INSERT INTO lists(id, address, local, "
	    "domain, created) VALUES (1, 'a@x', 'a', 'x', 0), (2, 'b@x', 'b', "
	    "'x', 0), (3, 'c@x', 'c', 'x', 0);"
	    "INSERT INTO list_settings VALUES (1, 'archive_public', 'on'),"
	    "(2, 'archive', 'off'), (3, 'archive', 'on');"
	    "INSERT INTO posts(id, list_id, num, message_id, thread_id, "
	    "subject, date, received, size, raw, body) VALUES "
	    "(1, 1, 1, 'm1', 1, 'Καλημέρα', 0, 1780304400, 1, 'x', 'όλοι'),"
	    "(2, 1, 2, 'm2', 1, 'Re: Καλημέρα', 0, 1782982800, 1, 'x', "
	    "'화요일에 만나요'),"
	    "(3, 1, 3, 'm3', 3, 'Other', 0, 1782982900, 1, 'x', 'text')"),
	    KITH_OK);
	db_close(old);
	st = db_open(path, 0, 1000, DB_FAST, &now, err, sizeof(err));
	ck_assert_msg(st == KITH_OK, "open: %s", err);
	ck_assert_int_eq(db_int(now, 0, NULL, "PRAGMA user_version", ""),
	    DB_SCHEMA_VERSION);
	/* the index is rebuilt with the new tokenizer */
	ck_assert_int_eq(db_int(now, 0, NULL, "SELECT rowid FROM posts_fts "
	    "WHERE posts_fts MATCH '\"καλημερα\"' ORDER BY rowid LIMIT 1", ""),
	    1);
	ck_assert_int_eq(db_int(now, 0, NULL, "SELECT rowid FROM posts_fts "
	    "WHERE posts_fts MATCH '\"화요일\"'", ""), 2);
	/* threads and months counted */
	ck_assert_int_eq(db_int(now, 0, NULL, "SELECT posts FROM threads "
	    "WHERE id=1", ""), 2);
	ck_assert_int_eq(db_int(now, 0, NULL, "SELECT last FROM threads "
	    "WHERE id=1", ""), 1782982800);
	ck_assert_int_eq(db_int(now, 0, NULL, "SELECT count(*) FROM "
	    "archive_months WHERE list_id=1", ""), 2);
	ck_assert_int_eq(db_int(now, 0, NULL, "SELECT posts FROM "
	    "archive_months WHERE list_id=1 AND month=202607", ""), 2);
	/* archive = public|members|off from on|off and archive_public */
	ck_assert_int_eq(db_int(now, 0, NULL, "SELECT count(*) FROM "
	    "list_settings WHERE key='archive_public'", ""), 0);
	{
		char *a1 = list_setting(now, 1, "archive");
		char *a2 = list_setting(now, 2, "archive");
		char *a3 = list_setting(now, 3, "archive");

		ck_assert_str_eq(a1, "public");
		ck_assert_str_eq(a2, "off");
		ck_assert_str_eq(a3, "members");
		free(a1);
		free(a2);
		free(a3);
	}
	/* a post rewritten (forget --posts anonymise) is found as it is now
	 * (13's trigger, made again on the new index) */
	ck_assert_int_eq(db_exec(now, "UPDATE posts SET body='zebra crossing' "
	    "WHERE id=3", ""), KITH_OK);
	ck_assert_int_eq(db_int(now, 0, NULL, "SELECT rowid FROM posts_fts "
	    "WHERE posts_fts MATCH '\"zebra\"'", ""), 3);
	ck_assert_int_eq(db_int(now, 0, NULL, "SELECT count(*) FROM posts_fts "
	    "WHERE posts_fts MATCH '\"text\"'", ""), 0);
	/* and the triggers keep counting */
	ck_assert_int_eq(db_exec(now, "DELETE FROM posts WHERE id=2", ""),
	    KITH_OK);
	ck_assert_int_eq(db_int(now, 0, NULL, "SELECT posts FROM threads "
	    "WHERE id=1", ""), 1);
	ck_assert_int_eq(db_int(now, 0, NULL, "SELECT last FROM threads "
	    "WHERE id=1", ""), 1780304400);
	ck_assert_int_eq(db_int(now, 0, NULL, "SELECT count(*) FROM posts_fts "
	    "WHERE posts_fts MATCH '\"화요일\"'", ""), 0);
	db_close(now);
	free(path);
	unit_rmdir(d);
}
END_TEST

Suite *
archive_search_suite(void)
{
	Suite *s = suite_create("archive_search");
	TCase *tc = tcase_create("parse");
	TCase *run = tcase_create("run");
	TCase *mig = tcase_create("migration");
	TCase *cache = tcase_create("cache");

	tcase_add_loop_test(tc, test_parse, 0,
	    (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
	tcase_add_test(tc, test_parse_long);
	suite_add_tcase(s, tc);
	tcase_add_unchecked_fixture(run, archive_setup, archive_teardown);
	tcase_add_loop_test(run, test_run, 0,
	    (int)(sizeof(run_cases) / sizeof(run_cases[0])));
	tcase_add_test(run, test_pages);
	tcase_add_test(run, test_long_text);
	tcase_add_test(run, test_long_ascii);
	tcase_add_test(run, test_window);
	suite_add_tcase(s, run);
	tcase_add_test(mig, test_migration);
	suite_add_tcase(s, mig);
	tcase_add_test(cache, test_cached_threads);
	tcase_set_timeout(cache, 60);
	suite_add_tcase(s, cache);
	return s;
}
