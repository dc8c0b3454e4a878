/* test_lmtp - the LMTP session (table, chunking, fuzz) and group commit. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/archive.h"
#include "kith/config.h"
#include "kith/db.h"
#include "kith/inbound.h"
#include "kith/lists.h"
#include "kith/lmtp.h"
#include "kith/members.h"
#include "kith/outbox.h"
#include "kith/post.h"
#include "kith/tokens.h"
#include "kith/util.h"
#include "unit.h"

#define G "220 mx.test LMTP Kith ready\r\n"
#define L "250-mx.test\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n" \
	"250-8BITMIME\r\n250 SIZE 100\r\n"
#define LHLO "LHLO client.test\r\n"
#define MAIL "MAIL FROM:<a@b.test>\r\n"
#define RCPT "RCPT TO:<team@l.test>\r\n"
#define OK_MAIL "250 2.1.0 sender ok\r\n"
#define OK_RCPT "250 2.1.5 recipient ok\r\n"
#define GO "354 2.0.0 go ahead, end with <CRLF>.<CRLF>\r\n"
#define STORED "250 2.0.0 <team@l.test> accepted\r\n"
#define BYE "221 2.0.0 bye\r\n"

static const struct lmtp_limits limits = { 100, 2 };

/*
 * Each case: what the client sends, the exit codes inbound gives each
 * recipient in turn, what the server must answer (all of it), and the
 * messages it must hand over ("sender|rcpt,rcpt|len/size|data;").
 */
