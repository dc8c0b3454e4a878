/* throttle - shared sending rates (GCRA without burst). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kith/db.h"
#include "kith/throttle.h"
#include "kith/util.h"

int
throttle_parse(const char *spec, int64_t *interval_us)
{
	static const struct { const char *unit; int64_t us; } units[] = {
		{ "s", 1000000LL }, { "sec", 1000000LL }, { "min", 60000000LL },
		{ "m", 60000000LL }, { "h", 3600000000LL },
		{ "hour", 3600000000LL }, { "day", 86400000000LL },
		{ "d", 86400000000LL },
	};
	long long count;
	char unit[8], extra;

	*interval_us = 0;
	if (*spec == '\0' || !strcmp(spec, "0"))
		return 0;
	if (sscanf(spec, "%lld/%7[a-z]%c", &count, unit, &extra) != 2 ||
	    count <= 0 || count > 100000000LL)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(unit, units[i].unit)) {
			*interval_us = units[i].us / count;
			if (*interval_us == 0)
				*interval_us = 1;
			return 0;
		}
	return -1;
}

int64_t
throttle_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
throttle_take(struct db *db, const struct throttle_scope *scopes, int n,
    int64_t now_us, int64_t *wait_us)
{
	int64_t wait = 0, tat[8];
	int st;

	*wait_us = 0;
	if (n > 8)
		n = 8;
	if ((st = db_begin(db)) != KITH_OK)
		return st;
	for (int i = 0; i < n; i++) {
		tat[i] = db_int(db, 0, &st, "SELECT tat FROM throttle WHERE "
		    "scope=?", "t", scopes[i].name);
		if (st != KITH_OK)
			goto fail;
		if (scopes[i].interval_us > 0 && tat[i] - now_us > wait)
			wait = tat[i] - now_us;
	}
	if (wait > 0) {
		db_rollback(db);
		*wait_us = wait;
		return KITH_OK;
	}
	for (int i = 0; i < n; i++) {
		int64_t next;

		if (scopes[i].interval_us <= 0)
			continue;
		next = (tat[i] > now_us ? tat[i] : now_us) + scopes[i].interval_us;
		st = db_exec(db, "INSERT INTO throttle(scope, tat) VALUES (?, ?) "
		    "ON CONFLICT(scope) DO UPDATE SET tat=excluded.tat", "ti",
		    scopes[i].name, next);
		if (st != KITH_OK)
			goto fail;
	}
	return db_commit(db);
fail:
	db_rollback(db);
	return st;
}

int
throttle_allow(struct db *db, const char *scope, int64_t interval_us,
    int64_t burst, int64_t now_us, int64_t *wait_us)
{
	int64_t tat, tolerance;
	int st;

	*wait_us = 0;
	if (interval_us <= 0)
		return KITH_OK;
	if (burst < 1)
		burst = 1;
	/* GCRA with a burst: allowed while tat is at most burst-1 intervals
	 * ahead of now; each grant moves tat on by one interval */
	tolerance = (burst - 1) * interval_us;
	tat = db_int(db, 0, &st, "SELECT tat FROM throttle WHERE scope=?", "t",
	    scope);
	if (st != KITH_OK)
		return st;
	if (tat < now_us)
		tat = now_us;
	if (tat - now_us > tolerance) {
		*wait_us = tat - now_us - tolerance;
		return KITH_OK;
	}
	return db_exec(db, "INSERT INTO throttle(scope, tat) VALUES (?, ?) "
	    "ON CONFLICT(scope) DO UPDATE SET tat=excluded.tat", "ti", scope,
	    tat + interval_us);
}

int
throttle_prune(struct db *db, const char *prefix, int64_t now_us)
{
	/* the length cast: PostgreSQL's substr takes an integer, and Kith's
	 * parameters are bigint there */
	return db_exec(db, "DELETE FROM throttle WHERE substr(scope, 1, "
	    "CAST(? AS INTEGER))=? AND tat<?", "Iti", (int)strlen(prefix),
	    prefix, now_us);
}
