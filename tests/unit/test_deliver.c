/*
 * test_deliver - the delivery engine, table by table: what each SMTP
 * reply makes of an outbox row (through deliver_run and a scripted SMTP
 * server on 127.0.0.1), retry backoff, the claims of dead and live
 * workers, and the folding of long header lines.
 */
#include "config.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kith/compose.h"
#include "kith/config.h"
#include "kith/db.h"
#include "kith/deliver.h"
#include "kith/journal.h"
#include "kith/log.h"
#include "kith/message.h"
#include "kith/outbox.h"
#include "kith/tokens.h"
#include "kith/util.h"
#include "unit.h"

static char dir[256];
static struct db *db;

static void
setup(void)
{
	db = unit_db(dir, sizeof(dir));
	ck_assert_ptr_nonnull(db);
}

static void
teardown(void)
{
	db_close(db);
	unit_rmdir(dir);
}

/* A message with n recipients r0@x ... (rows in id order). */
static int64_t
add_rows(int n)
{
	int64_t id;

	ck_assert_int_eq(db_begin(db), KITH_OK);
	ck_assert_int_eq(outbox_message_add(db, 0, 0, "test", "team-bounces",
	    "example.org", NULL, "Subject: x\r\n\r\nbody\r\n", 19, &id),
	    KITH_OK);
	for (int i = 0; i < n; i++) {
		char rcpt[32];

		snprintf(rcpt, sizeof(rcpt), "r%d@example.org", i);
		ck_assert_int_eq(outbox_rcpt_add(db, id, rcpt), KITH_OK);
	}
	ck_assert_int_eq(db_commit(db), KITH_OK);
	return id;
}

static int64_t
count_state(const char *state)
{
	return db_int(db, -1, NULL, "SELECT count(*) FROM outbox WHERE state=?",
	    "t", state);
}

/* ---- what a reply makes of a row ------------------------------------- */

/*
 * The scripted server answers RCPT TO:<r-RCPT-DOT@...> with RCPT and the
 * message's final dot with DOT; everything else with what a server says.
 */
static void
reply(int fd, int code)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%d %s\r\n", code,
	    code < 400 ? "ok" : "no");

	if (write(fd, line, (size_t)n) != n)
		_exit(1);
}

static void
serve(int fd)
{
	FILE *in = fdopen(dup(fd), "r");
	char line[1024];
	int dot = 250, rcpt_ok = 0;

	reply(fd, 220);
	while (in && fgets(line, sizeof(line), in)) {
		if (!strncasecmp(line, "EHLO", 4) ||
		    !strncasecmp(line, "HELO", 4) ||
		    !strncasecmp(line, "MAIL", 4) ||
		    !strncasecmp(line, "RSET", 4)) {
			rcpt_ok = 0;
			reply(fd, 250);
		} else if (!strncasecmp(line, "RCPT", 4)) {
			char *r = strstr(line, "<r-");
			char *d = r ? strchr(r + 3, '-') : NULL;
			int code = r ? atoi(r + 3) : 250;

			dot = d ? atoi(d + 1) : 250;
			rcpt_ok = code < 300;
			reply(fd, code);
		} else if (!strncasecmp(line, "DATA", 4)) {
			reply(fd, rcpt_ok ? 354 : 554);
			if (!rcpt_ok)
				continue;
			while (fgets(line, sizeof(line), in) &&
			    strcmp(line, ".\r\n"))
				;
			reply(fd, dot);
		} else if (!strncasecmp(line, "QUIT", 4)) {
			reply(fd, 221);
			break;
		} else
			reply(fd, 502);
	}
	if (in)
		fclose(in);
}

static pid_t server = -1;
static struct kith_config cfg;

