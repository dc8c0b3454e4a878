/*
 * import_mailman - read what Mailman's own commands write into an import
 * plan (import.h).  A folder holds, by name (README "Moving to Kith"
 * gives the commands):
 *   members.txt         every member: `mailman members LIST` (3) or
 *                       `list_members -f LIST` (2): "Name <addr>" or "addr"
 *                       a line; a CSV with an "email" or "address" column
 *                       works too
 *   digest.txt          digest members (`-d any` / `-d`), digest-daily
 *   digest-plain.txt    plain-text digest members (`-d plaintext`/`plain`)
 *   nomail.txt          members with delivery off (`-n any` / `-n`)
 *   owners.txt, moderators.txt   Mailman 3 (`-R owner`, `-R moderator`)
 *   settings.json       Mailman 3: the list's settings as JSON (the
 *                       REST API's config, or `mailman shell` printing
 *                       them; text around the object is ignored)
 *   config.py           Mailman 2: `config_list -o config.py LIST`
 *   archive.mbox        the archive, optional (an mbox file)
 * Settings Kith has are mapped; every other one goes to plan->dropped.
 */
#ifndef KITH_IMPORT_MAILMAN_H
#define KITH_IMPORT_MAILMAN_H

#include <stddef.h>

#include "kith/import.h"

/* version 2 or 3.  0, or -1 with one line in err. */
int import_mailman_read(int version, const char *dir, struct import_plan *p,
    char *err, size_t errlen);

/*
 * import_mailman2_config - the assignments of `config_list -o` output:
 * fn(name, value, ctx) for each, value as Python wrote it made plain
 * (strings unquoted and unescaped, lists as one item a line, True/False
 * as 1/0).  0, or -1 at the first thing it cannot read (err says where).
 * For the parser's tests.
 */
int import_mailman2_config(const char *text,
    void (*fn)(const char *name, const char *value, void *ctx), void *ctx,
    char *err, size_t errlen);

/* The first JSON object in text, flat: fn(key, value) for each member
 * whose value is a string, number, true/false or null ("" for null).
 * 0, or -1 when there is none or it is not JSON. */
int import_mailman3_settings(const char *text,
    void (*fn)(const char *key, const char *value, void *ctx), void *ctx,
    char *err, size_t errlen);

#endif
