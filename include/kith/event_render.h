/*
 * event_render - what members read about an event: each member's own
 * copy of an invitation, update, cancellation, waitlist or seat (text,
 * HTML and the calendar whose ATTENDEE line is theirs, built with the
 * MIME builder), the notices (reminders, nudges), and the PUBLISH feed.
 * Part of the event feature (event.h).
 *
 * Invitations are queued one outbox row per member and rendered at
 * delivery time (event_personalise): "event:ID:KIND[:OCC]", KIND one of
 * REQUEST (invitation or update), CANCEL, WAITLIST (PARTSTAT=TENTATIVE,
 * "you are on the waitlist"), SEAT (PARTSTAT=ACCEPTED, "a seat is
 * yours"); OCC the occurrence (0: the series).
 */
#ifndef KITH_EVENT_RENDER_H
#define KITH_EVENT_RENDER_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "kith/config.h"
#include "kith/event_store.h"
#include "kith/lists.h"
#include "kith/tokens.h"

/*
 * event_notice - queue a notice about occurrence occ of e (0: its start)
 * to one address: template tmpl, subject_fmt with the title and the
 * time; deadline, when not NULL, is {{event.deadline}}.
 */
int event_notice(const struct kith_config *cfg, sqlite3 *db,
    const struct list *l, const struct event *e, int64_t occ, const char *to,
    const char *name, const char *tmpl, const char *subject_fmt,
    const char *deadline);

/* A METHOD:PUBLISH calendar of the list's upcoming events; caller frees. */
char *event_feed(sqlite3 *db, const struct list *l, int64_t now, char *err,
    size_t errlen);

/* Delivery: the copy an outbox row with render "event:..." stands for. */
struct event_cache;
struct event_cache *event_cache_new(sqlite3 *db);
void event_cache_free(struct event_cache *ec);

/*
 * event_personalise - one member's copy of "event:ID:KIND[:OCC]": the
 * text, the HTML and the calendar, whose ATTENDEE line is theirs and
 * tells their state: NEEDS-ACTION for an invitation, TENTATIVE while
 * they wait for a seat, ACCEPTED once a seat is theirs; its ORGANIZER
 * and Reply-To are the member's own address for the event
 * (event_organizer), the same in every copy.  NULL when it cannot be
 * made (logged).  Caller frees.
 */
char *event_personalise(struct event_cache *ec, const struct kith_config *cfg,
    const struct token_key *key, const char *render, int64_t member_id,
    const char *rcpt, size_t *len);

#endif
