/* test_timeutil - schedule slots in named zones, DST included. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kith/timeutil.h"
#include "unit.h"

static const struct {
	const char *tz;
	int hour, minute, weekday;
	int64_t now, want;
} cases[] = {
	/* Seoul 07:00 = 22:00 UTC the day before */
	{ "Asia/Seoul", 7, 0, -1, 1795557599 /* 2026-11-24 21:59:59Z */,
	  1795471200 /* 2026-11-23 22:00Z */ },
	{ "Asia/Seoul", 7, 0, -1, 1795557600, 1795557600 },
	/* New York 07:00: 11:00Z on Oct 31 (EDT), 12:00Z on Nov 1 (EST) */
	{ "America/New_York", 7, 0, -1, 1793448000 /* Oct 31 12:00Z */,
	  1793444400 /* Oct 31 11:00Z */ },
	{ "America/New_York", 7, 0, -1, 1793534400, 1793534400 /* Nov 1 12:00Z */ },
	{ "America/New_York", 7, 0, -1, 1793534399, 1793444400 },
	/* weekly on Friday (5), Seoul, asked on Thursday 2026-12-03 23:00Z
	 * (Fri 08:00 KST): Fri 07:00 KST = Thu 22:00Z */
	{ "Asia/Seoul", 7, 0, 5, 1796338800, 1796335200 },
	/* ...asked a minute before: the Friday a week earlier */
	{ "Asia/Seoul", 7, 0, 5, 1796335199, 1795730400 },
	{ "UTC", 0, 0, -1, 86400 * 10 + 5, 86400 * 10 },
};

START_TEST(test_slots)
{
	int64_t got = schedule_last_slot(cases[_i].tz, cases[_i].hour,
	    cases[_i].minute, cases[_i].weekday, cases[_i].now);

	ck_assert_msg(got == cases[_i].want, "%s %02d:%02d wd %d at %lld: got "
	    "%lld, want %lld", cases[_i].tz, cases[_i].hour, cases[_i].minute,
	    cases[_i].weekday, (long long)cases[_i].now, (long long)got,
	    (long long)cases[_i].want);
}
END_TEST

START_TEST(test_zones)
{
	ck_assert_int_eq(tz_valid("Europe/Prague"), 1);
	ck_assert_int_eq(tz_valid("UTC"), 1);
	ck_assert_int_eq(tz_valid("Mars/Olympus"), 0);
	ck_assert_int_eq(tz_valid("../../etc/passwd"), 0);
	ck_assert_int_eq(tz_valid(""), 0);
	ck_assert_int_eq(year_in_tz("Asia/Seoul", 1798729200 /* 2026-12-31 15:00Z */), 2027);
	ck_assert_int_eq(year_in_tz("UTC", 1798729200), 2026);
}
END_TEST

/* A wall-clock time the clocks skip is refused (-2), not moved an hour
 * on by mktime; the hour after it, and the doubled autumn hour, are
 * times. */
START_TEST(test_local_skipped)
{
	int64_t t = 0;

	ck_assert_int_eq(local_time_parse("2027-03-28 02:30", "Europe/Prague",
	    &t), -2);
	ck_assert_int_eq(local_time_parse("2027-03-28 02:00", "Europe/Prague",
	    &t), -2);
	ck_assert_int_eq(local_time_parse("2027-03-14 02:30",
	    "America/New_York", &t), -2);
	ck_assert_int_eq(local_time_parse("2027-03-28 03:30", "Europe/Prague",
	    &t), 0);
	ck_assert_int_eq(t, 1806197400);	/* 01:30Z */
	ck_assert_int_eq(local_time_parse("2027-03-28 01:59", "Europe/Prague",
	    &t), 0);
	ck_assert_int_eq(local_time_parse("2027-10-31 02:30", "Europe/Prague",
	    &t), 0);
	ck_assert_int_eq(local_time_parse("2027-03-28 02:30", "UTC", &t), 0);
	ck_assert_int_eq(local_time_parse("2027-02-30 10:00", "UTC", &t), -1);
}
END_TEST

/* A day that does not exist is not moved into the next month. */
START_TEST(test_utc_day)
{
	ck_assert_int_eq(utc_day(2027, 3, 1), 1803859200);
	ck_assert_int_eq(utc_day(2027, 2, 29), -1);
	ck_assert_int_eq(utc_day(2028, 2, 29), 1835395200);
	ck_assert_int_eq(utc_day(2100, 2, 29), -1);	/* not a leap year */
	ck_assert_int_eq(utc_day(2000, 2, 29), 951782400);
	ck_assert_int_eq(utc_day(2026, 4, 31), -1);
	ck_assert_int_eq(utc_day(2026, 12, 31), 1798675200);
	ck_assert_int_eq(utc_day(2026, 13, 1), -1);
	ck_assert_int_eq(utc_day(2026, 0, 1), -1);
	ck_assert_int_eq(utc_day(1969, 12, 31), -1);
	ck_assert_int_eq(utc_day(1970, 1, 1), 0);
	ck_assert_int_eq(utc_day(10000, 1, 1), -1);
}
END_TEST

/* utc_strftime: UTC whatever TZ says; "" when the buffer is too small. */
START_TEST(test_utc)
{
	const char *was = getenv("TZ");
	char buf[32], *saved = was ? strdup(was) : NULL;

	setenv("TZ", "Asia/Seoul", 1);
	utc_strftime(1798729200, "%Y-%m-%dT%H:%M:%SZ", buf, sizeof(buf));
	ck_assert_str_eq(buf, "2026-12-31T15:00:00Z");
	utc_strftime(1798729200, "%Y-%m-%d", buf, 8);
	ck_assert_str_eq(buf, "");
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	free(saved);
}
END_TEST

Suite *
timeutil_suite(void)
{
	Suite *s = suite_create("timeutil");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_slots, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_zones);
	tcase_add_test(tc, test_utc);
	tcase_add_test(tc, test_utc_day);
	tcase_add_test(tc, test_local_skipped);
	suite_add_tcase(s, tc);
	return s;
}
