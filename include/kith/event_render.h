/*
 * event_render - what members read about an event: each member's own
 * copy of an invitation, update, cancellation, waitlist or seat (text,
 * HTML and the calendar whose ATTENDEE line is theirs, built with the
 * MIME builder), the notices (reminders, nudges), and the PUBLISH feed.
 * Part of the event feature (event.h).  Every word a member reads is a
 * template (event_schema, event_store.h), in the reader's language.
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

#include "kith/config.h"
#include "kith/event_store.h"
#include "kith/lists.h"
#include "kith/tokens.h"

struct db;

/*
 * event_notice - queue the notice tmpl (event-reminder.txt,
 * event-nudge.txt) about occurrence occ of e (0: its start) to one
 * address, in lang (NULL: the reader's, notice_lang): the event's values
 * (event_values) and its answer deadline (event_deadline_values).
 */
int event_notice(const struct kith_config *cfg, struct db *db,
    const struct list *l, const struct event *e, int64_t occ, const char *to,
    const char *name, const char *tmpl, const char *lang);

/* A METHOD:PUBLISH calendar of the list's upcoming events; caller frees. */
char *event_feed(struct db *db, const struct list *l, int64_t now, char *err,
    size_t errlen);

/* Delivery: the copy an outbox row with render "event:..." stands for. */
struct event_cache;
struct event_cache *event_cache_new(struct db *db);
void event_cache_free(struct event_cache *ec);

/*
 * event_personalise - one member's copy of "event:ID:KIND[:OCC]" in the
 * member's language (notice_lang): the text and the HTML in that
 * language (event/invitation.txt and .html, event/cancelled.txt and
 * .html, event-waitlisted.txt, event-promoted.txt), and the calendar,
 * whose ATTENDEE line is theirs and tells their state: NEEDS-ACTION for
 * an invitation, TENTATIVE while they wait for a seat, ACCEPTED once a
 * seat is theirs; its ORGANIZER and Reply-To are the member's own
 * address for the event (event_organizer), the same in every copy.
 * NULL when it cannot be made (logged).  Caller frees.
 * event_personalise_in - the same in lang (NULL: the member's).
 */
char *event_personalise(struct event_cache *ec, const struct kith_config *cfg,
    const struct token_key *key, const char *render, int64_t member_id,
    const char *rcpt, size_t *len);
char *event_personalise_in(struct event_cache *ec,
    const struct kith_config *cfg, const struct token_key *key,
    const char *render, int64_t member_id, const char *rcpt,
    const char *lang, size_t *len);

#endif
