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

#endif
