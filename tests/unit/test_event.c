/*
 * test_event - the event module, table-driven: durations, RSVP state
 * transitions with capacity, waitlist and promotion, the seats of members
 * who leave, nudge selection, the state each member's invitation shows,
 * and reading calendar replies.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/bans.h"
#include "kith/config.h"
#include "kith/db.h"
#include "kith/event.h"
#include "kith/ical.h"
#include "kith/lists.h"
#include "kith/members.h"
#include "kith/membership.h"
#include "kith/message.h"
#include "kith/timeutil.h"
#include "kith/tokens.h"
#include "kith/util.h"
#include "unit.h"

static const struct {
	const char *in;
	int64_t want;
} duration_cases[] = {
	{ "2h", 7200 }, { "90m", 5400 }, { "1d", 86400 }, { "45s", 45 },
	{ "1h30m", 5400 }, { "366d", 366LL * 86400 }, { "", -1 }, { "0h", -1 },
	{ "2", -1 }, { "2x", -1 }, { "-1h", -1 }, { "h", -1 }, { "367d", -1 },
	{ "99999999999999999999d", -1 },
	/* 2^57 + 1 days: n * 86400 wraps around to exactly one day */
	{ "144115188075855873d", -1 },
	/* ten terms of 400 days: past the bound however it is summed */
	{ "400d400d400d400d400d400d400d400d400d400d", -1 },
};

START_TEST(test_duration)
{
	int64_t got = event_duration_parse(duration_cases[_i].in);

	ck_assert_msg(got == duration_cases[_i].want, "'%.20s': got %lld, want "
	    "%lld", duration_cases[_i].in, (long long)got,
	    (long long)duration_cases[_i].want);
}
END_TEST

/* A list with members and one event, in a fresh database. */
static char dir[256];
static struct kith_config cfg;
static struct db *db;
static struct list l;
static const char *const people[] = { "alice", "bob", "carol", "dave",
    "erin", "frank" };
#define NPEOPLE 6
static int64_t ids[NPEOPLE];

/* The event feature's cron step at now, as kith cron runs it. */
static int
cron_at(int64_t now)
{
	struct site_ctx c = { &cfg, db, NULL };

	return event_cron(&c, now);
}

#define START "2026-12-20 10:00"	/* Europe/Prague */
#define NOW 1796083200LL		/* 2026-12-01 00:00 UTC */

