/*
 * archive_import - an existing archive into a list's: an mbox file
 * (mboxrd, or mboxo as Mailman's pipermail .mbox files are written) or
 * an mlmmj archive directory (one message per numbered file).
 *
 * Each message keeps its date (its Date field; the mbox's From_ line
 * when that is missing, unreadable or later than the From_ line by more
 * than a day) as the time the list received it, and its thread (a reply
 * that comes before what it answers joins it at the end).  A Message-ID
 * the list has already archived is skipped; a message without one gets
 * one from a hash of its bytes, so that importing the same file twice
 * adds nothing.  Nothing is sent, nobody's post count changes.  Messages
 * go in batches, one transaction each.
 */
#ifndef KITH_ARCHIVE_IMPORT_H
#define KITH_ARCHIVE_IMPORT_H

#include <stdint.h>

struct db;

struct import_counts {
	long messages;		/* read from the input */
	long imported;
	long duplicates;	/* Message-ID already archived */
	long unreadable;	/* not a mail message: skipped */
	long rethreaded;	/* replies read before what they answer */
};

struct import_opts {
	int mboxo;		/* only "From " lines were quoted (mboxo) */
	int batch;		/* messages per transaction; 0: 2000 */
	int searchable;		/* 0 when the list's archive is off */
	int64_t now;		/* received, for a message with no date */
};

/*
 * archive_import_mbox / archive_import_mlmmj - path into list_id.
 * KITH_OK with c filled; KITH_PERM with err when the input cannot be
 * read; KITH_TEMP (busy, disk full) with err: the batches committed
 * before stay, and importing again goes on where it stopped (duplicates
 * are skipped).
 */
int archive_import_mbox(struct db *db, int64_t list_id, const char *path,
    const struct import_opts *o, struct import_counts *c, char *err,
    size_t errlen);
int archive_import_mlmmj(struct db *db, int64_t list_id, const char *dir,
    const struct import_opts *o, struct import_counts *c, char *err,
    size_t errlen);

/* mbox_from_date - the date of an mbox From_ line ("From a@b Tue Jan  1
 * 10:00:00 2008"), UTC seconds; 0 when it has none. */
int64_t mbox_from_date(const char *line, size_t n);

#endif