static const struct {
	const char *name, *in;
	int codes[4];
	const char *out, *msgs;
} cases[] = {
	{ "one post", LHLO MAIL RCPT "DATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n"
	  "QUIT\r\n", { 0 }, G L OK_MAIL OK_RCPT GO STORED BYE,
	  "a@b.test|team@l.test|15/15|Subject: x\n\nhi\n;" },
	{ "a reply per recipient", LHLO MAIL RCPT "RCPT TO:<x@l.test>\r\n"
	  "DATA\r\nhi\r\n.\r\n", { 0, 67 }, G L OK_MAIL OK_RCPT OK_RCPT GO
	  STORED "550 5.1.1 <x@l.test>: no such list\r\n",
	  "a@b.test|team@l.test,x@l.test|3/3|hi\n;" },
	{ "every verdict", LHLO MAIL RCPT "RCPT TO:<x@l.test>\r\nDATA\r\n"
	  "hi\r\n.\r\n" MAIL RCPT "RCPT TO:<y@l.test>\r\nDATA\r\nho\r\n.\r\n",
	  { 75, 65, 77, 9 }, G L OK_MAIL OK_RCPT OK_RCPT GO
	  "451 4.3.0 <team@l.test>: try again later\r\n"
	  "552 5.3.4 <x@l.test>: message too big for this list\r\n"
	  OK_MAIL OK_RCPT OK_RCPT GO "554 5.0.0 <team@l.test>: not accepted\r\n"
	  "451 4.3.0 <y@l.test>: try again later\r\n",
	  "a@b.test|team@l.test,x@l.test|3/3|hi\n;"
	  "a@b.test|team@l.test,y@l.test|3/3|ho\n;" },
	{ "dots unstuffed", LHLO MAIL RCPT "DATA\r\n..a\r\n. b\r\n...\r\n"
	  ".\rX\r\n.\r\n", { 0 }, G L OK_MAIL OK_RCPT GO STORED,
	  "a@b.test|team@l.test|12/12|.a\n b\n..\n\rX\n;" },
	{ "a bare LF ends no line", LHLO MAIL RCPT "DATA\r\na\n.\nb\r\n.\r\n",
	  { 0 }, G L OK_MAIL OK_RCPT GO STORED,
	  "a@b.test|team@l.test|6/6|a\n.\nb\n;" },
	{ "bare CRs kept", LHLO MAIL RCPT "DATA\r\na\rb\r\r\n.\r\n", { 0 },
	  G L OK_MAIL OK_RCPT GO STORED,
	  "a@b.test|team@l.test|5/5|a\rb\r\n;" },
	{ "empty message", LHLO MAIL RCPT "DATA\r\n.\r\n", { 0 },
	  G L OK_MAIL OK_RCPT GO STORED, "a@b.test|team@l.test|0/0|;" },
	{ "null sender, any case", "lhlo c\r\nmail from:<>\r\nrcpt to:"
	  "<team@l.test>\r\ndata\r\nx\r\n.\r\n", { 0 },
	  G L OK_MAIL OK_RCPT GO STORED, "|team@l.test|2/2|x\n;" },
	{ "pipelined, then RSET", LHLO MAIL RCPT "DATA\r\nx\r\n.\r\nRSET\r\n"
	  MAIL RCPT "DATA\r\ny\r\n.\r\nNOOP\r\nQUIT\r\nNOOP\r\n", { 0, 0 },
	  G L OK_MAIL OK_RCPT GO STORED "250 2.0.0 ok\r\n" OK_MAIL OK_RCPT GO
	  STORED "250 2.0.0 ok\r\n" BYE,
	  "a@b.test|team@l.test|2/2|x\n;a@b.test|team@l.test|2/2|y\n;" },
	{ "over max_size: counted, not kept", LHLO MAIL RCPT "DATA\r\n"
	  "0123456789012345678901234567890123456789012345678901234567890123"
	  "4567890123456789012345678901234567890123456789\r\n.\r\n", { 65 },
	  G L OK_MAIL OK_RCPT GO
	  "552 5.3.4 <team@l.test>: message too big for this list\r\n",
	  "a@b.test|team@l.test|100/111|0123456789012345678901234567890123456"
	  "789012345678901234567890123456789012345678901234567890123456789;" },
	{ "order of commands", MAIL LHLO RCPT "DATA\r\n" MAIL MAIL
	  "RCPT TO:<bad\r\nDATA\r\nRSET\r\nDATA\r\n", { 0 },
	  G "503 5.5.1 say LHLO first\r\n" L
	  "503 5.5.1 need MAIL before RCPT\r\n"
	  "503 5.5.1 need MAIL and RCPT before DATA\r\n" OK_MAIL
	  "503 5.5.1 nested MAIL command\r\n"
	  "501 5.5.4 syntax: RCPT TO:<address>\r\n"
	  "503 5.5.1 no valid recipients\r\n250 2.0.0 ok\r\n"
	  "503 5.5.1 need MAIL and RCPT before DATA\r\n", "" },
	{ "parameters", LHLO "MAIL FROM:<a@b.test> SIZE=101\r\n"
	  "MAIL FROM:<a@b.test> SIZE=1x\r\nMAIL FROM:<a@b.test> BODY=BINARYMIME"
	  "\r\nMAIL FROM:<a@b.test> AUTH=<>\r\n"
	  "MAIL FROM:<a@b.test> SIZE=100 BODY=8BITMIME\r\n"
	  "RCPT TO:<team@l.test> NOTIFY=NEVER\r\n", { 0 }, G L
	  "552 5.3.4 message size exceeds fixed maximum message size\r\n"
	  "501 5.5.4 SIZE takes a number\r\n"
	  "555 5.5.4 unsupported parameter\r\n"
	  "555 5.5.4 unsupported parameter\r\n" OK_MAIL
	  "555 5.5.4 unsupported parameter\r\n", "" },
	{ "recipients bounded", LHLO MAIL RCPT RCPT RCPT "DATA\r\n.\r\n",
	  { 0, 0 }, G L OK_MAIL OK_RCPT OK_RCPT
	  "452 4.5.3 too many recipients\r\n" GO STORED STORED,
	  "a@b.test|team@l.test,team@l.test|0/0|;" },
	{ "paths", LHLO "MAIL FROM:a@b.test\r\nMAIL FROM:<a b@c>\r\n"
	  "MAIL FROM: <\"a b\"@c.test>\r\nRCPT TO:<>\r\n"
	  "RCPT TO:<@r1,@r2:team@l.test>\r\nDATA\r\n.\r\n", { 0 }, G L
	  "501 5.5.4 syntax: MAIL FROM:<address>\r\n"
	  "501 5.5.4 syntax: MAIL FROM:<address>\r\n" OK_MAIL
	  "501 5.5.4 syntax: RCPT TO:<address>\r\n" OK_RCPT GO STORED,
	  "\"a b\"@c.test|team@l.test|0/0|;" },
	{ "other commands", LHLO "HELO x\r\nEHLO x\r\nVRFY team\r\nSTARTTLS\r\n"
	  "NOOP \x01\r\nLHLO\r\nDATA x\r\nQUIT\r\n", { 0 }, G L
	  "500 5.5.1 this is LMTP: say LHLO\r\n"
	  "500 5.5.1 this is LMTP: say LHLO\r\n"
	  "252 2.5.0 cannot verify; send the mail\r\n"
	  "500 5.5.2 command not recognized\r\n"
	  "500 5.5.2 command line holds bad characters\r\n"
	  "501 5.5.4 syntax: LHLO hostname\r\n"
	  "500 5.5.2 command not recognized\r\n" BYE, "" },
	{ "too many errors", "X\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r\n"
	  "X\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r\nX\r\nNOOP\r\n", { 0 },
	  G "500 5.5.2 command not recognized\r\n500 5.5.2 command not "
	  "recognized\r\n500 5.5.2 command not recognized\r\n500 5.5.2 command "
	  "not recognized\r\n500 5.5.2 command not recognized\r\n500 5.5.2 "
	  "command not recognized\r\n500 5.5.2 command not recognized\r\n"
	  "500 5.5.2 command not recognized\r\n500 5.5.2 command not "
	  "recognized\r\n500 5.5.2 command not recognized\r\n500 5.5.2 command "
	  "not recognized\r\n500 5.5.2 command not recognized\r\n500 5.5.2 "
	  "command not recognized\r\n500 5.5.2 command not recognized\r\n"
	  "500 5.5.2 command not recognized\r\n500 5.5.2 command not "
	  "recognized\r\n500 5.5.2 command not recognized\r\n500 5.5.2 command "
	  "not recognized\r\n500 5.5.2 command not recognized\r\n500 5.5.2 "
	  "command not recognized\r\n421 4.7.0 too many errors, closing\r\n",
	  "" },
};

