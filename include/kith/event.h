/*
 * event - meetups by email: iMIP invitations (RFC 6047) built with
 * libical (ical.h), updates and cancellations, RSVPs from calendar apps
 * (iTIP REPLY to team-events+TOKEN@) and by command (rsvp yes|no|maybe ID),
 * capacity with a waitlist, reminders and an RSVP nudge from cron, and a
 * PUBLISH feed.
 *
 * Each member's invitations name their own organizer address,
 * team-events+TOKEN@ (event_organizer): the calendar's answer comes back
 * to it, and the token, not the From, says whose answer it is.
 *
 * Invitations are queued one outbox row per member and rendered at
 * delivery time (event_personalise), like newsletters: each copy has its
 * own ATTENDEE line.  Reminders and nudges are queued exactly once per
 * occurrence and offset: the row that records it is inserted in the same
 * write transaction that queues them.  An RSVP is kept with the SEQUENCE
 * and DTSTAMP it came with; an older reply never overwrites a newer one.
 *
 * Functions taking a db work inside the caller's transaction unless they
 * say they open their own.
 */
#ifndef KITH_EVENT_H
#define KITH_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "kith/config.h"
#include "kith/feature.h"
#include "kith/lists.h"
#include "kith/tokens.h"
#include "kith/util.h"

#define EVENT_MAX_REMINDERS 4

struct event {
	int64_t id, list_id;
	char *uid, *title, *description, *location, *tz, *rrule, *state;
	int64_t start, duration, capacity, rsvp_by, created;
	int64_t remind[EVENT_MAX_REMINDERS];	/* seconds before; 0 = unused */
	int sequence;
	int64_t *exdates;	/* cancelled occurrences (UTC starts) */
	size_t nexdates;
};

void event_release(struct event *e);

/*
 * What the organiser gives; NULL fields stay as they are on update.  On
 * create, tz defaults to the list's "timezone" setting.
 */
struct event_spec {
	const char *title;
	const char *start;	/* "YYYY-MM-DD HH:MM" in tz */
	const char *end;	/* the same, instead of duration */
	const char *tz;
	int64_t duration;	/* seconds; 0 = unchanged (create: required) */
	const char *location;
	const char *description;
	const char *rrule;
	int64_t capacity;	/* -1 unchanged, 0 none */
	const char *remind;	/* "24h,1h" */
	const char *rsvp_by;	/* "YYYY-MM-DD" in tz */
};

/* "2h", "90m", "1d", "45s" -> seconds; -1 when malformed. */
int64_t event_duration_parse(const char *s);

/*
 * event_create - store and invite every member who gets mail (own
 * transaction).  KITH_OK with *id and *invited; KITH_PERM with err.
 */
int event_create(const struct kith_config *cfg, sqlite3 *db,
    const struct list *l, const struct event_spec *s, int64_t now,
    int64_t *id, int64_t *invited, char *err, size_t errlen);

/* Change, SEQUENCE+1, REQUEST to everyone invited (own transaction). */
int event_update(const struct kith_config *cfg, sqlite3 *db, int64_t id,
    const struct event_spec *s, int64_t now, int64_t *invited, char *err,
    size_t errlen);

/*
 * event_cancel - the whole event (occurrence 0) or one occurrence
 * (its local date "YYYY-MM-DD"); METHOD:CANCEL to everyone invited (own
 * transaction).
 */
int event_cancel(const struct kith_config *cfg, sqlite3 *db, int64_t id,
    const char *occurrence_date, int64_t now, int64_t *notified, char *err,
    size_t errlen);

/* KITH_OK and *e (event_release), or KITH_PERM when none. */
int event_get(sqlite3 *db, int64_t id, struct event *e);
/* By UID; KITH_PERM when none. */
int event_get_uid(sqlite3 *db, const char *uid, struct event *e);
int event_foreach(sqlite3 *db, int64_t list_id,
    int (*fn)(const struct event *, void *), void *ctx);

/* The next start at or after t (UTC), skipping cancelled ones; 0 if none. */
int64_t event_next_occurrence(const struct event *e, int64_t t);

struct event_counts {
	int64_t accepted, tentative, declined, waitlist, none;
};

