/*
 * event_cron - the event feature's cron step (feature.h): seats freed by
 * members who are gone go to those waiting, reminders before each
 * occurrence, and one RSVP nudge in the last day before the deadline.
 * Reminders and nudges are queued exactly once per occurrence and
 * offset: the row that records it is inserted in the same write
 * transaction that queues them.
 */
#ifndef KITH_EVENT_CRON_H
#define KITH_EVENT_CRON_H

#include <stdint.h>

#include "kith/feature.h"

/*
 * event_cron - what is due at now (own transactions).  KITH_OK, else the
 * status of the first event that failed (the others still ran).
 */
int event_cron(const struct site_ctx *c, int64_t now);

#endif
