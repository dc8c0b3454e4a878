/*
 * dmarc - the author's DMARC policy (RFC 7489), asked before a list copy
 * is made, so that `from_rewrite = auto` rewrites From only for authors
 * whose domain tells receivers to reject or quarantine mail that fails
 * DMARC, which a list copy does once it changes a byte the author signed.
 *
 * Policy discovery (RFC 7489 6.6.3): the TXT record at _dmarc.DOMAIN of
 * the From domain; when it has none, the one at _dmarc.ORG of its
 * organisational domain (the registrable domain by the Public Suffix
 * List, libpsl with Debian's publicsuffix), whose sp= (else p=) applies.
 * A temporary DNS failure counts as "rewrite": mail rewritten needlessly
 * still arrives, mail not rewritten that should have been is refused.
 * Lookups go through dns.h (cached with their TTL).
 *
 * `dmarc_action = wrap` sends the post instead as a message/rfc822 inside
 * a new message from the list (Mailman's wrap_message), built with the
 * MIME builder.
 */
#ifndef KITH_DMARC_H
#define KITH_DMARC_H

#include <stddef.h>
#include <stdint.h>

#include "kith/compose.h"
#include "kith/config.h"
#include "kith/dns.h"
#include "kith/message.h"
#include "kith/template.h"

enum dmarc_policy {
	DMARC_P_NONE = 0,	/* p=none, or no usable record */
	DMARC_P_QUARANTINE,
	DMARC_P_REJECT
};

/* One parsed record; only what a list needs of it. */
struct dmarc_record {
	enum dmarc_policy p;
	int sp;			/* enum dmarc_policy, -1 when absent */
	int adkim_strict;	/* adkim=s */
	int pct;		/* 0..100; applied as 100 (the safe side) */
};

/*
 * dmarc_parse - txt as a DMARC record: 0 and r filled when it starts
 * with v=DMARC1, else -1 (not a DMARC record: ignored, RFC 7489 6.6.3).
 * A record with a missing or unknown p=, or an unknown sp=, reads as
 * p=none (RFC 7489 6.6.3, "act as if p=none").  Unknown tags are
 * skipped; at most 2048 bytes and 32 tags are read.
 */
int dmarc_parse(const char *txt, struct dmarc_record *r);

/*
 * dmarc_org_domain - the organisational domain of domain (lower case,
 * registrable by the Public Suffix List); NULL when domain is a public
 * suffix itself or not a domain.  Caller frees.
 */
char *dmarc_org_domain(const char *domain);

struct dmarc_result {
	int rewrite;		/* 1: the copy must not go out From the author */
	int temp;		/* 1: no answer from DNS (rewrite is 1) */
	int found;		/* a record applied (policy, where) */
	enum dmarc_policy policy;
	char where[300];	/* "_dmarc.example.com" that answered */
	char why[400];		/* one phrase for the log */
};

/*
 * dmarc_check - the policy that applies to mail From domain, and
 * whether a list copy must be rewritten.  dkim_domain is the domain
 * Kith signs with ("" for none): when its signature aligns with domain
 * (relaxed, or strict when adkim=s), DMARC passes on the copy as it is
 * and nothing is rewritten.  Never fails: r says what was decided.
 */
void dmarc_check(struct dns *d, const char *domain, const char *dkim_domain,
    int64_t now, struct dmarc_result *r);

/*
 * dmarc_wrap - the post m as a message/rfc822 part inside a new message
 * From "Name via List" <list>, Reply-To the author, with the post's To,
 * Cc, Subject, Date, Message-ID, In-Reply-To and References, and a short
 * note first (template dmarc-wrap.txt).  The list copy is then made of
 * it as of any post (compose_list_copy).  NULL when the note cannot be
 * rendered (logged).  Caller frees.
 */
char *dmarc_wrap(const struct kith_config *cfg, const struct list_copy_opts *o,
    const struct message *m, size_t *len);

/* The note dmarc_wrap renders (dmarc-wrap.txt) and its values, for kith
 * check (texts.c). */
extern const struct template_schema dmarc_schema[];
extern const size_t dmarc_nschema;

#endif
