/* test_membership - reading replies, proving senders, a leave's notices. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/compose.h"
#include "kith/config.h"
#include "kith/db.h"
#include "kith/lists.h"
#include "kith/members.h"
#include "kith/membership.h"
#include "kith/notice.h"
#include "kith/outbox.h"
#include "kith/reply.h"
#include "kith/tokens.h"
#include "kith/util.h"
#include "unit.h"

static const struct {
	const char *text, *want;
} line_cases[] = {
	{ "", "" },
	{ "\n\n  \n", "" },
	{ "approve\n", "approve" },
	{ "  Approve!  \r\n\r\n> quoted\r\n", "Approve!" },
	{ "> A message waits\n> for you\n", "" },
	{ "\nOn Tue, 2 Jun 2026, Team <team@example.org> wrote:\n> held\n",
	    "" },
	{ "reject spam\n\nOn Tue, Team <team@example.org> wrote:\n> x\n",
	    "reject spam" },
	/* Gmail wraps the attribution before "wrote:" */
	{ "On Tue, Jun 2, 2026 at 10:00 AM Team <team-confirm+h.1@x.org>\n"
	    "wrote:\n\n> held post\n", "" },
	{ "Dne út 2. 6. 2026 v 10:00 Team <team@example.org> napsal:\n"
	    "> zpráva\n", "" },
	/* a line of the person's own that merely ends in ':' stays theirs */
	{ "Reject, see below:\n> the offending line\n", "Reject, see below:" },
	{ "reject x@spam.example:\n> quoted\n", "reject x@spam.example:" },
	{ "-- \nBob\napprove\n", "" },
	{ "--\napprove\n", "" },
	{ "Sent from my iPhone\n\n> Held for team\n", "" },
	{ "-----Original Message-----\nFrom: Team\napprove\n", "" },
	{ "________________________________\nFrom: Team\n", "" },
	{ "1번이요!\n> 1. 금요일\n", "1번이요!" },
	{ "\t Actually 2 please\n", "Actually 2 please" },
};

START_TEST(test_reply_line)
{
	char *got = reply_line(line_cases[_i].text);

	ck_assert_msg(!strcmp(got, line_cases[_i].want), "case %d: got '%s', "
	    "want '%s'", _i, got, line_cases[_i].want);
	free(got);
}
END_TEST

static const char *const answer_names[] = { "empty", "yes", "no", "discard",
	"unclear" };

static const struct {
	const char *text;
	enum reply_answer want;
	const char *reason;
} answer_cases[] = {
	{ "", REPLY_EMPTY, "" },
	{ "\n> quoted only\n", REPLY_EMPTY, "" },
	{ "approve", REPLY_YES, "" },
	{ "Approve.\n\n> A message to team@example.org waits", REPLY_YES, "" },
	{ "APPROVED!", REPLY_YES, "" },
	{ "yes please", REPLY_YES, "" },
	{ "OK", REPLY_YES, "" },
	{ "Please approve, thanks", REPLY_YES, "" },
	{ "Ano, schválit", REPLY_YES, "" },
	{ "ANO", REPLY_YES, "" },
	{ "Ja, bitte", REPLY_YES, "" },
	{ "Oui merci", REPLY_YES, "" },
	{ "네", REPLY_YES, "" },
	{ "승인합니다", REPLY_YES, "" },
	{ "Ναι", REPLY_YES, "" },
	{ "gladly", REPLY_YES, "" },
	/* a yes followed by anything else is not a yes */
	{ "yes, but not this one", REPLY_UNCLEAR, "" },
	{ "approve? no way", REPLY_UNCLEAR, "" },
	{ "yes again", REPLY_UNCLEAR, "" },
	{ "reject", REPLY_NO, "" },
	{ "reject This list is for members of the club only.", REPLY_NO,
	    "This list is for members of the club only." },
	{ "Ne, tohle je spam.", REPLY_NO, "tohle je spam." },
	{ "NE", REPLY_NO, "" },
	{ "Nein: kein Thema für die Liste", REPLY_NO,
	    "kein Thema für die Liste" },
	{ "Non.", REPLY_NO, "" },
	{ "아니요, 광고입니다", REPLY_NO, "광고입니다" },
	{ "Όχι", REPLY_NO, "" },
	{ "No, I did not ask for this", REPLY_NO, "I did not ask for this" },
	/* a no or a discard, then the approval: two things, not understood
	 * (each was a rejection or a discard) */
	{ "No problem, approve it", REPLY_UNCLEAR, "" },
	{ "No, don't approve this one", REPLY_UNCLEAR, "" },
	{ "Spam? No, approve", REPLY_UNCLEAR, "" },
	{ "Ne, schválit", REPLY_UNCLEAR, "" },
	{ "아니요 승인", REPLY_UNCLEAR, "" },
	/* "ok" in a reason is no approval */
	{ "No, this is not ok for our list", REPLY_NO,
	    "this is not ok for our list" },
	{ "discard", REPLY_DISCARD, "" },
	{ "Spam!", REPLY_DISCARD, "" },
	{ "zahodit", REPLY_DISCARD, "" },
	{ "Löschen", REPLY_DISCARD, "" },
	{ "삭제", REPLY_DISCARD, "" },
	/* anything else: nothing may happen */
	{ "Tohle je spam, nechci to na listu.", REPLY_UNCLEAR, "" },
	{ "I'll look at it tomorrow", REPLY_UNCLEAR, "" },
	{ "Hmm", REPLY_UNCLEAR, "" },
	{ "please", REPLY_UNCLEAR, "" },
	{ "👍", REPLY_UNCLEAR, "" },
	{ "!!!", REPLY_UNCLEAR, "" },
	{ "approvee", REPLY_UNCLEAR, "" },
	{ "Sent from my iPhone\n\n> Held for team", REPLY_EMPTY, "" },
	{ "On Tue, Team <team@example.org> wrote:\n> approve\n", REPLY_EMPTY,
	    "" },
	{ "Reject, see below:\n> the offending line\n", REPLY_NO,
	    "see below:" },
};

