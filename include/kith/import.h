/*
 * import - moving a list in from another list manager.  Each reader
 * (import_mlmmj.h, import_mailman.h) fills a struct import_plan from the
 * other system's files; import_apply carries it out for every reader
 * alike: the list (made when missing), its members with their roles and
 * delivery modes, the settings Kith has, and the archive (through
 * archive_add_old: original dates kept, duplicates skipped, nothing
 * delivered).  Settings Kith cannot carry are listed in plan->dropped
 * for the person importing to read.  Nothing here prints.
 */
#ifndef KITH_IMPORT_H
#define KITH_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "kith/tokens.h"
#include "kith/util.h"

struct db;

struct import_member {
	char *address, *name;
	const char *role;	/* owner | moderator | member (static) */
	const char *mode;	/* each | digest-daily | digest-weekly | nomail */
	const char *digest_format;	/* mime | plain | NULL (default) */
};

struct import_setting {
	char *key, *value;	/* a Kith list setting (lists.h) */
	char *from;		/* what it came from, for the report */
};

struct import_plan {
	char *list_address;	/* the list's address in the old system */
	char *name, *description;
	struct import_member *members;
	size_t nmembers;
	struct import_setting *settings;
	size_t nsettings;
	struct buf dropped;	/* "control/access: why\n" per line */
	char *archive_dir;	/* mlmmj: numbered files, or NULL */
	char *mbox;		/* an mbox file, or NULL */
};

void import_plan_init(struct import_plan *p);
void import_plan_release(struct import_plan *p);
/* Add (or update: the same address again takes the stronger role and
 * the given mode) one member; address normalised here; 0, or -1 when it
 * is not an address (then nothing is added). */
int import_plan_member(struct import_plan *p, const char *address,
    const char *name, const char *role, const char *mode);
void import_plan_setting(struct import_plan *p, const char *key,
    const char *value, const char *from);
/* A setting of the old system Kith does not carry, with why. */
void import_plan_drop(struct import_plan *p, const char *what,
    const char *why);

struct import_result {
	int list_created;
	int added, updated, forgotten, invalid;
	int settings;
	int posts, duplicates, unreadable;
	char *list;		/* the list's address in Kith; caller frees */
};

/*
 * import_apply - carry plan out.  list_spec names an existing Kith list
 * to import into, or NULL: the plan's list_address (created with the
 * first owner when missing).  Members and settings go in one
 * transaction; then the archive.  Addresses forgotten at their own
 * request (privacy.h; needs key) are left out and counted; settings
 * Kith refuses join plan->dropped.  KITH_OK;
 * KITH_PERM or KITH_TEMP with one line in err.
 */
int import_apply(struct db *db, const struct token_key *key,
    struct import_plan *plan, const char *list_spec,
    struct import_result *r, char *err, size_t errlen);

/* Parse one member line: "addr", "Name <addr>", "\"Name\" <addr>".
 * *addr and *name are set (caller frees); -1 when it holds no address. */
int import_member_line(const char *line, char **addr, char **name);

#endif
