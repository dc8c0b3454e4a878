/*
 * compose - outgoing mail.  The list copy of a post rewrites only the
 * header block: the body and MIME structure stay byte-for-byte.  Notices
 * (to a refused sender, later confirmations) are built whole.  Every
 * member-supplied string goes through rfc2047_encode() first.
 */
#ifndef KITH_COMPOSE_H
#define KITH_COMPOSE_H

#include <stddef.h>
#include <stdint.h>

#include "kith/message.h"

struct list_copy_opts {
	const char *list_address;	/* team@example.org */
	const char *list_local;
	const char *list_domain;
	const char *list_name;		/* UTF-8 display name */
	const char *subject_prefix;	/* "" for none */
	int reply_to_list;
	const char *archive_url;	/* "" for none */
	const char *message_id;		/* without <>; added when m has none */
};

/*
 * compose_list_copy - the copy members receive, shared by all of them;
 * the delivery engine adds each member's own List-Unsubscribe.  Caller
 * frees.
 */
char *compose_list_copy(const struct list_copy_opts *o,
    const struct message *m, size_t *outlen);

/*
 * subject_prefixed - decoded subject with prefix put in front exactly
 * once: "Re: [team] Re: x" becomes "[team] Re: x".  Caller frees.
 */
char *subject_prefixed(const char *subject, const char *prefix);

/* A new Message-ID (without <>) at domain; caller frees. */
char *compose_message_id(const char *domain);

/* RFC 5322 date for t in UTC; buf of 64. */
void compose_date(int64_t t, char *buf, size_t n);

/*
 * compose_notice - a text/plain UTF-8 message from the list: From
 * "name" <from>, To to, Subject (encoded here), Auto-Submitted:
 * auto-replied, In-Reply-To when given.  Caller frees.
 */
char *compose_notice(const char *from_name, const char *from,
    const char *to, const char *subject, const char *in_reply_to,
    const char *text, const char *list_id_header, size_t *outlen);

#endif