START_TEST(test_reply_answer)
{
	char reason[256];
	enum reply_answer got = reply_answer(answer_cases[_i].text,
	    reason, sizeof(reason));

	ck_assert_msg(got == answer_cases[_i].want && !strcmp(reason,
	    answer_cases[_i].reason), "case %d '%s': got %s '%s', want %s '%s'",
	    _i, answer_cases[_i].text, answer_names[got], reason,
	    answer_names[answer_cases[_i].want], answer_cases[_i].reason);
}
END_TEST

#define AR "Authentication-Results: "
static const struct {
	const char *headers;	/* the top of a mail, before "From:" */
	const char *from;
	int want;
} proof_cases[] = {
	{ "", "bob@example.org", 0 },
	{ AR "mx.kith.test; dkim=pass header.d=example.org\n",
	    "bob@example.org", 1 },
	/* folded, with comments, spaces around '=' and the version */
	{ AR "mx.kith.test 1;\n\tdkim = pass (2048-bit key; secure)\n"
	    "\theader.d = example.org header.s=sel header.b=AbCd;\n"
	    "\tspf=pass smtp.mailfrom=example.org\n", "bob@example.org", 1 },
	{ AR "MX.KITH.TEST; DKIM=PASS header.i=@Example.ORG\n",
	    "bob@example.org", 1 },
	/* a parent domain signs for a subdomain; never the other way */
	{ AR "mx.kith.test; dkim=pass header.d=example.org\n",
	    "bob@mail.example.org", 1 },
	{ AR "mx.kith.test; dkim=pass header.d=mail.example.org\n",
	    "bob@example.org", 0 },
	{ AR "mx.kith.test; dkim=pass header.d=org\n", "bob@example.org", 0 },
	{ AR "mx.kith.test; dkim=pass header.d=badexample.org\n",
	    "bob@example.org", 0 },
	/* a pass for another domain (the attacker's own) is no proof */
	{ AR "mx.kith.test; dkim=pass header.d=attacker.example\n",
	    "bob@example.org", 0 },
	{ AR "mx.kith.test; dkim=fail header.d=example.org\n",
	    "bob@example.org", 0 },
	{ AR "mx.kith.test; dkim=none; spf=pass smtp.mailfrom=example.org\n",
	    "bob@example.org", 0 },
	/* the words inside a comment or a reason are not results */
	{ AR "mx.kith.test; dkim=fail (dkim=pass header.d=example.org)\n",
	    "bob@example.org", 0 },
	{ AR "mx.kith.test; dkim=fail reason=\"dkim=pass header.d=example."
	    "org\"\n", "bob@example.org", 0 },
	/* a pass in the second resinfo of ours counts */
	{ AR "mx.kith.test; spf=fail smtp.mailfrom=x.example;\n"
	    "  dkim=pass header.d=example.org\n", "bob@example.org", 1 },
	{ AR "mx.kith.test; dkim=fail header.d=example.org;\n"
	    "  dkim=pass header.d=attacker.example\n", "bob@example.org", 0 },
	/* another authserv-id is not ours */
	{ AR "mx.google.com; dkim=pass header.d=example.org\n",
	    "bob@example.org", 0 },
	{ AR "mx.kith.test.evil; dkim=pass header.d=example.org\n",
	    "bob@example.org", 0 },
	/* a forged field of ours below our MTA's Received: the sender's */
	{ AR "mx.kith.test; dkim=none\n"
	    "Received: from evil.example by mx.kith.test\n"
	    AR "mx.kith.test; dkim=pass header.d=example.org\n",
	    "bob@example.org", 0 },
	/* below another host's field: from before that hop */
	{ "Received: from relay by mx.kith.test\n"
	    AR "mx.google.com; dkim=fail header.d=example.org\n"
	    AR "mx.kith.test; dkim=pass header.d=example.org\n",
	    "bob@example.org", 0 },
	/* our milters' two fields above our Received both count */
	{ "Return-Path: <bob@example.org>\n"
	    AR "mx.kith.test; spf=pass smtp.mailfrom=example.org\n"
	    AR "mx.kith.test; dkim=pass header.d=example.org\n"
	    "Received: from mail.example.org by mx.kith.test\n"
	    "DKIM-Signature: v=1; d=example.org\n", "bob@example.org", 1 },
	/* a content filter re-injecting: its Received is above ours */
	{ "Received: from localhost by mx.kith.test\n"
	    AR "mx.kith.test; dkim=pass header.d=example.org\n"
	    "Received: from mail.example.org by mx.kith.test\n",
	    "bob@example.org", 1 },
	{ AR "mx.kith.test; dkim=pass header.d=example.org\n", "", 0 },
	{ AR "mx.kith.test; dkim=pass header.d=example.org\n", "bob", 0 },
	/* no authserv_id configured: nothing is proof */
	{ AR "; dkim=pass header.d=example.org\n", "bob@example.org", 0 },
};

