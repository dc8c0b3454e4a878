/*
 * timeutil - wall-clock times in a list's time zone.  Kith stores UTC
 * seconds; schedules ("07:00 in Asia/Seoul, on Mondays") are computed
 * here with the system's zoneinfo, DST changes included.
 */
#ifndef KITH_TIMEUTIL_H
#define KITH_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* 1 when tz names a zone in the system's zoneinfo (or is UTC). */
int tz_valid(const char *tz);

/*
 * schedule_last_slot - the latest moment <= now that is HH:MM local time
 * in tz (and, when weekday is 0..6 = sun..sat, on that weekday); -1 for
 * "every day".  UTC seconds.
 */
int64_t schedule_last_slot(const char *tz, int hour, int minute, int weekday,
    int64_t now);

/*
 * local_time_parse - "YYYY-MM-DD HH:MM" (or "YYYY-MM-DDTHH:MM", or a
 * bare date for midnight) as wall-clock time in tz, to UTC seconds.
 * 0, or -1 for a malformed or impossible date or an unknown zone, -2
 * for a time the clocks skip in tz (02:30 on the night summer time
 * begins; mktime would make it 03:30).
 */
int local_time_parse(const char *s, const char *tz, int64_t *out);
/* The line refusing s, local_time_parse's rc < 0: a time the clocks
 * skip in tz, or not a time written like `like`. */
void local_time_refusal(int rc, const char *s, const char *tz,
    const char *like, char *buf, size_t n);

/* "2026-12-01 09:00 CET": t shown in tz, into buf of n. */
void local_time_format(const char *tz, int64_t t, char *buf, size_t n);

/* strftime(fmt) of t in tz into buf of n ("" when it does not fit). */
void local_time_strftime(const char *tz, int64_t t, const char *fmt,
    char *buf, size_t n);
/* The same in UTC, with no time zone to enter (safe in threads). */
void utc_strftime(int64_t t, const char *fmt, char *buf, size_t n);

/* Midnight UTC of day y-m-d; -1 when there is no such day (2027-02-29,
 * 04-31: timegm would move it into the next month) or y is outside
 * 1970-9999. */
int64_t utc_day(int y, int m, int d);

/* "2h", "90m", "60d", "1d12h" -> seconds (at most 10 years); -1 if malformed. */
int64_t duration_parse(const char *s);

/* Year of t in tz. */
int year_in_tz(const char *tz, int64_t t);

#endif
