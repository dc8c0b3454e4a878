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
 * Weeks run from the later of the window's start and the list's
 * beginning (its creation, or its first post if the archive is older).
 * Top contributors: the five current members with the most posts in the
 * window, named; non-members whose held posts were approved and former
 * members are not named (a report names the people on the list), but
 * their posts count in the posts, posters and threads.
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

#include "kith/lists.h"

struct db;

struct stats;

/*
 * Compute everything for list l from one read snapshot (one
 * transaction); NULL on a database error.  Caller frees with stats_free().
 */
struct stats *stats_compute(struct db *db, const struct list *l, int64_t now,
    int64_t since);
void stats_free(struct stats *s);

void stats_write_text(const struct stats *s, FILE *out);
void stats_write_json(const struct stats *s, FILE *out);
void stats_write_html(const struct stats *s, FILE *out);

#endif
