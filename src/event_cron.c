/* event_cron - seats, reminders and the RSVP nudge, from kith cron. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/bans.h"
#include "kith/db.h"
#include "kith/event_cron.h"
#include "kith/event_render.h"
#include "kith/event_rsvp.h"
#include "kith/event_store.h"
#include "kith/lists.h"
#include "kith/log.h"
#include "kith/timeutil.h"
#include "kith/util.h"

/* One event's cron work, as its transactions take it. */
struct event_tx {
	const struct kith_config *cfg;
	const struct list *l;
	const struct event *e;
	int64_t now, occ, next;
	int64_t due_offset;	/* reminders: the offset sent, 0 for none */
};

/* reminder_tx - the reminder of occurrence x->occ, when one is due */
static int
reminder_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct event_tx *x = ctx;
	const struct event *e = x->e;
	int64_t now = x->now;
	int status = KITH_OK;
	struct db_stmt *st;

	(void)err, (void)errlen;
	x->due_offset = 0;
	/* Every offset that has come is marked; the nearest one is sent (a
	 * cron that was down sends one reminder, not three). */
	for (int k = 0; k < EVENT_MAX_REMINDERS && e->remind[k]; k++) {
		char kind[32];

		if (x->occ - e->remind[k] > now)
			continue;
		snprintf(kind, sizeof(kind), "remind:%lld",
		    (long long)e->remind[k]);
		status = db_exec(db, "INSERT INTO event_sent(event_id, "
		    "occurrence, kind, at) VALUES (?, ?, ?, ?) ON CONFLICT DO "
		    "NOTHING",
		    "iiti", e->id, x->occ, kind, now);
		if (status != KITH_OK)
			return status;
		if (db_changes(db))
			x->due_offset = e->remind[k];
	}
	if (x->due_offset == 0)
		return KITH_OK;
	st = db_prepare(db,
		    "SELECT m.address, m.name FROM event_invites i JOIN members "
		    "m ON m.id=i.member_id LEFT JOIN rsvps r1 ON r1.event_id="
		    "i.event_id AND r1.member_id=i.member_id AND r1.occurrence=?2 "
		    "LEFT JOIN rsvps r0 ON r0.event_id=i.event_id AND "
		    "r0.member_id=i.member_id AND r0.occurrence=0 WHERE "
		    "i.event_id=?1 AND m.mode!='nomail' AND m.disabled=0 AND "
		    "((coalesce(r1.partstat, r0.partstat)='ACCEPTED' AND "
		    "coalesce(r1.waitlisted, r0.waitlisted)=0) OR "
		    "coalesce(r1.partstat, r0.partstat)='TENTATIVE')");
	if (st) {
		db_bind(st, "ii", e->id, x->occ);
		while (status == KITH_OK && db_step(st) == DB_ROW)
			status = event_notice(x->cfg, db, x->l, e, x->occ,
			    db_col_str(st, 0),
			    db_col_str(st, 1),
			    "event-reminder.txt", NULL);
		db_finalize(st);
	}
	return status;
}

/* Reminders due for one event at now; a transaction each. */
static int
event_reminders(const struct kith_config *cfg, struct db *db,
    const struct list *l, const struct event *e, int64_t now)
{
	int64_t occ[16];
	size_t n = event_occurrences(e, now, now + e->remind[0] + 60, occ, 16);
	struct event_tx x = { cfg, l, e, now, 0, 0, 0 };
	int status = KITH_OK;

	for (size_t i = 0; i < n && status == KITH_OK; i++) {
		x.occ = occ[i];
		status = db_tx(db, reminder_tx, &x, NULL, 0);
		if (status == KITH_OK && x.due_offset)
			log_info("event: reminder for %lld at %lld sent",
			    (long long)e->id, (long long)occ[i]);
	}
	return status;
}

/* Nudge each invited member who has not answered; next: the occurrence. */
static int
nudge_members(const struct kith_config *cfg, struct db *db,
    const struct list *l, const struct event *e, int64_t next)
{
	/* never the organisers (the list's owners), nor anyone who answered */
	struct db_stmt *st = db_prepare(db, "SELECT m.address, m.name FROM "
	    "event_invites i JOIN members m ON m.id=i.member_id WHERE "
	    "i.event_id=? AND m.mode!='nomail' AND m.disabled=0 AND "
	    "m.role!='owner' AND NOT EXISTS (SELECT 1 FROM rsvps r WHERE "
	    "r.event_id=i.event_id AND r.member_id=i.member_id) ORDER BY m.id");
	int status = KITH_OK;

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "i", e->id);
	while (status == KITH_OK && db_step(st) == DB_ROW) {
		const char *addr = db_col_str(st, 0);

		if (ban_matches(db, l->id, addr))
			continue;
		status = event_notice(cfg, db, l, e, next, addr,
		    db_col_str(st, 1), "event-nudge.txt",
		    NULL);
	}
	db_finalize(st);
	return status;
}

/* nudge_tx - the nudge, once, unless the event is full */
static int
nudge_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct event_tx *x = ctx;
	const struct event *e = x->e;
	int status = KITH_OK;

	(void)err, (void)errlen;
	if (e->capacity > 0 && event_seats_taken(db, e, 0, &status) >=
	    e->capacity)
		return status;
	if (status == KITH_OK)
		status = db_exec(db, "INSERT INTO event_sent(event_id, "
		    "occurrence, kind, at) VALUES (?, 0, 'nudge', ?) ON "
		    "CONFLICT DO NOTHING", "ii",
		    e->id, x->now);
	if (status == KITH_OK && db_changes(db) == 1)
		status = nudge_members(x->cfg, db, x->l, e, x->next);
	return status;
}

/*
 * event_nudge - the one nudge, in the last day before rsvp_by, to the
 * invited members who have not answered; it names the deadline in the
 * list's zone.  Nothing once the deadline or the event has passed, and
 * nothing while the event is full (it goes if a seat frees in time).
 */
static int
event_nudge(const struct kith_config *cfg, struct db *db, const struct list *l,
    const struct event *e, int64_t now)
{
	struct event_tx x = { cfg, l, e, now, 0, 0, 0 };

	if (e->rsvp_by == 0 || now < e->rsvp_by - 86400 || now >= e->rsvp_by)
		return KITH_OK;
	if ((x.next = event_next_occurrence(e, now)) == 0)
		return KITH_OK;
	return db_tx(db, nudge_tx, &x, NULL, 0);
}

static int
seats_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct event_tx *x = ctx;

	(void)err, (void)errlen;
	return event_fill_all(db, x->l, x->e, x->now);
}

/* Seats of members who left go to the waitlist; own transaction. */
static int
event_seats(struct db *db, const struct list *l, const struct event *e,
    int64_t now)
{
	struct event_tx x = { NULL, l, e, now, 0, 0, 0 };

	return db_tx(db, seats_tx, &x, NULL, 0);
}

/* One event's cron work: seats, reminders, the nudge. */
static int
event_cron_one(const struct kith_config *cfg, struct db *db, int64_t id,
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
	struct db_ids ids = { NULL, 0, 0 };
	int status = db_ids_select(c->db, &ids, "SELECT id FROM events WHERE "
	    "state='active' AND (remind!='' OR rsvp_by>0 OR capacity>0) "
	    "AND (rrule!='' OR start+duration>?) ORDER BY id", "i", now);

	/* the events read are done even when the query failed part way */
	for (size_t i = 0; i < ids.n; i++) {
		int st_one = event_cron_one(c->cfg, c->db, ids.v[i], now);

		if (status == KITH_OK)
			status = st_one;
	}
	db_ids_release(&ids);
	return status;
}