/*
 * drive - feed in to a session chunk bytes at a time, answering each
 * message with the next codes; the replies go to out, the messages to
 * msgs.
 */
static void
drive(const char *in, size_t n, size_t chunk, const int *codes,
    struct buf *out, struct buf *msgs)
{
	struct lmtp_session *s = lmtp_session_new(&limits, "mx.test", out);
	size_t off = 0, c = 0;

	while (off < n) {
		size_t take = n - off < chunk ? n - off : chunk, used, len, size;
		enum lmtp_event ev = lmtp_session_feed(s, in + off, take, &used,
		    out);
		struct inbound_result res[4];
		const char *data;

		ck_assert_uint_le(used, take);
		off += used;
		if (ev == LMTP_CLOSE)
			break;
		if (ev != LMTP_MESSAGE) {
			ck_assert_uint_eq(used, take);
			continue;
		}
		data = lmtp_session_data(s, &len, &size);
		buf_addf(msgs, "%s|", lmtp_session_sender(s));
		memset(res, 0, sizeof(res));
		for (size_t i = 0; i < lmtp_session_nrcpt(s); i++) {
			buf_addf(msgs, "%s%s", i ? "," : "",
			    lmtp_session_rcpt(s, i));
			res[i].exit_code = codes ? codes[c++ % 4] : (int)(c++ % 80);
			snprintf(res[i].what, sizeof(res[i].what), "accepted");
		}
		buf_addf(msgs, "|%zu/%zu|", len, size);
		buf_add(msgs, data, len);
		buf_adds(msgs, ";");
		lmtp_session_answer(s, res, out);
	}
	lmtp_session_free(s);
}

START_TEST(test_session)
{
	size_t chunks[] = { 1, 2, 7, 100000 };

	for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
		struct buf out, msgs;

		buf_init(&out);
		buf_init(&msgs);
		drive(cases[_i].in, strlen(cases[_i].in), chunks[k],
		    cases[_i].codes, &out, &msgs);
		buf_addc(&out, '\0');
		buf_addc(&msgs, '\0');
		ck_assert_msg(!strcmp(out.data, cases[_i].out),
		    "%s (chunks of %zu): got\n%s\nwant\n%s", cases[_i].name,
		    chunks[k], out.data, cases[_i].out);
		ck_assert_msg(!strcmp(msgs.data, cases[_i].msgs),
		    "%s (chunks of %zu): messages got\n%s\nwant\n%s",
		    cases[_i].name, chunks[k], msgs.data, cases[_i].msgs);
		buf_release(&out);
		buf_release(&msgs);
	}
}
END_TEST

/* A full disk is told apart for the MTA's queue: 452 4.3.1, not 451. */
START_TEST(test_full_reply)
{
	struct inbound_result full = { .exit_code = 75, .what = "disk full" };
	struct inbound_result busy = { .exit_code = 75, .what = "deferred" };
	char line[128];

	lmtp_reply("team@l.test", &full, line, sizeof(line));
	ck_assert_str_eq(line, "452 4.3.1 <team@l.test>: mail system full; "
	    "try again later");
	lmtp_reply("team@l.test", &busy, line, sizeof(line));
	ck_assert_str_eq(line, "451 4.3.0 <team@l.test>: try again later");
}
END_TEST

START_TEST(test_line_too_long)
{
	struct buf in, out, msgs;

	buf_init(&in);
	buf_init(&out);
	buf_init(&msgs);
	buf_adds(&in, LHLO "NOOP ");
	for (int i = 0; i < 5000; i++)
		buf_addc(&in, 'A');
	buf_adds(&in, "\r\nNOOP\r\n");
	drive(in.data, in.len, 4096, NULL, &out, &msgs);
	buf_addc(&out, '\0');
	ck_assert_str_eq(out.data, G L "500 5.5.2 line too long\r\n"
	    "250 2.0.0 ok\r\n");
	buf_release(&in);
	buf_release(&out);
	buf_release(&msgs);
}
END_TEST

/* Pieces the fuzz run joins at random, whole or cut. */
static const char *const pieces[] = {
	LHLO, MAIL, RCPT, "DATA\r\n", ".\r\n", "\r\n.\r\n", "..", ".", "\r",
	"\n", "RSET\r\n", "QUIT\r\n", "NOOP\r\n", "MAIL FROM:<>\r\n",
	"RCPT TO:<x@y>\r\n", "MAIL FROM:<a@b> SIZE=99999999999999999999\r\n",
	"RCPT TO:<\"q\\\"\"@y>\r\n", "RCPT TO:<@a:b@c>\r\n", "BODY=8BITMIME",
	"<", ">", "\"", "\\", "\x00", "\xff\xfe", "lhlo x\r\n", "hello world",
};

