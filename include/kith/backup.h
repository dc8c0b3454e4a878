/*
 * backup - a consistent copy of the live database, and putting one back.
 *
 * A backup is a gzip-compressed tar file (zlib; `tar tzf` lists it):
 *   MANIFEST   "kith-backup 1", the schema version, when, the SHA-256
 *              and size of kith.db, whether secrets are in it
 *   kith.db    the database as one file (journal_mode DELETE)
 *   secret     the site secret          } only with with_secrets
 *   dkim/NAME  each DKIM private key    }
 *
 * The copy is taken with sqlite's online backup API inside one read
 * transaction of its source connection: in WAL mode writers (kith
 * receive, deliver, serve) go on while it runs and it is never restarted;
 * it holds the database as it was when the read began.  It is written
 * under a temporary name (".NAME.partial-PID" beside it) and renamed
 * once complete and synced: a backup killed half-way never leaves a file
 * under the name asked for, and a partial file fails restore's checks.
 *
 * Restore checks all of that (the gzip stream's end and CRC, the
 * manifest, the SHA-256), refuses a schema newer than this kith, and
 * migrates an older one forward (db_open).  Nothing here prints.
 */
#ifndef KITH_BACKUP_H
#define KITH_BACKUP_H

#include <stdint.h>

#include "kith/config.h"

#define BACKUP_FORMAT 1

struct backup_opts {
	int with_secrets;	/* the site secret and DKIM keys too */
	int pages;		/* database pages copied per step (0: 1024) */
	int pause_ms;		/* between steps: eases a busy disk (0: none) */
	int force;		/* restore: replace an existing database */
};

struct backup_info {
	int schema;		/* of the database copied or restored */
	int migrated_to;	/* restore: the version after migrating */
	int64_t created;	/* when the backup was taken */
	int64_t db_bytes;	/* kith.db, uncompressed */
	int64_t file_bytes;	/* the backup file */
	int64_t posts, members;
	int secrets;		/* secret files in it (written, on restore) */
	int damaged;		/* backup: the database is (no backup made) */
};

/*
 * backup_create - back up cfg's database (and with_secrets its secret
 * and DKIM keys) to path.  KITH_OK; KITH_TEMP (busy, disk full) or
 * KITH_PERM with one line in err, and then path is not touched.
 */
int backup_create(const struct kith_config *cfg, const char *path,
    const struct backup_opts *o, int64_t now, struct backup_info *info,
    char *err, size_t errlen);

/*
 * backup_restore - put the backup at path in place for cfg: refuses when
 * a database is there unless o->force; refuses a backup that is not
 * whole or not Kith's, or whose schema is newer than DB_SCHEMA_VERSION;
 * migrates an older one.  Secrets in the backup are written where cfg
 * keeps them (only over existing ones with force).  KITH_OK, KITH_PERM
 * (err says why; nothing changed), KITH_TEMP.
 */
int backup_restore(const struct kith_config *cfg, const char *path,
    const struct backup_opts *o, struct backup_info *info, char *err,
    size_t errlen);

#endif
