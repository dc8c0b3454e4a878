/* event - invitations, RSVPs, capacity, reminders, feed. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/address.h"
#include "kith/bans.h"
#include "kith/compose.h"
#include "kith/confirm.h"
#include "kith/db.h"
#include "kith/event.h"
#include "kith/ical.h"
#include "kith/log.h"
#include "kith/members.h"
#include "kith/message.h"
#include "kith/mime.h"
#include "kith/notice.h"
#include "kith/outbox.h"
#include "kith/reply.h"
#include "kith/rfc2047.h"
#include "kith/template.h"
#include "kith/timeutil.h"
#include "kith/util.h"
#include "kith/weblinks.h"

#define MAX_OCCURRENCES 400	/* looked at per event and window */
#define HORIZON (3LL * 366 * 86400)	/* how far a series is looked at */

void
event_release(struct event *e)
{
	free(e->uid);
	free(e->title);
	free(e->description);
	free(e->location);
	free(e->tz);
	free(e->rrule);
	free(e->state);
	free(e->exdates);
	memset(e, 0, sizeof(*e));
}

int64_t
event_duration_parse(const char *s)
{
	int64_t d = duration_parse(s);

	return d > 0 && d <= 366LL * 86400 ? d : -1;
}

/* "24h,1h" -> out (descending), 0 for unused; -1 when malformed. */
static int
remind_parse(const char *s, int64_t *out)
{
	char *copy = xstrdup(s), *save = NULL;
	int n = 0;

	memset(out, 0, EVENT_MAX_REMINDERS * sizeof(*out));
	for (char *t = strtok_r(copy, ", ", &save); t;
	    t = strtok_r(NULL, ", ", &save)) {
		int64_t v = event_duration_parse(t);

		if (v <= 0 || n == EVENT_MAX_REMINDERS) {
			free(copy);
			return -1;
		}
		out[n++] = v;
	}
	free(copy);
	for (int i = 0; i < n; i++)	/* largest first */
		for (int j = i + 1; j < n; j++)
			if (out[j] > out[i]) {
				int64_t t = out[i];

				out[i] = out[j];
				out[j] = t;
			}
	return 0;
}

static char *
remind_string(const int64_t *r)
{
	struct buf b;

	buf_init(&b);
	for (int i = 0; i < EVENT_MAX_REMINDERS && r[i]; i++)
		buf_addf(&b, "%s%llds", i ? "," : "", (long long)r[i]);
	return b.data ? buf_detach(&b, NULL) : xstrdup("");
}

#define EVENT_COLS "id, list_id, uid, title, description, location, tz, " \
	"start, duration, rrule, capacity, remind, rsvp_by, sequence, state, " \
	"created"

static void
event_from_row(sqlite3 *db, sqlite3_stmt *st, struct event *e)
{
	char *remind;
	sqlite3_stmt *ex;

	memset(e, 0, sizeof(*e));
	e->id = sqlite3_column_int64(st, 0);
	e->list_id = sqlite3_column_int64(st, 1);
	e->uid = db_col_text(st, 2);
	e->title = db_col_text(st, 3);
	e->description = db_col_text(st, 4);
	e->location = db_col_text(st, 5);
	e->tz = db_col_text(st, 6);
	e->start = sqlite3_column_int64(st, 7);
	e->duration = sqlite3_column_int64(st, 8);
	e->rrule = db_col_text(st, 9);
	e->capacity = sqlite3_column_int64(st, 10);
	remind = db_col_text(st, 11);
	if (remind_parse(remind, e->remind) < 0)
		memset(e->remind, 0, sizeof(e->remind));
	free(remind);
	e->rsvp_by = sqlite3_column_int64(st, 12);
	e->sequence = sqlite3_column_int(st, 13);
	e->state = db_col_text(st, 14);
	e->created = sqlite3_column_int64(st, 15);
	ex = db_prepare(db, "SELECT occurrence FROM event_exdates WHERE "
	    "event_id=? ORDER BY occurrence");
	if (ex) {
		size_t cap = 0;

		db_bind(ex, "i", e->id);
		while (sqlite3_step(ex) == SQLITE_ROW) {
			if (e->nexdates == cap) {
				cap = cap ? cap * 2 : 8;
				e->exdates = xrealloc(e->exdates,
				    cap * sizeof(*e->exdates));
			}
			e->exdates[e->nexdates++] = sqlite3_column_int64(ex, 0);
		}
		sqlite3_finalize(ex);
	}
}

static int
event_query(sqlite3 *db, const char *where, const char *key, int64_t id,
    struct event *e)
{
	char *sql = xasprintf("SELECT " EVENT_COLS " FROM events WHERE %s",
	    where);
	sqlite3_stmt *st = db_prepare(db, sql);
	int found = 0;

	free(sql);
	memset(e, 0, sizeof(*e));
	if (st == NULL)
		return KITH_TEMP;
	if (key)
		db_bind(st, "t", key);
	else
		db_bind(st, "i", id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		event_from_row(db, st, e);
		found = 1;
	}
	sqlite3_finalize(st);
	return found ? KITH_OK : KITH_PERM;
}

int
event_get(sqlite3 *db, int64_t id, struct event *e)
{
	return event_query(db, "id=?", NULL, id, e);
}

int
event_get_uid(sqlite3 *db, const char *uid, struct event *e)
{
	return event_query(db, "uid=?", uid, 0, e);
}

int
event_foreach(sqlite3 *db, int64_t list_id,
    int (*fn)(const struct event *, void *), void *ctx)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT " EVENT_COLS " FROM events "
	    "WHERE list_id=? ORDER BY start, id");

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", list_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct event e;
		int stop;

		event_from_row(db, st, &e);
		stop = fn(&e, ctx);
		event_release(&e);
		if (stop)
			break;
	}
	sqlite3_finalize(st);
	return KITH_OK;
}

static int
cancelled_occurrence(const struct event *e, int64_t occ)
{
	for (size_t i = 0; i < e->nexdates; i++)
		if (e->exdates[i] == occ)
			return 1;
	return 0;
}

/* 1 when occ is the start of one of e's occurrences (cancelled or not). */
static int
is_occurrence(const struct event *e, int64_t occ)
{
	int64_t o[1];

	return ical_occurrences(e->tz, e->start, e->rrule, occ, occ, o, 1) == 1 &&
	    o[0] == occ;
}

/* Occurrences of e in [from, to] that are not cancelled, into out. */
static size_t
occurrences(const struct event *e, int64_t from, int64_t to, int64_t *out,
    size_t max)
{
	int64_t all[MAX_OCCURRENCES];
	size_t n = ical_occurrences(e->tz, e->start, e->rrule, from, to, all,
	    MAX_OCCURRENCES), k = 0;

	for (size_t i = 0; i < n && k < max; i++)
		if (!cancelled_occurrence(e, all[i]))
			out[k++] = all[i];
	return k;
}

int64_t
event_next_occurrence(const struct event *e, int64_t t)
{
	int64_t o[1];

	if (strcmp(e->state, "active"))
		return 0;
	/* the look-ahead starts at the first start, however far off */
	if (t < e->start)
		t = e->start;
	return occurrences(e, t, t + HORIZON, o, 1) ? o[0] : 0;
}

/* An outbox message whose copies event_personalise renders. */
static int
queue_render(sqlite3 *db, const struct list *l, const char *render,
    int64_t *msg_id)
{
	return outbox_render_add(db, l->id, l->local, l->domain, "event", render,
	    msg_id);
}

/* REQUEST to every member who gets mail; records the invitations. */
static int
invite_all(sqlite3 *db, const struct list *l, const struct event *e,
    int64_t now, int64_t *invited)
{
	char render[64];
	int64_t msg_id;
	int st;

	snprintf(render, sizeof(render), "event:%lld:REQUEST", (long long)e->id);
	st = queue_render(db, l, render, &msg_id);
	if (st == KITH_OK)
		st = outbox_fanout_mailable(db, msg_id, l->id, now, invited);
	if (st == KITH_OK) {
		st = db_exec(db, "INSERT OR IGNORE INTO event_invites(event_id, "
		    "member_id, address, sent) SELECT ?1, id, address, ?2 FROM "
		    "members WHERE list_id=?3 AND mode!='nomail' AND disabled=0",
		    "iii", e->id, now, l->id);
	}
	return st;
}

/* One render ("event:ID:CANCEL" ...) to everyone invited who is still a member. */
static int
send_to_invited(sqlite3 *db, const struct list *l, const char *render,
    int64_t event_id, int64_t now, int64_t *count)
{
	int64_t msg_id;
	int st = queue_render(db, l, render, &msg_id);

	if (st == KITH_OK)
		st = db_exec(db, "INSERT OR IGNORE INTO outbox(message_id, rcpt, "
		    "member_id, updated) SELECT ?1, m.address, m.id, ?2 FROM "
		    "event_invites i JOIN members m ON m.id=i.member_id WHERE "
		    "i.event_id=?3 AND m.disabled=0 ORDER BY m.id", "iii", msg_id,
		    now, event_id);
	*count = st == KITH_OK ? sqlite3_changes(db) : 0;
	return st;
}

#define MAX_CAPACITY 1000000
#define MAX_DURATION (366LL * 86400)
#define LAST_START 32503680000LL	/* 3000-01-01: later is a typo */

/*
 * text_ok - s is valid UTF-8 of at most max bytes without control
 * characters; multi allows tabs and line ends (a description).
 */
static int
text_ok(const char *s, size_t max, int multi)
{
	size_t n = strlen(s);
	char *clean;
	int ok;

	if (n > max)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < ' ' && !(multi && (*p == '\n' || *p == '\r' ||
		    *p == '\t'))) || *p == 0x7f)
			return 0;
	if (n == 0)
		return 1;
	clean = utf8_sanitize(s, n);
	ok = clean && !strcmp(clean, s);
	free(clean);
	return ok;
}

/* Replace *field with a copy of v. */
static void
set_text(char **field, const char *v)
{
	free(*field);
	*field = xstrdup(v);
}

/* Title, location and description of spec onto e. */
static int
spec_texts(struct event *e, const struct event_spec *s, char *err,
    size_t errlen)
{
	if (s->title && (*s->title == '\0' || !text_ok(s->title, 200, 0))) {
		snprintf(err, errlen, "the title must be one line of UTF-8 text "
		    "(at most 200 bytes, no control characters)");
		return -1;
	}
	if (s->location && !text_ok(s->location, 500, 0)) {
		snprintf(err, errlen, "the location must be one line of UTF-8 "
		    "text (at most 500 bytes, no control characters)");
		return -1;
	}
	if (s->description && !text_ok(s->description, 65536, 1)) {
		snprintf(err, errlen, "the description must be UTF-8 text of at "
		    "most 64 KB");
		return -1;
	}
	if (s->title)
		set_text(&e->title, s->title);
	if (s->location)
		set_text(&e->location, s->location);
	if (s->description)
		set_text(&e->description, s->description);
	return 0;
}

/* The zone of spec; on update without --start, the same wall-clock time
 * in the new zone. */
static int
spec_zone(struct event *e, const struct event_spec *s, int creating,
    char *err, size_t errlen)
{
	char local[32];

	if (s->tz == NULL)
		return 0;
	if (!tz_valid(s->tz) || !ical_zone_valid(s->tz)) {
		snprintf(err, errlen, "'%s' is not a time zone (e.g. "
		    "Europe/Prague)", s->tz);
		return -1;
	}
	if (!creating && s->start == NULL) {
		local_time_strftime(e->tz, e->start, "%Y-%m-%d %H:%M", local,
		    sizeof(local));
		if (local_time_parse(local, s->tz, &e->start) < 0) {
			snprintf(err, errlen, "%s does not exist in %s", local,
			    s->tz);
			return -1;
		}
	}
	set_text(&e->tz, s->tz);
	return 0;
}