static unsigned long fuzz_seed = 20260601;

static unsigned
fuzz_rand(void)
{
	fuzz_seed = fuzz_seed * 6364136223846793005ul + 1442695040888963407ul;
	return (unsigned)(fuzz_seed >> 33);
}

/* every reply line: three digits, a space or a dash, text, CRLF */
static int
replies_wellformed(const struct buf *out)
{
	size_t i = 0;

	while (i < out->len) {
		const char *p = out->data + i;
		const char *e = memchr(p, '\n', out->len - i);

		if (e == NULL || e - p < 5 || e[-1] != '\r' || p[0] < '2' ||
		    p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' ||
		    p[2] > '9' || (p[3] != ' ' && p[3] != '-'))
			return 0;
		for (const char *q = p; q < e - 1; q++)
			if ((unsigned char)*q < 32 || (unsigned char)*q > 126)
				return 0;
		i += (size_t)(e - p) + 1;
	}
	return 1;
}

/*
 * A fuzz run: 20,000 inputs made of protocol pieces and random bytes,
 * each fed whole and in random cuts.  The session must never crash,
 * answer only well-formed lines, keep no more than max_size, and answer
 * the same whatever the cuts.
 */
START_TEST(test_fuzz)
{
	for (int round = 0; round < 20000; round++) {
		struct buf in, out1, out2, m1, m2;
		int n = 1 + (int)(fuzz_rand() % 40);
		size_t chunk = 1 + fuzz_rand() % 64;

		buf_init(&in);
		buf_init(&out1);
		buf_init(&out2);
		buf_init(&m1);
		buf_init(&m2);
		for (int i = 0; i < n; i++) {
			unsigned r = fuzz_rand() % 10;

			if (r < 8) {
				const char *p = pieces[fuzz_rand() %
				    (sizeof(pieces) / sizeof(pieces[0]))];

				buf_add(&in, p, *p ? strlen(p) : 1);
			} else
				for (unsigned k = fuzz_rand() % 200; k > 0; k--)
					buf_addc(&in, (char)(fuzz_rand() & 0xff));
		}
		drive(in.data, in.len, in.len, NULL, &out1, &m1);
		drive(in.data, in.len, chunk, NULL, &out2, &m2);
		ck_assert(replies_wellformed(&out1));
		ck_assert(out1.len == out2.len && !memcmp(out1.data, out2.data,
		    out1.len));
		ck_assert(m1.len == m2.len && (m1.len == 0 ||
		    !memcmp(m1.data, m2.data, m1.len)));
		buf_release(&in);
		buf_release(&out1);
		buf_release(&out2);
		buf_release(&m1);
		buf_release(&m2);
	}
}
END_TEST

/* ---- group commit ---- */

static char dir[256];
static struct kith_config cfg;
static struct db *db;

static void
setup(void)
{
	char err[256], *secret;
	struct list l;

	db = unit_db(dir, sizeof(dir));
	setenv("KITH_HOME", dir, 1);
	ck_assert_int_eq(config_load(&cfg, "/dev/null", err, sizeof(err)), 0);
	unsetenv("KITH_HOME");
	secret = config_secret_path(&cfg);
	ck_assert_int_eq(token_secret_create(secret, err, sizeof(err)), 0);
	free(secret);
	ck_assert_int_eq(list_create(db, "team@example.org",
	    "alice@example.org", "Team", NULL, err, sizeof(err)), KITH_OK);
	list_find(db, "team", &l, err, sizeof(err));
	member_add(db, l.id, "bob@example.org", NULL);
	list_release(&l);
}

static void
teardown(void)
{
	db_close(db);
	config_release(&cfg);
	unit_rmdir(dir);
}

static int64_t
posts(void)
{
	return db_int(db, -1, NULL, "SELECT count(*) FROM posts", "");
}

static void
post(const char *id, struct inbound_result *res)
{
	char *mail = xasprintf("From: bob@example.org\nMessage-ID: <%s>\n"
	    "Subject: s\n\nhi\n", id);

	inbound_receive_db(&cfg, db, mail, strlen(mail), strlen(mail),
	    "bob@example.org", "team@example.org", res);
	free(mail);
}

