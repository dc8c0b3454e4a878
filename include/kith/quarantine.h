/* quarantine - what an organiser does with the messages Kith kept
 * because it could not handle them (inbound.c keeps them). */
#ifndef KITH_QUARANTINE_H
#define KITH_QUARANTINE_H

#include <stdint.h>

#include "kith/config.h"
#include "kith/db.h"
#include "kith/inbound.h"

/*
 * quarantine_retry - hand kept message id to inbound_receive again, with
 * the envelope it came with, as if the MTA delivered it now (after an
 * upgrade that reads it, or once its list exists).  res says what
 * happened.  Handled (exit 0): its row goes; kept again (res->what
 * "quarantined"): the new row, with today's reason, replaces it; told
 * to wait (75) or refused (65, 67): it stays.  KITH_OK when it was
 * tried; KITH_PERM, err set, when there is no such message; KITH_TEMP
 * when the database is busy.
 */
int quarantine_retry(const struct kith_config *cfg, int64_t id,
    struct inbound_result *res, char *err, size_t errlen);

/* quarantine_remove - forget kept message id: KITH_OK, KITH_PERM when
 * there is none, KITH_TEMP when the database is busy. */
int quarantine_remove(struct db *db, int64_t id);

#endif
