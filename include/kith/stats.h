/*
 * stats - the engagement report: members (joined, left, modes), posts
 * per week, posters, replies per thread, top contributors, retention by
 * join month, the member funnel, event RSVP rates, newsletter delivery
 * and bounce rates, the onboarding funnel.  Computed from what Kith
 * already stores (member_log, posts, rsvps, outbox, bounces), written as
 * text, JSON, or one self-contained HTML file with inline SVG charts (no
 * scripts, fonts or images from anywhere).
 *
 * Definitions (also in kith(1)): the window is [now - since, now].
 * Funnel, over members who joined in the window: subscribed (joined or
 * asked to) -> confirmed (became a member) -> first post -> regular
 * poster (3+ posts in the last 30 days) ; lapsed = current members who
 * joined 60+ days ago with neither a post nor an RSVP in the last 60
 * days.  Retention: of the members who joined in a month, the share not
 * gone 30 (90) days later; null until that day has come.
 */
#ifndef KITH_STATS_H
#define KITH_STATS_H

#include <stdint.h>
#include <stdio.h>
#include <sqlite3.h>

#include "kith/lists.h"

struct stats;

/* Compute everything for list l; NULL on a database error. */
struct stats *stats_compute(sqlite3 *db, const struct list *l, int64_t now,
    int64_t since);
void stats_free(struct stats *s);

void stats_write_text(const struct stats *s, FILE *out);
void stats_write_json(const struct stats *s, FILE *out);
void stats_write_html(const struct stats *s, FILE *out);

#endif