/* A server on 127.0.0.1, and a kith.conf that sends to it. */
static void
smtp_setup(void)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	char *conf, *secret, err[256] = "";
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	FILE *f;

	setup();
	log_set_level(LOG_LVL_ERROR);	/* the failures are expected */
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lfd, 8), 0);
	getsockname(lfd, (struct sockaddr *)&sa, &salen);
	server = fork();
	if (server == 0) {
		for (;;) {
			int c = accept(lfd, NULL, NULL);

			if (c >= 0) {
				serve(c);
				close(c);
			}
		}
	}
	close(lfd);
	conf = xasprintf("%s/kith.conf", dir);
	f = fopen(conf, "w");
	fprintf(f, "[site]\ndomain = example.org\ndata_dir = %s\n"
	    "transport = smtp://127.0.0.1:%d\nlog_level = error\n"
	    "[smtp]\ntls = off\n[delivery]\nretry_base = 300\n"
	    "max_attempts = 3\n", dir, ntohs(sa.sin_port));
	fclose(f);
	ck_assert_int_eq(config_load(&cfg, conf, err, sizeof(err)), 0);
	secret = config_secret_path(&cfg);
	ck_assert_int_eq(token_secret_create(secret, err, sizeof(err)), 0);
	free(secret);
	free(conf);
}

static void
smtp_teardown(void)
{
	if (server > 0) {
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
	}
	config_release(&cfg);
	teardown();
}

static const struct {
	const char *rcpt;	/* r-RCPT-DOT: the server's two replies */
	int attempts;		/* attempts made before this one */
	const char *state;	/* what the row becomes */
	int code;		/* last_code */
	int64_t delay;		/* next_try - now, for deferred */
} reply_cases[] = {
	{ "r-250-250@example.org", 0, "sent", 250, 0 },
	{ "r-251-250@example.org", 0, "sent", 250, 0 },
	{ "r-451-250@example.org", 0, "deferred", 451, 300 },
	{ "r-452-250@example.org", 0, "deferred", 452, 300 },
	{ "r-550-250@example.org", 0, "failed", 550, 0 },
	{ "r-553-250@example.org", 0, "failed", 553, 0 },
	{ "r-250-451@example.org", 0, "deferred", 451, 300 },
	{ "r-250-452@example.org", 1, "deferred", 452, 600 },
	{ "r-250-554@example.org", 0, "failed", 554, 0 },
	{ "r-250-552@example.org", 1, "failed", 552, 0 },
	/* the third attempt of three: a 4xx is final */
	{ "r-451-250@example.org", 2, "failed", 451, 0 },
	{ "r-250-421@example.org", 2, "failed", 421, 0 },
};

START_TEST(test_reply_outcome)
{
	struct deliver_opts o = { 1, 1 };
	struct deliver_stats s;
	char err[256] = "", state[16] = "";
	int64_t msg, code = 0, delay = -1;
	struct db_stmt *st;

	ck_assert_int_eq(db_begin(db), KITH_OK);
	ck_assert_int_eq(outbox_message_add(db, 0, 0, "test", "team-bounces",
	    "example.org", NULL, "Subject: x\r\n\r\nbody\r\n", 19, &msg),
	    KITH_OK);
	ck_assert_int_eq(outbox_rcpt_add(db, msg, reply_cases[_i].rcpt),
	    KITH_OK);
	ck_assert_int_eq(db_exec(db, "UPDATE outbox SET attempts=?", "I",
	    reply_cases[_i].attempts), KITH_OK);
	ck_assert_int_eq(db_commit(db), KITH_OK);
	ck_assert_msg(deliver_run(&cfg, &o, &s, err, sizeof(err)) == KITH_OK,
	    "deliver_run: %s", err);
	st = db_prepare(db, "SELECT state, last_code, next_try - updated FROM "
	    "outbox");
	if (db_step(st) == DB_ROW) {
		snprintf(state, sizeof(state), "%s",
		    db_col_str(st, 0));
		code = db_col_int64(st, 1);
		delay = db_col_int64(st, 2);
	}
	db_finalize(st);
	ck_assert_msg(!strcmp(state, reply_cases[_i].state) &&
	    code == reply_cases[_i].code, "%s after %d attempts: got %s %lld, "
	    "want %s %d", reply_cases[_i].rcpt, reply_cases[_i].attempts,
	    state, (long long)code, reply_cases[_i].state,
	    reply_cases[_i].code);
	if (!strcmp(state, "deferred"))
		ck_assert_msg(delay == reply_cases[_i].delay, "%s: retry in "
		    "%lld s, want %lld", reply_cases[_i].rcpt, (long long)delay,
		    (long long)reply_cases[_i].delay);
}
END_TEST