/* Start, then the length from --end or --duration, in e's zone. */
static int
spec_times(struct event *e, const struct event_spec *s, char *err,
    size_t errlen)
{
	int64_t end;

	if (s->start && (local_time_parse(s->start, e->tz, &e->start) < 0 ||
	    e->start >= LAST_START)) {
		snprintf(err, errlen, "'%s' is not a time like \"2026-12-04 "
		    "18:00\"", s->start);
		return -1;
	}
	if (s->end && s->duration > 0) {
		snprintf(err, errlen, "give --end or --duration, not both");
		return -1;
	}
	if (s->end) {
		if (local_time_parse(s->end, e->tz, &end) < 0 || end <= e->start ||
		    end - e->start > MAX_DURATION) {
			snprintf(err, errlen, "'%s' is not a time after the start "
			    "(within a year)", s->end);
			return -1;
		}
		e->duration = end - e->start;
	} else if (s->duration > 0) {
		if (s->duration > MAX_DURATION) {
			snprintf(err, errlen, "an event lasts at most 366 days");
			return -1;
		}
		e->duration = s->duration;
	}
	return 0;
}

/* The answer deadline: a bare date means the end of that day. */
static int
spec_deadline(struct event *e, const struct event_spec *s, char *err,
    size_t errlen)
{
	int64_t t;

	if (s->rsvp_by == NULL)
		return 0;
	if (*s->rsvp_by == '\0') {
		e->rsvp_by = 0;
		return 0;
	}
	if (local_time_parse(s->rsvp_by, e->tz, &t) < 0) {
		snprintf(err, errlen, "'%s' is not a date like 2026-12-03",
		    s->rsvp_by);
		return -1;
	}
	e->rsvp_by = strchr(s->rsvp_by, ':') ? t : t + 86399;
	return 0;
}

/* Recurrence, capacity and reminders of spec onto e. */
static int
spec_rules(struct event *e, const struct event_spec *s, char *err,
    size_t errlen)
{
	if (s->rrule && *s->rrule && (!text_ok(s->rrule, 500, 0) ||
	    !ical_rrule_valid(s->rrule))) {
		snprintf(err, errlen, "'%s' is not a recurrence rule (e.g. "
		    "FREQ=WEEKLY;BYDAY=FR)", s->rrule);
		return -1;
	}
	if (s->capacity > MAX_CAPACITY) {
		snprintf(err, errlen, "a capacity is at most %d seats",
		    MAX_CAPACITY);
		return -1;
	}
	if (s->remind && remind_parse(s->remind, e->remind) < 0) {
		snprintf(err, errlen, "'%s' is not a list of offsets like 24h,1h "
		    "(at most %d)", s->remind, EVENT_MAX_REMINDERS);
		return -1;
	}
	if (s->rrule)
		set_text(&e->rrule, s->rrule);
	if (s->capacity >= 0)
		e->capacity = s->capacity;
	return 0;
}

/*
 * apply_spec - check spec and apply it onto e.  Creating, e->tz already
 * holds the list's zone, and the title, the start and a length are
 * required.
 */
static int
apply_spec(struct event *e, const struct event_spec *s, int creating,
    char *err, size_t errlen)
{
	if (creating && (s->title == NULL || s->start == NULL ||
	    (s->duration <= 0 && s->end == NULL))) {
		snprintf(err, errlen, "an event needs --title, --start and --end "
		    "or --duration (--tz defaults to the list's timezone)");
		return -1;
	}
	if (spec_texts(e, s, err, errlen) < 0 ||
	    spec_zone(e, s, creating, err, errlen) < 0 ||
	    spec_times(e, s, err, errlen) < 0 ||
	    spec_deadline(e, s, err, errlen) < 0 ||
	    spec_rules(e, s, err, errlen) < 0)
		return -1;
	if (!ical_zone_valid(e->tz)) {
		snprintf(err, errlen, "the time zone '%s' is not known to the "
		    "calendar library; give --tz", e->tz);
		return -1;
	}
	return 0;
}

static int
store_event(sqlite3 *db, struct event *e, int creating)
{
	char *remind = remind_string(e->remind);
	int st;

	if (creating) {
		st = db_exec(db, "INSERT INTO events(list_id, uid, title, "
		    "description, location, tz, start, duration, rrule, capacity, "
		    "remind, rsvp_by, sequence, state, created) VALUES "
		    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'active', ?)",
		    "itttttiititii", e->list_id, e->uid, e->title, e->description,
		    e->location, e->tz, e->start, e->duration, e->rrule,
		    e->capacity, remind, e->rsvp_by, e->created);
		if (st == KITH_OK)
			e->id = sqlite3_last_insert_rowid(db);
	} else
		st = db_exec(db, "UPDATE events SET title=?, description=?, "
		    "location=?, tz=?, start=?, duration=?, rrule=?, capacity=?, "
		    "remind=?, rsvp_by=?, sequence=?, state=? WHERE id=?",
		    "ttttiititiiti", e->title, e->description, e->location, e->tz,
		    e->start, e->duration, e->rrule, e->capacity, remind,
		    e->rsvp_by, (int64_t)e->sequence, e->state, e->id);
	free(remind);
	return st;
}

int
event_create(const struct kith_config *cfg, sqlite3 *db,
    const struct list *l, const struct event_spec *s, int64_t now,
    int64_t *id, int64_t *invited, char *err, size_t errlen)
{
	struct event e;
	char *hex;
	int st;

	(void)cfg;
	memset(&e, 0, sizeof(e));
	e.list_id = l->id;
	e.tz = list_setting(db, l->id, "timezone");
	e.description = xstrdup("");
	e.location = xstrdup("");
	e.rrule = xstrdup("");
	e.state = xstrdup("active");
	e.created = now;
	if (apply_spec(&e, s, 1, err, errlen) < 0) {
		event_release(&e);
		return KITH_PERM;
	}
	hex = random_hex(12);
	e.uid = xasprintf("kith-%s@%s", hex, l->domain);
	free(hex);
	if ((st = db_begin(db)) == KITH_OK) {
		st = store_event(db, &e, 1);
		if (st == KITH_OK)
			st = invite_all(db, l, &e, now, invited);
		if (st == KITH_OK)
			st = db_commit(db);
		else
			db_rollback(db);
	}
	if (st != KITH_OK)
		snprintf(err, errlen, "database busy; try again");
	else {
		*id = e.id;
		log_info("event: '%s' (%lld) on '%s': %lld invited", e.title,
		    (long long)e.id, l->address, (long long)*invited);
	}
	event_release(&e);
	return st;
}

/* Load id and its list for a change; KITH_PERM with err when gone. */
static int
load_for_change(sqlite3 *db, int64_t id, struct event *e, struct list *l,
    char *err, size_t errlen)
{
	if (event_get(db, id, e) != KITH_OK) {
		snprintf(err, errlen, "no event %lld; see 'kith event ls LIST'",
		    (long long)id);
		return KITH_PERM;
	}
	if (strcmp(e->state, "active")) {
		snprintf(err, errlen, "event %lld is %s", (long long)id, e->state);
		event_release(e);
		return KITH_PERM;
	}
	if (list_find_id(db, e->list_id, l) != KITH_OK) {
		snprintf(err, errlen, "event %lld has no list", (long long)id);
		event_release(e);
		return KITH_PERM;
	}
	return KITH_OK;
}

static int fill_all(sqlite3 *db, const struct list *l, const struct event *e,
    int64_t now);

int
event_update(const struct kith_config *cfg, sqlite3 *db, int64_t id,
    const struct event_spec *s, int64_t now, int64_t *invited, char *err,
    size_t errlen)
{
	struct event e;
	struct list l;
	char render[64];
	int st;

	(void)cfg;
	*invited = 0;
	if ((st = load_for_change(db, id, &e, &l, err, errlen)) != KITH_OK)
		return st;
	if (apply_spec(&e, s, 0, err, errlen) < 0) {
		event_release(&e);
		list_release(&l);
		return KITH_PERM;
	}
	e.sequence++;
	snprintf(render, sizeof(render), "event:%lld:REQUEST", (long long)id);
	if ((st = db_begin(db)) == KITH_OK) {
		st = store_event(db, &e, 0);
		if (st == KITH_OK)
			st = send_to_invited(db, &l, render, id, now, invited);
		/* more seats (or none as a limit): the waitlist moves up */
		if (st == KITH_OK)
			st = fill_all(db, &l, &e, now);
		if (st == KITH_OK)
			st = db_commit(db);
		else
			db_rollback(db);
	}
	if (st != KITH_OK)
		snprintf(err, errlen, "database busy; try again");
	event_release(&e);
	list_release(&l);
	return st;
}

int64_t
event_occurrence_on(const struct event *e, const char *date)
{
	int64_t occ[MAX_OCCURRENCES];
	size_t n = occurrences(e, e->start, e->start + HORIZON, occ,
	    MAX_OCCURRENCES);

	for (size_t i = 0; i < n; i++) {
		char d[16];

		local_time_strftime(e->tz, occ[i], "%Y-%m-%d", d, sizeof(d));
		if (!strcmp(d, date))
			return occ[i];
	}
	return 0;
}

int
event_cancel(const struct kith_config *cfg, sqlite3 *db, int64_t id,
    const char *occurrence_date, int64_t now, int64_t *notified, char *err,
    size_t errlen)
{
	struct event e;
	struct list l;
	char render[80];
	int64_t occ = 0;
	int st;

	(void)cfg;
	*notified = 0;
	if ((st = load_for_change(db, id, &e, &l, err, errlen)) != KITH_OK)
		return st;
	if (occurrence_date) {
		occ = event_occurrence_on(&e, occurrence_date);
		if (occ == 0) {
			snprintf(err, errlen, "event %lld has no occurrence on %s "
			    "(in %s)", (long long)id, occurrence_date, e.tz);
			event_release(&e);
			list_release(&l);
			return KITH_PERM;
		}
		snprintf(render, sizeof(render), "event:%lld:CANCEL:%lld",
		    (long long)id, (long long)occ);
	} else {
		snprintf(render, sizeof(render), "event:%lld:CANCEL",
		    (long long)id);
		free(e.state);
		e.state = xstrdup("cancelled");
	}
	e.sequence++;
	if ((st = db_begin(db)) == KITH_OK) {
		st = store_event(db, &e, 0);
		if (st == KITH_OK && occ)
			st = db_exec(db, "INSERT OR IGNORE INTO event_exdates("
			    "event_id, occurrence) VALUES (?, ?)", "ii", id, occ);
		if (st == KITH_OK)
			st = send_to_invited(db, &l, render, id, now, notified);
		if (st == KITH_OK)
			st = db_commit(db);
		else
			db_rollback(db);
	}
	if (st != KITH_OK)
		snprintf(err, errlen, "database busy; try again");
	event_release(&e);
	list_release(&l);
	return st;
}

/* "Fri 4 Dec 2026, 18:00 CET" for t in the event's zone. */
static void
when_text(const struct event *e, int64_t t, char *buf, size_t n)
{
	local_time_strftime(e->tz, t, "%a %-d %b %Y, %H:%M %Z", buf, n);
}

/*
 * event_vars - the variables every event text gets (when, id: the
 * caller's buffers); returns how many (6).
 */
static int
event_vars(const struct event *e, const char *when, const char *id,
    const char *to, const char *name, struct template_var *vars)
{
	vars[0] = (struct template_var){ "event.title", e->title };
	vars[1] = (struct template_var){ "event.when", when };
	vars[2] = (struct template_var){ "event.where", *e->location ?
	    e->location : "-" };
	vars[3] = (struct template_var){ "event.id", id };
	vars[4] = (struct template_var){ "member.name", name && *name ? name :
	    to };
	vars[5] = (struct template_var){ "member.address", to };
	return 6;
}