/* Posts in one group count once committed, and not at all rolled back. */
START_TEST(test_group)
{
	struct inbound_result res;
	struct db *other;
	char err[256], *path = config_db_path(&cfg);

	ck_assert_int_eq(db_open(path, 0, 100, DB_FAST, &other, err,
	    sizeof(err)), KITH_OK);
	ck_assert_int_eq(db_group_begin(db), KITH_OK);
	post("g1@x", &res);
	ck_assert_int_eq(res.exit_code, 0);
	ck_assert_str_eq(res.what, "accepted");
	post("g2@x", &res);
	ck_assert_int_eq(res.exit_code, 0);
	post("g1@x", &res);	/* seen in the group already */
	ck_assert_str_eq(res.what, "dropped");
	/* nothing is seen outside before the commit */
	ck_assert_int_eq(db_int(other, -1, NULL, "SELECT count(*) FROM posts",
	    ""), 0);
	ck_assert_int_eq(db_group_commit(db), KITH_OK);
	ck_assert_int_eq(db_int(other, -1, NULL, "SELECT count(*) FROM posts",
	    ""), 2);
	ck_assert_int_eq(db_group_begin(db), KITH_OK);
	post("g3@x", &res);
	ck_assert_int_eq(res.exit_code, 0);
	db_group_rollback(db);
	ck_assert_int_eq(posts(), 2);
	/* after the group, transactions are whole ones again */
	post("g4@x", &res);
	ck_assert_int_eq(res.exit_code, 0);
	ck_assert_int_eq(db_int(other, -1, NULL, "SELECT count(*) FROM posts",
	    ""), 3);
	db_close(other);
	free(path);
}
END_TEST

/* Inside a group, a caller's rollback undoes its own work only. */
START_TEST(test_group_savepoints)
{
	ck_assert_int_eq(db_exec(db, "CREATE TABLE t(x)", ""), KITH_OK);
	ck_assert_int_eq(db_group_begin(db), KITH_OK);
	ck_assert_int_eq(db_begin(db), KITH_OK);
	ck_assert_int_eq(db_exec(db, "INSERT INTO t VALUES (1)", ""), KITH_OK);
	ck_assert_int_eq(db_commit(db), KITH_OK);
	ck_assert_int_eq(db_begin(db), KITH_OK);
	ck_assert_int_eq(db_exec(db, "INSERT INTO t VALUES (2)", ""), KITH_OK);
	db_rollback(db);
	ck_assert_int_eq(db_begin(db), KITH_OK);
	ck_assert_int_eq(db_exec(db, "INSERT INTO t VALUES (3)", ""), KITH_OK);
	ck_assert_int_eq(db_commit(db), KITH_OK);
	ck_assert_int_eq(db_group_commit(db), KITH_OK);
	ck_assert_int_eq(db_int(db, -1, NULL, "SELECT group_concat(x, '') FROM t",
	    ""), 13);
	/* once the group's transaction is gone, db_begin says try again */
	ck_assert_int_eq(db_group_begin(db), KITH_OK);
	ck_assert_int_eq(db_script(db, "ROLLBACK"),
	    DB_OK);
	ck_assert_int_eq(db_begin(db), KITH_TEMP);
	ck_assert_int_eq(db_group_commit(db), KITH_TEMP);
}
END_TEST

/* found - posts the archive's word index finds for word, read on db. */
static int64_t
found(struct db *on, const char *word)
{
	return db_int(on, -1, NULL, "SELECT count(*) FROM posts_fts WHERE "
	    "posts_fts MATCH ?", "t", word);
}

/* post_words - a post whose subject and body hold word. */
static void
post_words(const char *id, const char *word, struct inbound_result *res)
{
	char *mail = xasprintf("From: bob@example.org\nMessage-ID: <%s>\n"
	    "Subject: about %s\n\nthe %s again\n", id, word, word);

	inbound_receive_db(&cfg, db, mail, strlen(mail), strlen(mail),
	    "bob@example.org", "team@example.org", res);
	ck_assert_int_eq(res->exit_code, 0);
	free(mail);
}

/*
 * A group's posts are indexed once, at its commit (migration 17), yet
 * search finds every committed post right after, and nothing that was
 * undone, deleted or unarchived inside the group.
 */
