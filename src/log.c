/* log - decision lines on stderr. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kith/log.h"

/* Set once at start-up from the configuration; read-only afterwards. */
static int log_threshold = LOG_LVL_WARN;

void
log_set_level(int level)
{
	log_threshold = level;
}

int
log_level_parse(const char *name)
{
	static const char *names[] = { "error", "warn", "info", "debug" };

	for (int i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

static void
log_emit(int level, const char *fmt, va_list ap)
{
	char line[2048];

	if (level > log_threshold)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	/* One write per line so concurrent processes do not interleave. */
	fprintf(stderr, "kith: %s\n", line);
}

#define LOG_FN(name, level) \
void \
name(const char *fmt, ...) \
{ \
	va_list ap; \
	va_start(ap, fmt); \
	log_emit(level, fmt, ap); \
	va_end(ap); \
}

LOG_FN(log_error, LOG_LVL_ERROR)
LOG_FN(log_warn, LOG_LVL_WARN)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_debug, LOG_LVL_DEBUG)
