/*
 * test_event_texts - what a member reads about an event, as the event
 * feature writes it: each kind of invitation copy (subject, text/plain and
 * text/html), the reminder, the nudge, every answer to a calendar reply
 * Kith could not use, and the digest's events section.  The golden files
 * in tests/data/event/ were written by the C that built these texts
 * before they moved into templates, so an English reader gets the same
 * bytes.  KITH_UPDATE_GOLDEN=1 rewrites them.
 *
 * Then the languages: a site's Czech texts (DATA/templates/cs/...) are
 * what a Czech reader gets, subject, dates and all, while an English
 * reader of the same list keeps English, with no change in C; a list's
 * text older than the subjects in templates still works; and the
 * calendar's SUMMARY, LOCATION and DESCRIPTION carry LANGUAGE when the
 * list says which language its organisers write (read back by Python's
 * icalendar as well as by Kith).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kith/config.h"
#include "kith/db.h"
#include "kith/event.h"
#include "kith/ical.h"
#include "kith/lists.h"
#include "kith/members.h"
#include "kith/message.h"
#include "kith/notice.h"
#include "kith/template.h"
#include "kith/timeutil.h"
#include "kith/tokens.h"
#include "kith/util.h"
#include "unit.h"

#define EVENT_DATA TEST_DATA_DIR "/event"

static char dir[256];
static struct kith_config cfg;
static struct db *db;
static struct list l;
static struct token_key *key;
static int64_t bob, carol, dave;
static int64_t hike, run, concert;

static int64_t
add_member(const char *address, const char *name)
{
	struct member m;
	int64_t id;

	member_add(db, l.id, address, name);
	ck_assert_int_eq(member_find(db, l.id, address, &m), KITH_OK);
	id = m.id;
	member_release(&m);
	return id;
}

static int64_t
add_event(const char *title, const char *start, int64_t duration,
    const char *location, const char *description, const char *rrule,
    const char *tz, int64_t capacity, const char *remind, const char *rsvp_by)
{
	struct event_spec s;
	char err[256];
	int64_t id = 0, invited = 0;

	memset(&s, 0, sizeof(s));
	s.title = title;
	s.start = start;
	s.duration = duration;
	s.location = location;
	s.description = description;
	s.rrule = rrule;
	s.tz = tz;
	s.capacity = capacity;
	s.remind = remind;
	s.rsvp_by = rsvp_by;
	/* made a month before the run's first Sunday: an event already
	 * over is refused (test_event test_over_refused) */
	ck_assert_msg(event_create(&cfg, db, &l, &s, 1764547200LL, &id, &invited,
	    err, sizeof(err)) == KITH_OK, "create %s: %s", title, err);
	return id;
}

static void
answer(int64_t event_id, int64_t member_id, const char *partstat, int64_t at)
{
	struct event e;
	const char *result = NULL;

	ck_assert_int_eq(event_get(db, event_id, &e), KITH_OK);
	ck_assert_int_eq(event_rsvp(&cfg, db, &l, &e, member_id, 0, partstat,
	    0, at, at, &result), KITH_OK);
	event_release(&e);
}

/*
 * A list in Prague with three members and three events: a hike with a
 * place, a description and one seat; a weekly run of three Sundays (all
 * past, so its subject never depends on today's date), updated once; a
 * concert in New York.
 */