/*
 * event_notice - queue a notice about occurrence occ of e to one address
 * (templates/en/NAME); deadline, when not NULL, is {{event.deadline}}.
 */
static int
event_notice(const struct kith_config *cfg, sqlite3 *db, const struct list *l,
    const struct event *e, int64_t occ, const char *to, const char *name,
    const char *tmpl, const char *subject_fmt, const char *deadline)
{
	char when[64], id[32], subject[300];
	struct template_var vars[7];
	struct notice_opts o;
	int n;

	when_text(e, occ ? occ : e->start, when, sizeof(when));
	snprintf(id, sizeof(id), "%lld", (long long)e->id);
	snprintf(subject, sizeof(subject), subject_fmt, e->title, when);
	n = event_vars(e, when, id, to, name, vars);
	if (deadline)
		vars[n++] = (struct template_var){ "event.deadline", deadline };
	memset(&o, 0, sizeof(o));
	o.to = to;
	o.subject = subject;
	o.tmpl = tmpl;
	o.vars = vars;
	o.nvars = n;
	return notice_queue(db, cfg, l, &o);
}

/* Seats taken at occurrence occ (0: the series). */
static int64_t
seats_taken(sqlite3 *db, const struct event *e, int64_t occ, int *status)
{
	return db_int(db, 0, status, "SELECT count(*) FROM rsvps WHERE "
	    "event_id=? AND occurrence=? AND partstat='ACCEPTED' AND "
	    "waitlisted=0", "ii", e->id, occ);
}

/* The answer row of member for (event, occurrence); 0 when none. */
struct answer {
	char partstat[16];
	int sequence, waitlisted;
	int64_t dtstamp;
};

static int
answer_get(sqlite3 *db, int64_t event_id, int64_t occ, int64_t member_id,
    struct answer *a)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT partstat, sequence, dtstamp, "
	    "waitlisted FROM rsvps WHERE event_id=? AND occurrence=? AND "
	    "member_id=?");
	int found = 0;

	memset(a, 0, sizeof(*a));
	if (st == NULL)
		return -1;
	db_bind(st, "iii", event_id, occ, member_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(a->partstat, sizeof(a->partstat), "%s",
		    (const char *)sqlite3_column_text(st, 0));
		a->sequence = sqlite3_column_int(st, 1);
		a->dtstamp = sqlite3_column_int64(st, 2);
		a->waitlisted = sqlite3_column_int(st, 3);
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

/*
 * queue_personal - one member's own copy of the invitation, rendered at
 * delivery as kind (WAITLIST: PARTSTAT=TENTATIVE, "you are on the
 * waitlist"; SEAT: PARTSTAT=ACCEPTED, "a seat is yours") for occurrence
 * occ (0: the series).
 */
static int
queue_personal(sqlite3 *db, const struct list *l, const struct event *e,
    const char *kind, int64_t occ, int64_t member_id, const char *address,
    int64_t now)
{
	char render[80];
	int64_t msg_id;
	int st;

	snprintf(render, sizeof(render), "event:%lld:%s:%lld", (long long)e->id,
	    kind, (long long)occ);
	st = queue_render(db, l, render, &msg_id);
	if (st == KITH_OK)
		st = db_exec(db, "INSERT INTO outbox(message_id, rcpt, member_id, "
		    "updated) VALUES (?, ?, ?, ?)", "itii", msg_id, address,
		    member_id, now);
	return st;
}

/*
 * release_departed - a member who left the list took the answer along
 * (its row went with the member); one whose delivery is disabled by
 * bounces, or who is banned, has left in all but name: their acceptance
 * (seated or waiting) is dropped here, so that the seat goes on.
 */
static int
release_departed(sqlite3 *db, const struct list *l, const struct event *e,
    int64_t occ)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT r.member_id, m.address, "
	    "m.disabled FROM rsvps r JOIN members m ON m.id=r.member_id WHERE "
	    "r.event_id=? AND r.occurrence=? AND r.partstat='ACCEPTED'");
	int64_t *gone = NULL;
	size_t n = 0, cap = 0;
	int status = KITH_OK;

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "ii", e->id, occ);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *addr = (const char *)sqlite3_column_text(st, 1);

		if (sqlite3_column_int64(st, 2) == 0 &&
		    !ban_matches(db, l->id, addr))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			gone = xrealloc(gone, cap * sizeof(*gone));
		}
		gone[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < n && status == KITH_OK; i++) {
		status = db_exec(db, "DELETE FROM rsvps WHERE event_id=? AND "
		    "occurrence=? AND member_id=?", "iii", e->id, occ, gone[i]);
		log_info("event: member %lld no longer gets mail; their answer "
		    "to %lld is dropped", (long long)gone[i], (long long)e->id);
	}
	free(gone);
	return status;
}

/* The first one waiting gets a seat and is told; *done 0 when nobody waits. */
static int
promote_first(sqlite3 *db, const struct list *l, const struct event *e,
    int64_t occ, int64_t now, int *done)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT r.member_id, m.address "
	    "FROM rsvps r JOIN members m ON m.id=r.member_id WHERE "
	    "r.event_id=? AND r.occurrence=? AND r.waitlisted=1 ORDER BY "
	    "r.updated, r.rowid LIMIT 1");
	int64_t member_id = 0;
	char *addr = NULL;
	int status;

	*done = 0;
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "ii", e->id, occ);
	if (sqlite3_step(st) == SQLITE_ROW) {
		member_id = sqlite3_column_int64(st, 0);
		addr = db_col_text(st, 1);
	}
	sqlite3_finalize(st);
	if (member_id == 0)
		return KITH_OK;
	status = db_exec(db, "UPDATE rsvps SET waitlisted=0, updated=? WHERE "
	    "event_id=? AND occurrence=? AND member_id=?", "iiii", now, e->id,
	    occ, member_id);
	if (status == KITH_OK)
		status = queue_personal(db, l, e, "SEAT", occ, member_id, addr,
		    now);
	if (status == KITH_OK) {
		*done = 1;
		log_info("event: '%s' promoted from the waitlist of %lld", addr,
		    (long long)e->id);
	}
	free(addr);
	return status;
}

/*
 * fill_seats - keep the promise of the waitlist: seats held by members
 * who left are released, then while a seat is free (or the event has no
 * limit any more) the first one waiting gets it.  Called wherever a seat
 * can free up: an answer, an update of the capacity, and cron (for
 * members who left by any path: unsubscribe, removal, ban, bounces).
 */
static int
fill_seats(sqlite3 *db, const struct list *l, const struct event *e,
    int64_t occ, int64_t now)
{
	int status = release_departed(db, l, e, occ), done = 1;

	while (status == KITH_OK && done) {
		int64_t seated = seats_taken(db, e, occ, &status);

		if (status != KITH_OK || (e->capacity > 0 &&
		    seated >= e->capacity))
			break;
		status = promote_first(db, l, e, occ, now, &done);
	}
	return status;
}

/*
 * fill_all - fill_seats for every answer pool of e that is still to come
 * (the series, and occurrences answered on their own).
 */
static int
fill_all(sqlite3 *db, const struct list *l, const struct event *e,
    int64_t now)
{
	sqlite3_stmt *st;
	int64_t *occ = NULL;
	size_t n = 0, cap = 0;
	int status = KITH_OK;

	if (strcmp(e->state, "active"))
		return KITH_OK;
	st = db_prepare(db, "SELECT DISTINCT occurrence FROM rsvps WHERE "
	    "event_id=? AND partstat='ACCEPTED'");
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", e->id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t o = sqlite3_column_int64(st, 0);

		if (o ? o <= now : event_next_occurrence(e, now) == 0)
			continue;	/* over: nobody is promoted into the past */
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			occ = xrealloc(occ, cap * sizeof(*occ));
		}
		occ[n++] = o;
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < n && status == KITH_OK; i++)
		status = fill_seats(db, l, e, occ[i], now);
	free(occ);
	return status;
}

int
event_rsvp(const struct kith_config *cfg, sqlite3 *db,
    const struct list *l, const struct event *e, int64_t member_id,
    int64_t occurrence, const char *partstat, int sequence, int64_t dtstamp,
    int64_t now, const char **result)
{
	struct answer old;
	int had, seated_before, seated = 0, waitlisted = 0, st;
	int accept = !strcmp(partstat, "ACCEPTED");
	int64_t taken;

	(void)cfg;
	/* those already waiting come before a new acceptance */
	if (accept && (st = fill_seats(db, l, e, occurrence, now)) != KITH_OK)
		return st;
	had = answer_get(db, e->id, occurrence, member_id, &old);
	if (had < 0)
		return KITH_TEMP;
	/* Replies can arrive out of order: keep the newest by SEQUENCE,
	 * then DTSTAMP. */
	if (had && (sequence < old.sequence || (sequence == old.sequence &&
	    dtstamp < old.dtstamp))) {
		*result = "older";
		return KITH_OK;
	}
	seated_before = had && !strcmp(old.partstat, "ACCEPTED") &&
	    !old.waitlisted;
	if (accept) {
		if (seated_before || e->capacity <= 0)
			seated = 1;
		else {
			taken = db_int(db, 0, NULL, "SELECT count(*) FROM rsvps "
			    "WHERE event_id=? AND occurrence=? AND partstat="
			    "'ACCEPTED' AND waitlisted=0 AND member_id!=?", "iii",
			    e->id, occurrence, member_id);
			seated = taken < e->capacity;
			/* already waiting: keep the place in the queue */
			waitlisted = !seated;
		}
	}
	if (had && old.waitlisted && waitlisted)
		st = db_exec(db, "UPDATE rsvps SET sequence=?, dtstamp=? WHERE "
		    "event_id=? AND occurrence=? AND member_id=?", "Iiiii",
		    sequence, dtstamp, e->id, occurrence, member_id);
	else
		st = db_exec(db, "INSERT INTO rsvps(event_id, occurrence, "
		    "member_id, partstat, sequence, dtstamp, updated, waitlisted) "
		    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(event_id, "
		    "occurrence, member_id) DO UPDATE SET partstat=excluded."
		    "partstat, sequence=excluded.sequence, dtstamp=excluded."
		    "dtstamp, updated=excluded.updated, waitlisted=excluded."
		    "waitlisted", "iiitIiiI", e->id, occurrence, member_id,
		    partstat, sequence, dtstamp, now, waitlisted);
	if (st == KITH_OK && seated_before && !seated)
		st = fill_seats(db, l, e, occurrence, now);
	*result = waitlisted ? "waitlisted" : accept ? "accepted" :
	    !strcmp(partstat, "DECLINED") ? "declined" : "tentative";
	return st;
}

/* Which count an answer goes to. */
static void
count_answer(struct event_counts *c, const char *ps, int waitlisted,
    int64_t n)
{
	if (!strcmp(ps, "ACCEPTED") && waitlisted)
		c->waitlist += n;
	else if (!strcmp(ps, "ACCEPTED"))
		c->accepted += n;
	else if (!strcmp(ps, "TENTATIVE"))
		c->tentative += n;
	else if (!strcmp(ps, "DECLINED"))
		c->declined += n;
	else
		c->none += n;
}

/*
 * attendee_counts - event_attendees' counts without the list: the
 * invitations are counted from their index, and only the members who
 * answered (a few, on a big list) are looked at one by one; everyone
 * else has no answer.  Invitations go when their member does (ON DELETE
 * CASCADE), so every one has its member.
 */
static int
attendee_counts(sqlite3 *db, const struct event *e, int64_t occurrence,
    struct event_counts *c)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT coalesce(r1.partstat, "
	    "r0.partstat, ''), coalesce(r1.waitlisted, r0.waitlisted, 0), "
	    "count(*) FROM (SELECT DISTINCT member_id FROM rsvps WHERE "
	    "event_id=?1 AND (occurrence=0 OR occurrence=?2)) a "
	    "JOIN event_invites i ON i.event_id=?1 AND i.member_id=a.member_id "
	    "LEFT JOIN rsvps r1 ON r1.event_id=?1 AND r1.member_id=a.member_id "
	    "AND r1.occurrence=?2 AND ?2!=0 "
	    "LEFT JOIN rsvps r0 ON r0.event_id=?1 AND r0.member_id=a.member_id "
	    "AND r0.occurrence=0 GROUP BY 1, 2");
	int64_t invited, answered = 0;
	int st_inv, rc;

	invited = db_int(db, 0, &st_inv, "SELECT count(*) FROM event_invites "
	    "WHERE event_id=?", "i", e->id);
	if (st == NULL || st_inv != KITH_OK) {
		sqlite3_finalize(st);
		return KITH_TEMP;
	}
	db_bind(st, "ii", e->id, occurrence);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t n = sqlite3_column_int64(st, 2);

		count_answer(c, (const char *)sqlite3_column_text(st, 0),
		    sqlite3_column_int(st, 1), n);
		answered += n;
	}
	sqlite3_finalize(st);
	c->none += invited - answered;
	return rc == SQLITE_DONE ? KITH_OK : db_status(rc);
}

