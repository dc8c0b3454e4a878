/*
 * event_rsvp - the answers to an event and its seats: each member's
 * answer for the series or one occurrence (kept with the SEQUENCE and
 * DTSTAMP it came with; an older reply never overwrites a newer one),
 * the capacity and its waitlist, and promotion: when a seat frees, the
 * first one waiting gets it and an invitation that says so.  Part of the
 * event feature (event.h).
 *
 * Functions work inside the caller's transaction.
 */
#ifndef KITH_EVENT_RSVP_H
#define KITH_EVENT_RSVP_H

#include <stdint.h>

#include "kith/config.h"
#include "kith/event_store.h"
#include "kith/lists.h"

struct db;

struct event_counts {
	int64_t accepted, tentative, declined, waitlist, none;
};

/* One member's answer, as event_attendees reports it. */
struct event_attendee {
	const char *address, *name;
	const char *answer;	/* accepted tentative declined waitlist none */
	int64_t updated;
};

/*
 * event_attendees - the answers for the series (occurrence 0) or one
 * occurrence, one call of fn each (fn NULL: only the counts), and the
 * counts.
 */
int event_attendees(struct db *db, const struct event *e, int64_t occurrence,
    int (*fn)(const struct event_attendee *, void *), void *ctx,
    struct event_counts *counts);

/*
 * event_rsvp - record partstat (ACCEPTED, DECLINED, TENTATIVE) of member
 * for occurrence (0 = every one), with sequence and dtstamp; applies the
 * capacity (waitlist, promotion: the promoted member is told).  Whoever
 * answers the member says whether they are on the waitlist.  *result gets a
 * static word: "accepted", "waitlisted", "declined", "tentative",
 * "older" (a newer answer is on file; nothing changed).
 */
int event_rsvp(const struct kith_config *cfg, struct db *db,
    const struct list *l, const struct event *e, int64_t member_id,
    int64_t occurrence, const char *partstat, int sequence, int64_t dtstamp,
    int64_t now, const char **result);

/* Seats taken at occurrence occ (0: the series); KITH_* in *status. */
int64_t event_seats_taken(struct db *db, const struct event *e, int64_t occ,
    int *status);

/*
 * event_fill_all - keep the waitlist's promise in every answer pool of e
 * still to come (the series, and occurrences answered on their own):
 * seats of members who are gone (left, disabled by bounces, banned) are
 * released, then each free seat goes to the first one waiting, who is
 * told.  Where a seat can free up: an answer, more seats, a member who
 * leaves, cron.
 */
int event_fill_all(struct db *db, const struct list *l, const struct event *e,
    int64_t now);

/*
 * event_tell_waitlisted - the copy of the invitation that says TENTATIVE
 * and "on the waitlist", to member (a calendar that said Accepted is
 * corrected).
 */
int event_tell_waitlisted(struct db *db, const struct list *l,
    const struct event *e, int64_t member_id, int64_t occ, int64_t now);

#endif