START_TEST(test_group_search)
{
	struct inbound_result res;
	struct db *other;
	char err[256], *path = config_db_path(&cfg);

	ck_assert_int_eq(db_open(path, 0, 100, DB_FAST, &other, err,
	    sizeof(err)), KITH_OK);
	ck_assert_int_eq(db_group_begin(db), KITH_OK);
	post_words("s1@x", "walrus", &res);
	post_words("s2@x", "narwhal", &res);
	/* a caller's own rollback: its post is neither stored nor queued */
	ck_assert_int_eq(db_begin(db), KITH_OK);
	post_words("s3@x", "octopus", &res);
	db_rollback(db);
	/* deleted and unarchived within the group: never indexed */
	post_words("s4@x", "manatee", &res);
	post_words("s5@x", "dugong", &res);
	ck_assert_int_eq(db_exec(db, "DELETE FROM posts WHERE message_id="
	    "'s4@x'", ""), KITH_OK);
	ck_assert_int_eq(db_exec(db, "UPDATE posts SET archived=0 WHERE "
	    "message_id='s5@x'", ""), KITH_OK);
	/* rewritten within the group: indexed as it is at the commit */
	post_words("s6@x", "beluga", &res);
	ck_assert_int_eq(db_exec(db, "UPDATE posts SET body='the orca' WHERE "
	    "message_id='s6@x'", ""), KITH_OK);
	ck_assert_int_eq(found(other, "walrus"), 0);
	ck_assert_int_eq(db_group_commit(db), KITH_OK);
	ck_assert_int_eq(found(other, "walrus"), 1);
	ck_assert_int_eq(found(other, "narwhal"), 1);
	ck_assert_int_eq(found(other, "octopus"), 0);
	ck_assert_int_eq(found(other, "manatee"), 0);
	ck_assert_int_eq(found(other, "dugong"), 0);
	ck_assert_int_eq(found(other, "orca"), 1);
	ck_assert_int_eq(found(other, "beluga"), 1);	/* its subject */
	ck_assert_int_eq(db_int(other, -1, NULL, "SELECT count(*) FROM "
	    "posts_fts_queue", ""), 0);
	/* the index is whole: no 'delete' of words it never held */
	ck_assert_int_eq(db_exec(other, "INSERT INTO posts_fts(posts_fts) "
	    "VALUES ('integrity-check')", ""), KITH_OK);
	/* a group rolled back leaves neither post nor queue */
	ck_assert_int_eq(db_group_begin(db), KITH_OK);
	post_words("s7@x", "dolphin", &res);
	db_group_rollback(db);
	ck_assert_int_eq(found(other, "dolphin"), 0);
	ck_assert_int_eq(db_int(other, -1, NULL, "SELECT count(*) FROM "
	    "posts_fts_queue", ""), 0);
	/* outside a group a post is indexed at once, as before */
	post_words("s8@x", "seal", &res);
	ck_assert_int_eq(found(other, "seal"), 1);
	/* and a post indexed before is unindexed when deleted in a group */
	ck_assert_int_eq(db_group_begin(db), KITH_OK);
	ck_assert_int_eq(db_exec(db, "DELETE FROM posts WHERE message_id="
	    "'s8@x'", ""), KITH_OK);
	ck_assert_int_eq(db_group_commit(db), KITH_OK);
	ck_assert_int_eq(found(other, "seal"), 0);
	ck_assert_int_eq(db_exec(other, "INSERT INTO posts_fts(posts_fts) "
	    "VALUES ('integrity-check')", ""), KITH_OK);
	db_close(other);
	free(path);
}
END_TEST

/* copies - outbox rows of the post whose Message-ID is id */
static int64_t
copies(const char *id)
{
	return db_int(db, -1, NULL, "SELECT count(*) FROM outbox r JOIN "
	    "outbox_messages o ON o.id=r.message_id JOIN posts p ON "
	    "p.id=o.post_id WHERE p.message_id=?", "t", id);
}

/*
 * A group that defers (db_group_defer: LMTP under load) stores its posts
 * and their copies to send, and leaves their words and their copies to
 * the members for post_catch_up, which makes them for the members who
 * get each post then; a group rolled back forgets it deferred.
 */
START_TEST(test_group_defer)
{
	struct inbound_result res;
	int64_t gets, since;

	ck_assert_int_eq(db_deferring(db), 0);
	db_group_defer(db);
	ck_assert_int_eq(db_group_begin(db), KITH_OK);
	ck_assert_int_eq(db_deferring(db), 1);
	post_words("d1@x", "walrus", &res);
	ck_assert_int_eq(res.queued, 1);	/* kith serve delivers */
	post_words("d2@x", "narwhal", &res);
	ck_assert_int_eq(db_group_commit(db), KITH_OK);
	ck_assert_int_eq(db_deferring(db), 0);
	ck_assert_int_eq(db_int(db, -1, NULL, "SELECT count(*) FROM posts",
	    ""), 2);
	ck_assert_int_eq(db_int(db, -1, NULL, "SELECT count(*) FROM "
	    "outbox_messages", ""), 2);
	ck_assert_int_eq(db_int(db, -1, NULL, "SELECT count(*) FROM "
	    "outbox_fanout", ""), 2);
	ck_assert_int_eq(copies("d1@x"), 0);
	ck_assert_int_eq(db_int(db, -1, NULL, "SELECT count(*) FROM "
	    "posts_fts_queue", ""), 2);
	ck_assert_int_eq(found(db, "walrus"), 0);
	ck_assert_int_eq(outbox_fanout_waiting(db, &since), 2);
	ck_assert_int_eq(since, now_utc());
	/* a member who left meanwhile gets no copy */
	gets = db_int(db, -1, NULL, "SELECT count(*) FROM members WHERE "
	    "mode='each' AND disabled=0", "");
	ck_assert_int_gt(gets, 1);
	ck_assert_int_eq(db_exec(db, "DELETE FROM members WHERE address="
	    "'bob@example.org'", ""), KITH_OK);
	ck_assert_int_eq(post_catch_up(db, now_utc()), KITH_OK);
	ck_assert_int_eq(copies("d1@x"), gets - 1);
	ck_assert_int_eq(copies("d2@x"), gets - 1);
	ck_assert_int_eq(db_int(db, -1, NULL, "SELECT count(*) FROM outbox "
	    "WHERE rcpt='bob@example.org'", ""), 0);
	ck_assert_int_eq(outbox_fanout_waiting(db, &since), 0);
	ck_assert_int_eq(found(db, "walrus"), 1);
	ck_assert_int_eq(found(db, "narwhal"), 1);
	ck_assert_int_eq(db_int(db, -1, NULL, "SELECT count(*) FROM "
	    "posts_fts_queue", ""), 0);
	ck_assert_int_eq(db_exec(db, "INSERT INTO posts_fts(posts_fts) "
	    "VALUES ('integrity-check')", ""), KITH_OK);
	/* nothing waits: a catch-up changes nothing */
	ck_assert_int_eq(post_catch_up(db, now_utc()), KITH_OK);
	ck_assert_int_eq(copies("d1@x"), gets - 1);
	/* a deferring group rolled back: the next group does not defer */
	member_add(db, db_int(db, 0, NULL, "SELECT id FROM lists", ""),
	    "bob@example.org", NULL);
	db_group_defer(db);
	ck_assert_int_eq(db_group_begin(db), KITH_OK);
	post_words("d3@x", "octopus", &res);
	db_group_rollback(db);
	ck_assert_int_eq(db_group_begin(db), KITH_OK);
	ck_assert_int_eq(db_deferring(db), 0);
	post_words("d4@x", "dugong", &res);
	ck_assert_int_eq(db_group_commit(db), KITH_OK);
	ck_assert_int_eq(copies("d4@x"), gets);
	ck_assert_int_eq(copies("d3@x"), 0);
	ck_assert_int_eq(found(db, "dugong"), 1);
	ck_assert_int_eq(found(db, "octopus"), 0);
	ck_assert_int_eq(outbox_fanout_waiting(db, &since), 0);
}
END_TEST