START_TEST(test_sender_proven)
{
	char mail[2048];
	int got;

	snprintf(mail, sizeof(mail), "%sFrom: <%s>\nTo: team-request@"
	    "example.org\nSubject: rsvp\n\nrsvp yes 1\n", proof_cases[_i].headers,
	    proof_cases[_i].from);
	got = reply_sender_proven(_i == (int)(sizeof(proof_cases) /
	    sizeof(proof_cases[0])) - 1 ? "" : "mx.kith.test", mail,
	    strlen(mail), proof_cases[_i].from);
	ck_assert_msg(got == proof_cases[_i].want, "case %d: got %d, want %d\n%s",
	    _i, got, proof_cases[_i].want, mail);
}
END_TEST

/*
 * Confirmation handling: a pending "subscribe" for dora, answered with
 * each reply below through the real token.  Only an empty reply or a yes
 * joins; a no cancels; anything else keeps the request and answers with
 * the words.
 */
static const struct {
	const char *text;
	int member, pending, told;	/* told: a confirm-unclear notice */
	const char *out;		/* in the results, or "" for none */
} confirm_cases[] = {
	{ "", 1, 0, 0, "is now a member" },
	{ "\n> Someone (hopefully you) asked to join\n", 1, 0, 0,
	    "is now a member" },
	{ "yes please", 1, 0, 0, "is now a member" },
	{ "Ano", 1, 0, 0, "is now a member" },
	{ "Wer sind Sie?", 0, 1, 1, "" },
	{ "yes, but who are you?", 0, 1, 1, "" },
	{ "No, I did not ask for this", 0, 0, 0, "Cancelled" },
	{ "ne", 0, 0, 0, "Cancelled" },
	{ "spam", 0, 0, 0, "Cancelled" },
};

static int64_t
count_of(struct db *db, const char *sql)
{
	return db_int(db, -1, NULL, sql, "");
}

