/*
 * journal - cheap crash records of deliveries the database has not heard
 * of yet.
 *
 * A delivery worker commits its results to the database in groups (one
 * sqlite transaction per message would halve the fan-out rate).  So that
 * a kill -9 between a server's 250 and that commit does not resend the
 * message, the worker first appends the outbox row id to its own journal
 * file with one write(2) (no fsync: a killed process loses nothing the
 * kernel already has; power loss can at worst cause a duplicate).
 *
 * Each journal is flock()ed by its worker for the worker's life, and its
 * name is the worker's name on the rows it claims (outbox.claimed_by).
 * A lock belongs to a live process, whatever its PID: the kernel drops it
 * when the process dies, so a reused PID fools nobody.  Before claiming
 * rows, journal_recover() takes every journal whose lock is free (its
 * worker is gone), marks the rows it lists sent, hands the other rows the
 * worker still held back to the queue, and removes the file, inside the
 * claim's transaction.
 */
#ifndef KITH_JOURNAL_H
#define KITH_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

struct db;

struct journal;

/* Create DIR/deliver.PID.RANDOM, locked; NULL on error (logged). */
struct journal *journal_open(const char *dir);
/* The journal's file name: the worker's name on its claims; "" for NULL. */
const char *journal_name(const struct journal *j);
/*
 * Room on disk for rows more records, taken before the rows are sent: a
 * delivery the journal cannot hold would be sent again by the next run.
 * 0, or -1 with errno (ENOSPC: send nothing).
 */
int journal_reserve(struct journal *j, size_t rows);
/* Record that row_id was accepted by the next hop; 0 or -1. */
int journal_sent(struct journal *j, int64_t row_id);
/* Everything recorded is now in the database: empty the file. */
void journal_reset(struct journal *j);
/* Remove the file (all results committed) and free j.  NULL is a no-op. */
void journal_close(struct journal *j);
/* Close but keep the file for journal_recover() (results not committed). */
void journal_abandon(struct journal *j);

/* Journals taken over by journal_recover(), still locked. */
struct journal_recovery {
	char **paths;
	int *fds;
	size_t n;
};

/*
 * journal_recover - inside the caller's write transaction: rows named in
 * the journals of dead workers become 'sent', and the other rows those
 * workers held are claimable at once.  The journals stay locked in rec
 * until journal_recovery_finish().  Returns the number of rows recorded
 * as sent, or -1 on a database error.
 */
int journal_recover(struct db *db, const char *dir,
    struct journal_recovery *rec);
/* After the transaction: remove the journals when it committed, then unlock. */
void journal_recovery_finish(struct journal_recovery *rec, int committed);

#endif