int
event_attendees(sqlite3 *db, const struct event *e, int64_t occurrence,
    int (*fn)(const struct event_attendee *, void *), void *ctx,
    struct event_counts *c)
{
	sqlite3_stmt *st;

	memset(c, 0, sizeof(*c));
	if (fn == NULL)		/* only the counts */
		return attendee_counts(db, e, occurrence, c);
	/* One occurrence: its own answer, else the answer for the series. */
	st = db_prepare(db, "SELECT m.address, m.name, "
	    "coalesce(r1.partstat, r0.partstat, ''), "
	    "coalesce(r1.waitlisted, r0.waitlisted, 0), "
	    "coalesce(r1.updated, r0.updated, 0) FROM event_invites i "
	    "JOIN members m ON m.id=i.member_id "
	    "LEFT JOIN rsvps r1 ON r1.event_id=i.event_id AND "
	    "r1.member_id=i.member_id AND r1.occurrence=?2 AND ?2!=0 "
	    "LEFT JOIN rsvps r0 ON r0.event_id=i.event_id AND "
	    "r0.member_id=i.member_id AND r0.occurrence=0 "
	    "WHERE i.event_id=?1 ORDER BY m.address");
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "ii", e->id, occurrence);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct event_attendee a;
		const char *ps = (const char *)sqlite3_column_text(st, 2);
		int wl = sqlite3_column_int(st, 3);

		a.address = (const char *)sqlite3_column_text(st, 0);
		a.name = (const char *)sqlite3_column_text(st, 1);
		a.updated = sqlite3_column_int64(st, 4);
		if (!strcmp(ps, "ACCEPTED") && wl)
			a.answer = "waitlist";
		else if (!strcmp(ps, "ACCEPTED"))
			a.answer = "accepted";
		else if (!strcmp(ps, "TENTATIVE"))
			a.answer = "tentative";
		else if (!strcmp(ps, "DECLINED"))
			a.answer = "declined";
		else
			a.answer = "none";
		count_answer(c, ps, wl, 1);
		if (fn(&a, ctx))
			break;
	}
	sqlite3_finalize(st);
	return KITH_OK;
}

/* A polite answer about a reply Kith could not use, at most once a day. */
static int
reply_problem(const struct kith_config *cfg, sqlite3 *db,
    const struct list *l, const char *to, const char *why)
{
	struct template_var vars[1] = { { "reason", why } };
	struct notice_opts o;

	if (to == NULL || *to == '\0' || !notice_rate_ok(db, l->id, to,
	    "event-reply"))
		return KITH_OK;
	memset(&o, 0, sizeof(o));
	o.to = to;
	o.subject = "Your answer to an invitation";
	o.tmpl = "event-reply-problem.txt";
	o.vars = vars;
	o.nvars = 1;
	return notice_queue(db, cfg, l, &o);
}

static int
want_calendar(const char *name, const char *type, void *ctx)
{
	size_t n = strlen(name);

	(void)ctx;
	return !strcasecmp(type, "text/calendar") ||
	    !strcasecmp(type, "application/ics") ||
	    (n > 4 && !strcasecmp(name + n - 4, ".ics"));
}

char *
event_find_calendar(const char *raw, size_t len)
{
	size_t clen;

	return message_find_part(raw, len, want_calendar, NULL, &clen);
}

/*
 * reply_member - whose answer this is: the ATTENDEE that is a member; the
 * sender only when it is that same member, or when the one attendee is
 * not a member at all (an alias).  0 when nobody, or when the sender is
 * another member (nobody answers for someone else).
 */
static int64_t
reply_member(sqlite3 *db, const struct list *l, const struct ical_info *in,
    const char *from, size_t *which)
{
	struct member m;
	int64_t from_id = 0, id = 0;

	if (from && *from && member_find(db, l->id, from, &m) == KITH_OK) {
		from_id = m.id;
		member_release(&m);
	}
	for (size_t i = 0; i < in->nattendees && id == 0; i++)
		if (member_find(db, l->id, in->attendee[i], &m) == KITH_OK) {
			id = m.id;
			*which = i;
			member_release(&m);
		}
	if (id && from_id && id != from_id)
		return 0;
	if (id == 0 && from_id && in->nattendees == 1) {
		*which = 0;
		return from_id;
	}
	return id;
}

/* The invitation that says TENTATIVE and "on the waitlist", to member. */
static int
tell_waitlisted(sqlite3 *db, const struct list *l, const struct event *e,
    int64_t member_id, int64_t occ, int64_t now)
{
	struct member m;
	int st;

	if (member_find_id(db, l->id, member_id, &m) != KITH_OK)
		return KITH_OK;
	st = queue_personal(db, l, e, "WAITLIST", occ, member_id, m.address,
	    now);
	member_release(&m);
	return st;
}

/*
 * reply_unclear - a reply whose answer Kith does not understand (no
 * PARTSTAT, NEEDS-ACTION, DELEGATED, an X- value): one polite answer, at
 * most once a day per address, that names the answers understood.
 */
static int
reply_unclear(const struct kith_config *cfg, sqlite3 *db,
    const struct list *l, const struct event *e, const char *to,
    const char *partstat)
{
	char when[64], id[32], shown[16];
	struct template_var vars[7];
	struct notice_opts o;
	int64_t next = event_next_occurrence(e, now_utc());
	size_t k = 0;
	int n;

	if (to == NULL || *to == '\0' || !notice_rate_ok(db, l->id, to,
	    "event-unclear"))
		return KITH_OK;
	/* what the calendar sent, shown as a word: nothing else gets in */
	for (const char *p = partstat; *p && k + 1 < sizeof(shown); p++)
		shown[k++] = isalnum((unsigned char)*p) || *p == '-' ? *p : '?';
	shown[k] = '\0';
	when_text(e, next ? next : e->start, when, sizeof(when));
	snprintf(id, sizeof(id), "%lld", (long long)e->id);
	n = event_vars(e, when, id, to, NULL, vars);
	vars[n++] = (struct template_var){ "answer", k ? shown : "(none)" };
	memset(&o, 0, sizeof(o));
	o.to = to;
	o.subject = "Your answer to an invitation";
	o.tmpl = "event-reply-unclear.txt";
	o.vars = vars;
	o.nvars = n;
	return notice_queue(db, cfg, l, &o);
}

/* A calendar answer being read: what it says, and whose it is. */
struct reply {
	const struct mail_ctx *c;
	const struct message *msg;
	const char *from;	/* the sender, normalised ("" when none) */
	struct ical_info in;
	struct event e;
	struct member m;	/* whose answer it is, once known */
	int have_member;
	size_t which;		/* the ATTENDEE that answers */
	int by_token;		/* a token of m's invitation to e came with it */
	int64_t occ;		/* the occurrence answered, 0: the event */
	char *line;
	size_t n;
};

static void
reply_release(struct reply *r)
{
	event_release(&r->e);
	ical_info_release(&r->in);
	if (r->have_member)
		member_release(&r->m);
}

/* A reply that cannot be used: the log line, and the sender told once. */
static int
reply_refuse(struct reply *r, const char *why)
{
	return reply_problem(r->c->cfg, r->c->db, r->c->l, r->from, why);
}

/*
 * reply_read - the calendar of the mail: a REPLY for an active event of
 * this list.  1 to go on; 0 when not (logged, told, *st set).
 */
static int
reply_read(struct reply *r, int *st)
{
	const struct list *l = r->c->l;
	char *cal = event_find_calendar(r->msg->raw, r->msg->len);
	int parsed = cal ? ical_parse(cal, &r->in) : -1;

	free(cal);
	if (parsed < 0) {
		snprintf(r->line, r->n, "event: mail to '%s-events' without a "
		    "calendar from '%s'", l->local, r->from);
		*st = reply_refuse(r, "it held no calendar answer. To answer "
		    "by email, send 'rsvp yes ID' (or no, maybe) to the list's "
		    "-request address.");
		return 0;
	}
	if (strcasecmp(r->in.method, "REPLY")) {
		snprintf(r->line, r->n, "event: calendar '%s' (not REPLY) from "
		    "'%s' ignored", r->in.method, r->from);
		*st = reply_refuse(r, "it was not an answer to an invitation "
		    "(METHOD:REPLY).");
		return 0;
	}
	if (event_get_uid(r->c->db, r->in.uid, &r->e) != KITH_OK ||
	    r->e.list_id != l->id) {
		snprintf(r->line, r->n, "event: reply for unknown event '%s' from "
		    "'%s'", r->in.uid, r->from);
		*st = reply_refuse(r, "the event it answers is not one of this "
		    "list's.");
		return 0;
	}
	if (strcmp(r->e.state, "active") || (r->in.recurrence_id &&
	    cancelled_occurrence(&r->e, r->in.recurrence_id))) {
		snprintf(r->line, r->n, "event: reply for cancelled event %lld "
		    "from '%s'", (long long)r->e.id, r->from);
		*st = reply_refuse(r, "the event was cancelled.");
		return 0;
	}
	return 1;
}

/*
 * token_owner - the member a reply token names, and its event: 0 with *m
 * (member_release) and *event_id; -1 when the token is malformed, forged,
 * damaged, or names nobody who is still a member of the list.
 */
static int
token_owner(const struct mail_ctx *c, const char *token, struct member *m,
    int64_t *event_id)
{
	char *payload = token_payload(token), *verified = NULL, extra;
	long long ev = 0, mem = 0;
	int r = -1;

	if (payload && sscanf(payload, "%lld.%lld%c", &ev, &mem, &extra) == 2 &&
	    ev > 0 && mem > 0 && member_find_id(c->db, c->l->id, mem, m) ==
	    KITH_OK) {
		if (token_check(c->key, "event", c->l->address, m->address, token,
		    now_utc(), &verified) == 0) {
			*event_id = ev;
			r = 0;
		} else
			member_release(m);
	}
	free(verified);
	free(payload);
	return r;
}

/*
 * organizer_token - the token in the ORGANIZER a calendar echoes back
 * ("team-events+TOKEN@domain" of this list), for a reply that reached
 * the plain address; NULL when there is none.  Caller frees.
 */
