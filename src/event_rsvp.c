/* event_rsvp - answers, capacity, the waitlist and promotion. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/bans.h"
#include "kith/db.h"
#include "kith/event_rsvp.h"
#include "kith/log.h"
#include "kith/members.h"
#include "kith/util.h"

/* Seats taken at occurrence occ (0: the series). */
int64_t
event_seats_taken(struct db *db, const struct event *e, int64_t occ, int *status)
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
answer_get(struct db *db, int64_t event_id, int64_t occ, int64_t member_id,
    struct answer *a)
{
	struct db_stmt *st = db_prepare(db, "SELECT partstat, sequence, dtstamp, "
	    "waitlisted FROM rsvps WHERE event_id=? AND occurrence=? AND "
	    "member_id=?");
	int found = 0;

	memset(a, 0, sizeof(*a));
	if (st == NULL)
		return -1;
	db_bind(st, "iii", event_id, occ, member_id);
	if (db_step(st) == DB_ROW) {
		snprintf(a->partstat, sizeof(a->partstat), "%s",
		    db_col_str(st, 0));
		a->sequence = db_col_int(st, 1);
		a->dtstamp = db_col_int64(st, 2);
		a->waitlisted = db_col_int(st, 3);
		found = 1;
	}
	db_finalize(st);
	return found;
}

/*
 * queue_personal - one member's own copy of the invitation, rendered at
 * delivery as kind (WAITLIST: PARTSTAT=TENTATIVE, "you are on the
 * waitlist"; SEAT: PARTSTAT=ACCEPTED, "a seat is yours") for occurrence
 * occ (0: the series).
 */
static int
queue_personal(struct db *db, const struct list *l, const struct event *e,
    const char *kind, int64_t occ, int64_t member_id, const char *address,
    int64_t now)
{
	char render[80];
	int64_t msg_id;
	int st;

	snprintf(render, sizeof(render), "event:%lld:%s:%lld", (long long)e->id,
	    kind, (long long)occ);
	st = event_queue_render(db, l, render, &msg_id);
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
release_departed(struct db *db, const struct list *l, const struct event *e,
    int64_t occ)
{
	struct db_stmt *st = db_prepare(db, "SELECT r.member_id, m.address, "
	    "m.disabled FROM rsvps r JOIN members m ON m.id=r.member_id WHERE "
	    "r.event_id=? AND r.occurrence=? AND r.partstat='ACCEPTED'");
	int64_t *gone = NULL;
	size_t n = 0, cap = 0;
	int status = KITH_OK;

	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "ii", e->id, occ);
	while (db_step(st) == DB_ROW) {
		const char *addr = db_col_str(st, 1);

		if (db_col_int64(st, 2) == 0 &&
		    !ban_matches(db, l->id, addr))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			gone = xrealloc(gone, cap * sizeof(*gone));
		}
		gone[n++] = db_col_int64(st, 0);
	}
	db_finalize(st);
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
promote_first(struct db *db, const struct list *l, const struct event *e,
    int64_t occ, int64_t now, int *done)
{
	struct db_stmt *st = db_prepare(db, "SELECT r.member_id, m.address "
	    "FROM rsvps r JOIN members m ON m.id=r.member_id WHERE "
	    "r.event_id=? AND r.occurrence=? AND r.waitlisted=1 ORDER BY "
	    "r.updated, r.id LIMIT 1");
	int64_t member_id = 0;
	char *addr = NULL;
	int status;

	*done = 0;
	if (st == NULL)
		return KITH_TEMP;
	db_bind(st, "ii", e->id, occ);
	if (db_step(st) == DB_ROW) {
		member_id = db_col_int64(st, 0);
		addr = db_col_text(st, 1);
	}
	db_finalize(st);
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
fill_seats(struct db *db, const struct list *l, const struct event *e,
    int64_t occ, int64_t now)
{
	int status = release_departed(db, l, e, occ), done = 1;

	while (status == KITH_OK && done) {
		int64_t seated = event_seats_taken(db, e, occ, &status);

		if (status != KITH_OK || (e->capacity > 0 &&
		    seated >= e->capacity))
			break;
		status = promote_first(db, l, e, occ, now, &done);
	}
	return status;
}

/*
 * event_fill_all - fill_seats for every answer pool of e that is still to come
 * (the series, and occurrences answered on their own).
 */
int
event_fill_all(struct db *db, const struct list *l, const struct event *e,
    int64_t now)
{
	struct db_stmt *st;
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
	while (db_step(st) == DB_ROW) {
		int64_t o = db_col_int64(st, 0);

		if (o ? o <= now : event_next_occurrence(e, now) == 0)
			continue;	/* over: nobody is promoted into the past */
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			occ = xrealloc(occ, cap * sizeof(*occ));
		}
		occ[n++] = o;
	}
	db_finalize(st);
	for (size_t i = 0; i < n && status == KITH_OK; i++)
		status = fill_seats(db, l, e, occ[i], now);
	free(occ);
	return status;
}

int
event_rsvp(const struct kith_config *cfg, struct db *db,
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
attendee_counts(struct db *db, const struct event *e, int64_t occurrence,
    struct event_counts *c)
{
	struct db_stmt *st = db_prepare(db, "SELECT coalesce(r1.partstat, "
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
		db_finalize(st);
		return KITH_TEMP;
	}
	db_bind(st, "ii", e->id, occurrence);
	while ((rc = db_step(st)) == DB_ROW) {
		int64_t n = db_col_int64(st, 2);

		count_answer(c, db_col_str(st, 0),
		    db_col_int(st, 1), n);
		answered += n;
	}
	db_finalize(st);
	c->none += invited - answered;
	return rc == DB_DONE ? KITH_OK : db_status(rc);
}

int
event_attendees(struct db *db, const struct event *e, int64_t occurrence,
    int (*fn)(const struct event_attendee *, void *), void *ctx,
    struct event_counts *c)
{
	struct db_stmt *st;

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
	while (db_step(st) == DB_ROW) {
		struct event_attendee a;
		const char *ps = db_col_str(st, 2);
		int wl = db_col_int(st, 3);

		a.address = db_col_str(st, 0);
		a.name = db_col_str(st, 1);
		a.updated = db_col_int64(st, 4);
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
	db_finalize(st);
	return KITH_OK;
}

/* The invitation that says TENTATIVE and "on the waitlist", to member. */
int
event_tell_waitlisted(struct db *db, const struct list *l, const struct event *e,
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