/* ---- backoff ----------------------------------------------------------- */

static const struct {
	int attempts, max;	/* attempts made, including this one */
	const char *state;
	int64_t delay;
} backoff_cases[] = {
	{ 1, 10, "deferred", 300 },
	{ 2, 10, "deferred", 600 },
	{ 3, 10, "deferred", 1200 },
	{ 5, 10, "deferred", 4800 },
	{ 9, 10, "deferred", 76800 },
	{ 10, 10, "failed", 0 },
	{ 10, 20, "deferred", 86400 },	/* a day at most */
	{ 19, 20, "deferred", 86400 },
	{ 1, 1, "failed", 0 },
};

START_TEST(test_backoff)
{
	struct retry_policy rp = { 300, backoff_cases[_i].max };
	struct outbox_marker *mk;
	struct outbox_item it;
	const char *state;
	int64_t now = 1800000000, next;

	memset(&it, 0, sizeof(it));
	it.msg_id = add_rows(1);
	it.id = db_int(db, 0, NULL, "SELECT id FROM outbox", "");
	it.attempts = backoff_cases[_i].attempts;
	mk = outbox_marker_new(db);
	ck_assert_int_eq(db_begin(db), KITH_OK);
	state = outbox_mark(mk, &it, KITH_TEMP, 451, "later", now, &rp);
	ck_assert_int_eq(db_commit(db), KITH_OK);
	outbox_marker_free(mk);
	next = db_int(db, 0, NULL, "SELECT next_try FROM outbox", "");
	ck_assert_msg(state && !strcmp(state, backoff_cases[_i].state),
	    "attempt %d of %d: got %s, want %s", backoff_cases[_i].attempts,
	    backoff_cases[_i].max, state ? state : "NULL",
	    backoff_cases[_i].state);
	if (backoff_cases[_i].delay)
		ck_assert_msg(next - now == backoff_cases[_i].delay,
		    "attempt %d: retry in %lld s, want %lld",
		    backoff_cases[_i].attempts, (long long)(next - now),
		    (long long)backoff_cases[_i].delay);
}
END_TEST

/* ---- the claims of a worker that stopped ------------------------------- */

static const struct {
	const char *what;
	int journal;		/* it claimed in its journal's name */
	int journaled;		/* of its 5 rows, journalled as sent */
	int alive;		/* it still runs */
	int64_t sent, now, after_lease;	/* want */
} claim_cases[] = {
	{ "killed, 2 of 5 journalled", 1, 2, 0, 2, 3, 0 },
	{ "killed before any 250", 1, 0, 0, 0, 5, 0 },
	{ "killed after all 5", 1, 5, 0, 5, 0, 0 },
	{ "alive", 1, 2, 1, 0, 0, 5 },
	{ "without a journal, killed", 0, 0, 0, 0, 0, 5 },
};

/*
 * worker - in a child: claim 5 rows as a delivery worker does, journal
 * the first n as accepted, tell the parent, then die or wait.
 */
static void
worker(const char *jdir, int journal, int n, int alive, int tell)
{
	struct journal *j = journal ? journal_open(jdir) : NULL;
	struct outbox_item *items;
	char *path = xasprintf("%s/kith.db", dir), err[256] = "";
	struct db *wdb;
	size_t got;
	char c = 'x';

	if (db_open(path, 0, 2000, DB_FAST, &wdb, err, sizeof(err)) !=
	    KITH_OK || outbox_claim(wdb, 1800000000, 600, 5, jdir, journal_name(j), &items,
	    &got) != KITH_OK || got != 5)
		_exit(1);
	for (int i = 0; i < n; i++)
		journal_sent(j, items[i].id);
	if (write(tell, &c, 1) != 1)
		_exit(1);
	if (alive)
		pause();
	_exit(0);	/* like kill -9: the journal stays, its lock goes */
}