static char *
organizer_token(const struct mail_ctx *c, const char *org)
{
	size_t n = strlen(c->l->local);
	const char *at = strrchr(org, '@'), *tok;

	if (at == NULL || strcmp(at + 1, c->l->domain) ||
	    strncmp(org, c->l->local, n) || strncmp(org + n, "-events", 7) ||
	    org[n + 7] != *c->cfg->delimiter)
		return NULL;
	tok = org + n + 8;
	return at > tok ? xstrndup(tok, (size_t)(at - tok)) : NULL;
}

/*
 * token_attendee - the ATTENDEE that answers for m in a reply its token
 * came with: the one that is m's address, else the only one when it is
 * no member (an alias of m: *alias set).  -1 when there is none, several,
 * or the one named is another member (a forwarded invitation, say:
 * nobody can tell who answered, so nobody does).
 */
static int
token_attendee(sqlite3 *db, const struct list *l, const struct ical_info *in,
    const struct member *m, int *alias)
{
	struct member other;

	*alias = 0;
	for (size_t i = 0; i < in->nattendees; i++)
		if (!strcmp(in->attendee[i], m->address))
			return (int)i;
	if (in->nattendees != 1)
		return -1;
	if (member_find(db, l->id, in->attendee[0], &other) == KITH_OK) {
		member_release(&other);
		return -1;
	}
	*alias = 1;
	return 0;
}

/*
 * reply_by_token - whose answer a reply with a valid token is: the
 * member the token names, for the token's event only.  1 to go on, 0
 * when it changes nothing (logged, told, *st set), -1 when the token is
 * not valid (nothing said yet).
 */
static int
reply_by_token(struct reply *r, const char *token, int *st)
{
	int64_t ev = 0;
	int alias, i;

	if (token_owner(r->c, token, &r->m, &ev) < 0)
		return -1;
	r->have_member = 1;
	if (ev != r->e.id) {
		snprintf(r->line, r->n, "event: reply to %lld from '%s' came to "
		    "the address of an invitation to %lld: nothing changed",
		    (long long)r->e.id, r->from, (long long)ev);
		*st = reply_refuse(r, "it was sent to the address of the "
		    "invitation to another event. Please answer from the "
		    "invitation to this event.");
		return 0;
	}
	i = r->in.nattendees ? token_attendee(r->c->db, r->c->l, &r->in, &r->m,
	    &alias) : -1;
	if (i < 0) {
		snprintf(r->line, r->n, "event: reply to %lld for '%s' names %s: "
		    "nothing changed", (long long)r->e.id, r->m.address,
		    r->in.nattendees ? "another member (or several attendees)" :
		    "no attendee");
		*st = reply_refuse(r, r->in.nattendees ? "it answers for "
		    "someone other than the member the invitation was sent to. "
		    "Each member answers from their own invitation." :
		    "it named nobody as attendee (ATTENDEE).");
		return 0;
	}
	if (alias)
		log_info("event: reply to %lld for '%s' names '%s': taken as "
		    "the member's other address", (long long)r->e.id,
		    r->m.address, r->in.attendee[i]);
	r->which = (size_t)i;
	r->by_token = 1;
	return 1;
}

/* Whose answer a reply without a valid token is (see reply_member). */
static int
reply_by_sender(struct reply *r, int *st)
{
	int64_t id = reply_member(r->c->db, r->c->l, &r->in, r->from,
	    &r->which);

	if (id && member_find_id(r->c->db, r->c->l->id, id, &r->m) == KITH_OK) {
		r->have_member = 1;
		return 1;
	}
	snprintf(r->line, r->n, "event: reply to %lld from '%s': not a member "
	    "(or answering for someone else)", (long long)r->e.id, r->from);
	*st = reply_refuse(r, "the answer is not from a member of the list (or "
	    "names another member).");
	return 0;
}

/*
 * reply_whose - the member the reply answers for: by the token of the
 * address, else by the token in the ORGANIZER it echoes, else by sender
 * and ATTENDEE.  1 to go on; 0 when nobody (logged, told, *st set).
 */
static int
reply_whose(struct reply *r, const char *token, int *st)
{
	char *org_token = NULL;
	int k;

	if (token && *token) {
		k = reply_by_token(r, token, st);
		if (k < 0) {
			snprintf(r->line, r->n, "event: reply to %lld from '%s' "
			    "came to a forged or damaged address: nothing "
			    "changed", (long long)r->e.id, r->from);
			*st = reply_refuse(r, "the address it was sent to is not "
			    "one this list gave out (was it changed on the "
			    "way?). Please answer from the invitation itself.");
			return 0;
		}
		return k;
	}
	/* a client that answers the plain address keeps the ORGANIZER */
	if ((org_token = organizer_token(r->c, r->in.organizer)) != NULL) {
		k = reply_by_token(r, org_token, st);
		free(org_token);
		if (k >= 0)
			return k;
	}
	return reply_by_sender(r, st);
}

/*
 * reply_understood - the answer is one Kith records (ACCEPTED, DECLINED,
 * TENTATIVE) for the event or one of its occurrences.  1 to go on; 0
 * when not (logged, told, *st set).
 */
static int
reply_understood(struct reply *r, int *st)
{
	const char *ps = r->in.partstat[r->which];

	if (strcmp(ps, "ACCEPTED") && strcmp(ps, "DECLINED") &&
	    strcmp(ps, "TENTATIVE")) {
		snprintf(r->line, r->n, "event: reply to %lld with PARTSTAT '%s' "
		    "ignored: not an answer Kith understands", (long long)r->e.id,
		    ps);
		*st = reply_unclear(r->c->cfg, r->c->db, r->c->l, &r->e, r->from,
		    ps);
		return 0;
	}
	/* one occurrence only of a series, and only one that exists */
	r->occ = *r->e.rrule ? r->in.recurrence_id : 0;
	if (r->occ && !is_occurrence(&r->e, r->occ)) {
		snprintf(r->line, r->n, "event: reply to %lld for '%s', not one of "
		    "its occurrences", (long long)r->e.id, r->in.recurrence_text);
		*st = reply_refuse(r, "the date it answers is not one of the "
		    "event's.");
		return 0;
	}
	return 1;
}

/*
 * reply_proven - a reply without a token acts at once only when our MTA
 * vouches for its From and the From is the ATTENDEE or the member's own
 * address; anything else might be forged.
 */
static int
reply_proven(const struct reply *r)
{
	const struct message *m = r->msg;

	return *m->from_addr && !strcmp(m->from_addr, r->from) &&
	    (!strcmp(r->from, r->in.attendee[r->which]) ||
	    !strcmp(r->from, r->m.address)) &&
	    reply_sender_proven(r->c->cfg->authserv_id, m->raw, m->len,
	    m->from_addr);
}

/*
 * reply_confirm - an answer nobody vouches for: nothing changes yet; the
 * member is asked, at the member's own address, to confirm the command
 * the answer stands for ("rsvp yes ID [DATE]").  A forger gains nothing.
 */
static int
reply_confirm(struct reply *r)
{
	const char *ps = r->in.partstat[r->which];
	const char *word = !strcmp(ps, "ACCEPTED") ? "yes" :
	    !strcmp(ps, "DECLINED") ? "no" : "maybe";
	char cmd[96], date[16] = "", when[64], *what;
	int64_t t = r->occ ? r->occ : event_next_occurrence(&r->e, now_utc());
	struct mail_ctx c = *r->c;
	struct buf out;
	int st;

	if (r->occ)
		local_time_strftime(r->e.tz, r->occ, "%Y-%m-%d", date,
		    sizeof(date));
	snprintf(cmd, sizeof(cmd), "rsvp %s %lld%s%s", word, (long long)r->e.id,
	    *date ? " " : "", date);
	when_text(&r->e, t ? t : r->e.start, when, sizeof(when));
	what = xasprintf("answer \"%s\" to the invitation to %s (%s%s)", word,
	    r->e.title, r->occ || !*r->e.rrule ? "" : "from ", when);
	/* the member may never have seen the mail that came in */
	c.in_reply_to = NULL;
	c.subject = NULL;
	buf_init(&out);
	st = confirm_request(&c, r->m.address, cmd, what, 1, NULL,
	    &out);
	snprintf(r->line, r->n, "event: %s for '%s' to %lld from '%s': %s", ps,
	    r->m.address, (long long)r->e.id, r->from, st == KITH_PERM ?
	    "unproven, and the day's confirmations are used up: nothing "
	    "changed" : "unproven sender: nothing changed until the member "
	    "confirms");
	buf_release(&out);
	free(what);
	return st == KITH_PERM ? KITH_OK : st;
}

/* reply_record - record the answer of r->m; the calendar is corrected. */
static int
reply_record(struct reply *r)
{
	const struct mail_ctx *c = r->c;
	const char *ps = r->in.partstat[r->which], *result = NULL;
	int64_t now = now_utc();
	int st;

	st = event_rsvp(c->cfg, c->db, c->l, &r->e, r->m.id, r->occ, ps,
	    r->in.sequence < 0 ? 0 : r->in.sequence > 1000000 ? 1000000 :
	    (int)r->in.sequence, r->in.dtstamp ? r->in.dtstamp : now, now,
	    &result);
	/* The calendar now shows "Accepted": correct it (B11). */
	if (st == KITH_OK && !strcmp(result, "waitlisted"))
		st = tell_waitlisted(c->db, c->l, &r->e, r->m.id, r->occ, now);
	snprintf(r->line, r->n, "event: %s from '%s' for %lld%s (%s): %s", ps,
	    r->in.attendee[r->which], (long long)r->e.id, r->occ ?
	    " (one occurrence)" : "", r->by_token ? "token of the member's "
	    "invitation" : "sender proven", result ? result : "-");
	return st;
}

int
event_handle_reply(const struct mail_ctx *c, const char *token,
    const struct message *msg, const char *from, char *line, size_t n)
{
	struct reply r;
	int st = KITH_OK;

	memset(&r, 0, sizeof(r));
	r.c = c;
	r.msg = msg;
	r.from = from ? from : "";
	r.line = line;
	r.n = n;
	if (reply_read(&r, &st) && reply_whose(&r, token, &st) &&
	    reply_understood(&r, &st))
		st = r.by_token || reply_proven(&r) ? reply_record(&r) :
		    reply_confirm(&r);
	reply_release(&r);
	return st;
}

int
event_invite_member(sqlite3 *db, const struct list *l, int64_t member_id,
    const char *address, int64_t now)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT " EVENT_COLS " FROM events "
	    "WHERE list_id=? AND state='active' ORDER BY id");
	int64_t ids[64];
	int n = 0, sent = 0;

	if (st == NULL)
		return -1;
	db_bind(st, "i", l->id);
	while (n < 64 && sqlite3_step(st) == SQLITE_ROW) {
		struct event e;

		event_from_row(db, st, &e);
		if (event_next_occurrence(&e, now))
			ids[n++] = e.id;
		event_release(&e);
	}
	sqlite3_finalize(st);
	for (int i = 0; i < n; i++) {
		char render[64];
		int64_t msg_id;

		if (db_exec(db, "INSERT OR IGNORE INTO event_invites(event_id, "
		    "member_id, address, sent) VALUES (?, ?, ?, ?)", "iiti",
		    ids[i], member_id, address, now) != KITH_OK)
			return -1;
		if (sqlite3_changes(db) == 0)
			continue;
		snprintf(render, sizeof(render), "event:%lld:REQUEST",
		    (long long)ids[i]);
		if (queue_render(db, l, render, &msg_id) != KITH_OK ||
		    db_exec(db, "INSERT INTO outbox(message_id, rcpt, member_id, "
		    "updated) VALUES (?, ?, ?, ?)", "itii", msg_id, address,
		    member_id, now) != KITH_OK)
			return -1;
		sent++;
	}
	return sent;
}

