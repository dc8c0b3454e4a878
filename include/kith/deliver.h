/*
 * deliver - the delivery engine: claim due outbox rows, hand them to the
 * transport with a VERP envelope sender, record each result.
 *
 * Several workers (processes, one SMTP connection each) may run at once,
 * from one `kith deliver` or from racing ones: claims are leased, so
 * every row is sent by one worker, and a worker killed at any moment
 * leaves its rows to be claimed again when the lease runs out.  Results
 * are committed every commit_every messages; each message the next hop
 * accepted is first written to the worker's journal (journal.h), so a
 * kill -9 at any moment resends only the transactions in flight.
 */
#ifndef KITH_DELIVER_H
#define KITH_DELIVER_H

#include <stdint.h>

#include "kith/config.h"

struct deliver_stats {
	int64_t sent, deferred, failed;
	int64_t relay_refused;	/* of deferred: the relay refused Kith */
};

struct deliver_opts {
	int workers;		/* 0 = [smtp] connections for smtp, else 1 */
	int commit_every;	/* results per commit; 0 = default (64) */
};

/*
 * deliver_run - send everything due now.  KITH_OK, or KITH_TEMP / PERM
 * with a line in err when delivery could not start (database, transport
 * spec, secret).  Per-message failures are results, not errors.
 */
int deliver_run(const struct kith_config *cfg, const struct deliver_opts *o,
    struct deliver_stats *stats, char *err, size_t errlen);

/* VERP envelope sender for one outbox row; caller frees. */
struct token_key;
char *deliver_verp(const struct token_key *k, const char *bounce_local,
    char delimiter, const char *domain, int64_t row_id, const char *rcpt);

#endif