START_TEST(test_dead_claims)
{
	char *jdir = xasprintf("%s/journal", dir);
	struct outbox_item *items;
	int fds[2];
	size_t n;
	pid_t kid;
	char c;

	add_rows(5);
	ck_assert_int_eq(pipe(fds), 0);
	kid = fork();
	if (kid == 0)
		worker(jdir, claim_cases[_i].journal, claim_cases[_i].journaled,
		    claim_cases[_i].alive, fds[1]);
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	if (!claim_cases[_i].alive)
		waitpid(kid, NULL, 0);
	/* At once: the lease (600 s) has not run out. */
	ck_assert_int_eq(outbox_claim(db, 1800000001, 600, 100, jdir, "next",
	    &items, &n), KITH_OK);
	outbox_items_free(items, n);
	ck_assert_msg((int64_t)n == claim_cases[_i].now &&
	    count_state("sent") == claim_cases[_i].sent, "%s: %zu taken at "
	    "once and %lld sent, want %lld and %lld", claim_cases[_i].what, n,
	    (long long)count_state("sent"), (long long)claim_cases[_i].now,
	    (long long)claim_cases[_i].sent);
	/* After the lease, whatever is left goes to the next run. */
	ck_assert_int_eq(outbox_claim(db, 1800000000 + 601, 600, 100, jdir,
	    "next", &items, &n), KITH_OK);
	outbox_items_free(items, n);
	ck_assert_msg((int64_t)n == claim_cases[_i].after_lease, "%s: %zu "
	    "taken after the lease, want %lld", claim_cases[_i].what, n,
	    (long long)claim_cases[_i].after_lease);
	if (claim_cases[_i].alive) {
		kill(kid, SIGKILL);
		waitpid(kid, NULL, 0);
	}
	free(jdir);
}
END_TEST

/*
 * A worker's journal takes its room before the batch is sent (a full
 * disk then sends nothing, t56): the blocks are there, the file reads
 * as the lines written and nothing else, and keeps its room when the
 * results are committed and it is emptied.
 */
START_TEST(test_journal_reserve)
{
	char *jdir = xasprintf("%s/journal", dir), *path, text[64] = "";
	struct journal *j = journal_open(jdir);
	struct stat sb;
	ssize_t got;
	int fd;

	ck_assert_ptr_nonnull(j);
	path = xasprintf("%s/%s", jdir, journal_name(j));
	ck_assert_int_eq(journal_reserve(j, 500), 0);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_msg(sb.st_size == 0 && sb.st_blocks * 512 >= 500 * 21,
	    "reserved: size %lld, %lld bytes of blocks", (long long)sb.st_size,
	    (long long)sb.st_blocks * 512);
	ck_assert_int_eq(journal_sent(j, 7), 0);
	ck_assert_int_eq(journal_sent(j, 123456789012LL), 0);
	fd = open(path, O_RDONLY);
	got = read(fd, text, sizeof(text) - 1);
	close(fd);
	ck_assert_int_eq(got, 15);
	ck_assert_str_eq(text, "7\n123456789012\n");
	journal_reset(j);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_msg(sb.st_size == 0 && sb.st_blocks * 512 >= 500 * 21,
	    "emptied: size %lld, %lld bytes of blocks", (long long)sb.st_size,
	    (long long)sb.st_blocks * 512);
	journal_close(j);
	ck_assert_int_eq(access(path, F_OK), -1);
	free(path);
	free(jdir);
}
END_TEST

/* ---- folding long header lines ---------------------------------------- */

/* A header line of n octets: name, then words of w letters (0: none). */
static char *
long_line(const char *name, size_t n, size_t w)
{
	char *s = xmalloc(n + 1);
	size_t k = strlen(name);

	memcpy(s, name, k);
	for (size_t i = k; i < n; i++)
		s[i] = w && (i - k) % (w + 1) == 0 ? ' ' : 'a' + (char)(i % 26);
	s[n] = '\0';
	return s;
}