/* Reminders due for one event at now; own transaction. */
static int
event_reminders(const struct kith_config *cfg, sqlite3 *db,
    const struct list *l, const struct event *e, int64_t now)
{
	int64_t occ[16];
	size_t n = occurrences(e, now, now + e->remind[0] + 60, occ, 16);
	int status = KITH_OK;

	for (size_t i = 0; i < n && status == KITH_OK; i++) {
		int64_t due_offset = 0;
		sqlite3_stmt *st;

		if ((status = db_begin(db)) != KITH_OK)
			break;
		/* Every offset that has come is marked; the nearest one is
		 * sent (a cron that was down sends one reminder, not three). */
		for (int k = 0; k < EVENT_MAX_REMINDERS && e->remind[k]; k++) {
			char kind[32];

			if (occ[i] - e->remind[k] > now)
				continue;
			snprintf(kind, sizeof(kind), "remind:%lld",
			    (long long)e->remind[k]);
			status = db_exec(db, "INSERT OR IGNORE INTO event_sent("
			    "event_id, occurrence, kind, at) VALUES (?, ?, ?, ?)",
			    "iiti", e->id, occ[i], kind, now);
			if (status != KITH_OK)
				break;
			if (sqlite3_changes(db))
				due_offset = e->remind[k];
		}
		st = status == KITH_OK && due_offset ? db_prepare(db,
		    "SELECT m.address, m.name FROM event_invites i JOIN members "
		    "m ON m.id=i.member_id LEFT JOIN rsvps r1 ON r1.event_id="
		    "i.event_id AND r1.member_id=i.member_id AND r1.occurrence=?2 "
		    "LEFT JOIN rsvps r0 ON r0.event_id=i.event_id AND "
		    "r0.member_id=i.member_id AND r0.occurrence=0 WHERE "
		    "i.event_id=?1 AND m.mode!='nomail' AND m.disabled=0 AND "
		    "((coalesce(r1.partstat, r0.partstat)='ACCEPTED' AND "
		    "coalesce(r1.waitlisted, r0.waitlisted)=0) OR "
		    "coalesce(r1.partstat, r0.partstat)='TENTATIVE')") : NULL;
		if (st) {
			db_bind(st, "ii", e->id, occ[i]);
			while (status == KITH_OK && sqlite3_step(st) == SQLITE_ROW)
				status = event_notice(cfg, db, l, e, occ[i],
				    (const char *)sqlite3_column_text(st, 0),
				    (const char *)sqlite3_column_text(st, 1),
				    "event-reminder.txt", "Reminder: %s, %s", NULL);
			sqlite3_finalize(st);
		}
		if (status == KITH_OK)
			status = db_commit(db);
		else
			db_rollback(db);
		if (status == KITH_OK && due_offset)
			log_info("event: reminder for %lld at %lld sent",
			    (long long)e->id, (long long)occ[i]);
	}
	return status;
}

/* Nudge each invited member who has not answered; next: the occurrence. */
static int
nudge_members(const struct kith_config *cfg, sqlite3 *db,
    const struct list *l, const struct event *e, int64_t next)
{
	/* never the organisers (the list's owners), nor anyone who answered */
	sqlite3_stmt *st = db_prepare(db, "SELECT m.address, m.name FROM "
	    "event_invites i JOIN members m ON m.id=i.member_id WHERE "
	    "i.event_id=? AND m.mode!='nomail' AND m.disabled=0 AND "
	    "m.role!='owner' AND NOT EXISTS (SELECT 1 FROM rsvps r WHERE "
	    "r.event_id=i.event_id AND r.member_id=i.member_id) ORDER BY m.id");
	char *tz = list_setting(db, l->id, "timezone"), deadline[64];
	int status = KITH_OK;

	local_time_strftime(tz && tz_valid(tz) ? tz : e->tz, e->rsvp_by,
	    "%a %-d %b %Y, %H:%M %Z", deadline, sizeof(deadline));
	free(tz);
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", e->id);
	while (status == KITH_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *addr = (const char *)sqlite3_column_text(st, 0);

		if (ban_matches(db, l->id, addr))
			continue;
		status = event_notice(cfg, db, l, e, next, addr,
		    (const char *)sqlite3_column_text(st, 1), "event-nudge.txt",
		    "Are you coming? %s, %s", deadline);
	}
	sqlite3_finalize(st);
	return status;
}

/*
 * event_nudge - the one nudge, in the last day before rsvp_by, to the
 * invited members who have not answered; it names the deadline in the
 * list's zone.  Nothing once the deadline or the event has passed, and
 * nothing while the event is full (it goes if a seat frees in time).
 */
static int
event_nudge(const struct kith_config *cfg, sqlite3 *db, const struct list *l,
    const struct event *e, int64_t now)
{
	int64_t next;
	int status;

	if (e->rsvp_by == 0 || now < e->rsvp_by - 86400 || now >= e->rsvp_by)
		return KITH_OK;
	if ((next = event_next_occurrence(e, now)) == 0)
		return KITH_OK;
	if ((status = db_begin(db)) != KITH_OK)
		return status;
	if (e->capacity > 0 && seats_taken(db, e, 0, &status) >= e->capacity) {
		if (status == KITH_OK)
			return db_commit(db);
		db_rollback(db);
		return status;
	}
	if (status == KITH_OK)
		status = db_exec(db, "INSERT OR IGNORE INTO event_sent(event_id, "
		    "occurrence, kind, at) VALUES (?, 0, 'nudge', ?)", "ii",
		    e->id, now);
	if (status == KITH_OK && sqlite3_changes(db) == 1)
		status = nudge_members(cfg, db, l, e, next);
	if (status == KITH_OK)
		return db_commit(db);
	db_rollback(db);
	return status;
}

/* Seats of members who left go to the waitlist; own transaction. */
static int
event_seats(sqlite3 *db, const struct list *l, const struct event *e,
    int64_t now)
{
	int st;

	if ((st = db_begin(db)) != KITH_OK)
		return st;
	st = fill_all(db, l, e, now);
	if (st == KITH_OK)
		return db_commit(db);
	db_rollback(db);
	return st;
}

/* One event's cron work: seats, reminders, the nudge. */
static int
event_cron_one(const struct kith_config *cfg, sqlite3 *db, int64_t id,
    int64_t now)
{
	struct event e;
	struct list l;
	int st = KITH_OK;

	if (event_get(db, id, &e) != KITH_OK)
		return KITH_OK;
	if (list_find_id(db, e.list_id, &l) == KITH_OK) {
		if (e.capacity > 0)
			st = event_seats(db, &l, &e, now);
		if (st == KITH_OK && e.remind[0])
			st = event_reminders(cfg, db, &l, &e, now);
		if (st == KITH_OK)
			st = event_nudge(cfg, db, &l, &e, now);
		list_release(&l);
	}
	event_release(&e);
	return st;
}

int
event_cron(const struct site_ctx *c, int64_t now)
{
	sqlite3 *db = c->db;
	sqlite3_stmt *st = db_prepare(db, "SELECT id FROM events WHERE "
	    "state='active' AND (remind!='' OR rsvp_by>0 OR capacity>0) "
	    "AND (rrule!='' OR start+duration>?) ORDER BY id");
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int status = KITH_OK;

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", now);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			ids = xrealloc(ids, cap * sizeof(*ids));
		}
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < n; i++) {
		int st_one = event_cron_one(c->cfg, db, ids[i], now);

		if (status == KITH_OK)
			status = st_one;
	}
	free(ids);
	return status;
}

/* Events of l that still have an occurrence after now. */
static size_t
upcoming(sqlite3 *db, const struct list *l, int64_t now, struct event *out,
    size_t max)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT " EVENT_COLS " FROM events "
	    "WHERE list_id=? AND state='active' ORDER BY start, id");
	size_t n = 0;

	if (st == NULL)
		return 0;
	db_bind(st, "i", l->id);
	while (n < max && sqlite3_step(st) == SQLITE_ROW) {
		event_from_row(db, st, &out[n]);
		if (event_next_occurrence(&out[n], now))
			n++;
		else
			event_release(&out[n]);
	}
	sqlite3_finalize(st);
	return n;
}

/* The ical view of e (borrowed strings). */
static void
ical_view(const struct event *e, const struct list *l, const char *organizer,
    struct ical_event *ie)
{
	memset(ie, 0, sizeof(*ie));
	ie->uid = e->uid;
	ie->sequence = e->sequence;
	ie->summary = e->title;
	ie->description = e->description;
	ie->location = e->location;
	ie->tz = e->tz;
	ie->start = e->start;
	ie->duration = e->duration;
	ie->rrule = e->rrule;
	ie->exdates = e->exdates;
	ie->nexdates = e->nexdates;
	ie->cancelled = strcmp(e->state, "active") != 0;
	ie->organizer = organizer;
	ie->organizer_cn = *l->name ? l->name : l->address;
}

char *
event_feed(sqlite3 *db, const struct list *l, int64_t now, char *err,
    size_t errlen)
{
	struct event evs[128];
	struct ical_event ies[128];
	size_t n = upcoming(db, l, now, evs, 128);
	char *org = xasprintf("%s-events@%s", l->local, l->domain), *out;

	for (size_t i = 0; i < n; i++)
		ical_view(&evs[i], l, org, &ies[i]);
	out = ical_calendar("PUBLISH", ies, n, NULL, now, err, errlen);
	for (size_t i = 0; i < n; i++)
		event_release(&evs[i]);
	free(org);
	return out;
}

/* What the digest's events section gives its template (kith check). */
static const struct template_schema digest_schema = {
	"digest/events.txt", TF_FIELDS(TF_LIST("events", TF_FIELDS(
	    TF_INT("id"), TF_STR("title"), TF_STR("when"), TF_STR("where"),
	    TF_INT("coming"), TF_INT("maybe"), TF_INT("declined"),
	    TF_INT("unanswered"), TF_INT("capacity"), TF_INT("waiting")))), 0
};

/*
 * digest_section - the events of l still to come at now, each with its
 * next occurrence and the answers to it (feature.h).
 */
static int
digest_section(sqlite3 *db, const struct list *l, int64_t now,
    struct tvars *tv)
{
	struct event evs[32];
	size_t n = upcoming(db, l, now, evs, 32);
	struct tvlist *list;

	if (n == 0)
		return 0;
	list = tv_list(tv, "events");
	for (size_t i = 0; i < n; i++) {
		struct tvars *it = tv_item(list);
		struct event_counts c;
		char when[64];
		int64_t next = event_next_occurrence(&evs[i], now);

		when_text(&evs[i], next, when, sizeof(when));
		event_attendees(db, &evs[i], next, NULL, NULL, &c);
		tv_int(it, "id", evs[i].id);
		tv_str(it, "title", evs[i].title);
		tv_str(it, "when", when);
		tv_str(it, "where", evs[i].location);
		tv_int(it, "coming", c.accepted);
		tv_int(it, "maybe", c.tentative);
		tv_int(it, "declined", c.declined);
		tv_int(it, "unanswered", c.none);
		tv_int(it, "capacity", evs[i].capacity);
		tv_int(it, "waiting", c.waitlist);
		event_release(&evs[i]);
	}
	return 1;
}

struct event_cache {
	sqlite3 *db;
	sqlite3_stmt *member;
	char render[80];
	int loaded;
	struct event e;
	struct list l;
};

struct event_cache *
event_cache_new(sqlite3 *db)
{
	struct event_cache *ec = xcalloc(1, sizeof(*ec));

	ec->db = db;
	ec->member = db_prepare(db, "SELECT name FROM members WHERE id=?");
	return ec;
}

void
event_cache_free(struct event_cache *ec)
{
	if (ec == NULL)
		return;
	sqlite3_finalize(ec->member);
	if (ec->loaded) {
		event_release(&ec->e);
		list_release(&ec->l);
	}
	free(ec);
}

