/* event - invitations, RSVPs, capacity, reminders, feed. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/address.h"
#include "kith/compose.h"
#include "kith/db.h"
#include "kith/event.h"
#include "kith/ical.h"
#include "kith/log.h"
#include "kith/members.h"
#include "kith/membership.h"
#include "kith/message.h"
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

/* Check and apply spec onto e (for create: everything given). */
static int
apply_spec(struct event *e, const struct event_spec *s, int creating,
    char *err, size_t errlen)
{
	const char *tz = s->tz ? s->tz : e->tz;

	if (s->tz && (!tz_valid(s->tz) || !ical_zone_valid(s->tz))) {
		snprintf(err, errlen, "'%s' is not a time zone (e.g. "
		    "Europe/Prague)", s->tz);
		return -1;
	}
	if (s->title) {
		if (*s->title == '\0' || strpbrk(s->title, "\r\n") ||
		    strlen(s->title) > 200) {
			snprintf(err, errlen, "the title must be one line of at "
			    "most 200 characters");
			return -1;
		}
		free(e->title);
		e->title = xstrdup(s->title);
	}
	if (s->tz) {
		free(e->tz);
		e->tz = xstrdup(s->tz);
	}
	if (s->start) {
		if (local_time_parse(s->start, tz, &e->start) < 0) {
			snprintf(err, errlen, "'%s' is not a time like "
			    "\"2026-12-04 18:00\"", s->start);
			return -1;
		}
	} else if (s->tz && !creating) {
		/* same wall-clock time in the new zone */
		char local[32];

		local_time_strftime(e->tz, e->start, "%Y-%m-%d %H:%M", local,
		    sizeof(local));
		local_time_parse(local, tz, &e->start);
	}
	if (s->duration > 0)
		e->duration = s->duration;
	if (s->location) {
		free(e->location);
		e->location = xstrdup(s->location);
	}
	if (s->description) {
		free(e->description);
		e->description = xstrdup(s->description);
	}
	if (s->rrule) {
		if (*s->rrule && !ical_rrule_valid(s->rrule)) {
			snprintf(err, errlen, "'%s' is not a recurrence rule (e.g. "
			    "FREQ=WEEKLY;BYDAY=FR)", s->rrule);
			return -1;
		}
		free(e->rrule);
		e->rrule = xstrdup(s->rrule);
	}
	if (s->capacity >= 0)
		e->capacity = s->capacity;
	if (s->remind && remind_parse(s->remind, e->remind) < 0) {
		snprintf(err, errlen, "'%s' is not a list of offsets like 24h,1h "
		    "(at most %d)", s->remind, EVENT_MAX_REMINDERS);
		return -1;
	}
	if (s->rsvp_by) {
		int64_t t;

		if (*s->rsvp_by == '\0')
			e->rsvp_by = 0;
		else if (local_time_parse(s->rsvp_by, tz, &t) < 0) {
			snprintf(err, errlen, "'%s' is not a date like 2026-12-03",
			    s->rsvp_by);
			return -1;
		} else	/* a bare date means the end of that day */
			e->rsvp_by = strchr(s->rsvp_by, ':') ? t : t + 86399;
	}
	if (creating && (e->title == NULL || e->tz == NULL || s->start == NULL ||
	    e->duration <= 0)) {
		snprintf(err, errlen, "an event needs --title, --start, --tz and "
		    "--end or --duration");
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

/* The occurrence of e on local date (YYYY-MM-DD in its zone); 0 if none. */
static int64_t
occurrence_on(const struct event *e, const char *date)
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
		occ = occurrence_on(&e, occurrence_date);
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

/* Queue a notice about event e to one address (templates/en/NAME). */
static int
event_notice(const struct kith_config *cfg, sqlite3 *db, const struct list *l,
    const struct event *e, int64_t occ, const char *to, const char *name,
    const char *tmpl, const char *subject_fmt)
{
	char when[64], id[32], subject[300], *req;
	struct template_var vars[6];
	struct notice_opts o;
	int st;

	when_text(e, occ ? occ : e->start, when, sizeof(when));
	snprintf(id, sizeof(id), "%lld", (long long)e->id);
	snprintf(subject, sizeof(subject), subject_fmt, e->title, when);
	req = xasprintf("%s-request@%s", l->local, l->domain);
	vars[0] = (struct template_var){ "event.title", e->title };
	vars[1] = (struct template_var){ "event.when", when };
	vars[2] = (struct template_var){ "event.where", *e->location ?
	    e->location : "-" };
	vars[3] = (struct template_var){ "event.id", id };
	vars[4] = (struct template_var){ "member.name", name && *name ? name :
	    to };
	vars[5] = (struct template_var){ "member.address", to };
	memset(&o, 0, sizeof(o));
	o.to = to;
	o.subject = subject;
	o.tmpl = tmpl;
	o.vars = vars;
	o.nvars = 6;
	st = notice_queue(db, cfg, l, &o);
	free(req);
	return st;
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

/* The first on the waitlist gets the seat; they are told. */
static int
promote_waitlist(const struct kith_config *cfg, sqlite3 *db,
    const struct list *l, const struct event *e, int64_t occ, int64_t now)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT r.member_id, m.address, "
	    "m.name FROM rsvps r JOIN members m ON m.id=r.member_id WHERE "
	    "r.event_id=? AND r.occurrence=? AND r.waitlisted=1 ORDER BY "
	    "r.updated, r.rowid LIMIT 1");
	int64_t member_id = 0;
	char *addr = NULL, *name = NULL;
	int status = KITH_OK;

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "ii", e->id, occ);
	if (sqlite3_step(st) == SQLITE_ROW) {
		member_id = sqlite3_column_int64(st, 0);
		addr = db_col_text(st, 1);
		name = db_col_text(st, 2);
	}
	sqlite3_finalize(st);
	if (member_id) {
		status = db_exec(db, "UPDATE rsvps SET waitlisted=0, updated=? "
		    "WHERE event_id=? AND occurrence=? AND member_id=?", "iiii",
		    now, e->id, occ, member_id);
		if (status == KITH_OK)
			status = event_notice(cfg, db, l, e, occ, addr, name,
			    "event-promoted.txt", "A seat is yours: %s, %s");
		log_info("event: '%s' promoted from the waitlist of %lld", addr,
		    (long long)e->id);
	}
	free(addr);
	free(name);
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
	int64_t taken;

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
	if (!strcmp(partstat, "ACCEPTED")) {
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
	if (st != KITH_OK)
		return st;
	if (waitlisted && !(had && old.waitlisted)) {
		struct member m;

		if (member_find_id(db, l->id, member_id, &m) == KITH_OK) {
			st = event_notice(cfg, db, l, e, occurrence, m.address,
			    m.name, "event-waitlisted.txt",
			    "On the waitlist: %s, %s");
			member_release(&m);
		}
	}
	if (st == KITH_OK && seated_before && !seated)
		st = promote_waitlist(cfg, db, l, e, occurrence, now);
	*result = waitlisted ? "waitlisted" : !strcmp(partstat, "ACCEPTED") ?
	    "accepted" : !strcmp(partstat, "DECLINED") ? "declined" :
	    "tentative";
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

int
event_handle_reply(const struct kith_config *cfg, sqlite3 *db,
    const struct list *l, const char *raw, size_t len, const char *from,
    char *line, size_t n)
{
	struct ical_info in;
	struct event e;
	size_t which = 0;
	char *cal = event_find_calendar(raw, len);
	const char *result = NULL;
	int64_t member_id, occ;
	const char *ps;
	int st = KITH_OK;

	if (cal == NULL || ical_parse(cal, &in) < 0) {
		free(cal);
		snprintf(line, n, "event: mail to '%s-events' without a calendar "
		    "from '%s'", l->local, from);
		return reply_problem(cfg, db, l, from, "it held no calendar "
		    "answer. To answer by email, send 'rsvp yes ID' (or no, "
		    "maybe) to the list's -request address.");
	}
	free(cal);
	if (strcasecmp(in.method, "REPLY")) {
		snprintf(line, n, "event: calendar '%s' (not REPLY) from '%s' "
		    "ignored", in.method, from);
		st = reply_problem(cfg, db, l, from, "it was not an answer to "
		    "an invitation (METHOD:REPLY).");
		ical_info_release(&in);
		return st;
	}
	if (event_get_uid(db, in.uid, &e) != KITH_OK || e.list_id != l->id) {
		snprintf(line, n, "event: reply for unknown event '%s' from '%s'",
		    in.uid, from);
		st = reply_problem(cfg, db, l, from, "the event it answers is not "
		    "one of this list's.");
		ical_info_release(&in);
		return st;
	}
	if (strcmp(e.state, "active") || (in.recurrence_id &&
	    cancelled_occurrence(&e, in.recurrence_id))) {
		snprintf(line, n, "event: reply for cancelled event %lld from '%s'",
		    (long long)e.id, from);
		st = reply_problem(cfg, db, l, from, "the event was cancelled.");
		goto done;
	}
	member_id = reply_member(db, l, &in, from, &which);
	if (member_id == 0) {
		snprintf(line, n, "event: reply to %lld from '%s': not a member "
		    "(or answering for someone else)", (long long)e.id, from);
		st = reply_problem(cfg, db, l, from, "the answer is not from a "
		    "member of the list (or names another member).");
		goto done;
	}
	ps = in.partstat[which];
	if (strcmp(ps, "ACCEPTED") && strcmp(ps, "DECLINED") &&
	    strcmp(ps, "TENTATIVE")) {
		snprintf(line, n, "event: reply to %lld with PARTSTAT '%s' ignored",
		    (long long)e.id, ps);
		goto done;
	}
	occ = in.recurrence_id;
	st = event_rsvp(cfg, db, l, &e, member_id, occ, ps,
	    in.sequence < 0 ? 0 : in.sequence > 1000000 ? 1000000 :
	    (int)in.sequence,
	    in.dtstamp ? in.dtstamp : now_utc(), now_utc(), &result);
	snprintf(line, n, "event: %s from '%s' for %lld%s: %s", ps,
	    in.attendee[which], (long long)e.id, occ ? " (one occurrence)" : "",
	    result ? result : "-");
done:
	event_release(&e);
	ical_info_release(&in);
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
				    "event-reminder.txt", "Reminder: %s, %s");
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

/* The one nudge to members who have not answered, a day before rsvp_by. */
static int
event_nudge(const struct kith_config *cfg, sqlite3 *db, const struct list *l,
    const struct event *e, int64_t now)
{
	sqlite3_stmt *st;
	int status;

	if (e->rsvp_by == 0 || now < e->rsvp_by - 86400 || now >= e->rsvp_by)
		return KITH_OK;
	if ((status = db_begin(db)) != KITH_OK)
		return status;
	status = db_exec(db, "INSERT OR IGNORE INTO event_sent(event_id, "
	    "occurrence, kind, at) VALUES (?, 0, 'nudge', ?)", "ii", e->id, now);
	if (status == KITH_OK && sqlite3_changes(db) == 1) {
		st = db_prepare(db, "SELECT m.address, m.name FROM event_invites i "
		    "JOIN members m ON m.id=i.member_id WHERE i.event_id=? AND "
		    "m.mode!='nomail' AND m.disabled=0 AND NOT EXISTS (SELECT 1 "
		    "FROM rsvps r WHERE r.event_id=i.event_id AND "
		    "r.member_id=i.member_id)");
		if (st == NULL)
			status = KITH_TEMP;
		else {
			db_bind(st, "i", e->id);
			while (status == KITH_OK && sqlite3_step(st) == SQLITE_ROW)
				status = event_notice(cfg, db, l, e, 0,
				    (const char *)sqlite3_column_text(st, 0),
				    (const char *)sqlite3_column_text(st, 1),
				    "event-nudge.txt", "Are you coming? %s, %s");
			sqlite3_finalize(st);
		}
	}
	if (status == KITH_OK)
		return db_commit(db);
	db_rollback(db);
	return status;
}

int
event_cron(const struct kith_config *cfg, sqlite3 *db, int64_t now)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id FROM events WHERE "
	    "state='active' AND (remind!='' OR rsvp_by>0) ORDER BY id");
	int64_t ids[256];
	int n = 0, bad = 0;

	if (st == NULL)
		return -1;
	while (n < 256 && sqlite3_step(st) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	for (int i = 0; i < n; i++) {
		struct event e;
		struct list l;

		if (event_get(db, ids[i], &e) != KITH_OK)
			continue;
		if (list_find_id(db, e.list_id, &l) == KITH_OK) {
			if ((e.remind[0] && event_reminders(cfg, db, &l, &e, now) !=
			    KITH_OK) || event_nudge(cfg, db, &l, &e, now) != KITH_OK)
				bad = 1;
			list_release(&l);
		}
		event_release(&e);
	}
	return bad ? -1 : 0;
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

void
event_digest_lines(sqlite3 *db, const struct list *l, int64_t now,
    struct buf *out)
{
	struct event evs[32];
	size_t n = upcoming(db, l, now, evs, 32);

	if (n)
		buf_adds(out, "Upcoming events\n---------------\n\n");
	for (size_t i = 0; i < n; i++) {
		struct event_counts c;
		char when[64];
		int64_t next = event_next_occurrence(&evs[i], now);

		when_text(&evs[i], next, when, sizeof(when));
		event_attendees(db, &evs[i], next, NULL, NULL, &c);
		buf_addf(out, "#%lld %s\n    %s%s%s\n    %lld coming, %lld maybe, "
		    "%lld not coming, %lld not answered", (long long)evs[i].id,
		    evs[i].title, when, *evs[i].location ? " - " : "",
		    evs[i].location, (long long)c.accepted,
		    (long long)c.tentative, (long long)c.declined,
		    (long long)c.none);
		if (evs[i].capacity > 0)
			buf_addf(out, "; %lld seats, %lld waiting",
			    (long long)evs[i].capacity, (long long)c.waitlist);
		buf_addf(out, "\n    answer: rsvp yes %lld (or no, maybe) to "
		    "%s-request@%s\n\n", (long long)evs[i].id, l->local,
		    l->domain);
		event_release(&evs[i]);
	}
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

/* The text/plain and text/html summary of an invitation or cancellation. */
static void
summary_parts(struct buf *b, const char *boundary, const struct event *e,
    const struct list *l, const char *name, int64_t occ, int cancel)
{
	char when[64], until[16], id[32], *t, *h;
	const char *verb = cancel ? (occ ? "This occurrence is cancelled" :
	    "This event is cancelled") : "You are invited";
	struct buf txt;
	char *esc[5];

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
	if (!cancel)
		buf_addf(&txt, "\nAnswer with your calendar's Yes / No / Maybe, or "
		    "send\n'rsvp yes %s' (or no, maybe) to %s-request@%s.\n", id,
		    l->local, l->domain);
	t = buf_detach(&txt, NULL);
	buf_addf(b, "--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n", boundary);
	compose_qp(b, t);
	esc[0] = html_escape(name);
	esc[1] = html_escape(e->title);
	esc[2] = html_escape(when);
	esc[3] = html_escape(e->location);
	esc[4] = html_escape(e->description);
	h = xasprintf("<!DOCTYPE html>\n<html><body style=\"font-family:"
	    "Helvetica,Arial,sans-serif\">\n<p>%s, %s.</p>\n<h2>%s</h2>\n"
	    "<p><b>When:</b> %s - %s</p>\n%s%s%s<p style=\"white-space:"
	    "pre-wrap\">%s</p>\n%s%s%s%s%s%s</body></html>\n", verb, esc[0],
	    esc[1], esc[2], until, *e->location ? "<p><b>Where:</b> " : "",
	    esc[3], *e->location ? "</p>\n" : "", esc[4],
	    cancel ? "" : "<p>Answer with your calendar's Yes / No / Maybe, or "
	    "send <code>rsvp yes ", cancel ? "" : id,
	    cancel ? "" : "</code> to ", cancel ? "" : l->local,
	    cancel ? "" : "-request@", cancel ? "" : l->domain);
	buf_addf(b, "--%s\r\nContent-Type: text/html; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n", boundary);
	compose_qp(b, h);
	for (int i = 0; i < 5; i++)
		free(esc[i]);
	free(t);
	free(h);
}

char *
event_personalise(struct event_cache *ec, const struct kith_config *cfg,
    const struct token_key *key, const char *render, int64_t member_id,
    const char *rcpt, size_t *len)
{
	long long id = 0, occ = 0;
	char method[16] = "", *name = NULL, *cal, *org, *mailto = NULL,
	    *url = NULL, *subj, *enc, *phrase, date[64], when[64], err[256],
	    *hex;
	struct ical_event ie;
	struct ical_attendee att;
	struct buf b;
	const struct event *e;
	int cancel;

	if (sscanf(render, "event:%lld:%15[A-Z]:%lld", &id, method, &occ) < 2 ||
	    cache_load(ec, render, id) < 0)
		return NULL;
	e = &ec->e;
	cancel = !strcmp(method, "CANCEL");
	if (ec->member) {
		sqlite3_reset(ec->member);
		db_bind(ec->member, "i", member_id);
		if (sqlite3_step(ec->member) == SQLITE_ROW)
			name = db_col_text(ec->member, 0);
		sqlite3_reset(ec->member);
	}
	if (name == NULL)
		name = xstrdup("");
	org = xasprintf("%s-events@%s", ec->l.local, ec->l.domain);
	ical_view(e, &ec->l, org, &ie);
	if (cancel) {
		ie.cancelled = 1;
		ie.recurrence_id = occ;
	}
	att.address = rcpt;
	att.cn = name;
	att.partstat = "NEEDS-ACTION";
	att.rsvp = !cancel;
	cal = ical_calendar(cancel ? "CANCEL" : "REQUEST", &ie, 1, &att,
	    now_utc(), err, sizeof(err));
	if (cal == NULL) {
		log_error("event: %lld: %s", id, err);
		free(name);
		free(org);
		return NULL;
	}
	when_text(e, occ ? occ : event_next_occurrence(e, now_utc()) ?
	    event_next_occurrence(e, now_utc()) : e->start, when, sizeof(when));
	if (cancel)
		subj = xasprintf(occ ? "Cancelled: %s, %s" : "Cancelled: %s",
		    e->title, when);
	else
		subj = xasprintf("%s: %s, %s", e->sequence ? "Updated invitation" :
		    "Invitation", e->title, when);
	buf_init(&b);
	phrase = rfc2047_phrase(*ec->l.name ? ec->l.name : ec->l.address,
	    "\r\n");
	buf_addf(&b, "From: %s <%s>\r\n", phrase, org);
	free(phrase);
	if (*name) {
		phrase = rfc2047_phrase(name, "\r\n");
		buf_addf(&b, "To: %s <%s>\r\n", phrase, rcpt);
		free(phrase);
	} else
		buf_addf(&b, "To: <%s>\r\n", rcpt);
	enc = rfc2047_encode(subj, "\r\n");
	buf_addf(&b, "Subject: %s\r\n", enc);
	free(enc);
	compose_date(now_utc(), date, sizeof(date));
	hex = random_hex(8);
	buf_addf(&b, "Date: %s\r\nMessage-ID: <ev%lld.%s@%s>\r\n", date, id, hex,
	    ec->l.domain);
	free(hex);
	phrase = rfc2047_phrase(*ec->l.name ? ec->l.name : ec->l.address, "\r\n");
	buf_addf(&b, "List-Id: %s <%s.%s>\r\n", phrase, ec->l.local,
	    ec->l.domain);
	free(phrase);
	if (member_id > 0 && membership_unsubscribe_links(cfg, key,
	    ec->l.address, member_id, rcpt, &mailto, &url) == 0) {
		if (url)
			buf_addf(&b, "List-Unsubscribe: <%s>,\r\n <%s>\r\n"
			    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
			    url, mailto);
		else
			buf_addf(&b, "List-Unsubscribe: <%s>\r\n", mailto);
	}
	/* The shape Google Calendar and Outlook send, so that clients
	 * show Accept / Decline (RFC 6047). */
	buf_adds(&b, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
	    "boundary=\"=_kith_ev_m\"\r\n\r\n--=_kith_ev_m\r\n"
	    "Content-Type: multipart/alternative; boundary=\"=_kith_ev_a\"\r\n"
	    "\r\n");
	summary_parts(&b, "=_kith_ev_a", e, &ec->l, *name ? name : rcpt, occ,
	    cancel);
	buf_addf(&b, "--=_kith_ev_a\r\nContent-Type: text/calendar; "
	    "charset=UTF-8; method=%s\r\nContent-Transfer-Encoding: base64\r\n"
	    "\r\n", cancel ? "CANCEL" : "REQUEST");
	compose_base64(&b, cal, strlen(cal));
	buf_addf(&b, "--=_kith_ev_a--\r\n\r\n--=_kith_ev_m\r\nContent-Type: "
	    "application/ics; name=\"invite.ics\"\r\nContent-Disposition: "
	    "attachment; filename=\"invite.ics\"\r\nContent-Transfer-Encoding: "
	    "base64\r\n\r\n");
	compose_base64(&b, cal, strlen(cal));
	buf_adds(&b, "--=_kith_ev_m--\r\n");
	free(subj);
	free(cal);
	free(org);
	free(name);
	free(mailto);
	free(url);
	return buf_detach(&b, len);
}
