/*
 * throttle - sending rates ("600/min") kept in the database, so that
 * every delivery worker, every run and every racing cron shares them.
 *
 * Each scope (the site, or one list) has a theoretical arrival time:
 * a send is granted when it has come, and moves it on by one interval
 * (period / count).  Grants are therefore spaced at least one interval
 * apart, so no window of the period ever holds more than count sends.
 */
#ifndef KITH_THROTTLE_H
#define KITH_THROTTLE_H

#include <stdint.h>

struct db;

/*
 * throttle_parse - "600/min", "10/s", "5000/h", "20000/day"; "" or "0"
 * means no limit (*interval_us = 0).  0 on success, -1 for anything else.
 */
int throttle_parse(const char *spec, int64_t *interval_us);

/* Microseconds since the epoch (wall clock, as faketime sees it). */
int64_t throttle_now_us(void);

struct throttle_scope {
	const char *name;	/* "site", "list:7" */
	int64_t interval_us;	/* 0: not limited */
};

/*
 * throttle_take - one send for every scope at once, in its own write
 * transaction.  KITH_OK and *wait_us = 0 when granted; KITH_OK and the
 * microseconds to wait when not yet; KITH_TEMP when the database is busy.
 */
int throttle_take(struct db *db, const struct throttle_scope *scopes, int n,
    int64_t now_us, int64_t *wait_us);

/*
 * throttle_allow - rate limits on requests from outside (kith serve's
 * join form): at most burst at once, then one per interval_us, for
 * scope.  Inside the caller's write transaction.  KITH_OK with *wait_us 0
 * when allowed (and counted), KITH_OK with the microseconds to wait
 * when not (nothing counted), KITH_TEMP when the database is busy.
 */
int throttle_allow(struct db *db, const char *scope, int64_t interval_us,
    int64_t burst, int64_t now_us, int64_t *wait_us);

/* Forget the scopes starting with prefix that have caught up with now
 * (they would allow a full burst anyway); caller's transaction. */
int throttle_prune(struct db *db, const char *prefix, int64_t now_us);

#endif