/* Load the event a render string names (once per outbox message). */
static int
cache_load(struct event_cache *ec, const char *render, long long id)
{
	if (ec->loaded && !strcmp(ec->render, render))
		return 0;
	if (ec->loaded) {
		event_release(&ec->e);
		list_release(&ec->l);
		ec->loaded = 0;
	}
	if (event_get(ec->db, id, &ec->e) != KITH_OK)
		return -1;
	if (list_find_id(ec->db, ec->e.list_id, &ec->l) != KITH_OK) {
		event_release(&ec->e);
		return -1;
	}
	snprintf(ec->render, sizeof(ec->render), "%s", render);
	ec->loaded = 1;
	return 0;
}

/*
 * web_answers - with kith serve (web_base_url), the invitation's answer
 * links (yes, no, maybe: /r/TOKEN?answer=...) as text lines and as HTML
 * buttons; both "" without.  Caller frees both.
 */
static void
web_answers(const char *const *links, char **text, char **html)
{
	static const char *const label[] = { "Yes", "No", "Maybe" };
	struct buf t, h;

	buf_init(&t);
	buf_init(&h);
	for (int i = 0; links && i < 3 && links[i]; i++) {
		char *url = html_escape(links[i]);

		if (i == 0) {
			buf_adds(&t, "\nOr answer on the web:\n");
			buf_adds(&h, "<p>");
		}
		buf_addf(&t, "  %-6s %s\n", label[i], links[i]);
		buf_addf(&h, "<a href=\"%s\" style=\"display:inline-block;"
		    "padding:10px 20px;margin:4px 8px 4px 0;border-radius:6px;"
		    "text-decoration:none;font-weight:bold;%s\">%s</a>", url,
		    i == 0 ? "background:#0b57a4;color:#ffffff" :
		    "background:#e9ecef;color:#1d2125", label[i]);
		free(url);
	}
	if (h.len)
		buf_adds(&h, "</p>\n");
	*text = t.data ? buf_detach(&t, NULL) : xstrdup("");
	*html = h.data ? buf_detach(&h, NULL) : xstrdup("");
}

/* The text/plain and text/html summary of an invitation or cancellation;
 * links: the web answers (yes, no, maybe), or NULL. */
static void
summary_parts(struct mime_part *alt, const struct event *e,
    const struct list *l, const char *name, int64_t occ, int cancel,
    int waitlisted, const char *const *links)
{
	static const char wait_line[] = "The event is full, so you are on the "
	    "waitlist. When a seat frees up, the first one waiting gets it and "
	    "is told by mail.";
	char when[64], until[16], id[32], *t, *h, *web_text, *web_html;
	const char *verb = cancel ? (occ ? "This occurrence is cancelled" :
	    "This event is cancelled") : "You are invited";
	struct buf txt;
	char *esc[5];

	web_answers(cancel ? NULL : links, &web_text, &web_html);

	when_text(e, occ ? occ : e->start, when, sizeof(when));
	local_time_strftime(e->tz, (occ ? occ : e->start) + e->duration,
	    "%H:%M", until, sizeof(until));
	snprintf(id, sizeof(id), "%lld", (long long)e->id);
	buf_init(&txt);
	buf_addf(&txt, "%s, %s.\n\n%s\n\nWhen:  %s - %s", verb, name, e->title,
	    when, until);
	if (*e->rrule && !occ)
		buf_addf(&txt, " (repeats: %s)", e->rrule);
	buf_addf(&txt, "\n");
	if (*e->location)
		buf_addf(&txt, "Where: %s\n", e->location);
	if (*e->description)
		buf_addf(&txt, "\n%s\n", e->description);
	if (waitlisted)
		buf_addf(&txt, "\n%s\n", wait_line);
	if (!cancel)
		buf_addf(&txt, "\nAnswer with your calendar's Yes / No / Maybe, or "
		    "send\n'rsvp yes %s' (or no, maybe) to %s-request@%s.\n%s", id,
		    l->local, l->domain, web_text);
	t = buf_detach(&txt, NULL);
	mime_part_add(alt, mime_text_new("plain", t));
	esc[0] = html_escape(name);
	esc[1] = html_escape(e->title);
	esc[2] = html_escape(when);
	esc[3] = html_escape(e->location);
	esc[4] = html_escape(e->description);
	h = xasprintf("<!DOCTYPE html>\n<html><body style=\"font-family:"
	    "Helvetica,Arial,sans-serif\">\n<p>%s, %s.</p>\n<h2>%s</h2>\n"
	    "<p><b>When:</b> %s - %s</p>\n%s%s%s<p style=\"white-space:"
	    "pre-wrap\">%s</p>\n%s%s%s%s%s%s%s%s%s%s</body></html>\n", verb,
	    esc[0], esc[1], esc[2], until, *e->location ? "<p><b>Where:</b> " :
	    "", esc[3], *e->location ? "</p>\n" : "", esc[4],
	    waitlisted ? "<p><b>" : "", waitlisted ? wait_line : "",
	    waitlisted ? "</b></p>\n" : "",
	    cancel ? "" : "<p>Answer with your calendar's Yes / No / Maybe, or "
	    "send <code>rsvp yes ", cancel ? "" : id,
	    cancel ? "" : "</code> to ", cancel ? "" : l->local,
	    cancel ? "" : "-request@", cancel ? "" : l->domain, web_html);
	mime_part_add(alt, mime_text_new("html", h));
	for (int i = 0; i < 5; i++)
		free(esc[i]);
	free(web_text);
	free(web_html);
	free(t);
	free(h);
}

/* What one copy of an invitation says (the render string's method). */
enum copy_kind {
	COPY_INVITE,	/* REQUEST: invitation or update */
	COPY_CANCEL,	/* CANCEL */
	COPY_WAITLIST,	/* REQUEST, PARTSTAT=TENTATIVE: on the waitlist */
	COPY_SEAT	/* REQUEST, PARTSTAT=ACCEPTED: promoted */
};

static int
copy_kind(const char *method)
{
	static const char *const names[] = { "REQUEST", "CANCEL", "WAITLIST",
	    "SEAT" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(method, names[i]))
			return i;
	return -1;
}

/* The text/plain and text/html parts for text (a rendered template). */
static void
text_parts(struct mime_part *alt, const char *text)
{
	char *esc = html_escape(text), *h;

	mime_part_add(alt, mime_text_new("plain", text));
	h = xasprintf("<!DOCTYPE html>\n<html><body style=\"font-family:"
	    "Helvetica,Arial,sans-serif\">\n<p style=\"white-space:pre-wrap\">"
	    "%s</p>\n</body></html>\n", esc);
	mime_part_add(alt, mime_text_new("html", h));
	free(esc);
	free(h);
}

/*
 * copy_template - the text of a waitlist or seat copy, from the same
 * templates the notices use (event-waitlisted.txt, event-promoted.txt).
 * NULL (logged) when the template is missing or wrong.
 */
static char *
copy_template(const struct kith_config *cfg, const struct list *l,
    const struct event *e, int kind, int64_t occ, const char *rcpt,
    const char *name)
{
	struct template_var vars[16];
	char *bufs[7], when[64], id[32], err[512], *text;
	int n = notice_list_vars(l, vars, bufs);

	when_text(e, occ ? occ : e->start, when, sizeof(when));
	snprintf(id, sizeof(id), "%lld", (long long)e->id);
	n += event_vars(e, when, id, rcpt, name, vars + n);
	text = template_render(cfg, l->local, kind == COPY_SEAT ?
	    "event-promoted.txt" : "event-waitlisted.txt", vars, n, err,
	    sizeof(err));
	if (text == NULL)
		log_error("event: %s", err);
	for (int i = 0; i < 7; i++)
		free(bufs[i]);
	return text;
}

/* 1 when member waits for a seat at the whole series of the cached event. */
static int
copy_waitlisted(struct event_cache *ec, int64_t member_id)
{
	int st;

	return db_int(ec->db, 0, &st, "SELECT waitlisted FROM rsvps WHERE "
	    "event_id=? AND occurrence=0 AND member_id=? AND partstat="
	    "'ACCEPTED'", "ii", ec->e.id, member_id) == 1;
}

/* The Subject of a copy of kind. */
static char *
copy_subject(const struct event *e, int kind, int64_t occ, int64_t now)
{
	char when[64];
	int64_t t = occ ? occ : event_next_occurrence(e, now);

	when_text(e, kind == COPY_WAITLIST || kind == COPY_SEAT ?
	    (occ ? occ : e->start) : t ? t : e->start, when, sizeof(when));
	switch (kind) {
	case COPY_CANCEL:
		return xasprintf(occ ? "Cancelled: %s, %s" : "Cancelled: %s",
		    e->title, when);
	case COPY_WAITLIST:
		return xasprintf("On the waitlist: %s, %s", e->title, when);
	case COPY_SEAT:
		return xasprintf("A seat is yours: %s, %s", e->title, when);
	default:
		return xasprintf("%s: %s, %s", e->sequence ?
		    "Updated invitation" : "Invitation", e->title, when);
	}
}

char *
event_organizer(const struct kith_config *cfg, const struct token_key *key,
    const struct list *l, int64_t event_id, int64_t member_id,
    const char *address)
{
	char payload[48], *tok, *org;

	if (key == NULL || member_id <= 0 || event_id <= 0)
		return NULL;
	snprintf(payload, sizeof(payload), "%lld.%lld", (long long)event_id,
	    (long long)member_id);
	/* No expiry: the address must stay the same for every update of a
	 * series, however long it runs; a reply for a cancelled or unknown
	 * event changes nothing anyway. */
	tok = token_make(key, "event", l->address, address, payload, 0);
	if (tok == NULL)
		return NULL;
	org = xasprintf("%s-events%c%s@%s", l->local, *cfg->delimiter, tok,
	    l->domain);
	free(tok);
	return org;
}

/*
 * copy_organizer - the organizer address of one copy: the member's own
 * (event_organizer), or the plain team-events@ for a copy to no member.
 * Caller frees.
 */
static char *
copy_organizer(struct event_cache *ec, const struct kith_config *cfg,
    const struct token_key *key, int64_t member_id, const char *rcpt)
{
	char *org = event_organizer(cfg, key, &ec->l, ec->e.id, member_id, rcpt);

	if (org == NULL && member_id > 0)
		log_warn("event: no reply token for member %lld of %lld; the "
		    "copy names the plain address", (long long)member_id,
		    (long long)ec->e.id);
	return org ? org : xasprintf("%s-events@%s", ec->l.local,
	    ec->l.domain);
}

/* The calendar of one copy: this member's ATTENDEE line tells their state. */
static char *
copy_calendar(struct event_cache *ec, const char *org, int kind, int64_t occ,
    const char *rcpt, const char *name, int waitlisted, int64_t now)
{
	struct ical_event ie;
	struct ical_attendee att;
	char *cal, err[256];

	ical_view(&ec->e, &ec->l, org, &ie);
	if (kind == COPY_CANCEL)
		ie.cancelled = 1;
	ie.recurrence_id = kind == COPY_INVITE ? 0 : occ;
	att.address = rcpt;
	att.cn = name;
	att.partstat = kind == COPY_SEAT ? "ACCEPTED" : kind == COPY_WAITLIST ||
	    waitlisted ? "TENTATIVE" : "NEEDS-ACTION";
	att.rsvp = kind != COPY_CANCEL;
	cal = ical_calendar(kind == COPY_CANCEL ? "CANCEL" : "REQUEST", &ie, 1,
	    &att, now, err, sizeof(err));
	if (cal == NULL)
		log_error("event: %lld: %s", (long long)ec->e.id, err);
	return cal;
}

