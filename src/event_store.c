/* event_store - events as rows, their occurrences, the values of texts. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/db.h"
#include "kith/event_store.h"
#include "kith/ical.h"
#include "kith/notice.h"
#include "kith/outbox.h"
#include "kith/rfc2047.h"
#include "kith/template.h"
#include "kith/timeutil.h"
#include "kith/util.h"

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
event_from_row(struct db *db, struct db_stmt *st, struct event *e)
{
	char *remind;
	struct db_stmt *ex;

	memset(e, 0, sizeof(*e));
	e->id = db_col_int64(st, 0);
	e->list_id = db_col_int64(st, 1);
	e->uid = db_col_text(st, 2);
	e->title = db_col_text(st, 3);
	e->description = db_col_text(st, 4);
	e->location = db_col_text(st, 5);
	e->tz = db_col_text(st, 6);
	e->start = db_col_int64(st, 7);
	e->duration = db_col_int64(st, 8);
	e->rrule = db_col_text(st, 9);
	e->capacity = db_col_int64(st, 10);
	remind = db_col_text(st, 11);
	if (remind_parse(remind, e->remind) < 0)
		memset(e->remind, 0, sizeof(e->remind));
	free(remind);
	e->rsvp_by = db_col_int64(st, 12);
	e->sequence = db_col_int(st, 13);
	e->state = db_col_text(st, 14);
	e->created = db_col_int64(st, 15);
	ex = db_prepare(db, "SELECT occurrence FROM event_exdates WHERE "
	    "event_id=? ORDER BY occurrence");
	if (ex) {
		size_t cap = 0;

		db_bind(ex, "i", e->id);
		while (db_step(ex) == DB_ROW) {
			if (e->nexdates == cap) {
				cap = cap ? cap * 2 : 8;
				e->exdates = xrealloc(e->exdates,
				    cap * sizeof(*e->exdates));
			}
			e->exdates[e->nexdates++] = db_col_int64(ex, 0);
		}
		db_finalize(ex);
	}
}

static int
event_query(struct db *db, const char *where, const char *key, int64_t id,
    struct event *e)
{
	char *sql = xasprintf("SELECT " EVENT_COLS " FROM events WHERE %s",
	    where);
	struct db_stmt *st = db_prepare(db, sql);
	int found = 0;

	free(sql);
	memset(e, 0, sizeof(*e));
	if (st == NULL)
		return KITH_TEMP;
	if (key)
		db_bind(st, "t", key);
	else
		db_bind(st, "i", id);
	if (db_step(st) == DB_ROW) {
		event_from_row(db, st, e);
		found = 1;
	}
	db_finalize(st);
	return found ? KITH_OK : KITH_PERM;
}

int
event_get(struct db *db, int64_t id, struct event *e)
{
	return event_query(db, "id=?", NULL, id, e);
}

int
event_get_uid(struct db *db, const char *uid, struct event *e)
{
	return event_query(db, "uid=?", uid, 0, e);
}

int
event_foreach(struct db *db, int64_t list_id,
    int (*fn)(const struct event *, void *), void *ctx)
{
	struct db_stmt *st = db_prepare(db, "SELECT " EVENT_COLS " FROM events "
	    "WHERE list_id=? ORDER BY start, id");

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", list_id);
	while (db_step(st) == DB_ROW) {
		struct event e;
		int stop;

		event_from_row(db, st, &e);
		stop = fn(&e, ctx);
		event_release(&e);
		if (stop)
			break;
	}
	db_finalize(st);
	return KITH_OK;
}

/* Events of l that still have an occurrence after now. */
size_t
event_upcoming(struct db *db, const struct list *l, int64_t now,
    struct event *out, size_t max)
{
	struct db_stmt *st = db_prepare(db, "SELECT " EVENT_COLS " FROM events "
	    "WHERE list_id=? AND state='active' ORDER BY start, id");
	size_t n = 0;

	if (st == NULL)
		return 0;
	db_bind(st, "i", l->id);
	while (n < max && db_step(st) == DB_ROW) {
		event_from_row(db, st, &out[n]);
		if (event_next_occurrence(&out[n], now))
			n++;
		else
			event_release(&out[n]);
	}
	db_finalize(st);
	return n;
}

int
event_upcoming_ids(struct db *db, const struct list *l, int64_t now,
    int64_t **ids, size_t *n)
{
	struct db_stmt *st = db_prepare(db, "SELECT " EVENT_COLS " FROM events "
	    "WHERE list_id=? AND state='active' ORDER BY id");

	*ids = NULL;
	*n = 0;
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", l->id);
	while (db_step(st) == DB_ROW) {
		struct event e;

		event_from_row(db, st, &e);
		if (event_next_occurrence(&e, now)) {
			*ids = xrealloc(*ids, (*n + 1) * sizeof(**ids));
			(*ids)[(*n)++] = e.id;
		}
		event_release(&e);
	}
	db_finalize(st);
	return KITH_OK;
}