static void
setup(void)
{
	static const unsigned char secret[32] = "0123456789abcdef0123456789abcde";
	char err[256];
	struct event_spec s;
	int64_t invited;

	db = unit_db(dir, sizeof(dir));
	ck_assert_ptr_nonnull(db);
	setenv("KITH_HOME", dir, 1);
	ck_assert_int_eq(config_load(&cfg, "/dev/null", err, sizeof(err)), 0);
	unsetenv("KITH_HOME");
	key = token_key_new(secret, sizeof(secret));
	ck_assert_int_eq(list_create(db, "team@example.org", "alice@example.org",
	    "Team", NULL, err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_find(db, "team", &l, err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_setting_set(db, l.id, "timezone", "Europe/Prague",
	    err, sizeof(err)), KITH_OK);
	bob = add_member("bob@example.org", "Bob Builder");
	carol = add_member("carol@example.org", NULL);
	dave = add_member("dave@example.org", "Dave");
	hike = add_event("Hike", "2026-12-20 10:00", 3 * 3600,
	    "Pálava, the car park", "Bring boots.\nAnd water & snacks <3",
	    NULL, NULL, 1, "24h", "2026-12-15");
	run = add_event("Run", "2026-01-04 08:00", 3600, NULL, NULL,
	    "FREQ=WEEKLY;BYDAY=SU;COUNT=3", NULL, -1, NULL, NULL);
	concert = add_event("Concert", "2026-12-22 19:30", 7200, "Carnegie Hall",
	    NULL, NULL, "America/New_York", -1, NULL, NULL);
	memset(&s, 0, sizeof(s));
	s.capacity = -1;
	s.location = "The park";
	ck_assert_int_eq(event_update(&cfg, db, run, &s, 1796083200LL, &invited,
	    err, sizeof(err)), KITH_OK);
	answer(hike, bob, "ACCEPTED", 1796083300LL);
	answer(hike, dave, "ACCEPTED", 1796083400LL);	/* waits */
	answer(hike, carol, "TENTATIVE", 1796083500LL);
}

static void
teardown(void)
{
	token_key_free(key);
	list_release(&l);
	db_close(db);
	config_release(&cfg);
	unit_rmdir(dir);
}

/* ---- reading a mail back ---- */

static int
want_type(const char *name, const char *type, void *ctx)
{
	(void)name;
	return !strcmp(type, (const char *)ctx);
}

/* "/r/TOKEN?" -> "/r/TOKEN?": tokens differ by key and time, not by text. */
static void
mask_tokens(char *s)
{
	for (char *p = strstr(s, "/r/"); p; p = strstr(p + 3, "/r/")) {
		char *q = p + 3;

		while (*q && *q != '?' && *q != '"' && *q != '\n')
			*q++ = 'x';
	}
}

/*
 * Subject and the text parts of mail, as a member's program shows them
 * (the parts with the CRLF line ends of mail).
 */
static void
describe(struct buf *b, const char *mail, size_t len)
{
	static const char *const types[] = { "text/plain", "text/html" };
	struct message m;
	char err[128];

	ck_assert_int_eq(message_parse(&m, mail, len, err, sizeof(err)), 0);
	buf_addf(b, "Subject: %s\n", m.subject);
	for (size_t i = 0; i < 2; i++) {
		size_t n;
		char *part = message_find_part(mail, len, want_type,
		    (void *)types[i], &n);

		if (part == NULL)
			continue;
		buf_addf(b, "--- %s\n%s", types[i], part);
		if (n == 0 || part[n - 1] != '\n')
			buf_adds(b, "\n--- (no line end)\n");
		free(part);
	}
	message_release(&m);
}

/* ---- golden files ---- */

static void
golden(const char *name, char *got)
{
	char *path = xasprintf("%s/%s", EVENT_DATA, name);
	struct buf want;

	mask_tokens(got);
	if (getenv("KITH_UPDATE_GOLDEN")) {
		FILE *f;

		mkdir(EVENT_DATA, 0755);
		f = fopen(path, "wb");
		ck_assert_ptr_nonnull(f);
		fputs(got, f);
		fclose(f);
	}
	buf_init(&want);
	ck_assert_msg(buf_read_file(&want, path) == 0, "no golden file %s "
	    "(KITH_UPDATE_GOLDEN=1 writes it)", path);
	ck_assert_msg(!strcmp(got, want.data ? want.data : ""), "%s differs "
	    "from what is rendered:\n%s", path, got);
	buf_release(&want);
	free(path);
}

/* ---- the copies ---- */

static const struct {
	const char *golden;
	int64_t *event;
	const char *kind;	/* REQUEST, CANCEL, WAITLIST, SEAT */
	int second;		/* the occurrence: the series' second */
	int64_t *member;
	const char *rcpt;
	int web;		/* kith serve's answer links */
} copies[] = {
	{ "invite-hike.txt", &hike, "REQUEST", 0, &bob, "bob@example.org", 0 },
	{ "invite-hike-web.txt", &hike, "REQUEST", 0, &carol,
	  "carol@example.org", 1 },
	{ "invite-hike-waiting.txt", &hike, "REQUEST", 0, &dave,
	  "dave@example.org", 0 },
	{ "invite-run-updated.txt", &run, "REQUEST", 0, &bob, "bob@example.org",
	  0 },
	{ "invite-concert.txt", &concert, "REQUEST", 0, &carol,
	  "carol@example.org", 0 },
	{ "cancel-hike.txt", &hike, "CANCEL", 0, &bob, "bob@example.org", 0 },
	{ "cancel-run-second.txt", &run, "CANCEL", 1, &carol,
	  "carol@example.org", 0 },
	{ "waitlist-hike.txt", &hike, "WAITLIST", 0, &dave, "dave@example.org",
	  0 },
	{ "seat-hike.txt", &hike, "SEAT", 0, &bob, "bob@example.org", 0 },
};

START_TEST(test_copy_as_before)
{
	struct event_cache *ec = event_cache_new(db);
	char render[96], *out;
	struct buf b;
	size_t len;
	int64_t occ = 0;

	if (copies[_i].second) {
		struct event e;

		ck_assert_int_eq(event_get(db, *copies[_i].event, &e), KITH_OK);
		occ = e.start + 7 * 86400;
		event_release(&e);
	}
	snprintf(render, sizeof(render), "event:%lld:%s:%lld",
	    (long long)*copies[_i].event, copies[_i].kind, (long long)occ);
	free(cfg.web_base_url);
	cfg.web_base_url = xstrdup(copies[_i].web ? "https://lists.example.org"
	    : "");
	out = event_personalise(ec, &cfg, key, render, *copies[_i].member,
	    copies[_i].rcpt, &len);
	ck_assert_msg(out != NULL, "%s: no copy", render);
	buf_init(&b);
	describe(&b, out, len);
	golden(copies[_i].golden, b.data);
	buf_release(&b);
	free(out);
	event_cache_free(ec);
}
END_TEST

/* ---- the notices ---- */

/* The newest notice queued to rcpt, described; "" when none. */
static char *
last_notice(const char *rcpt)
{
	struct db_stmt *st = db_prepare(db, "SELECT m.data FROM outbox o JOIN "
	    "outbox_messages m ON m.id=o.message_id WHERE m.kind='notice' AND "
	    "o.rcpt=? ORDER BY m.id DESC LIMIT 1");
	struct buf b;

	buf_init(&b);
	ck_assert_ptr_nonnull(st);
	db_bind(st, "t", rcpt);
	if (db_step(st) == DB_ROW)
		describe(&b, (const char *)db_col_blob(st, 0),
		    (size_t)db_col_bytes(st, 0));
	db_finalize(st);
	return b.data ? buf_detach(&b, NULL) : xstrdup("");
}

/* Header name of the newest notice to rcpt (caller frees; "" when none). */
static char *
notice_header(const char *rcpt, const char *name)
{
	struct db_stmt *st = db_prepare(db, "SELECT m.data FROM outbox o JOIN "
	    "outbox_messages m ON m.id=o.message_id WHERE m.kind='notice' AND "
	    "o.rcpt=? ORDER BY m.id DESC LIMIT 1");
	char *v = NULL, err[128];
	struct message m;

	ck_assert_ptr_nonnull(st);
	db_bind(st, "t", rcpt);
	if (db_step(st) == DB_ROW && message_parse(&m,
	    (const char *)db_col_blob(st, 0),
	    (size_t)db_col_bytes(st, 0), err, sizeof(err)) == 0) {
		v = message_header(&m, name);
		message_release(&m);
	}
	db_finalize(st);
	return v ? v : xstrdup("");
}

/* What the newest notice to rcpt says it is (RFC 3834). */
static void
auto_submitted(const char *rcpt, const char *want)
{
	char *got = notice_header(rcpt, "Auto-Submitted");

	ck_assert_msg(!strcmp(got, want), "Auto-Submitted of the notice to %s: "
	    "'%s', want '%s'", rcpt, got, want);
	free(got);
}

START_TEST(test_reminder_as_before)
{
	struct site_ctx c = { &cfg, db, key };
	struct event e;
	char *got;

	ck_assert_int_eq(event_get(db, hike, &e), KITH_OK);
	ck_assert_int_eq(event_cron(&c, e.start - 86400 + 30), KITH_OK);
	event_release(&e);
	got = last_notice("bob@example.org");
	golden("reminder.txt", got);
	auto_submitted("bob@example.org", "auto-generated");
	free(got);
}
END_TEST

START_TEST(test_nudge_as_before)
{
	struct site_ctx c = { &cfg, db, key };
	int64_t party = add_event("Party", "2026-12-31 20:00", 4 * 3600,
	    "Club", NULL, NULL, NULL, -1, NULL, "2026-12-28 18:00");
	struct event e;
	char *got;

	ck_assert_int_eq(event_get(db, party, &e), KITH_OK);
	ck_assert_int_eq(event_cron(&c, e.rsvp_by - 3600), KITH_OK);
	event_release(&e);
	got = last_notice("carol@example.org");
	golden("nudge.txt", got);
	auto_submitted("carol@example.org", "auto-generated");
	free(got);
}
END_TEST

/* ---- answers to calendar replies that change nothing ---- */

/* A calendar reply (cal NULL: a mail without one) handled as inbound would. */
static void
reply(const char *from, const char *token, const char *method,
    const char *uid, const char *attendee, const char *partstat,
    const char *recurrence)
{
	struct mail_ctx c = { &cfg, db, key, &l, NULL, NULL };
	struct message m;
	char err[128], line[512] = "", *mail;

	free(cfg.authserv_id);
	cfg.authserv_id = xstrdup("mx.example.org");
	if (method == NULL)
		mail = xasprintf("From: %s\nTo: team-events@example.org\n"
		    "Subject: coming\n\nYes, I'll come!\n", from);
	else
		mail = xasprintf("Authentication-Results: mx.example.org; "
		    "dkim=pass header.d=example.org\nFrom: %s\n"
		    "To: team-events@example.org\nSubject: answer\n"
		    "MIME-Version: 1.0\nContent-Type: text/calendar; method=%s; "
		    "charset=UTF-8\n\nBEGIN:VCALENDAR\nVERSION:2.0\nMETHOD:%s\n"
		    "BEGIN:VEVENT\nUID:%s\nSEQUENCE:0\nDTSTAMP:20261201T100000Z\n"
		    "%s%s%s%s%s%s%s%s%sEND:VEVENT\nEND:VCALENDAR\n", from,
		    method, method, uid, recurrence ?
		    "RECURRENCE-ID;TZID=Europe/Prague:" : "", recurrence ?
		    recurrence : "", recurrence ? "\n" : "", attendee ?
		    "ATTENDEE" : "", partstat ? ";PARTSTAT=" : "", partstat ?
		    partstat : "", attendee ? ":mailto:" : "", attendee ? attendee :
		    "", attendee ? "\n" : "");
	ck_assert_int_eq(message_parse(&m, mail, strlen(mail), err,
	    sizeof(err)), 0);
	ck_assert_int_eq(event_handle_reply(&c, token ? token : "", &m, from,
	    line, sizeof(line)), KITH_OK);
	message_release(&m);
	free(mail);
	db_exec(db, "DELETE FROM notice_log", "");	/* once a day each */
}

/* The token of member's invitations to event_id; caller frees. */
static char *
token_of(int64_t event_id, int64_t member_id, const char *address)
{
	char *org = event_organizer(&cfg, key, &l, event_id, member_id, address);
	char *plus = strchr(org, '+'), *at = strrchr(org, '@'), *tok;

	tok = xstrndup(plus + 1, (size_t)(at - plus - 1));
	free(org);
	return tok;
}

START_TEST(test_reply_answers_as_before)
{
	struct event h, r;
	char *tok_hike = token_of(hike, bob, "bob@example.org");
	char *tok_run = token_of(run, bob, "bob@example.org"), *got;
	struct buf all;
	int64_t gone;
	char err[256];

	ck_assert_int_eq(event_get(db, hike, &h), KITH_OK);
	ck_assert_int_eq(event_get(db, run, &r), KITH_OK);
	buf_init(&all);
	/* each answers bob's mail: auto-replied (RFC 3834) */
#define TELL(what) do { got = last_notice("bob@example.org"); \
	buf_addf(&all, "=== %s\n%s", what, got); free(got); \
	auto_submitted("bob@example.org", "auto-replied"); \
	db_exec(db, "DELETE FROM outbox", ""); } while (0)
	reply("bob@example.org", NULL, NULL, NULL, NULL, NULL, NULL);
	TELL("no calendar");
	reply("bob@example.org", NULL, "REQUEST", h.uid, "bob@example.org",
	    "ACCEPTED", NULL);
	TELL("not a reply");
	reply("bob@example.org", NULL, "REPLY", "nosuch@example.org",
	    "bob@example.org", "ACCEPTED", NULL);
	TELL("unknown event");
	reply("bob@example.org", tok_run, "REPLY", h.uid, "bob@example.org",
	    "ACCEPTED", NULL);
	TELL("the token of another event");
	reply("bob@example.org", "garbage", "REPLY", h.uid, "bob@example.org",
	    "ACCEPTED", NULL);
	TELL("a forged token");
	reply("bob@example.org", tok_hike, "REPLY", h.uid, NULL, NULL, NULL);
	TELL("no attendee");
	reply("bob@example.org", tok_hike, "REPLY", h.uid, "carol@example.org",
	    "ACCEPTED", NULL);
	TELL("another member");
	reply("eve@example.net", NULL, "REPLY", h.uid, "eve@example.net",
	    "ACCEPTED", NULL);
	got = last_notice("eve@example.net");
	buf_addf(&all, "=== not a member\n%s", got);
	free(got);
	reply("bob@example.org", tok_run, "REPLY", r.uid, "bob@example.org",
	    "ACCEPTED", "20260105T080000");
	TELL("not an occurrence");
	reply("bob@example.org", tok_hike, "REPLY", h.uid, "bob@example.org",
	    "X-PERHAPS", NULL);
	TELL("unclear");
	reply("bob@example.org", tok_hike, "REPLY", h.uid, "bob@example.org",
	    NULL, NULL);
	TELL("unclear, no answer");
	ck_assert_int_eq(event_cancel(&cfg, db, hike, NULL, 1796083200LL, &gone,
	    err, sizeof(err)), KITH_OK);
	reply("bob@example.org", tok_hike, "REPLY", h.uid, "bob@example.org",
	    "ACCEPTED", NULL);
	TELL("cancelled");
#undef TELL
	golden("reply-answers.txt", all.data);
	buf_release(&all);
	event_release(&h);
	event_release(&r);
	free(tok_hike);
	free(tok_run);
}
END_TEST

/* ---- the digest's section ---- */

START_TEST(test_digest_section_as_before)
{
	struct tvars *tv = tv_new();
	struct template_out out;

	ck_assert_int_eq(event_feature.digest_section(db, &l, 1796083200LL, tv),
	    1);
	ck_assert_int_eq(notice_render(db, &cfg, &l, "en",
	    event_feature.digest->name, tv, &out), 0);
	golden("digest-section.txt", out.body);
	template_out_release(&out);
	tv_free(tv);
}
END_TEST

/* ---- languages ---- */

/* A file of the test's data directory (templates/...), written. */
static void
write_text(const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", dir, rel), *cmd;
	FILE *f;
	int r;

	cmd = xasprintf("mkdir -p \"$(dirname '%s')\"", path);
	r = system(cmd);
	ck_assert_int_eq(r, 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	free(cmd);
	free(path);
}

/* One copy of render for bob in lang, described. */
static char *
copy_in(const char *render, const char *lang)
{
	struct event_cache *ec = event_cache_new(db);
	char *out;
	struct buf b;
	size_t len;

	out = event_personalise_in(ec, &cfg, key, render, bob, "bob@example.org",
	    lang, &len);
	ck_assert_msg(out != NULL, "%s in %s: no copy", render, lang);
	buf_init(&b);
	describe(&b, out, len);
	free(out);
	event_cache_free(ec);
	return buf_detach(&b, NULL);
}

/* whether got, its CRLFs read as LFs, holds want */
static void
contains(const char *got, const char *want)
{
	char *lf = xstrdup(got), *w = lf;

	for (const char *r = got; *r; r++)
		if (!(r[0] == '\r' && r[1] == '\n'))
			*w++ = *r;
	*w = '\0';
	ck_assert_msg(strstr(lf, want) != NULL, "no '%s' in:\n%s", want, lf);
	free(lf);
}

static void
lacks(const char *got, const char *unwanted)
{
	ck_assert_msg(strstr(got, unwanted) == NULL, "'%s' in:\n%s", unwanted,
	    got);
}

/*
 * A site's Czech invitation and reminder: a Czech reader gets them,
 * with Czech dates in the event's zone; an English reader of the same
 * event gets what the golden files hold.
 */
START_TEST(test_czech_override)
{
	char render[64], *cs, *en, *want;
	struct event e;

	write_text("templates/cs/event/invitation.txt",
	    "Subject: Pozvánka: {{event.title}}, {{date event.next "
	    "\"datetime\"}}\n\nZveme vás, {{member.name}}.\n\n"
	    "{{event.title}}\nKdy: {{date event.time \"datetime\"}} až "
	    "{{date event.end \"time\"}}\n{{#if event.location}}Kde: "
	    "{{event.location}}\n{{/if}}{{#if waitlisted}}Akce je plná.\n"
	    "{{/if}}Odpovězte 'rsvp yes {{event.id}}' na {{list.request}}.\n");
	write_text("templates/cs/event/invitation.html",
	    "<p>Zveme vás, {{member.name}}.</p>\n<h2>{{event.title}}</h2>\n"
	    "<p>{{date event.time \"datetime\"}}</p>\n");
	write_text("templates/cs/event-reminder.txt",
	    "Subject: Připomínka: {{event.title}}, {{date event.time "
	    "\"datetime\"}}\n\nDobrý den, {{member.name}},\n\nblíží se "
	    "{{event.title}} ({{date event.time \"datetime\"}}).\n");
	snprintf(render, sizeof(render), "event:%lld:REQUEST", (long long)hike);
	cs = copy_in(render, "cs");
	contains(cs, "Subject: Pozvánka: Hike, ne 20. prosince 2026, 10:00 CET\n");
	contains(cs, "--- text/plain\nZveme vás, Bob Builder.\n\nHike\n"
	    "Kdy: ne 20. prosince 2026, 10:00 CET až 13:00 CET\n"
	    "Kde: Pálava, the car park\nOdpovězte 'rsvp yes 1' na "
	    "team-request@example.org.\n");
	contains(cs, "--- text/html\n<p>Zveme vás, Bob Builder.</p>\n"
	    "<h2>Hike</h2>\n<p>ne 20. prosince 2026, 10:00 CET</p>\n");
	lacks(cs, "invited");
	en = copy_in(render, "en");
	golden("invite-hike.txt", en);
	free(cs);
	free(en);

	/* the reminder: the Czech text for a Czech reader only */
	ck_assert_int_eq(event_get(db, hike, &e), KITH_OK);
	ck_assert_int_eq(event_notice(&cfg, db, &l, &e, e.start,
	    "bob@example.org", "Bob Builder", "event-reminder.txt", "cs"),
	    KITH_OK);
	cs = last_notice("bob@example.org");
	ck_assert_int_eq(event_notice(&cfg, db, &l, &e, e.start,
	    "dave@example.org", "Dave", "event-reminder.txt", "en"), KITH_OK);
	en = last_notice("dave@example.org");
	event_release(&e);
	contains(cs, "Subject: Připomínka: Hike, ne 20. prosince 2026, "
	    "10:00 CET\n--- text/plain\nDobrý den, Bob Builder,\n\nblíží se "
	    "Hike (ne 20. prosince 2026, 10:00 CET).\n");
	lacks(cs, "Reminder");
	want = xstrdup(en);
	contains(want, "Subject: Reminder: Hike, Sun 20 Dec 2026, 10:00 CET\n");
	contains(want, "Hello Dave,\n\nA reminder: Hike\nWhen:  Sun 20 Dec "
	    "2026, 10:00 CET\n");
	free(want);
	free(cs);
	free(en);
}
END_TEST

/*
 * A list's own text from before the subjects moved into templates: no
 * "Subject:" line, {{event.when}} for the time.  It keeps working: the
 * subject is the shipped text's, event.when is the date in the reader's
 * language.
 */
START_TEST(test_older_list_text)
{
	char render[64], *en, *cs;

	write_text("templates/team/event-waitlisted.txt",
	    "{{member.name}}: {{event.title}} ({{event.when}}) is full; "
	    "you wait.\n");
	snprintf(render, sizeof(render), "event:%lld:WAITLIST:0",
	    (long long)hike);
	en = copy_in(render, "en");
	contains(en, "Subject: On the waitlist: Hike, Sun 20 Dec 2026, "
	    "10:00 CET\n--- text/plain\nBob Builder: Hike (Sun 20 Dec 2026, "
	    "10:00 CET) is full; you wait.\n");
	cs = copy_in(render, "cs");
	contains(cs, "Bob Builder: Hike (ne 20. prosince 2026, 10:00 CET) is "
	    "full; you wait.\n");
	free(en);
	free(cs);
}
END_TEST

/* The LANGUAGE parameters of cal as Python's icalendar reads them. */
static char *
python_languages(const char *cal)
{
	static const char script[] =
	    "import sys\n"
	    "try:\n"
	    "    import icalendar\n"
	    "except ImportError:\n"
	    "    print('SKIP'); sys.exit(0)\n"
	    "cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\n"
	    "out = []\n"
	    "for ev in cal.walk('VEVENT'):\n"
	    "    for p in ('SUMMARY', 'LOCATION', 'DESCRIPTION'):\n"
	    "        v = ev.get(p)\n"
	    "        if v is not None:\n"
	    "            out.append('%s=%s' % (p, v.params.get('LANGUAGE', '-')))\n"
	    "print(' '.join(out))\n";
	char *path = xasprintf("%s/cal.ics", dir), *cmd, line[512] = "";
	FILE *f = fopen(path, "w"), *p;

	ck_assert_ptr_nonnull(f);
	fputs(cal, f);
	fclose(f);
	cmd = xasprintf("/usr/bin/python3 -c \"$KITH_PY\" '%s' 2>&1", path);
	setenv("KITH_PY", script, 1);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	if (fgets(line, sizeof(line), p) == NULL)
		*line = '\0';
	pclose(p);
	unsetenv("KITH_PY");
	free(cmd);
	free(path);
	line[strcspn(line, "\n")] = '\0';
	return xstrdup(line);
}

/* The calendar of bob's copy of render; caller frees. */
static char *
calendar_of(const char *render)
{
	struct event_cache *ec = event_cache_new(db);
	char *out, *cal;
	size_t len;

	out = event_personalise_in(ec, &cfg, key, render, bob, "bob@example.org",
	    "en", &len);
	ck_assert_ptr_nonnull(out);
	cal = event_find_calendar(out, len);
	ck_assert_ptr_nonnull(cal);
	free(out);
	event_cache_free(ec);
	return cal;
}

/*
 * SUMMARY, LOCATION and DESCRIPTION are the organisers' words: LANGUAGE
 * is the list's language when the list sets one, on every copy and in
 * the feed; none when it does not.
 */
START_TEST(test_calendar_language)
{
	char render[64], *cal, *py, err[256];
	struct ical_info in;

	snprintf(render, sizeof(render), "event:%lld:REQUEST", (long long)hike);
	cal = calendar_of(render);
	lacks(cal, "LANGUAGE");
	py = python_languages(cal);
	if (strcmp(py, "SKIP"))
		ck_assert_str_eq(py, "SUMMARY=- LOCATION=- DESCRIPTION=-");
	free(py);
	free(cal);

	ck_assert_int_eq(db_exec(db, "INSERT INTO list_settings(list_id, key, "
	    "value) VALUES (?, 'language', 'cs')", "i", l.id), KITH_OK);
	cal = calendar_of(render);
	contains(cal, "SUMMARY;LANGUAGE=cs:Hike\n");
	contains(cal, "LOCATION;LANGUAGE=cs:Pálava\\, the car park\n");
	contains(cal, "DESCRIPTION;LANGUAGE=cs:Bring boots.\\nAnd water & "
	    "snacks <3\n");
	ck_assert_int_eq(ical_parse(cal, &in), 0);
	ck_assert_int_eq(in.errors, 0);
	ical_info_release(&in);
	py = python_languages(cal);
	if (strcmp(py, "SKIP"))
		ck_assert_str_eq(py, "SUMMARY=cs LOCATION=cs DESCRIPTION=cs");
	else
		fprintf(stderr, "test_calendar_language: /usr/bin/python3 has no "
		    "icalendar (python3-icalendar); read by Kith only\n");
	free(py);
	free(cal);

	cal = event_feed(db, &l, 1796083200LL, err, sizeof(err));
	ck_assert_msg(cal != NULL, "feed: %s", err);
	contains(cal, "SUMMARY;LANGUAGE=cs:Concert\n");
	py = python_languages(cal);
	if (strcmp(py, "SKIP"))
		ck_assert_str_eq(py, "SUMMARY=cs LOCATION=cs DESCRIPTION=cs "
		    "SUMMARY=cs LOCATION=cs");
	free(py);
	free(cal);
}
END_TEST

Suite *
event_texts_suite(void)
{
	Suite *s = suite_create("event_texts");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_copy_as_before, 0,
	    (int)(sizeof(copies) / sizeof(copies[0])));
	tcase_add_test(tc, test_reminder_as_before);
	tcase_add_test(tc, test_nudge_as_before);
	tcase_add_test(tc, test_reply_answers_as_before);
	tcase_add_test(tc, test_digest_section_as_before);
	tcase_add_test(tc, test_czech_override);
	tcase_add_test(tc, test_older_list_text);
	tcase_add_test(tc, test_calendar_language);
	suite_add_tcase(s, tc);
	return s;
}