/*
 * copy_headers - From, Reply-To, To, Subject, Date, Message-ID, List-* of
 * one copy.  Reply-To is the copy's ORGANIZER, org: apps that answer the
 * mail rather than the calendar reach the member's token too.
 */
static void
copy_headers(struct mime_part *top, struct event_cache *ec,
    const struct kith_config *cfg, const struct token_key *key, int kind,
    const char *subj, int64_t member_id, const char *rcpt, const char *name,
    const char *org, int64_t now)
{
	char *hex, *v, *mailto = NULL, *url = NULL, date[64];
	const char *lname = *ec->l.name ? ec->l.name : ec->l.address;

	v = xasprintf("%s-events@%s", ec->l.local, ec->l.domain);
	mime_header_addr(top, "From", lname, v);
	free(v);
	mime_header_addr(top, "Reply-To", lname, org);
	mime_header_addr(top, "To", name, rcpt);
	mime_header_text(top, "Subject", subj);
	compose_date(now, date, sizeof(date));
	mime_header(top, "Date", date);
	hex = random_hex(8);
	mime_headerf(top, "Message-ID", "<ev%lld.%s@%s>", (long long)ec->e.id,
	    hex, ec->l.domain);
	free(hex);
	/* a promotion comes unasked; the waitlist copy answers a reply */
	if (kind == COPY_SEAT || kind == COPY_WAITLIST)
		mime_header(top, "Auto-Submitted", kind == COPY_SEAT ?
		    "auto-generated" : "auto-replied");
	v = xasprintf("%s.%s", ec->l.local, ec->l.domain);
	mime_header_addr(top, "List-Id", lname, v);
	free(v);
	if (member_id > 0 && weblink_list_unsubscribe(cfg, key,
	    ec->l.address, member_id, rcpt, &mailto, &url) == 0) {
		if (url) {
			mime_headerf(top, "List-Unsubscribe", "<%s>, <%s>", url,
			    mailto);
			mime_header(top, "List-Unsubscribe-Post",
			    "List-Unsubscribe=One-Click");
		} else
			mime_headerf(top, "List-Unsubscribe", "<%s>", mailto);
	}
	free(mailto);
	free(url);
}

/*
 * event_personalise - one member's copy of "event:ID:KIND[:OCC]": the
 * text, the HTML and the calendar, whose ATTENDEE line is theirs and
 * tells their state: NEEDS-ACTION for an invitation, TENTATIVE while
 * they wait for a seat, ACCEPTED once a seat is theirs; its ORGANIZER
 * and Reply-To are the member's own address for the event
 * (event_organizer), the same in every copy.
 */
char *
event_personalise(struct event_cache *ec, const struct kith_config *cfg,
    const struct token_key *key, const char *render, int64_t member_id,
    const char *rcpt, size_t *len)
{
	long long id = 0, occ = 0;
	char method[16] = "", *name = NULL, *cal, *subj, *text = NULL, *org;
	char *out;
	int64_t now = now_utc();
	int kind, waitlisted = 0;
	struct mime_part *top, *alt, *p;

	if (sscanf(render, "event:%lld:%15[A-Z]:%lld", &id, method, &occ) < 2 ||
	    (kind = copy_kind(method)) < 0 || cache_load(ec, render, id) < 0)
		return NULL;
	if (ec->member) {
		sqlite3_reset(ec->member);
		db_bind(ec->member, "i", member_id);
		if (sqlite3_step(ec->member) == SQLITE_ROW)
			name = db_col_text(ec->member, 0);
		sqlite3_reset(ec->member);
	}
	if (name == NULL)
		name = xstrdup("");
	if (kind == COPY_INVITE && member_id > 0)
		waitlisted = copy_waitlisted(ec, member_id);
	if ((kind == COPY_WAITLIST || kind == COPY_SEAT) && (text =
	    copy_template(cfg, &ec->l, &ec->e, kind, occ, rcpt, name)) == NULL) {
		free(name);
		return NULL;
	}
	org = copy_organizer(ec, cfg, key, member_id, rcpt);
	cal = copy_calendar(ec, org, kind, occ, rcpt, name, waitlisted, now);
	if (cal == NULL) {
		free(org);
		free(text);
		free(name);
		return NULL;
	}
	subj = copy_subject(&ec->e, kind, occ, now);
	/* The shape Google Calendar and Outlook send, so that clients
	 * show Accept / Decline (RFC 6047): mixed [ alternative (text,
	 * HTML, calendar), invite.ics ]. */
	top = mime_multipart_new("mixed");
	alt = mime_multipart_new("alternative");
	if (text)
		text_parts(alt, text);
	else {
		/* kith serve's answer links: the token names this member and
		 * this event and ends with it (a series: never) */
		static const char *const answers[] = { "yes", "no", "maybe" };
		char *links[3] = { NULL, NULL, NULL };
		int64_t until = *ec->e.rrule ? 0 : ec->e.start + ec->e.duration;

		for (int i = 0; i < 3 && member_id > 0 && kind == COPY_INVITE;
		    i++)
			links[i] = weblink_rsvp(cfg, key, ec->l.address, ec->e.id,
			    member_id, rcpt, until, answers[i]);
		summary_parts(alt, &ec->e, &ec->l, *name ? name : rcpt, occ,
		    kind == COPY_CANCEL, waitlisted,
		    (const char *const *)links);
		for (int i = 0; i < 3; i++)
			free(links[i]);
	}
	p = mime_text_new("calendar", cal);
	mime_part_param(p, "method", kind == COPY_CANCEL ? "CANCEL" :
	    "REQUEST");
	mime_part_encoding(p, MIME_BASE64);	/* as clients send it */
	mime_part_add(alt, p);
	mime_part_add(top, alt);
	p = mime_data_new("application/ics", cal, strlen(cal));
	mime_part_param(p, "name", "invite.ics");
	mime_part_disposition(p, MIME_ATTACHMENT, "invite.ics");
	mime_part_add(top, p);
	copy_headers(top, ec, cfg, key, kind, subj, member_id, rcpt, name, org,
	    now);
	out = mime_detach(top, NULL, len);
	mime_part_free(top);
	free(org);
	free(subj);
	free(cal);
	free(text);
	free(name);
	return out;
}

/*
 * cmd_rsvp - "rsvp yes|no|maybe ID [YYYY-MM-DD]" for address: the answer
 * a calendar's buttons would give, for the event or for its occurrence
 * on that local date.  dry: only whether it can be done (a line to out
 * when not).  The caller's reply is the one mail the member gets.
 */
static int
cmd_rsvp(const struct mail_ctx *c, const char *address, const char *args,
    int dry, struct buf *out)
{
	char word[16], date[16] = "", extra[2];
	long long id;
	const char *partstat, *result = NULL;
	struct member m;
	struct event e;
	int64_t now = now_utc(), occ = 0;
	int st, k = sscanf(args, "%15s %lld %15s %1s", word, &id, date, extra);

	if (k != 2 && k != 3) {
		buf_adds(out, "    Not done: write 'rsvp yes ID', 'rsvp no ID' "
		    "or 'rsvp maybe ID'.\n");
		return KITH_PERM;
	}
	str_lower(word);
	partstat = !strcmp(word, "yes") ? "ACCEPTED" : !strcmp(word, "no") ?
	    "DECLINED" : !strcmp(word, "maybe") ? "TENTATIVE" : NULL;
	if (partstat == NULL) {
		buf_adds(out, "    Not done: the answer is yes, no or maybe.\n");
		return KITH_PERM;
	}
	if (member_find(c->db, c->l->id, address, &m) != KITH_OK) {
		buf_adds(out, "    Not done: you are not a member.\n");
		return KITH_PERM;
	}
	if (event_get(c->db, id, &e) != KITH_OK || e.list_id != c->l->id ||
	    strcmp(e.state, "active")) {
		buf_addf(out, "    Not done: there is no upcoming event %lld "
		    "on this list.\n", id);
		if (e.uid)
			event_release(&e);
		member_release(&m);
		return KITH_PERM;
	}
	/* one occurrence of a series; a single event's own date is the event */
	if (*date && ((occ = event_occurrence_on(&e, date)) == 0 ||
	    occ <= now)) {
		buf_addf(out, "    Not done: event %lld has no upcoming "
		    "occurrence on %s.\n", id, date);
		event_release(&e);
		member_release(&m);
		return KITH_PERM;
	}
	if (!*e.rrule)
		occ = 0;
	st = KITH_OK;
	if (!dry)
		st = event_rsvp(c->cfg, c->db, c->l, &e, m.id, occ, partstat,
		    e.sequence, now, now, &result);
	if (!dry && st == KITH_OK)
		buf_addf(out, "    %s%s%s%s.\n", !strcmp(result, "waitlisted") ?
		    "Done: the event is full; you are on the waitlist for " :
		    !strcmp(result, "accepted") ? "Done: you are coming to " :
		    !strcmp(result, "declined") ? "Done: you are not coming to " :
		    !strcmp(result, "tentative") ? "Done: maybe, for " :
		    "Not done: a newer answer is on file for ", e.title,
		    occ ? " on " : "", occ ? date : "");
	event_release(&e);
	member_release(&m);
	return st;
}

static const struct feature_command commands[] = {
	{ "rsvp", 1, cmd_rsvp },
	{ NULL, 0, NULL }
};

/* Calendar answers to team-events@ and team-events+TOKEN@ (feature.h). */
static const struct feature_address addresses[] = {
	{ "-events", 0, "recorded", event_handle_reply },
	{ NULL, 0, NULL, NULL }
};

/* on_join (feature.h): a new member is invited to what is still to come. */
static int
member_joined(const struct mail_ctx *c, const struct member *m, int64_t now,
    struct buf *note)
{
	int n = event_invite_member(c->db, c->l, m->id, m->address, now);

	if (n < 0)
		return KITH_TEMP;
	if (n > 0 && note)
		buf_addf(note, "invited to %d upcoming %s", n, plural(n, "event",
		    "events"));
	return KITH_OK;
}

/*
 * member_left - on_leave (feature.h): the member's answers went with
 * their row; in every event of the list where someone waits, the seats
 * that freed go to the first ones waiting, now rather than at the next
 * cron.
 */
static int
member_left(const struct mail_ctx *c, const struct member *m, int64_t now)
{
	sqlite3_stmt *st = db_prepare(c->db, "SELECT DISTINCT e.id FROM events "
	    "e JOIN rsvps r ON r.event_id=e.id WHERE e.list_id=? AND "
	    "e.state='active' AND r.waitlisted=1 ORDER BY e.id");
	int64_t *ids = NULL;
	size_t n = 0;
	int status = KITH_OK;

	(void)m;
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", c->l->id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		ids = xrealloc(ids, (n + 1) * sizeof(*ids));
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < n && status == KITH_OK; i++) {
		struct event e;

		if (event_get(c->db, ids[i], &e) != KITH_OK)
			continue;
		status = fill_all(c->db, c->l, &e, now);
		event_release(&e);
	}
	free(ids);
	return status;
}

/* Delivery: each copy of "event:..." (feature.h), one cache a run. */
static char *
render_copy(const struct site_ctx *c, void **cache, const char *render,
    int64_t member_id, const char *rcpt, size_t *len)
{
	if (*cache == NULL)
		*cache = event_cache_new(c->db);
	return event_personalise(*cache, c->cfg, c->key, render, member_id,
	    rcpt, len);
}

static void
render_free(void *cache)
{
	event_cache_free(cache);
}

/* The feature's row (feature.h). */
const struct feature event_feature = {
	.name = "event",
	.addresses = addresses,
	.commands = commands,
	.cron = event_cron,
	.render = render_copy,
	.render_free = render_free,
	.digest_section = digest_section,
	.digest = &digest_schema,
	.on_join = member_joined,
	.on_leave = member_left,
};