/* setting - list 1's setting key, read on on */
static char *
setting(struct db *on, const char *key)
{
	return list_setting(on, db_int(on, 0, NULL, "SELECT id FROM lists",
	    ""), key);
}

/*
 * In a group a list's settings are read once (db_memo_*), yet a change
 * made in the group is read back at once, and the next group reads what
 * others changed meanwhile; outside a group every read is a read.
 */
START_TEST(test_group_memo)
{
	struct db *other;
	char err[256], *path = config_db_path(&cfg), *v;
	int64_t id = db_int(db, 0, NULL, "SELECT id FROM lists", "");

	ck_assert_int_eq(db_open(path, 0, 100, DB_FAST, &other, err,
	    sizeof(err)), KITH_OK);
	ck_assert_int_eq(db_group_begin(db), KITH_OK);
	v = setting(db, "subject_prefix");
	ck_assert_ptr_nonnull(db_memo_get(db, "subject_prefix 1"));
	free(v);
	ck_assert_int_eq(list_setting_set(db, id, "subject_prefix", "[a]",
	    err, sizeof(err)), KITH_OK);
	ck_assert_ptr_null(db_memo_get(db, "subject_prefix 1"));
	v = setting(db, "subject_prefix");
	ck_assert_str_eq(v, "[a]");
	free(v);
	ck_assert_int_eq(db_group_commit(db), KITH_OK);
	ck_assert_ptr_null(db_memo_get(db, "subject_prefix 1"));
	/* another connection's change, between groups and outside them */
	ck_assert_int_eq(list_setting_set(other, id, "subject_prefix", "[b]",
	    err, sizeof(err)), KITH_OK);
	v = setting(db, "subject_prefix");
	ck_assert_str_eq(v, "[b]");
	free(v);
	ck_assert_int_eq(list_setting_set(other, id, "subject_prefix", "[c]",
	    err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(db_group_begin(db), KITH_OK);
	v = setting(db, "subject_prefix");
	ck_assert_str_eq(v, "[c]");
	free(v);
	db_group_rollback(db);
	ck_assert_ptr_null(db_memo_get(db, "subject_prefix 1"));
	db_close(other);
	free(path);
}
END_TEST

/* The same verdicts as inbound_receive, which opens its own connection. */
START_TEST(test_same_verdicts)
{
	struct inbound_result a, b;
	static const char *const to[] = { "team@example.org",
		"nosuch@example.org", "team-owner@example.org",
		"team-request@example.org" };
	const char *mail = "From: bob@example.org\nSubject: help\n\nhelp\n";

	for (size_t i = 0; i < sizeof(to) / sizeof(to[0]); i++) {
		inbound_receive(&cfg, mail, strlen(mail), "bob@example.org",
		    to[i], &a);
		ck_assert_int_eq(db_group_begin(db), KITH_OK);
		inbound_receive_db(&cfg, db, mail, strlen(mail), strlen(mail),
		    "bob@example.org", to[i], &b);
		db_group_rollback(db);
		ck_assert_int_eq(a.exit_code, b.exit_code);
		ck_assert_str_eq(a.what, b.what);
	}
}
END_TEST

/*
 * A message parsed on the connection's thread (inbound_parse) gets the
 * verdict and rows it gets parsed on the committer: posts, an mbox
 * "From " line, bare-CR line ends, a header that cannot be parsed
 * (quarantined, as received), mail to the owner and to no list.
 */
START_TEST(test_parsed_verdicts)
{
	static const char *const mails[] = {
		"From: bob@example.org\nMessage-ID: <p%d-%d@x>\nSubject: s\n\nhi\n",
		"From bob@example.org Mon Jun  1 09:00:00 2026\nFrom: "
		    "bob@example.org\nMessage-ID: <p%d-%d@x>\n\nmbox\n",
		"From: bob@example.org\rMessage-ID: <p%d-%d@x>\r\rcr\r",
		"not a mail message p%d-%d\n\nbody\n",
		"From: bob@example.org\nMessage-ID: <p%d-%d@x>\nMIME-Version: "
		    "1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
		    "Content-Type: text/plain\n\nsee\n--b\nContent-Type: "
		    "application/pdf; name=a.pdf\nContent-Disposition: "
		    "attachment; filename=a.pdf\n\nJVBERi0x\n--b--\n",
	};
	static const char *const to[] = { "team@example.org",
		"team-owner@example.org", "nosuch@example.org" };

	for (size_t i = 0; i < sizeof(mails) / sizeof(mails[0]); i++)
		for (size_t k = 0; k < sizeof(to) / sizeof(to[0]); k++) {
			struct inbound_result a, b;
			struct inbound_parsed p;
			char *m1 = xasprintf(mails[i], (int)i, (int)k * 2);
			char *m2 = xasprintf(mails[i], (int)i, (int)k * 2 + 1);
			int64_t q0 = db_int(db, -1, NULL, "SELECT count(*) FROM "
			    "quarantine", ""), p0 = posts(), q1, p1;

			inbound_receive_db(&cfg, db, m1, strlen(m1), strlen(m1),
			    "bob@example.org", to[k], &a);
			q1 = db_int(db, -1, NULL, "SELECT count(*) FROM quarantine",
			    "");
			p1 = posts();
			inbound_parse(&p, m2, strlen(m2));
			/* the attachment list made on this thread, as the
			 * committer would make it */
			if (p.rc == 0) {
				char *parts = archive_parts(p.m.raw, p.m.len);

				ck_assert_ptr_nonnull(p.m.parts);
				ck_assert_str_eq(p.m.parts, parts);
				free(parts);
			}
			ck_assert_int_eq(db_group_begin(db), KITH_OK);
			inbound_receive_parsed(&cfg, db, &p, "bob@example.org",
			    to[k], &b);
			ck_assert_int_eq(db_group_commit(db), KITH_OK);
			inbound_parsed_release(&p);
			ck_assert_msg(a.exit_code == b.exit_code && !strcmp(a.what,
			    b.what), "mail %zu to %s: %d %s, parsed before: %d %s",
			    i, to[k], a.exit_code, a.what, b.exit_code, b.what);
			/* as many rows again, the same attachment list */
			ck_assert_int_eq(posts() - p1, p1 - p0);
			ck_assert_int_eq(db_int(db, -1, NULL, "SELECT count(DISTINCT "
			    "coalesce(parts, '-')) FROM posts WHERE id>?", "i", p0),
			    p1 > p0 ? 1 : 0);
			ck_assert_int_eq(db_int(db, -1, NULL, "SELECT count(*) FROM "
			    "quarantine", "") - q1, q1 - q0);
			free(m1);
			free(m2);
		}
	ck_assert_int_eq(db_int(db, -1, NULL, "SELECT count(*) FROM posts "
	    "WHERE parts LIKE 'application/pdf%a.pdf%'", ""), 2);
	/* quarantined byte for byte as received, either way */
	ck_assert_int_eq(db_int(db, -1, NULL, "SELECT count(DISTINCT "
	    "replace(replace(CAST(raw AS TEXT), 'p3-0', ''), 'p3-1', '')) FROM "
	    "quarantine WHERE envelope_to='team@example.org'", ""), 1);
	ck_assert_int_eq(db_int(db, -1, NULL, "SELECT count(*) FROM quarantine "
	    "WHERE envelope_to='team@example.org'", ""), 2);
}
END_TEST

Suite *
lmtp_suite(void)
{
	Suite *s = suite_create("lmtp");
	TCase *tc = tcase_create("session");
	TCase *tg = tcase_create("group");

	tcase_add_loop_test(tc, test_session, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_full_reply);
	tcase_add_test(tc, test_line_too_long);
	tcase_add_test(tc, test_fuzz);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tg, setup, teardown);
	tcase_add_test(tg, test_group);
	tcase_add_test(tg, test_group_savepoints);
	tcase_add_test(tg, test_group_search);
	tcase_add_test(tg, test_group_defer);
	tcase_add_test(tg, test_group_memo);
	tcase_add_test(tg, test_same_verdicts);
	tcase_add_test(tg, test_parsed_verdicts);
	suite_add_tcase(s, tg);
	return s;
}