START_TEST(test_confirm)
{
	static const unsigned char secret[32] = "0123456789abcdef0123456789abcde";
	struct kith_config cfg;
	struct token_key *key = token_key_new(secret, sizeof(secret));
	char dir[256], err[256], payload[32], *tok;
	struct db *db = unit_db(dir, sizeof(dir));
	struct list l;
	struct mail_ctx c;
	struct outcome out;
	char *said;
	int64_t id;

	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(config_load(&cfg, "/dev/null", err, sizeof(err)), 0);
	ck_assert_int_eq(list_create(db, "team@example.org",
	    "alice@example.org", "Team", "", err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_find(db, "team", &l, err, sizeof(err)), KITH_OK);
	c = (struct mail_ctx){ &cfg, db, key, &l, "reply@test", "Re: confirm" };
	outcome_init(&out);
	ck_assert_int_eq(db_begin(db), KITH_OK);
	ck_assert_int_eq(confirm_request(&c, "dora@example.net",
	    "subscribe Dora", 1, NULL, &out), KITH_OK);
	id = count_of(db, "SELECT max(id) FROM pending");
	snprintf(payload, sizeof(payload), "c.%lld", (long long)id);
	tok = token_make(key, "confirm", l.address, "dora@example.net", payload,
	    now_utc() + 3600);
	/* a token made for another address does nothing */
	{
		char *other = token_make(key, "confirm", l.address,
		    "eve@example.net", payload, now_utc() + 3600);

		ck_assert_int_eq(membership_confirm(&c, other, "dora@example.net",
		    "yes", &out), KITH_PERM);
		free(other);
	}
	outcome_reset(&out);
	ck_assert_int_eq(membership_confirm(&c, tok, "dora@example.net",
	    confirm_cases[_i].text, &out), KITH_OK);
	ck_assert_int_eq(db_commit(db), KITH_OK);
	/* what the member reads, as results.txt words it */
	said = outcome_text(db, &cfg, &l, "en", &out);
	ck_assert_ptr_nonnull(said);
	ck_assert_msg(count_of(db, "SELECT count(*) FROM members WHERE "
	    "address='dora@example.net'") == confirm_cases[_i].member &&
	    count_of(db, "SELECT count(*) FROM pending WHERE "
	    "address='dora@example.net'") == confirm_cases[_i].pending &&
	    count_of(db, "SELECT count(*) FROM outbox_messages WHERE "
	    "instr(data, 'Kith did not understand')") == confirm_cases[_i].told &&
	    (*confirm_cases[_i].out ? strstr(said, confirm_cases[_i].out) !=
	    NULL : *said == '\0'),
	    "case %d '%s': member %lld pending %lld told %lld out '%s'", _i,
	    confirm_cases[_i].text, (long long)count_of(db, "SELECT count(*) "
	    "FROM members WHERE address='dora@example.net'"),
	    (long long)count_of(db, "SELECT count(*) FROM pending WHERE "
	    "address='dora@example.net'"), (long long)count_of(db, "SELECT "
	    "count(*) FROM outbox_messages WHERE instr(data, 'Kith did not "
	    "understand')"), said);
	free(said);
	free(tok);
	outcome_release(&out);
	list_release(&l);
	config_release(&cfg);
	token_key_free(key);
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

/* The list's only owner is known as such, in any case of the address; a
 * second owner, or a moderator, makes nobody the only one. */
/* "nomail until DATE" (the mail command, the preference page): a day
 * that does not exist is refused, not moved into March. */
START_TEST(test_parse_date)
{
	ck_assert_int_eq(parse_date("2027-03-01"), 1803859200);
	ck_assert_int_eq(parse_date("2028-02-29"), 1835395200);
	ck_assert_int_eq(parse_date("2027-02-29"), -1);
	ck_assert_int_eq(parse_date("2027-02-30"), -1);
	ck_assert_int_eq(parse_date("2027-04-31"), -1);
	ck_assert_int_eq(parse_date("2027-13-01"), -1);
	ck_assert_int_eq(parse_date("2027-03-01x"), -1);
	ck_assert_int_eq(parse_date("soon"), -1);
}
END_TEST

START_TEST(test_sole_owner)
{
	char dir[256], err[256];
	struct db *db = unit_db(dir, sizeof(dir));
	struct list l;

	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(list_create(db, "team@example.org",
	    "alice@example.org", "Team", "", err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_find(db, "team", &l, err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(member_sole_owner(db, l.id, "ALICE@example.org"), 1);
	ck_assert_int_eq(member_sole_owner(db, l.id, "bob@example.org"), 0);
	ck_assert_int_eq(member_add(db, l.id, "bob@example.org", "Bob"),
	    MEMBER_ADDED);
	ck_assert_int_eq(member_set_role(db, l.id, "bob@example.org",
	    "moderator"), KITH_OK);
	ck_assert_int_eq(member_sole_owner(db, l.id, "alice@example.org"), 1);
	ck_assert_int_eq(member_set_role(db, l.id, "bob@example.org", "owner"),
	    KITH_OK);
	ck_assert_int_eq(member_sole_owner(db, l.id, "alice@example.org"), 0);
	ck_assert_int_eq(member_sole_owner(db, l.id, "bob@example.org"), 0);
	list_release(&l);
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

/*
 * Every row that names a member is found by an index when the member
 * leaves: sqlite checks each foreign key to members(id) on the delete
 * (ON DELETE CASCADE / SET NULL), and without an index on the column it
 * reads the whole table for each leave (event_invites did, before
 * schema step 18).
 */
START_TEST(test_member_refs_indexed)
{
	char dir[256];
	struct db *db = unit_db(dir, sizeof(dir));
	struct db_stmt *st = db_prepare(db,
	    "SELECT m.name, f.\"from\" FROM sqlite_master m, "
	    "pragma_foreign_key_list(m.name) f WHERE m.type='table' AND "
	    "f.\"table\"='members'");
	int refs = 0;

	ck_assert_ptr_nonnull(st);
	while (db_step(st) == DB_ROW) {
		const char *table = db_col_str(st, 0);
		const char *col = db_col_str(st, 1);

		refs++;
		ck_assert_msg(db_int(db, 0, NULL, "SELECT count(*) FROM "
		    "pragma_index_list(?) il, pragma_index_info(il.name) ii "
		    "WHERE ii.seqno=0 AND ii.name=?", "tt", table, col) > 0,
		    "%s.%s refers to members(id) with no index leading with it",
		    table, col);
	}
	db_finalize(st);
	ck_assert_int_ge(refs, 4);	/* member_tags, bounces, event_invites, rsvps */
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

/*
 * A leave's notices are rendered at delivery (notice_queue_later, then
 * notice_copy): byte for byte what notice_queue made of the same values
 * at the leave (the Message-ID aside, which is new for every mail),
 * whatever the member's name holds, and dated when the member left.
 */
static const struct {
	const char *name, *in_reply_to;
} later_cases[] = {
	{ "Bob", NULL },
	{ "", "req@test" },
	{ "Zoë \"Z\" Nguyễn: <ops>", "a@b" },
	{ "Ann\nBcc: evil@example.com\n\nbody", NULL },	/* last, kept whole */
	{ "Cy", "bad\r\nBcc: evil@example.com" },	/* never a header */
};

/* m's bytes with the Message-ID's value blanked; caller frees. */
static char *
without_id(const char *m)
{
	char *s = xstrdup(m), *p = strstr(s, "Message-ID: <"), *e;

	ck_assert_ptr_nonnull(p);
	p += 13;
	e = strchr(p, '>');
	ck_assert_ptr_nonnull(e);
	memmove(p, e, strlen(e) + 1);
	return s;
}

START_TEST(test_leave_later)
{
	struct kith_config cfg;
	char dir[256], err[256], *later, *now_bytes, *a, *b, date[64];
	struct db *db = unit_db(dir, sizeof(dir));
	struct list l;
	struct mail_ctx c;
	struct outcome out;
	struct db_stmt *st;
	char *render[4], *rcpt[4];
	int64_t created[4];
	int n = 0;

	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(config_load(&cfg, "/dev/null", err, sizeof(err)), 0);
	ck_assert_int_eq(list_create(db, "team@example.org",
	    "alice@example.org", "Team", "", err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_find(db, "team", &l, err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_setting_set(db, l.id, "notify_owners", "each",
	    err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(member_add(db, l.id, "m@example.net",
	    later_cases[_i].name), MEMBER_ADDED);
	c = (struct mail_ctx){ &cfg, db, NULL, &l, later_cases[_i].in_reply_to,
	    NULL };
	outcome_init(&out);
	ck_assert_int_eq(membership_leave(&c, "m@example.net", &out), KITH_OK);
	outcome_release(&out);
	st = db_prepare(db, "SELECT m.render, o.rcpt, m.created, length(m.data) "
	    "FROM outbox o JOIN outbox_messages m ON m.id=o.message_id "
	    "ORDER BY o.id");
	while (db_step(st) == DB_ROW && n < 4) {
		ck_assert_int_eq(db_col_int64(st, 3), 0);	/* no bytes yet */
		render[n] = db_col_text(st, 0);
		rcpt[n] = db_col_text(st, 1);
		created[n++] = db_col_int64(st, 2);
	}
	db_finalize(st);
	ck_assert_int_eq(n, 2);	/* the goodbye, the owner's notice */
	for (int k = 0; k < n; k++) {
		const char *tmpl = strchr(render[k], ':') + 1;
		char *nl = strchr(tmpl, '\n');
		struct template_var vars[] = {
			{ "member.address", "m@example.net" },
			{ "member.name", later_cases[_i].name },
		};
		struct notice_opts o;
		struct outbox_message m;
		size_t len;
		int64_t id;

		later = notice_copy(db, &cfg, NULL, l.id, render[k], rcpt[k],
		    &len);
		ck_assert_ptr_nonnull(later);
		ck_assert_uint_eq(len, strlen(later));
		compose_date(created[k], date, sizeof(date));
		ck_assert_msg(strstr(later, date) != NULL, "case %d: not dated "
		    "%s: %s", _i, date, later);
		/* what the request made of the same values before */
		memset(&o, 0, sizeof(o));
		o.to = rcpt[k];
		*nl = '\0';
		o.tmpl = tmpl;
		o.vars = vars;
		o.nvars = 2;
		o.in_reply_to = later_cases[_i].in_reply_to;
		o.date = created[k];
		ck_assert_int_eq(notice_queue(db, &cfg, &l, &o), KITH_OK);
		id = db_int(db, 0, NULL, "SELECT max(id) FROM outbox_messages",
		    "");
		ck_assert_int_eq(outbox_message_load(db, id, &m), KITH_OK);
		now_bytes = m.data;
		a = without_id(later);
		b = without_id(now_bytes);
		ck_assert_msg(!strcmp(a, b), "case %d, %s to %s:\n%s\n---\n%s",
		    _i, tmpl, rcpt[k], a, b);
		/* nothing of the values splits the header */
		*strstr(a, "\r\n\r\n") = '\0';
		ck_assert_msg(strstr(a, "\nBcc:") == NULL, "case %d: %s", _i, a);
		free(a);
		free(b);
		free(later);
		outbox_message_release(&m);
		free(render[k]);
		free(rcpt[k]);
	}
	/* what is not one of Kith's, or of a list that is gone, is no mail */
	ck_assert_ptr_null(notice_copy(db, &cfg, NULL, l.id,
	    "notice:../../etc/passwd\n1\n\n\nx\ny", "m@example.net", NULL));
	ck_assert_ptr_null(notice_copy(db, &cfg, NULL, l.id,
	    "notice:goodbye.txt\n1\n\n", "m@example.net", NULL));
	ck_assert_ptr_null(notice_copy(db, &cfg, NULL, l.id + 1,
	    "notice:goodbye.txt\n1\n\n\nx\ny", "m@example.net", NULL));
	list_release(&l);
	config_release(&cfg);
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

/*
 * The goodbye is in the language of the member who left, though that
 * language leaves with the member's row before the goodbye is made at
 * delivery; the owners' notices stay in each owner's own.  (Before, a
 * German reader's goodbye came in the list's English.)
 */
/*
 * A tag is a word in the member's own script: the list's topics, which
 * members pick on the web, are stored as tags, and a newsletter's --tag
 * must be able to name them (it refused all but ASCII).
 */
START_TEST(test_tag_any_script)
{
	static const struct {
		const char *tag;
		int ok;
	} cases[] = {
		{ "garden", 1 }, { "day-trips_2", 1 }, { "Wälder", 1 },
		{ "초급", 1 }, { "日本語", 1 }, { "поход", 1 }, { "٣أيام", 1 },
		{ "हिन्दी", 1 },		/* a virama, which glibc calls punctuation */
		{ "Wa\xcc\x88lder", 1 },	/* ä as a + combining diaeresis */
		{ "\xd9\x83\xd8\xaa\xd8\xa7\xd8\xa8\xe2\x80\x8c\xd9\x87\xd8\xa7", 1 },
						/* Persian, a zero-width non-joiner */
		{ "", 0 }, { "day trips", 0 }, { "a,b", 0 }, { "a.b", 0 },
		{ "a\xe2\x80\x94" "b", 0 },	/* an em dash */
		{ "\xcc\x88x", 0 },		/* a mark on no letter */
		{ "x\xe2\x80\x8by", 0 },	/* a zero-width space */
		{ "x\xe2\x80\xaey", 0 },	/* a right-to-left override */
		{ "\xf0\x9f\xa5\xbe", 0 },	/* an emoji is no letter */
		{ "caf\xe9", 0 },		/* Latin-1, not UTF-8 */
		{ "tab\there", 0 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1 },	/* 40 */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },	/* 41 */
		/* 40 characters, 120 bytes */
		{ "초초초초초초초초초초초초초초초초초초초초초초초초초초초초초초초초초초초초초초초초", 1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(member_tag_valid(cases[i].tag) == cases[i].ok,
		    "'%s': %d", cases[i].tag, !cases[i].ok);
}
END_TEST

START_TEST(test_goodbye_in_members_language)
{
	struct kith_config cfg;
	char dir[256], err[256], *mail, *render = NULL, *rcpt = NULL;
	struct db *db = unit_db(dir, sizeof(dir));
	struct list l;
	struct mail_ctx c;
	struct db_stmt *st;
	size_t len;

	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(config_load(&cfg, "/dev/null", err, sizeof(err)), 0);
	ck_assert_int_eq(list_create(db, "team@example.org",
	    "alice@example.org", "Team", "", err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_find(db, "team", &l, err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(member_add(db, l.id, "zoe@example.net", "Zoe"),
	    MEMBER_ADDED);
	ck_assert_int_eq(member_set_lang(db, l.id, "zoe@example.net", "de"),
	    KITH_OK);
	c = (struct mail_ctx){ &cfg, db, NULL, &l, NULL, NULL };
	ck_assert_int_eq(membership_leave(&c, "zoe@example.net", NULL),
	    KITH_OK);
	st = db_prepare(db, "SELECT m.render, o.rcpt FROM outbox o JOIN "
	    "outbox_messages m ON m.id=o.message_id WHERE o.rcpt="
	    "'zoe@example.net'");
	ck_assert_int_eq(db_step(st), DB_ROW);
	render = db_col_text(st, 0);
	rcpt = db_col_text(st, 1);
	db_finalize(st);
	mail = notice_copy(db, &cfg, NULL, l.id, render, rcpt, &len);
	ck_assert_ptr_nonnull(mail);
	ck_assert_msg(strstr(mail, "Subject: =?UTF-8?") != NULL &&
	    strstr(mail, "Goodbye from") == NULL, "not in German: %s", mail);
	free(mail);
	free(render);
	free(rcpt);
	list_release(&l);
	config_release(&cfg);
	db_close(db);
	unit_rmdir(dir);
}
END_TEST

Suite *
membership_suite(void)
{
	Suite *s = suite_create("membership");
	TCase *tc = tcase_create("replies");

	tcase_add_loop_test(tc, test_reply_line, 0,
	    (int)(sizeof(line_cases) / sizeof(line_cases[0])));
	tcase_add_loop_test(tc, test_reply_answer, 0,
	    (int)(sizeof(answer_cases) / sizeof(answer_cases[0])));
	tcase_add_loop_test(tc, test_sender_proven, 0,
	    (int)(sizeof(proof_cases) / sizeof(proof_cases[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("confirmations");
	tcase_add_loop_test(tc, test_confirm, 0,
	    (int)(sizeof(confirm_cases) / sizeof(confirm_cases[0])));
	tcase_add_test(tc, test_sole_owner);
	tcase_add_test(tc, test_parse_date);
	tcase_add_test(tc, test_member_refs_indexed);
	suite_add_tcase(s, tc);
	tc = tcase_create("leaves");
	tcase_add_test(tc, test_goodbye_in_members_language);
	tcase_add_test(tc, test_tag_any_script);
	tcase_add_loop_test(tc, test_leave_later, 0,
	    (int)(sizeof(later_cases) / sizeof(later_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}
