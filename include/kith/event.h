/*
 * event - meetups by email, the event feature: iMIP invitations (RFC
 * 6047) built with libical (ical.h), updates and cancellations, RSVPs
 * from calendar apps (iTIP REPLY to team-events+TOKEN@) and by command
 * (rsvp yes|no|maybe ID), capacity with a waitlist, reminders and an
 * RSVP nudge from cron, a PUBLISH feed, and its section of the digest.
 *
 * The feature is six files, one a hook of the feature table (feature.h):
 *
 *   event.c         what an organiser does (create, update, cancel), the
 *                   member hooks, the rsvp command, the digest section,
 *                   and the feature's row
 *   event_store.c   rows, occurrences, the values of every event text
 *   event_rsvp.c    answers, capacity, waitlist, promotion
 *   event_imip.c    calendar answers and per-member organizer tokens
 *   event_render.c  each member's copy, the notices, the feed
 *   event_cron.c    seats, reminders, the nudge
 *
 * This header brings them all; the files include only what they use.
 * Functions taking a db work inside the caller's transaction unless they
 * say they open their own.
 */
#ifndef KITH_EVENT_H
#define KITH_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "kith/config.h"
#include "kith/event_cron.h"
#include "kith/event_imip.h"
#include "kith/event_render.h"
#include "kith/event_rsvp.h"
#include "kith/event_store.h"
#include "kith/feature.h"
#include "kith/lists.h"
#include "kith/tokens.h"
#include "kith/util.h"

struct db;

/*
 * event_create - store and invite every member who gets mail (own
 * transaction).  KITH_OK with *id and *invited; KITH_PERM with err.
 */
int event_create(const struct kith_config *cfg, struct db *db,
    const struct list *l, const struct event_spec *s, int64_t now,
    int64_t *id, int64_t *invited, char *err, size_t errlen);

/*
 * event_update - change, SEQUENCE+1, REQUEST to everyone invited; more
 * seats (or none as a limit) move the waitlist up (own transaction).
 */
int event_update(const struct kith_config *cfg, struct db *db, int64_t id,
    const struct event_spec *s, int64_t now, int64_t *invited, char *err,
    size_t errlen);

/*
 * event_cancel - the whole event (occurrence 0) or one occurrence
 * (its local date "YYYY-MM-DD"); METHOD:CANCEL to everyone invited (own
 * transaction).
 */
int event_cancel(const struct kith_config *cfg, struct db *db, int64_t id,
    const char *occurrence_date, int64_t now, int64_t *notified, char *err,
    size_t errlen);

/* The feature's row in the table (feature.h). */
extern const struct feature event_feature;

#endif
