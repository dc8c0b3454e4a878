/* test_poll - reading votes, table-driven. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "kith/poll.h"
#include "unit.h"

Suite *
poll_suite(void)
{
	Suite *s = suite_create("poll");

	return s;
}
