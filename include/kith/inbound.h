/*
 * inbound - what happens to one message the MTA hands over: route by
 * recipient, apply policy, archive and queue, and decide the exit code.
 *
 * Exit codes follow sysexits(3): 0 only once the message is committed to
 * the database (or deliberately dropped with the reason logged), 67 for
 * an address that is no list, 75 for anything transient.  A message that
 * cannot be parsed is kept in the quarantine table with the reason.
 */
#ifndef KITH_INBOUND_H
#define KITH_INBOUND_H

#include <stddef.h>

#include "kith/config.h"

struct inbound_result {
	int exit_code;
	int queued;		/* something went into the outbox */
	char what[64];		/* accepted, dropped, refused, quarantined ... */
	char reason[512];	/* one line for the log / stderr */
};

/*
 * inbound_receive - handle raw (len bytes; may start with an mbox
 * "From " line) sent by envelope_from (may be "" for <>) to envelope_to.
 */
void inbound_receive(const struct kith_config *cfg, const char *raw,
    size_t len, const char *envelope_from, const char *envelope_to,
    struct inbound_result *res);

#endif