static void
setup(void)
{
	char err[256], addr[64];
	struct member m;

	db = unit_db(dir, sizeof(dir));
	ck_assert_ptr_nonnull(db);
	setenv("KITH_HOME", dir, 1);
	ck_assert_int_eq(config_load(&cfg, "/dev/null", err, sizeof(err)), 0);
	unsetenv("KITH_HOME");
	ck_assert_int_eq(list_create(db, "team@example.org", "alice@example.org",
	    "Team", NULL, err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_find(db, "team", &l, err, sizeof(err)), KITH_OK);
	ck_assert_int_eq(list_setting_set(db, l.id, "timezone", "Europe/Prague",
	    err, sizeof(err)), KITH_OK);
	for (int i = 0; i < NPEOPLE; i++) {
		snprintf(addr, sizeof(addr), "%s@example.org", people[i]);
		member_add(db, l.id, addr, NULL);
		ck_assert_int_eq(member_find(db, l.id, addr, &m), KITH_OK);
		ids[i] = m.id;
		member_release(&m);
	}
}

static void
teardown(void)
{
	list_release(&l);
	db_close(db);
	config_release(&cfg);
	unit_rmdir(dir);
}

static int
person(const char *name)
{
	for (int i = 0; i < NPEOPLE; i++)
		if (!strcmp(people[i], name))
			return i;
	ck_abort_msg("no person '%s'", name);
	return -1;
}

/* A new event on l (no --tz: the list's zone); its id. */
static int64_t
new_event(int64_t capacity, const char *rsvp_by, int64_t now)
{
	struct event_spec s;
	char err[256];
	int64_t id = 0, invited = 0;

	memset(&s, 0, sizeof(s));
	s.title = "Hike";
	s.start = START;
	s.duration = 3600;
	s.capacity = capacity;
	s.rsvp_by = rsvp_by;
	ck_assert_msg(event_create(&cfg, db, &l, &s, now, &id, &invited, err,
	    sizeof(err)) == KITH_OK, "create: %s", err);
	ck_assert_int_eq(invited, NPEOPLE);
	return id;
}

static const char *
rsvp(int64_t id, const char *who, const char *partstat, int seq,
    int64_t stamp)
{
	struct event e;
	const char *result = NULL;

	ck_assert_int_eq(event_get(db, id, &e), KITH_OK);
	ck_assert_int_eq(event_rsvp(&cfg, db, &l, &e, ids[person(who)], 0,
	    partstat, seq, stamp, NOW + stamp, &result), KITH_OK);
	event_release(&e);
	return result;
}

struct names {
	char seated[128], waiting[128];
};

static int
collect(const struct event_attendee *a, void *ctx)
{
	struct names *n = ctx;
	char *buf = !strcmp(a->answer, "accepted") ? n->seated :
	    !strcmp(a->answer, "waitlist") ? n->waiting : NULL;
	size_t len;

	if (buf == NULL)
		return 0;
	len = strlen(buf);
	snprintf(buf + len, 128 - len, "%s%.*s", len ? " " : "",
	    (int)(strchr(a->address, '@') - a->address), a->address);
	return 0;
}

/* "bob carol" seated and "dave" waiting, by address order. */
static void
seats(int64_t id, struct names *n)
{
	struct event e;
	struct event_counts c;

	memset(n, 0, sizeof(*n));
	ck_assert_int_eq(event_get(db, id, &e), KITH_OK);
	event_attendees(db, &e, 0, collect, n, &c);
	event_release(&e);
}

/* Copies queued for member who: "SEAT" or "WAITLIST" renders. */
static int64_t
copies(const char *kind, const char *who)
{
	char like[32];

	snprintf(like, sizeof(like), "event:%%:%s:%%", kind);
	return db_int(db, -1, NULL, "SELECT count(*) FROM outbox o JOIN "
	    "outbox_messages m ON m.id=o.message_id WHERE m.render LIKE ? AND "
	    "o.member_id=?", "ti", like, ids[person(who)]);
}

/* Capacity 2: every answer, in order, and what it leaves. */
static const struct {
	const char *who, *partstat;
	int seq;
	int64_t stamp;
	const char *result, *seated, *waiting;
} rsvp_steps[] = {
	{ "bob", "ACCEPTED", 0, 100, "accepted", "bob", "" },
	{ "carol", "ACCEPTED", 0, 100, "accepted", "bob carol", "" },
	{ "dave", "ACCEPTED", 0, 100, "waitlisted", "bob carol", "dave" },
	{ "erin", "ACCEPTED", 0, 110, "waitlisted", "bob carol", "dave erin" },
	/* a second Accept keeps the place in the queue */
	{ "dave", "ACCEPTED", 0, 120, "waitlisted", "bob carol", "dave erin" },
	/* an older reply arriving late changes nothing */
	{ "bob", "DECLINED", 0, 50, "older", "bob carol", "dave erin" },
	{ "bob", "DECLINED", 0, 200, "declined", "carol dave", "erin" },
	{ "carol", "TENTATIVE", 0, 200, "tentative", "dave erin", "" },
	{ "bob", "ACCEPTED", 0, 300, "waitlisted", "dave erin", "bob" },
	/* a newer SEQUENCE wins over a newer DTSTAMP */
	{ "erin", "DECLINED", 1, 10, "declined", "bob dave", "" },
	{ "erin", "ACCEPTED", 0, 400, "older", "bob dave", "" },
	{ "frank", "ACCEPTED", 0, 400, "waitlisted", "bob dave", "frank" },
	{ "dave", "ACCEPTED", 0, 500, "accepted", "bob dave", "frank" },
	{ "dave", "DECLINED", 0, 600, "declined", "bob frank", "" },
};

START_TEST(test_rsvp_transitions)
{
	int64_t id = new_event(2, NULL, NOW);
	struct names n;

	for (size_t i = 0; i < sizeof(rsvp_steps) / sizeof(rsvp_steps[0]); i++) {
		const char *r = rsvp(id, rsvp_steps[i].who,
		    rsvp_steps[i].partstat, rsvp_steps[i].seq,
		    rsvp_steps[i].stamp);

		seats(id, &n);
		ck_assert_msg(!strcmp(r, rsvp_steps[i].result) &&
		    !strcmp(n.seated, rsvp_steps[i].seated) &&
		    !strcmp(n.waiting, rsvp_steps[i].waiting),
		    "step %zu (%s %s): got %s, seated '%s', waiting '%s'; want "
		    "%s, '%s', '%s'", i, rsvp_steps[i].who,
		    rsvp_steps[i].partstat, r, n.seated, n.waiting,
		    rsvp_steps[i].result, rsvp_steps[i].seated,
		    rsvp_steps[i].waiting);
	}
	/* each promotion queued one copy that says ACCEPTED */
	ck_assert_int_eq(copies("SEAT", "dave"), 1);
	ck_assert_int_eq(copies("SEAT", "erin"), 1);
	ck_assert_int_eq(copies("SEAT", "bob"), 1);
	ck_assert_int_eq(copies("SEAT", "frank"), 1);
	ck_assert_int_eq(copies("SEAT", "carol"), 0);
}
END_TEST

/* bob holds the one seat, carol and dave wait; bob leaves by ... */
static const struct {
	const char *how;
	const char *sql;	/* on bob's row, or NULL */
} leave_cases[] = {
	{ "removal", NULL },
	{ "bounces", "UPDATE members SET disabled=1000 WHERE address="
	  "'bob@example.org'" },
	{ "ban", NULL },
	{ "ban pattern", NULL },
};

START_TEST(test_leave_frees_seat)
{
	int64_t id = new_event(1, NULL, NOW);
	struct names n;

	rsvp(id, "bob", "ACCEPTED", 0, 100);
	rsvp(id, "carol", "ACCEPTED", 0, 110);
	rsvp(id, "dave", "ACCEPTED", 0, 120);
	switch (_i) {
	case 0:
		ck_assert_int_eq(member_remove(db, l.id, "bob@example.org"),
		    MEMBER_REMOVED);
		break;
	case 1:
		ck_assert_int_eq(db_exec(db, leave_cases[_i].sql, ""), KITH_OK);
		break;
	case 2:
		ck_assert_int_eq(ban_add(db, l.id, "bob@example.org", NOW), KITH_OK);
		break;
	case 3:
		ck_assert_int_eq(ban_add(db, 0, "b?b@*.org", NOW), KITH_OK);
		break;
	}
	/* cron, twice: one promotion */
	ck_assert_int_eq(cron_at(NOW + 2000), 0);
	ck_assert_int_eq(cron_at(NOW + 2060), 0);
	seats(id, &n);
	ck_assert_msg(!strcmp(n.seated, "carol") && !strcmp(n.waiting, "dave"),
	    "%s: seated '%s', waiting '%s'", leave_cases[_i].how, n.seated,
	    n.waiting);
	ck_assert_int_eq(copies("SEAT", "carol"), 1);
	ck_assert_int_eq(copies("SEAT", "dave"), 0);
}
END_TEST

START_TEST(test_capacity_update)
{
	int64_t id = new_event(1, NULL, NOW), invited;
	struct event_spec s;
	struct names n;
	char err[256];

	rsvp(id, "bob", "ACCEPTED", 0, 100);
	rsvp(id, "carol", "ACCEPTED", 0, 110);
	rsvp(id, "dave", "ACCEPTED", 0, 120);
	rsvp(id, "erin", "ACCEPTED", 0, 130);
	memset(&s, 0, sizeof(s));
	s.capacity = 3;
	ck_assert_int_eq(event_update(&cfg, db, id, &s, NOW + 3000, &invited, err,
	    sizeof(err)), KITH_OK);
	seats(id, &n);
	ck_assert_str_eq(n.seated, "bob carol dave");
	ck_assert_str_eq(n.waiting, "erin");
	s.capacity = 0;	/* no limit any more */
	ck_assert_int_eq(event_update(&cfg, db, id, &s, NOW + 3000, &invited, err,
	    sizeof(err)), KITH_OK);
	seats(id, &n);
	ck_assert_str_eq(n.seated, "bob carol dave erin");
	ck_assert_str_eq(n.waiting, "");
}
END_TEST

/* Nudges queued (notices whose subject asks), as "carol dave". */
static void
nudged(char *out, size_t n)
{
	struct db_stmt *st = db_prepare(db, "SELECT o.rcpt FROM outbox o JOIN "
	    "outbox_messages m ON m.id=o.message_id WHERE m.kind='notice' AND "
	    "instr(m.data, 'Subject: Are you coming?') ORDER BY o.rcpt");

	*out = '\0';
	ck_assert_ptr_nonnull(st);
	while (db_step(st) == DB_ROW) {
		const char *a = db_col_str(st, 0);
		size_t len = strlen(out);

		snprintf(out + len, n - len, "%s%.*s", len ? " " : "",
		    (int)(strchr(a, '@') - a), a);
	}
	db_finalize(st);
}

/*
 * rsvp_by 2026-12-15 (Prague: 23:59:59 CET = 22:59:59 UTC); alice owns
 * the list, bob answered, erin gets no mail, frank is banned.
 */
#define DEADLINE 1797375599LL
static const struct {
	const char *what;
	int64_t capacity;
	int64_t now;
	const char *want;
} nudge_cases[] = {
	{ "a day and a minute before", 0, DEADLINE - 86400 - 61, "" },
	{ "in the last day", 0, DEADLINE - 3600, "carol dave" },
	{ "at the deadline", 0, DEADLINE, "" },
	{ "after it", 0, DEADLINE + 60, "" },
	{ "a full event", 1, DEADLINE - 3600, "" },
	{ "a seat left", 2, DEADLINE - 3600, "carol dave" },
};

START_TEST(test_nudge_selection)
{
	int64_t id = new_event(nudge_cases[_i].capacity, "2026-12-15", NOW);
	char got[256];
	struct event e;

	ck_assert_int_eq(event_get(db, id, &e), KITH_OK);
	ck_assert_int_eq(e.rsvp_by, DEADLINE);
	event_release(&e);
	rsvp(id, "bob", "ACCEPTED", 0, 100);
	db_exec(db, "UPDATE members SET mode='nomail' WHERE address="
	    "'erin@example.org'", "");
	ban_add(db, l.id, "frank@example.org", NOW);
	ck_assert_int_eq(cron_at(nudge_cases[_i].now), 0);
	ck_assert_int_eq(cron_at(nudge_cases[_i].now + 60), 0);
	nudged(got, sizeof(got));
	ck_assert_msg(!strcmp(got, nudge_cases[_i].want), "%s: got '%s', want "
	    "'%s'", nudge_cases[_i].what, got, nudge_cases[_i].want);
	if (*got)	/* the deadline, in the list's zone */
		ck_assert_int_eq(db_int(db, 0, NULL, "SELECT count(*) FROM "
		    "outbox_messages WHERE kind='notice' AND instr(data, "
		    "'Tue 15 Dec 2026, 23:59 CET') AND NOT instr(data, "
		    "'tomorrow')", ""), 2);
}
END_TEST

/* The ATTENDEE line of each copy tells that member's state. */
static const struct {
	const char *kind;	/* render */
	const char *state;	/* "seated", "waiting", "" */
	const char *partstat, *subject;
} copy_cases[] = {
	{ "REQUEST", "", "PARTSTAT=NEEDS-ACTION", "Subject: Invitation: Hike" },
	{ "REQUEST", "seated", "PARTSTAT=NEEDS-ACTION", "Subject: Invitation" },
	{ "REQUEST", "waiting", "PARTSTAT=TENTATIVE", "Subject: Invitation" },
	{ "WAITLIST", "waiting", "PARTSTAT=TENTATIVE",
	  "Subject: On the waitlist: Hike, Sun 20 Dec 2026, 10:00 CET" },
	{ "SEAT", "seated", "PARTSTAT=ACCEPTED",
	  "Subject: A seat is yours: Hike, Sun 20 Dec 2026, 10:00 CET" },
	{ "CANCEL", "", "PARTSTAT=NEEDS-ACTION", "Subject: Cancelled: Hike" },
	{ "NOSUCH", "", NULL, NULL },
};

START_TEST(test_copy_state)
{
	static const unsigned char secret[32] = "0123456789abcdef0123456789abcde";
	struct token_key *key = token_key_new(secret, sizeof(secret));
	int64_t id = new_event(1, NULL, NOW);
	struct event_cache *ec;
	char render[64], *out, *cal;
	struct ical_info in;
	size_t len = 0;
	const char *who = "carol";

	rsvp(id, "bob", "ACCEPTED", 0, 100);
	if (!strcmp(copy_cases[_i].state, "seated"))
		who = "bob";
	else if (!strcmp(copy_cases[_i].state, "waiting"))
		ck_assert_str_eq(rsvp(id, "carol", "ACCEPTED", 0, 110),
		    "waitlisted");
	snprintf(render, sizeof(render), "event:%lld:%s:0", (long long)id,
	    copy_cases[_i].kind);
	ec = event_cache_new(db);
	out = event_personalise(ec, &cfg, key, render, ids[person(who)],
	    strcmp(who, "bob") ? "carol@example.org" : "bob@example.org", &len);
	if (copy_cases[_i].partstat == NULL)
		ck_assert_ptr_null(out);
	else {
		ck_assert_ptr_nonnull(out);
		ck_assert_msg(strstr(out, copy_cases[_i].subject) != NULL,
		    "%s/%s: no '%s'", copy_cases[_i].kind, copy_cases[_i].state,
		    copy_cases[_i].subject);
		/* read back as Kith reads a calendar in a mail */
		cal = event_find_calendar(out, len);
		ck_assert_ptr_nonnull(cal);
		ck_assert_msg(strstr(cal, copy_cases[_i].partstat) != NULL,
		    "%s/%s: no %s in\n%s", copy_cases[_i].kind,
		    copy_cases[_i].state, copy_cases[_i].partstat, cal);
		ck_assert_int_eq(ical_parse(cal, &in), 0);
		ck_assert_str_eq(in.method, strcmp(copy_cases[_i].kind,
		    "CANCEL") ? "REQUEST" : "CANCEL");
		ck_assert_int_eq((int)in.nattendees, 1);
		ical_info_release(&in);
		free(cal);
	}
	free(out);
	event_cache_free(ec);
	token_key_free(key);
}
END_TEST

/* Calendars as clients send them back, and what is read from them. */
static const struct {
	const char *what, *cal;
	int ok;
	const char *method, *uid, *attendee, *partstat;
	int64_t sequence;
} reply_cases[] = {
	{ "Google-like REPLY",
	  "BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n"
	  "VERSION:2.0\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:kith-1@example.org\r\n"
	  "SEQUENCE:2\r\nDTSTAMP:20261201T120000Z\r\n"
	  "ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:Bob@Example.ORG\r\n"
	  "END:VEVENT\r\nEND:VCALENDAR\r\n",
	  0, "REPLY", "kith-1@example.org", "bob@example.org", "ACCEPTED", 2 },
	{ "LF only, folded attendee, no SEQUENCE",
	  "BEGIN:VCALENDAR\nVERSION:2.0\nMETHOD:REPLY\nBEGIN:VEVENT\nUID:u2\n"
	  "ATTENDEE;PARTSTAT=DECLINED:mailto:carol@exa\n mple.org\nEND:VEVENT\n"
	  "END:VCALENDAR\n",
	  0, "REPLY", "u2", "carol@example.org", "DECLINED", -1 },
	{ "no PARTSTAT",
	  "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:u3\r\n"
	  "ATTENDEE:mailto:dave@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	  0, "REPLY", "u3", "dave@example.org", "", -1 },
	{ "no METHOD", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:u4\r\nEND:VEVENT\r\n"
	  "END:VCALENDAR\r\n", 0, "", "u4", NULL, NULL, -1 },
	{ "not a calendar", "hello\r\n", -1, NULL, NULL, NULL, NULL, 0 },
	{ "empty", "", -1, NULL, NULL, NULL, NULL, 0 },
};

START_TEST(test_reply_parse)
{
	struct ical_info in;
	int r = ical_parse(reply_cases[_i].cal, &in);

	ck_assert_msg(r == reply_cases[_i].ok, "%s: got %d", reply_cases[_i].what,
	    r);
	if (r < 0) {
		/* nothing left to release (the callers of a failed parse
		 * release nothing: `kith event` leaked two strings a file) */
		ck_assert_ptr_null(in.uid);
		ck_assert_ptr_null(in.organizer);
		return;
	}
	ck_assert_msg(!strcmp(in.method, reply_cases[_i].method) &&
	    !strcmp(in.uid, reply_cases[_i].uid) &&
	    in.sequence == reply_cases[_i].sequence, "%s: method '%s' uid '%s' "
	    "sequence %lld", reply_cases[_i].what, in.method, in.uid,
	    (long long)in.sequence);
	if (reply_cases[_i].attendee) {
		ck_assert_msg(in.nattendees == 1 && !strcmp(in.attendee[0],
		    reply_cases[_i].attendee) && !strcmp(in.partstat[0],
		    reply_cases[_i].partstat), "%s: %zu attendees, '%s' '%s'",
		    reply_cases[_i].what, in.nattendees, in.nattendees ?
		    in.attendee[0] : "", in.nattendees ? in.partstat[0] : "");
	} else
		ck_assert_int_eq(in.nattendees, 0);
	ical_info_release(&in);
}
END_TEST

/* What create refuses, and the zone it takes when none is given. */
static const struct {
	const char *what, *title, *start, *end, *tz, *rsvp_by;
	int64_t duration;
	int ok;
	const char *want_tz;
} spec_cases[] = {
	{ "no --tz: the list's zone", "x", START, NULL, NULL, NULL, 3600, 1,
	  "Europe/Prague" },
	{ "--tz given", "x", START, NULL, "Asia/Seoul", NULL, 3600, 1,
	  "Asia/Seoul" },
	{ "--end instead of --duration", "x", START, "2026-12-20 12:00", NULL,
	  NULL, 0, 1, "Europe/Prague" },
	{ "--end before the start", "x", START, "2026-12-20 09:00", NULL, NULL,
	  0, 0, NULL },
	{ "--end and --duration", "x", START, "2026-12-20 12:00", NULL, NULL,
	  3600, 0, NULL },
	{ "no length", "x", START, NULL, NULL, NULL, 0, 0, NULL },
	{ "no start", "x", NULL, NULL, NULL, NULL, 3600, 0, NULL },
	{ "no title", NULL, START, NULL, NULL, NULL, 3600, 0, NULL },
	{ "empty title", "", START, NULL, NULL, NULL, 3600, 0, NULL },
	{ "title with ESC", "a\033[2Jb", START, NULL, NULL, NULL, 3600, 0, NULL },
	{ "title not UTF-8", "a\377b", START, NULL, NULL, NULL, 3600, 0, NULL },
	{ "empty zone", "x", START, NULL, "", NULL, 3600, 0, NULL },
	{ "unknown zone", "x", START, NULL, "Mars/Olympus", NULL, 3600, 0, NULL },
	{ "zone escaping the zoneinfo", "x", START, NULL, "../../etc/passwd",
	  NULL, 3600, 0, NULL },
	{ "no such day", "x", "2026-02-30 10:00", NULL, NULL, NULL, 3600, 0,
	  NULL },
	{ "year 9999", "x", "9999-12-31 23:59", NULL, NULL, NULL, 3600, 0, NULL },
	{ "garbage deadline", "x", START, NULL, NULL, "soon", 3600, 0, NULL },
};

START_TEST(test_create_spec)
{
	struct event_spec s;
	struct event e;
	char err[256] = "";
	int64_t id = 0, invited = 0;
	int st;

	memset(&s, 0, sizeof(s));
	s.title = spec_cases[_i].title;
	s.start = spec_cases[_i].start;
	s.end = spec_cases[_i].end;
	s.tz = spec_cases[_i].tz;
	s.rsvp_by = spec_cases[_i].rsvp_by;
	s.duration = spec_cases[_i].duration;
	s.capacity = -1;
	st = event_create(&cfg, db, &l, &s, NOW, &id, &invited, err, sizeof(err));
	ck_assert_msg((st == KITH_OK) == spec_cases[_i].ok, "%s: status %d (%s)",
	    spec_cases[_i].what, st, err);
	if (st != KITH_OK) {
		ck_assert_msg(*err != '\0', "%s: no reason", spec_cases[_i].what);
		return;
	}
	ck_assert_int_eq(event_get(db, id, &e), KITH_OK);
	ck_assert_str_eq(e.tz, spec_cases[_i].want_tz);
	ck_assert_int_eq(e.duration, spec_cases[_i].end ? 7200 : 3600);
	event_release(&e);
}
END_TEST

/* An hour-long event "x" at start (an update's spec when start is NULL:
 * nothing given but "capacity unchanged"). */
static void
spec_x(struct event_spec *s, const char *start, const char *rrule,
    const char *rsvp_by)
{
	memset(s, 0, sizeof(*s));
	s->capacity = -1;
	if (start == NULL)
		return;
	s->title = "x";
	s->start = start;
	s->rrule = rrule;
	s->rsvp_by = rsvp_by;
	s->duration = 3600;
}

/*
 * An event already over is not made: its invitation would reach every
 * member.  One that is under way, or a series with a Sunday ahead, is.
 */
static const struct {
	const char *what, *start, *rrule;
	int ok;
} over_cases[] = {
	{ "a year typed wrong", "2025-12-20 10:00", "", 0 },
	{ "ended an hour ago", "2026-11-30 22:00", "", 0 },
	{ "under way", "2026-12-01 00:30", "", 1 },
	{ "a series of three Sundays, all past", "2026-01-04 08:00",
	  "FREQ=WEEKLY;BYDAY=SU;COUNT=3", 0 },
	{ "a series until last year", "2025-01-01 10:00",
	  "FREQ=DAILY;UNTIL=20260101T000000Z", 0 },
	{ "a weekly series begun last year", "2025-01-01 10:00", "FREQ=WEEKLY",
	  1 },
};

START_TEST(test_over_refused)
{
	struct event_spec s;
	char err[256] = "";
	int64_t id = 0, invited = 0;
	int st;

	spec_x(&s, over_cases[_i].start, over_cases[_i].rrule, NULL);
	st = event_create(&cfg, db, &l, &s, NOW, &id, &invited, err, sizeof(err));
	ck_assert_msg((st == KITH_OK) == over_cases[_i].ok, "%s: status %d (%s)",
	    over_cases[_i].what, st, err);
	if (over_cases[_i].ok) {
		ck_assert_int_eq(invited, NPEOPLE);
		return;
	}
	ck_assert_ptr_nonnull(strstr(err, "would be over already"));
	ck_assert_ptr_nonnull(strstr(err, "nobody was invited"));
	ck_assert_int_eq(db_int(db, -1, NULL, "SELECT count(*) FROM events", ""), 0);
	ck_assert_int_eq(db_int(db, -1, NULL, "SELECT count(*) FROM outbox", ""), 0);
}
END_TEST

/* An answer deadline already past, or after the event starts, would never
 * bring its nudge: refused, nobody invited. */
static const struct {
	const char *rsvp_by, *why;
} deadline_cases[] = {
	{ "2026-11-15", "has passed" },
	{ "2026-12-25", "is after the event starts" },
	{ "2026-12-20 10:30", "is after the event starts" },
	{ "2026-12-15", NULL },
	{ "2026-12-20 09:00", NULL },
};

START_TEST(test_deadline_refused)
{
	struct event_spec s;
	char err[256] = "";
	int64_t id = 0, invited = 0;
	int st;

	spec_x(&s, START, NULL, deadline_cases[_i].rsvp_by);
	st = event_create(&cfg, db, &l, &s, NOW, &id, &invited, err, sizeof(err));
	if (deadline_cases[_i].why == NULL) {
		ck_assert_msg(st == KITH_OK, "%s: %s", s.rsvp_by, err);
		return;
	}
	ck_assert_int_eq(st, KITH_PERM);
	ck_assert_msg(strstr(err, deadline_cases[_i].why) != NULL, "%s: %s",
	    s.rsvp_by, err);
	ck_assert_int_eq(db_int(db, -1, NULL, "SELECT count(*) FROM events",
	    ""), 0);
}
END_TEST

/* Moving an event into the past is refused and changes nothing; a new
 * text for an event that is over is still taken. */
START_TEST(test_update_over_refused)
{
	struct event_spec s;
	struct event e;
	char err[256] = "";
	int64_t id = 0, n = 0, queued;

	spec_x(&s, START, NULL, NULL);
	ck_assert_int_eq(event_create(&cfg, db, &l, &s, NOW, &id, &n, err,
	    sizeof(err)), KITH_OK);
	queued = db_int(db, -1, NULL, "SELECT count(*) FROM outbox", "");
	spec_x(&s, NULL, NULL, NULL);
	s.start = "2026-11-01 10:00";
	ck_assert_int_eq(event_update(&cfg, db, id, &s, NOW, &n, err,
	    sizeof(err)), KITH_PERM);
	ck_assert_ptr_nonnull(strstr(err, "nothing was changed"));
	ck_assert_int_eq(event_get(db, id, &e), KITH_OK);
	ck_assert_int_eq(e.sequence, 0);
	ck_assert_int_eq(e.start, 1797757200LL);	/* 2026-12-20 09:00 UTC */
	event_release(&e);
	ck_assert_int_eq(db_int(db, -1, NULL, "SELECT count(*) FROM outbox", ""),
	    queued);
	spec_x(&s, NULL, NULL, NULL);
	s.location = "The hut";
	ck_assert_int_eq(event_update(&cfg, db, id, &s, NOW + 60 * 86400, &n,
	    err, sizeof(err)), KITH_OK);
}
END_TEST

/* The next start, also of an event further ahead than the look-ahead. */
static const struct {
	const char *start, *rrule;
	int64_t now;
	const char *want;	/* UTC "YYYY-MM-DD HH:MM", "" for none */
} next_cases[] = {
	{ START, "", NOW, "2026-12-20 09:00" },
	{ START, "", NOW + 30 * 86400, "" },
	{ "2031-06-01 10:00", "", NOW, "2031-06-01 08:00" },
	{ START, "FREQ=WEEKLY", NOW + 30 * 86400, "2027-01-03 09:00" },
	{ "2031-06-01 10:00", "FREQ=DAILY", NOW, "2031-06-01 08:00" },
	{ START, "FREQ=DAILY;COUNT=2", NOW + 30 * 86400, "" },
};

START_TEST(test_next_occurrence)
{
	struct event_spec s;
	struct event e;
	char err[256], got[32] = "";
	int64_t id, invited, t;

	spec_x(&s, next_cases[_i].start, next_cases[_i].rrule, NULL);
	ck_assert_int_eq(event_create(&cfg, db, &l, &s, NOW, &id, &invited, err,
	    sizeof(err)), KITH_OK);
	ck_assert_int_eq(event_get(db, id, &e), KITH_OK);
	t = event_next_occurrence(&e, next_cases[_i].now);
	if (t)
		local_time_strftime("UTC", t, "%Y-%m-%d %H:%M", got, sizeof(got));
	ck_assert_msg(!strcmp(got, next_cases[_i].want), "%s %s: got '%s', "
	    "want '%s'", next_cases[_i].start, next_cases[_i].rrule, got,
	    next_cases[_i].want);
	event_release(&e);
}
END_TEST

/* Mails to team-events@ about a weekly event, and what each one does. */
static const struct {
	const char *from, *method, *attendee, *partstat, *recurrence;
	const char *line;	/* in the log line */
	const char *series, *second;	/* bob's answers afterwards */
} handle_cases[] = {
	{ "bob", "REPLY", "bob", "ACCEPTED", NULL, "accepted", "accepted",
	  "accepted" },
	{ "bob", "REPLY", "bob", "DECLINED", "20261227T100000", "declined",
	  "none", "declined" },
	{ "bob", "REPLY", "bob", "ACCEPTED", "20261228T100000",
	  "not one of its occurrences", "none", "none" },
	{ "carol", "REPLY", "bob", "ACCEPTED", NULL, "answering for someone else",
	  "none", "none" },
	{ "bob", "REQUEST", "bob", "ACCEPTED", NULL, "(not REPLY)", "none",
	  "none" },
	{ "bob", "REPLY", "bob", "NEEDS-ACTION", NULL, "ignored", "none",
	  "none" },
	{ "bob", "REPLY", "eve", "ACCEPTED", NULL, "accepted", "accepted",
	  "accepted" },	/* an alias: the sender is the member */
};

static const char *
bob_answer(int64_t id, int64_t occ)
{
	static char got[16];
	struct event e;
	struct event_counts c;
	struct names n;

	memset(&n, 0, sizeof(n));
	ck_assert_int_eq(event_get(db, id, &e), KITH_OK);
	event_attendees(db, &e, occ, collect, &n, &c);
	event_release(&e);
	snprintf(got, sizeof(got), "%s", strstr(n.seated, "bob") ? "accepted" :
	    c.declined ? "declined" : "none");
	return got;
}

/*
 * handle_mail - event_handle_reply on mail as inbound gives it (token ""
 * for the plain team-events@); our MTA's authserv-id is mx.example.org,
 * so a mail that carries its Authentication-Results has a proven From.
 */
static int
handle_mail(const char *mail, const char *token, const char *from,
    char *line, size_t n)
{
	static const unsigned char secret[32] = "0123456789abcdef0123456789abcde";
	struct token_key *key = token_key_new(secret, sizeof(secret));
	struct mail_ctx c = { &cfg, db, key, &l, NULL, NULL };
	struct message m;
	char err[128];
	int st;

	free(cfg.authserv_id);
	cfg.authserv_id = xstrdup("mx.example.org");
	ck_assert_int_eq(message_parse(&m, mail, strlen(mail), err,
	    sizeof(err)), 0);
	st = event_handle_reply(&c, token, &m, from, line, n);
	message_release(&m);
	token_key_free(key);
	return st;
}

START_TEST(test_handle_reply)
{
	struct event_spec s;
	struct event e;
	char err[256], line[512] = "", *mail;
	int64_t id, invited, second;

	memset(&s, 0, sizeof(s));
	s.title = "Run";
	s.start = START;
	s.duration = 3600;
	s.rrule = "FREQ=WEEKLY";
	s.capacity = -1;
	ck_assert_int_eq(event_create(&cfg, db, &l, &s, NOW, &id, &invited, err,
	    sizeof(err)), KITH_OK);
	ck_assert_int_eq(event_get(db, id, &e), KITH_OK);
	second = e.start + 7 * 86400;
	mail = xasprintf("Authentication-Results: mx.example.org; dkim=pass "
	    "header.d=example.org\nFrom: %s@example.org\n"
	    "To: team-events@example.org\n"
	    "Subject: answer\nMIME-Version: 1.0\nContent-Type: text/calendar; "
	    "method=%s; charset=UTF-8\n\nBEGIN:VCALENDAR\nVERSION:2.0\n"
	    "METHOD:%s\nBEGIN:VEVENT\nUID:%s\nSEQUENCE:0\n"
	    "DTSTAMP:20261201T100000Z\n%s%s%s"
	    "ATTENDEE;PARTSTAT=%s:mailto:%s@example.org\nEND:VEVENT\n"
	    "END:VCALENDAR\n", handle_cases[_i].from, handle_cases[_i].method,
	    handle_cases[_i].method, e.uid, handle_cases[_i].recurrence ?
	    "RECURRENCE-ID;TZID=Europe/Prague:" : "",
	    handle_cases[_i].recurrence ? handle_cases[_i].recurrence : "",
	    handle_cases[_i].recurrence ? "\n" : "", handle_cases[_i].partstat,
	    handle_cases[_i].attendee);
	event_release(&e);
	ck_assert_int_eq(handle_mail(mail, "",
	    handle_cases[_i].from[0] == 'b' ? "bob@example.org" :
	    "carol@example.org", line, sizeof(line)), KITH_OK);
	ck_assert_msg(strstr(line, handle_cases[_i].line) != NULL, "case %d: "
	    "line '%s', want '%s'", _i, line, handle_cases[_i].line);
	ck_assert_msg(!strcmp(bob_answer(id, 0), handle_cases[_i].series) &&
	    !strcmp(bob_answer(id, second), handle_cases[_i].second),
	    "case %d: series %s, second %s", _i, bob_answer(id, 0),
	    bob_answer(id, second));
	free(mail);
}
END_TEST

/* The unit tests' site secret (the same as handle_mail's). */
static struct token_key *
unit_key(void)
{
	static const unsigned char secret[32] = "0123456789abcdef0123456789abcde";

	return token_key_new(secret, sizeof(secret));
}

/* The token in team-events+TOKEN@example.org; caller frees. */
static char *
token_in(const char *organizer)
{
	const char *plus = strchr(organizer, '+'), *at = strrchr(organizer, '@');

	ck_assert_msg(plus && at && plus < at, "no token in '%s'", organizer);
	return xstrndup(plus + 1, (size_t)(at - plus - 1));
}

/* The organizer address of one member's invitations to an event. */
static char *
organizer_of(int64_t id, const char *who)
{
	struct token_key *key = unit_key();
	char addr[64], *org;

	snprintf(addr, sizeof(addr), "%s@example.org", who);
	org = event_organizer(&cfg, key, &l, id, ids[person(who)], addr);
	token_key_free(key);
	ck_assert_ptr_nonnull(org);
	return org;
}

/*
 * The organizer address: per member and event, the same every time
 * (updates keep it), a token that checks for that member only; the
 * copies of every kind carry it as ORGANIZER and as Reply-To.
 */
static const char *const organizer_kinds[] = { "REQUEST", "CANCEL",
    "WAITLIST", "SEAT" };

START_TEST(test_organizer)
{
	struct token_key *key = unit_key();
	int64_t id = new_event(0, NULL, NOW), id2 = new_event(0, NULL, NOW);
	char *bob = organizer_of(id, "bob"), *again = organizer_of(id, "bob");
	char *carol = organizer_of(id, "carol"), *other = organizer_of(id2, "bob");
	char *tok = token_in(bob), *payload = NULL, render[64], *out, *cal;
	char want_org[160], want_rt[160];
	struct event_cache *ec;
	struct ical_info in;
	size_t len = 0;

	ck_assert_msg(!strncmp(bob, "team-events+", 12) &&
	    strstr(bob, "@example.org") != NULL, "organizer '%s'", bob);
	ck_assert_str_eq(bob, again);
	ck_assert_str_ne(bob, carol);
	ck_assert_str_ne(bob, other);
	ck_assert_int_eq(token_check(key, "event", l.address, "bob@example.org",
	    tok, NOW + 10 * 366 * 86400LL, &payload), 0);	/* no expiry */
	free(payload);
	ck_assert_int_eq(token_check(key, "event", l.address,
	    "carol@example.org", tok, NOW, &payload), -1);
	ck_assert_int_eq(token_check(key, "poll", l.address, "bob@example.org",
	    tok, NOW, &payload), -1);
	ck_assert_ptr_null(event_organizer(&cfg, NULL, &l, id, ids[1],
	    "bob@example.org"));
	snprintf(want_org, sizeof(want_org), "ORGANIZER;CN=Team:mailto:%s", bob);
	snprintf(want_rt, sizeof(want_rt), "Reply-To: \"Team\" <%s>\r\n", bob);
	for (size_t k = 0; k < sizeof(organizer_kinds) /
	    sizeof(organizer_kinds[0]); k++) {
		snprintf(render, sizeof(render), "event:%lld:%s:0", (long long)id,
		    organizer_kinds[k]);
		ec = event_cache_new(db);
		out = event_personalise(ec, &cfg, key, render, ids[1],
		    "bob@example.org", &len);
		ck_assert_ptr_nonnull(out);
		ck_assert_msg(strstr(out, want_rt) != NULL, "%s: no '%s'",
		    organizer_kinds[k], want_rt);
		cal = event_find_calendar(out, len);
		ck_assert_ptr_nonnull(cal);
		ck_assert_msg(strstr(cal, want_org) != NULL, "%s: no '%s' in\n%s",
		    organizer_kinds[k], want_org, cal);
		ck_assert_int_eq(ical_parse(cal, &in), 0);
		ck_assert_str_eq(in.organizer, bob);
		ical_info_release(&in);
		free(cal);
		free(out);
		event_cache_free(ec);
	}
	free(tok);
	free(bob);
	free(again);
	free(carol);
	free(other);
	token_key_free(key);
}
END_TEST

/* Which token a reply comes with. */
enum { TOK_NONE, TOK_BOB, TOK_CAROL, TOK_DAMAGED, TOK_OTHER_EVENT, TOK_GONE };

/* Replies with and without a token, proven or not: what each does. */
static const struct {
	const char *what;
	int token;		/* in the address it came to */
	int org;		/* in the ORGANIZER it echoes (TOK_NONE: plain) */
	int proven;		/* our MTA's Authentication-Results on top */
	const char *from, *attendee;	/* "bob" is bob@example.org; "" none */
	const char *partstat;		/* "" for none */
	const char *line;		/* in the log line */
	const char *bob, *carol;	/* their answers afterwards */
	const char *pending;	/* the confirmation waiting ("%s": the id) */
	const char *told;	/* in a notice to from; "": no notice */
} token_cases[] = {
	{ "bob's token, sent from elsewhere", TOK_BOB, TOK_NONE, 0,
	  "bob@home.example", "bob", "ACCEPTED", "token of the member",
	  "accepted", "none", "", "" },
	{ "bob's token, an alias as ATTENDEE", TOK_BOB, TOK_NONE, 0,
	  "bob@home.example", "bob@home.example", "DECLINED", "declined",
	  "declined", "none", "", "" },
	{ "bob's token, carol as ATTENDEE", TOK_BOB, TOK_NONE, 0, "carol",
	  "carol", "ACCEPTED", "another member", "none", "none", "",
	  "someone other than the member" },
	{ "carol's token, bob as ATTENDEE", TOK_CAROL, TOK_NONE, 1, "bob", "bob",
	  "ACCEPTED", "another member", "none", "none", "",
	  "someone other than the member" },
	{ "a damaged token", TOK_DAMAGED, TOK_NONE, 1, "bob", "bob", "ACCEPTED",
	  "forged or damaged", "none", "none", "",
	  "not one this list gave out" },
	{ "bob's token for another event", TOK_OTHER_EVENT, TOK_NONE, 1, "bob",
	  "bob", "ACCEPTED", "address of an invitation to", "none", "none", "",
	  "invitation to another event" },
	{ "the token of a member who left", TOK_GONE, TOK_NONE, 0,
	  "erin@example.org", "erin@example.org", "ACCEPTED",
	  "forged or damaged", "none", "none", "", "not one this list gave out" },
	{ "bob's token, no ATTENDEE", TOK_BOB, TOK_NONE, 0, "bob", "",
	  "ACCEPTED", "no attendee", "none", "none", "", "named nobody" },
	{ "bob's token, no PARTSTAT", TOK_BOB, TOK_NONE, 0, "bob", "bob", "",
	  "ignored", "none", "none", "", "\"(none)\", and Kith understands" },
	{ "bob's token, DELEGATED", TOK_BOB, TOK_NONE, 0, "bob", "bob",
	  "DELEGATED", "ignored", "none", "none", "", "\"DELEGATED\", and Kith "
	  "understands only Yes, No and Maybe" },
	{ "team-events@, From bob unproven", TOK_NONE, TOK_NONE, 0, "bob", "bob",
	  "ACCEPTED", "unproven", "none", "none", "bob@example.org rsvp yes %s",
	  "asked to answer \"yes\" to the invitation to Hike" },
	{ "team-events@, From bob proven", TOK_NONE, TOK_NONE, 1, "bob", "bob",
	  "ACCEPTED", "sender proven", "accepted", "none", "", "" },
	{ "team-events@, proven From an alias, ATTENDEE bob", TOK_NONE,
	  TOK_NONE, 1, "bob@home.example", "bob", "TENTATIVE", "unproven",
	  "none", "none", "bob@example.org rsvp maybe %s", "" },
	{ "team-events@, proven From carol for bob", TOK_NONE, TOK_NONE, 1,
	  "carol", "bob", "ACCEPTED", "answering for someone else", "none",
	  "none", "", "not from a member" },
	{ "team-events@, bob's token in the ORGANIZER", TOK_NONE, TOK_BOB, 0,
	  "bob@home.example", "bob", "ACCEPTED", "token of the member",
	  "accepted", "none", "", "" },
	{ "team-events@, a damaged token in the ORGANIZER", TOK_NONE,
	  TOK_DAMAGED, 0, "bob", "bob", "DECLINED", "unproven", "none", "none",
	  "bob@example.org rsvp no %s", "asked to answer \"no\"" },
	{ "team-events@, unproven, no PARTSTAT", TOK_NONE, TOK_NONE, 0, "carol",
	  "carol", "", "ignored", "none", "none", "", "\"(none)\"" },
};

/* "bob" -> "bob@example.org"; a whole address stays. */
static const char *
addr_of(const char *who, char *buf, size_t n)
{
	if (strchr(who, '@'))
		return who;
	snprintf(buf, n, "%s@example.org", who);
	return buf;
}

/* One member's answer, as event_attendees gives it. */
struct who_answer {
	const char *address;
	char answer[16];
};

static int
find_answer(const struct event_attendee *a, void *ctx)
{
	struct who_answer *w = ctx;

	if (!strcmp(a->address, w->address))
		snprintf(w->answer, sizeof(w->answer), "%s", a->answer);
	return 0;
}

/* accepted, declined, tentative, waitlist or none */
static const char *
answer_of(int64_t id, const char *address)
{
	static struct who_answer w;
	struct event e;
	struct event_counts c;

	w.address = address;
	snprintf(w.answer, sizeof(w.answer), "none");
	ck_assert_int_eq(event_get(db, id, &e), KITH_OK);
	event_attendees(db, &e, 0, find_answer, &w, &c);
	event_release(&e);
	return w.answer;
}

/* The confirmations waiting: "ADDRESS COMMANDS|..."; caller frees. */
static char *
pending_confirms(void)
{
	struct db_stmt *st = db_prepare(db, "SELECT coalesce(group_concat("
	    "address || ' ' || commands, '|'), '') FROM pending WHERE "
	    "kind='confirm'");
	char *out;

	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(db_step(st), DB_ROW);
	out = db_col_text(st, 0);
	db_finalize(st);
	return out;
}

/* The token a case sends (in the address or the ORGANIZER); caller frees. */
static char *
case_token(int which, int64_t id, int64_t id2)
{
	char *org, *tok;

	if (which == TOK_NONE)
		return xstrdup("");
	org = organizer_of(which == TOK_OTHER_EVENT ? id2 : id,
	    which == TOK_CAROL ? "carol" : which == TOK_GONE ? "erin" : "bob");
	tok = token_in(org);
	free(org);
	if (which == TOK_DAMAGED)	/* one character of the MAC changed */
		tok[strlen(tok) - 1] = tok[strlen(tok) - 1] == 'a' ? 'b' : 'a';
	return tok;
}

START_TEST(test_reply_token)
{
	int64_t id = new_event(0, NULL, NOW), id2 = new_event(0, NULL, NOW);
	char *token = case_token(token_cases[_i].token, id, id2);
	char *org_token = case_token(token_cases[_i].org, id, id2);
	char from[64], att[64], line[512] = "", want[96], idtext[32];
	char *mail, *pending, *org_line, *att_line;
	const char *f = addr_of(token_cases[_i].from, from, sizeof(from));
	struct event e;
	int64_t told;

	ck_assert_int_eq(member_remove(db, l.id, "erin@example.org"),
	    MEMBER_REMOVED);
	ck_assert_int_eq(event_get(db, id, &e), KITH_OK);
	org_line = xasprintf("ORGANIZER;CN=Team:mailto:team-events%s%s"
	    "@example.org\n", *org_token ? "+" : "", org_token);
	att_line = *token_cases[_i].attendee ? xasprintf("ATTENDEE%s%s:mailto:"
	    "%s\n", *token_cases[_i].partstat ? ";PARTSTAT=" : "",
	    token_cases[_i].partstat, addr_of(token_cases[_i].attendee, att,
	    sizeof(att))) : xstrdup("");
	mail = xasprintf("%sFrom: <%s>\nTo: team-events@example.org\n"
	    "Subject: answer\nMIME-Version: 1.0\nContent-Type: text/calendar; "
	    "method=REPLY; charset=UTF-8\n\nBEGIN:VCALENDAR\nVERSION:2.0\n"
	    "METHOD:REPLY\nBEGIN:VEVENT\nUID:%s\nSEQUENCE:0\n"
	    "DTSTAMP:20261201T100000Z\n%s%sEND:VEVENT\nEND:VCALENDAR\n",
	    token_cases[_i].proven ? "Authentication-Results: mx.example.org; "
	    "dkim=pass header.d=example.org\n" : "", f, e.uid, org_line,
	    att_line);
	event_release(&e);
	ck_assert_int_eq(handle_mail(mail, token, f, line, sizeof(line)),
	    KITH_OK);
	ck_assert_msg(strstr(line, token_cases[_i].line) != NULL, "%s: line "
	    "'%s', want '%s'", token_cases[_i].what, line, token_cases[_i].line);
	ck_assert_msg(!strcmp(answer_of(id, "bob@example.org"),
	    token_cases[_i].bob) && !strcmp(answer_of(id, "carol@example.org"),
	    token_cases[_i].carol), "%s: bob %s, carol %s",
	    token_cases[_i].what, answer_of(id, "bob@example.org"),
	    answer_of(id, "carol@example.org"));
	snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
	snprintf(want, sizeof(want), token_cases[_i].pending, idtext);
	pending = pending_confirms();
	ck_assert_msg(!strcmp(pending, want), "%s: pending '%s', want '%s'",
	    token_cases[_i].what, pending, want);
	told = db_int(db, -1, NULL, "SELECT count(*) FROM outbox o JOIN "
	    "outbox_messages m ON m.id=o.message_id WHERE m.kind='notice' AND "
	    "o.rcpt=?", "t", f);
	if (*token_cases[_i].told)
		ck_assert_msg(told == 1 && db_int(db, -1, NULL, "SELECT count(*) "
		    "FROM outbox o JOIN outbox_messages m ON m.id=o.message_id "
		    "WHERE m.kind='notice' AND o.rcpt=? AND instr(m.data, ?) > 0",
		    "tt", f, token_cases[_i].told) == 1, "%s: %lld notices to %s, "
		    "none with '%s'", token_cases[_i].what, (long long)told, f,
		    token_cases[_i].told);
	else
		ck_assert_msg(told == 0, "%s: %lld notices to %s",
		    token_cases[_i].what, (long long)told, f);
	free(pending);
	free(mail);
	free(org_line);
	free(att_line);
	free(token);
	free(org_token);
}
END_TEST

Suite *
event_suite(void)
{
	Suite *s = suite_create("event");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_duration, 0,
	    (int)(sizeof(duration_cases) / sizeof(duration_cases[0])));
	tcase_add_loop_test(tc, test_next_occurrence, 0,
	    (int)(sizeof(next_cases) / sizeof(next_cases[0])));
	tcase_add_test(tc, test_rsvp_transitions);
	tcase_add_loop_test(tc, test_leave_frees_seat, 0,
	    (int)(sizeof(leave_cases) / sizeof(leave_cases[0])));
	tcase_add_test(tc, test_capacity_update);
	tcase_add_loop_test(tc, test_nudge_selection, 0,
	    (int)(sizeof(nudge_cases) / sizeof(nudge_cases[0])));
	tcase_add_loop_test(tc, test_copy_state, 0,
	    (int)(sizeof(copy_cases) / sizeof(copy_cases[0])));
	tcase_add_loop_test(tc, test_handle_reply, 0,
	    (int)(sizeof(handle_cases) / sizeof(handle_cases[0])));
	tcase_add_loop_test(tc, test_reply_parse, 0,
	    (int)(sizeof(reply_cases) / sizeof(reply_cases[0])));
	tcase_add_loop_test(tc, test_create_spec, 0,
	    (int)(sizeof(spec_cases) / sizeof(spec_cases[0])));
	tcase_add_loop_test(tc, test_over_refused, 0,
	    (int)(sizeof(over_cases) / sizeof(over_cases[0])));
	tcase_add_test(tc, test_update_over_refused);
	tcase_add_loop_test(tc, test_deadline_refused, 0,
	    (int)(sizeof(deadline_cases) / sizeof(deadline_cases[0])));
	tcase_add_test(tc, test_organizer);
	tcase_add_loop_test(tc, test_reply_token, 0,
	    (int)(sizeof(token_cases) / sizeof(token_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}