static const struct {
	const char *what;
	const char *name;
	size_t len, word;	/* a generated line, or ... */
	const char *text;	/* ... this block */
	const char *eol;
	const char *want;	/* exact output, or NULL: check the rules */
	int folded;		/* 1: lines of at most 78 (plus a word) */
} fold_cases[] = {
	{ "short line unchanged", NULL, 0, 0, "Subject: hello\r\n", "\r\n",
	  "Subject: hello\r\n", 0 },
	{ "LF block to CRLF", NULL, 0, 0, "A: 1\nB: 2\n", "\r\n",
	  "A: 1\r\nB: 2\r\n", 0 },
	{ "continuations kept", NULL, 0, 0, "To: a,\n b\n", "\n",
	  "To: a,\n b\n", 0 },
	{ "998 octets: not folded", "Subject:", 998, 7, NULL, "\r\n", NULL, 0 },
	{ "999 octets of words: folded", "Subject:", 999, 7, NULL, "\r\n",
	  NULL, 1 },
	{ "5,000 octets of words", "References:", 5000, 30, NULL, "\n", NULL,
	  1 },
	{ "a 900-octet word among words", "Subject:", 3000, 900, NULL,
	  "\r\n", NULL, 1 },
	{ "1,200 octets without white space", "Subject:", 1200, 0, NULL,
	  "\r\n", NULL, 0 },
};

/* b without each line end that white space follows (unfolded). */
static char *
unfold(const char *b, const char *eol)
{
	struct buf u;
	size_t el = strlen(eol);

	buf_init(&u);
	for (const char *p = b; *p;) {
		if (!strncmp(p, eol, el) && (p[el] == ' ' || p[el] == '\t')) {
			p += el;
			continue;
		}
		buf_addc(&u, *p++);
	}
	return buf_detach(&u, NULL);
}

START_TEST(test_fold)
{
	char *in = fold_cases[_i].text ? xstrdup(fold_cases[_i].text) :
	    long_line(fold_cases[_i].name, fold_cases[_i].len,
	    fold_cases[_i].word);
	const char *eol = fold_cases[_i].eol;
	size_t longest = 0, lines = 0;
	char *out, *flat, *want;
	struct buf b;

	buf_init(&b);
	compose_fold_header(&b, in, strlen(in), eol);
	out = buf_detach(&b, NULL);
	if (fold_cases[_i].want) {
		ck_assert_msg(!strcmp(out, fold_cases[_i].want), "%s: got '%s'",
		    fold_cases[_i].what, out);
		goto done;
	}
	for (const char *p = out; *p;) {
		const char *e = strstr(p, eol);
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n > longest)
			longest = n;
		lines++;
		p += n + (e ? strlen(eol) : 0);
	}
	flat = unfold(out, eol);
	want = xasprintf("%s%s", in, eol);
	ck_assert_msg(!strcmp(flat, want), "%s: the value changed",
	    fold_cases[_i].what);
	if (fold_cases[_i].folded)
		ck_assert_msg(longest <= (fold_cases[_i].word > 78 ?
		    fold_cases[_i].word + 1 : 78) && lines > 1, "%s: %zu "
		    "lines, the longest %zu", fold_cases[_i].what, lines,
		    longest);
	else
		ck_assert_msg(lines == 1, "%s: %zu lines", fold_cases[_i].what,
		    lines);
	/* What folding cannot bring to 998 is what receive quarantines. */
	{
		struct message m;
		char *raw = xasprintf("%s\r\n\r\nbody\r\n", in), err[256] = "";

		ck_assert_int_eq(message_parse(&m, raw, strlen(raw), err,
		    sizeof(err)), 0);
		ck_assert_msg((message_header_foldable(&m, err, sizeof(err)) ==
		    0) == (longest <= HEADER_LINE_MAX), "%s: foldable says %s",
		    fold_cases[_i].what, err);
		message_release(&m);
		free(raw);
	}
	free(flat);
	free(want);
done:
	free(out);
	free(in);
}
END_TEST

Suite *
deliver_suite(void)
{
	Suite *s = suite_create("deliver");
	TCase *tc = tcase_create("replies");

	tcase_add_checked_fixture(tc, smtp_setup, smtp_teardown);
	tcase_add_loop_test(tc, test_reply_outcome, 0,
	    sizeof(reply_cases) / sizeof(reply_cases[0]));
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	tc = tcase_create("backoff and claims");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_backoff, 0,
	    sizeof(backoff_cases) / sizeof(backoff_cases[0]));
	tcase_add_test(tc, test_journal_reserve);
	tcase_add_loop_test(tc, test_dead_claims, 0,
	    sizeof(claim_cases) / sizeof(claim_cases[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("folding");
	tcase_add_loop_test(tc, test_fold, 0,
	    sizeof(fold_cases) / sizeof(fold_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}
