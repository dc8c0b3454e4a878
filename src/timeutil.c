/* timeutil - local times via TZ and mktime (DST handled by libc). */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kith/timeutil.h"
#include "kith/util.h"

int
tz_valid(const char *tz)
{
	char *path;
	int ok;

	if (!strcmp(tz, "UTC"))
		return 1;
	if (*tz == '\0' || *tz == '/' || strstr(tz, "..") || strlen(tz) > 64)
		return 0;
	path = xasprintf("/usr/share/zoneinfo/%s", tz);
	ok = access(path, R_OK) == 0;
	free(path);
	return ok;
}

/*
 * with_tz - switch the process's zone for one computation.  TZ is the
 * only way libc converts in a named zone; the old value is restored.
 * kith serve runs modules on two threads (pages, LMTP): one switch at a
 * time, held until tz_leave.
 */
static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

static char *
tz_enter(const char *tz)
{
	const char *old;
	char *saved;

	pthread_mutex_lock(&tz_lock);
	old = getenv("TZ");
	saved = old ? xstrdup(old) : NULL;

	setenv("TZ", tz, 1);
	tzset();
	return saved;
}

static void
tz_leave(char *saved)
{
	if (saved) {
		setenv("TZ", saved, 1);
		free(saved);
	} else
		unsetenv("TZ");
	tzset();
	pthread_mutex_unlock(&tz_lock);
}

int64_t
schedule_last_slot(const char *tz, int hour, int minute, int weekday,
    int64_t now)
{
	char *saved = tz_enter(tz);
	time_t t = (time_t)now;
	struct tm lt;
	int64_t slot = 0;

	localtime_r(&t, &lt);
	/* Walk back day by day (at most 8) to the first matching slot <= now. */
	for (int back = 0; back < 9; back++) {
		struct tm c = lt;
		time_t s;

		c.tm_mday -= back;
		c.tm_hour = hour;
		c.tm_min = minute;
		c.tm_sec = 0;
		c.tm_isdst = -1;
		s = mktime(&c);	/* normalises the day; c.tm_wday is right now */
		if (s == (time_t)-1)
			continue;
		if ((int64_t)s <= now && (weekday < 0 || c.tm_wday == weekday)) {
			slot = (int64_t)s;
			break;
		}
	}
	tz_leave(saved);
	return slot;
}

int
year_in_tz(const char *tz, int64_t t)
{
	char *saved = tz_enter(tz);
	time_t tt = (time_t)t;
	struct tm lt;

	localtime_r(&tt, &lt);
	tz_leave(saved);
	return lt.tm_year + 1900;
}

int
local_time_parse(const char *s, const char *tz, int64_t *out)
{
	struct tm lt;
	int y, mo, d, h = 0, mi = 0, n = 0;
	char *saved;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
		return -1;
	s += n;
	if (*s == ' ' || *s == 'T') {
		if (sscanf(s + 1, "%2d:%2d%n", &h, &mi, &n) != 2)
			return -1;
		s += 1 + n;
	}
	if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || y < 1970 || y > 9999 || !tz_valid(tz))
		return -1;
	memset(&lt, 0, sizeof(lt));
	lt.tm_year = y - 1900;
	lt.tm_mon = mo - 1;
	lt.tm_mday = d;
	lt.tm_hour = h;
	lt.tm_min = mi;
	lt.tm_isdst = -1;
	saved = tz_enter(tz);
	t = mktime(&lt);
	tz_leave(saved);
	if (t == (time_t)-1 || lt.tm_mday != d)
		return -1;	/* 2026-02-30 normalised into March */
	if (lt.tm_hour != h || lt.tm_min != mi)
		return -2;	/* 02:30 when the clocks go from 02:00 to 03:00 */
	*out = (int64_t)t;
	return 0;
}

void
local_time_refusal(int rc, const char *s, const char *tz, const char *like,
    char *buf, size_t n)
{
	if (rc == -2)
		snprintf(buf, n, "'%s' does not exist in %s: the clocks skip "
		    "that hour (summer time begins); give the time after it",
		    s, tz);
	else
		snprintf(buf, n, "'%s' is not a time like \"%s\"", s, like);
}

void
local_time_format(const char *tz, int64_t t, char *buf, size_t n)
{
	local_time_strftime(tz, t, "%Y-%m-%d %H:%M %Z", buf, n);
}

void
local_time_strftime(const char *tz, int64_t t, const char *fmt, char *buf,
    size_t n)
{
	char *saved = tz_enter(tz);
	time_t tt = (time_t)t;
	struct tm lt;

	localtime_r(&tt, &lt);
	if (strftime(buf, n, fmt, &lt) == 0 && n)
		buf[0] = '\0';
	tz_leave(saved);
}

int64_t
utc_day(int y, int m, int d)
{
	struct tm tm;
	time_t t;

	if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	t = timegm(&tm);
	if (t == (time_t)-1 || gmtime_r(&t, &tm) == NULL || tm.tm_mday != d)
		return -1;
	return (int64_t)t;
}

void
utc_strftime(int64_t t, const char *fmt, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	if (strftime(buf, n, fmt, &tm) == 0 && n)
		buf[0] = '\0';
}

int64_t
duration_parse(const char *s)
{
	int64_t total = 0;

	if (*s == '\0')
		return -1;
	while (*s) {
		char *end;
		long long n = strtoll(s, &end, 10);
		int64_t unit;

		/* bounded before multiplying: "144115188075855873d" must not
		 * wrap around to one day */
		if (end == s || n < 0 || n > 3660LL * 86400)
			return -1;
		switch (*end) {
		case 'd': unit = 86400; break;
		case 'h': unit = 3600; break;
		case 'm': unit = 60; break;
		case 's': unit = 1; break;
		default: return -1;
		}
		total += n * unit;
		if (total > 3660LL * 86400)
			return -1;
		s = end + 1;
	}
	return total > 0 && total <= 3660LL * 86400 ? total : -1;
}
