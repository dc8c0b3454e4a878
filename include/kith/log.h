/*
 * log - one line per decision on stderr: "kith: subsystem: what: detail".
 * The level is set once from the configuration; messages below it are
 * dropped.  Never pass tokens, passwords or keys to these functions.
 */
#ifndef KITH_LOG_H
#define KITH_LOG_H

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(int level);
/* "error", "warn", "info", "debug" -> level, or -1. */
int log_level_parse(const char *name);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
