/*
 * cron - what `kith cron` does every minute before it delivers: the
 * core's jobs (held posts that expire, pending confirmations and nomail
 * periods, digests that are due), then each feature's cron step in the
 * order of the feature table (feature.h).
 *
 * Every job has the same signature and status convention (KITH_OK,
 * KITH_TEMP, KITH_PERM); a job that fails is logged and the others still
 * run.  Each job keeps its own transactions and is safe to run twice at
 * the same time, so a second cron changes nothing (cmd_deliver.c keeps
 * two crons from overlapping anyway).
 */
#ifndef KITH_CRON_H
#define KITH_CRON_H

#include <stdint.h>

#include "kith/config.h"

struct db;

/*
 * cron_run - every job that is due at now.  KITH_OK when all went
 * well, else the worst status any job returned (each logged); KITH_TEMP
 * without running any when the token key cannot be read.
 */
int cron_run(const struct kith_config *cfg, struct db *db, int64_t now);

/*
 * cron_mark, cron_last_run - when kith cron last ran, kept in its lock
 * file (DATA_DIR/cron.lock) as the time of Kith's clock (which tests pin;
 * libfaketime shifts a file's own times): cron_mark writes now into the
 * open lock fd (0, -1 with errno); cron_last_run reads it for kith check
 * and /metrics, the file's time for a lock without one (kith init made
 * it, or an older Kith ran), -1 when there is no lock.
 */
int cron_mark(int fd, int64_t now);
int64_t cron_last_run(const struct kith_config *cfg);

#endif