int
event_cancelled(const struct event *e, int64_t occ)
{
	for (size_t i = 0; i < e->nexdates; i++)
		if (e->exdates[i] == occ)
			return 1;
	return 0;
}

/* 1 when occ is the start of one of e's occurrences (cancelled or not). */
int
event_is_occurrence(const struct event *e, int64_t occ)
{
	int64_t o[1];

	return ical_occurrences(e->tz, e->start, e->rrule, occ, occ, o, 1) == 1 &&
	    o[0] == occ;
}

/* Occurrences of e in [from, to] that are not cancelled, into out. */
size_t
event_occurrences(const struct event *e, int64_t from, int64_t to,
    int64_t *out, size_t max)
{
	int64_t all[MAX_OCCURRENCES];
	size_t n = ical_occurrences(e->tz, e->start, e->rrule, from, to, all,
	    MAX_OCCURRENCES), k = 0;

	for (size_t i = 0; i < n && k < max; i++)
		if (!event_cancelled(e, all[i]))
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
	return event_occurrences(e, t, t + HORIZON, o, 1) ? o[0] : 0;
}

int64_t
event_occurrence_on(const struct event *e, const char *date)
{
	int64_t occ[MAX_OCCURRENCES];
	size_t n = event_occurrences(e, e->start, e->start + HORIZON, occ,
	    MAX_OCCURRENCES);

	for (size_t i = 0; i < n; i++) {
		char d[16];

		local_time_strftime(e->tz, occ[i], "%Y-%m-%d", d, sizeof(d));
		if (!strcmp(d, date))
			return occ[i];
	}
	return 0;
}

