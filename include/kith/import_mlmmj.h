/*
 * import_mlmmj - read an mlmmj list directory into an import plan
 * (import.h): control/listaddress, owner and moderators; the members of
 * subscribers.d/ (each message), digesters.d/ (digests: weekly, or daily
 * when control/digestinterval is a day or less) and nomailsubs.d/
 * (nomail); the control/ files Kith has a setting for (prefix,
 * moderated, modonlypost, subonlypost, modnonsubposts, closedlist,
 * closedlistsub, submod, nosubconfirm, noarchive, maxmailsize,
 * notifysub, modreqlife, subonlyget); every other control file goes to
 * plan->dropped with why; archive/ (numbered files) as the archive.
 */
#ifndef KITH_IMPORT_MLMMJ_H
#define KITH_IMPORT_MLMMJ_H

#include <stddef.h>

#include "kith/import.h"

/* 0, or -1 with one line in err (not an mlmmj list directory). */
int import_mlmmj_read(const char *listdir, struct import_plan *p, char *err,
    size_t errlen);

#endif
