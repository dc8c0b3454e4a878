/*
 * bans - addresses that may neither subscribe nor post: an exact address
 * or a shell pattern (*@spam.example, bot-*@*), for one list or for the
 * whole site (list_id 0).  Matching ignores case.
 */
#ifndef KITH_BANS_H
#define KITH_BANS_H

#include <stdint.h>

struct db;

/* Why pattern cannot be a ban ("is not an address or pattern", "would ban
 * every address; ..."), or NULL when it can. */
const char *ban_pattern_problem(const char *pattern);
/*
 * patterns_valid, patterns_match - a list setting of addresses and
 * patterns as bans take them, comma-separated (accept_nonmembers): 1
 * when each names some addresses and not every one; 1 when address
 * matches one of them (case ignored).
 */
int patterns_valid(const char *patterns);
int patterns_match(const char *patterns, const char *address);
/* Ban pattern from now on: KITH_OK (added or already there), KITH_PERM for
 * a pattern ban_pattern_problem refuses, KITH_TEMP. */
int ban_add(struct db *db, int64_t list_id, const char *pattern, int64_t now);
/* 1 removed, 0 not found, -1 error. */
int ban_remove(struct db *db, int64_t list_id, const char *pattern);
/* 1 when address is banned on list_id or site-wide. */
int ban_matches(struct db *db, int64_t list_id, const char *address);
/* Each ban of list_id (0: site-wide ones) as fn(pattern, ctx). */
int ban_foreach(struct db *db, int64_t list_id,
    int (*fn)(const char *pattern, void *ctx), void *ctx);

#endif