#define MAX_CAPACITY 1000000
#define MAX_DURATION (366LL * 86400)
#define LAST_START 32503680000LL	/* 3000-01-01: later is a typo */

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
	if (s->title && (*s->title == '\0' || !utf8_text_ok(s->title, 200, 0))) {
		snprintf(err, errlen, "the title must be one line of UTF-8 text "
		    "(at most 200 bytes, no control characters)");
		return -1;
	}
	if (s->location && !utf8_text_ok(s->location, 500, 0)) {
		snprintf(err, errlen, "the location must be one line of UTF-8 "
		    "text (at most 500 bytes, no control characters)");
		return -1;
	}
	if (s->description && !utf8_text_ok(s->description, 65536, 1)) {
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
	int rc;

	if (s->start && ((rc = local_time_parse(s->start, e->tz,
	    &e->start)) < 0 || e->start >= LAST_START)) {
		local_time_refusal(rc < 0 ? rc : -1, s->start, e->tz,
		    "2026-12-04 18:00", err, errlen);
		return -1;
	}
	if (s->end && s->duration > 0) {
		snprintf(err, errlen, "give --end or --duration, not both");
		return -1;
	}
	if (s->end) {
		if ((rc = local_time_parse(s->end, e->tz, &end)) == -2) {
			local_time_refusal(rc, s->end, e->tz, "", err, errlen);
			return -1;
		}
		if (rc < 0 || end <= e->start || end - e->start >
		    MAX_DURATION) {
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
	if (s->rrule && *s->rrule && (!utf8_text_ok(s->rrule, 500, 0) ||
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
 * event_apply_spec - check spec and apply it onto e.  Creating, e->tz already
 * holds the list's zone, and the title, the start and a length are
 * required.
 */
int
event_apply_spec(struct event *e, const struct event_spec *s, int creating,
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

int
event_save(struct db *db, struct event *e, int creating)
{
	char *remind = remind_string(e->remind);
	int st;

	if (creating) {
		st = db_exec_id(db, &e->id, "INSERT INTO events(list_id, uid, "
		    "title, description, location, tz, start, duration, rrule, "
		    "capacity, remind, rsvp_by, sequence, state, created) "
		    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'active', "
		    "?) RETURNING id",
		    "itttttiititii", e->list_id, e->uid, e->title, e->description,
		    e->location, e->tz, e->start, e->duration, e->rrule,
		    e->capacity, remind, e->rsvp_by, e->created);
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

/* "Fri 4 Dec 2026, 18:00 CET" for t in the event's zone. */
void
event_when(const struct event *e, int64_t t, char *buf, size_t n)
{
	local_time_strftime(e->tz, t, "%a %-d %b %Y, %H:%M %Z", buf, n);
}

/*
 * when_text - t as {{date t "datetime"}} shows it in lang, in the
 * event's zone, for texts written before dates were {{date}}s; the
 * English form when lang has no shipped LANGUAGE file.  Caller frees.
 */
static char *
when_text(const struct event *e, int64_t t, const char *tz, const char *lang)
{
	struct template_opts o = { NULL, lang, tz };
	struct template_out out;
	struct tvars *tv = tv_new();
	char err[256], *s = NULL, buf[64];

	tv_time(tv, "t", t, tz);
	if (template_string("{{date t \"datetime\"}}", "event.when", &o, tv,
	    &out, err, sizeof(err)) == 0) {
		s = out.body;
		out.body = NULL;
		template_out_release(&out);
	}
	tv_free(tv);
	if (s == NULL) {
		local_time_strftime(tz ? tz : e->tz, t, "%a %-d %b %Y, %H:%M %Z",
		    buf, sizeof(buf));
		s = xstrdup(buf);
	}
	return s;
}

void
event_values(struct tvars *tv, const struct event *e, int64_t occ,
    const char *lang, const char *to, const char *name)
{
	int64_t t = occ ? occ : e->start;
	char until[16], *when = when_text(e, t, e->tz, lang);

	local_time_strftime(e->tz, t + e->duration, "%H:%M", until,
	    sizeof(until));
	tv_int(tv, "event.id", e->id);
	tv_str(tv, "event.title", e->title);
	tv_time(tv, "event.time", t, e->tz);
	tv_time(tv, "event.end", t + e->duration, e->tz);
	tv_str(tv, "event.until", until);
	tv_str(tv, "event.when", when);
	tv_str(tv, "event.location", e->location);
	tv_str(tv, "event.where", *e->location ? e->location : "-");
	tv_str(tv, "event.description", e->description);
	tv_str(tv, "event.repeats", occ ? "" : e->rrule);
	tv_str(tv, "member.name", name && *name ? name : to);
	tv_str(tv, "member.address", to);
	free(when);
}

void
event_deadline_values(struct tvars *tv, const struct event *e,
    const char *list_tz, const char *lang)
{
	const char *tz = list_tz && tz_valid(list_tz) ? list_tz : e->tz;
	char *deadline = when_text(e, e->rsvp_by, tz, lang);

	tv_time(tv, "event.rsvp_by", e->rsvp_by, tz);
	tv_str(tv, "event.deadline", deadline);
	free(deadline);
}

/*
 * The values of every event text (event_values), for kith check:
 * event.time, event.end and event.rsvp_by are shown in the event's zone
 * (the deadline in the list's), whatever the render's.
 */
#define F TF_FIELDS
#define EVENT TF_INT("event.id"), TF_STR("event.title"), \
	TF_TIME("event.time"), TF_TIME("event.end"), TF_STR("event.until"), \
	TF_STR("event.when"), TF_STR("event.location"), TF_STR("event.where"), \
	TF_STR("event.description"), TF_STR("event.repeats"), \
	TF_STR("member.name"), TF_STR("member.address")
#define INVITATION EVENT, TF_TIME("event.next"), TF_BOOL("event.updated"), \
	TF_BOOL("waitlisted"), TF_STR("web.yes"), TF_STR("web.no"), \
	TF_STR("web.maybe")
#define REASONS TF_BOOL("no_calendar"), TF_BOOL("not_reply"), \
	TF_BOOL("unknown_event"), TF_BOOL("cancelled"), \
	TF_BOOL("other_event"), TF_BOOL("other_member"), \
	TF_BOOL("no_attendee"), TF_BOOL("not_member"), TF_BOOL("forged"), \
	TF_BOOL("not_occurrence")
/* unsized: a count other than EVENT_NTEXTS conflicts with event_store.h */
const struct template_schema event_schema[] = {
	{ "event/invitation.txt", F(INVITATION), 0 },
	{ "event/invitation.html", F(INVITATION), 0 },
	{ "event/cancelled.txt", F(EVENT, TF_BOOL("occurrence")), 0 },
	{ "event/cancelled.html", F(EVENT, TF_BOOL("occurrence")), 0 },
	{ "event-waitlisted.txt", F(EVENT), NOTICE_REPLY },
	{ "event-promoted.txt", F(EVENT), 0 },
	{ "event-reminder.txt", F(EVENT), 0 },
	{ "event-nudge.txt", F(EVENT, TF_TIME("event.rsvp_by"),
	    TF_STR("event.deadline")), 0 },
	{ "event/reply-reason.txt", F(REASONS), 0 },
	{ "event-reply-problem.txt", F(TF_STR("reason")), NOTICE_REPLY },
	{ "event-reply-unclear.txt", F(EVENT, TF_STR("answer")), NOTICE_REPLY },
};
const struct template_schema *
event_text(const char *name)
{
	for (size_t i = 0; i < EVENT_NTEXTS; i++)
		if (!strcmp(event_schema[i].name, name))
			return &event_schema[i];
	return NULL;
}

/* An outbox message whose copies event_personalise renders. */
int
event_queue_render(struct db *db, const struct list *l, const char *render,
    int64_t *msg_id)
{
	return outbox_render_add(db, l->id, l->local, l->domain, "event", render,
	    msg_id);
}

int
event_queue_notice(const struct kith_config *cfg, struct db *db,
    const struct list *l, const char *to, const char *lang, const char *tmpl,
    struct tvars *tv)
{
	struct notice_opts o;
	int st;

	memset(&o, 0, sizeof(o));
	o.to = to;
	o.tmpl = tmpl;
	o.row = event_text(tmpl);
	o.tv = tv;
	o.lang = lang;
	st = notice_queue(db, cfg, l, &o);
	tv_free(tv);
	return st;
}