/* One member's answer, as event_attendees reports it. */
struct event_attendee {
	const char *address, *name;
	const char *answer;	/* accepted tentative declined waitlist none */
	int64_t updated;
};

/* Answers for the series (occurrence 0) or one occurrence, and counts. */
int event_attendees(sqlite3 *db, const struct event *e, int64_t occurrence,
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
int event_rsvp(const struct kith_config *cfg, sqlite3 *db,
    const struct list *l, const struct event *e, int64_t member_id,
    int64_t occurrence, const char *partstat, int sequence, int64_t dtstamp,
    int64_t now, const char **result);

/*
 * event_organizer - the address a member's invitations to an event name
 * as ORGANIZER and Reply-To: "team-events+TOKEN@domain", TOKEN an HMAC
 * token (purpose "event", list, member address; payload "EVENT.MEMBER",
 * no expiry).  The same for every copy of the event to that member, so
 * that calendar apps match updates and cancellations.  NULL when no
 * token can be made.  Caller frees.
 */
char *event_organizer(const struct kith_config *cfg,
    const struct token_key *key, const struct list *l, int64_t event_id,
    int64_t member_id, const char *address);

struct mail_ctx;
struct message;

/*
 * event_handle_reply - mail to team-events@ or team-events+TOKEN@: find
 * the calendar (the text/calendar part or an .ics attachment), require
 * METHOD:REPLY, match the event by UID, record the answer.  Whose answer
 * it is:
 *  - token (the address's detail, else the one in the ORGANIZER the
 *    calendar echoes): the member the token names, for its event only.
 *    The ATTENDEE must be that member, or one address that is no member
 *    (an alias, logged); one that names another member changes nothing.
 *    A forged or damaged token, or one for another event: nothing.
 *  - no token: the ATTENDEE that is a member (or the sender, when it is a
 *    member and the one ATTENDEE is not).  Recorded at once only when
 *    the MTA vouches for the From (reply_sender_proven) and the
 *    From is that ATTENDEE or the member's own address; otherwise the
 *    member is asked to confirm "rsvp yes|no|maybe ID [DATE]" at the
 *    member's own address (membership_confirm_request).
 * Only ACCEPTED, DECLINED and TENTATIVE count; any other answer changes
 * nothing and the sender is told which ones are understood.  Problems
 * are answered politely, at most once a day per address.  One log line
 * in line.  KITH_OK, or KITH_TEMP on database trouble.  Caller's
 * transaction; c->key is required.
 */
int event_handle_reply(const struct mail_ctx *c, const char *token,
    const struct message *m, const char *from, char *line, size_t n);

/*
 * event_occurrence_on - the start of e's occurrence (not cancelled) on
 * local date "YYYY-MM-DD" in its zone; 0 when there is none.
 */
int64_t event_occurrence_on(const struct event *e, const char *date);

/*
 * event_find_calendar - the calendar in a mail: the text/calendar part or
 * an .ics attachment, decoded.  NULL when there is none.  Caller frees.
 */
char *event_find_calendar(const char *raw, size_t len);

/*
 * event_invite_member - a member who just joined gets invitations to the
 * list's upcoming events.  Caller's transaction.  Returns how many, or -1.
 */
int event_invite_member(sqlite3 *db, const struct list *l, int64_t member_id,
    const char *address, int64_t now);

/*
 * event_cron - seats freed by members who are gone, reminders and RSVP
 * nudges that are due (own transactions).  KITH_OK, else the status of
 * the first event that failed (the others still ran).
 */
int event_cron(const struct site_ctx *c, int64_t now);

/* The feature's row in the table (feature.h). */
extern const struct feature event_feature;

/* A METHOD:PUBLISH calendar of the list's upcoming events; caller frees. */
char *event_feed(sqlite3 *db, const struct list *l, int64_t now, char *err,
    size_t errlen);

/* Delivery: the copy an outbox row with render "event:..." stands for. */
struct event_cache;
struct event_cache *event_cache_new(sqlite3 *db);
void event_cache_free(struct event_cache *ec);
char *event_personalise(struct event_cache *ec, const struct kith_config *cfg,
    const struct token_key *key, const char *render, int64_t member_id,
    const char *rcpt, size_t *len);

#endif
