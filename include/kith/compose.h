/*
 * compose - outgoing mail.  The list copy of a post rewrites only the
 * header block: the body and MIME structure stay byte-for-byte.  Notices
 * (to a refused sender, later confirmations) are built whole.  Both go
 * through the MIME builder (kith/mime.h), whose field writers encode
 * every member-supplied string (RFC 2047) and drop its controls.
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
	const char *archive_url;	/* List-Archive, "" for none */
	const char *message_id;		/* without <>; added when m has none */
	int from_rewrite;		/* From: "Name via List" <list>, for DMARC */
	const char *archived_at;	/* RFC 5064 permalink; NULL or "" for
					 * none */
};

/*
 * compose_list_copy - the copy members receive, shared by all of them;
 * the delivery engine adds each member's own List-Unsubscribe.  Caller
 * frees.
 */
char *compose_list_copy(const struct list_copy_opts *o,
    const struct message *m, size_t *outlen);

/* subject_prefixed() is in kith/subject.h, with the other subject rules. */
#include "kith/subject.h"
/*
 * compose_fold_header - append the header block head[0..len) (lines
 * ending in LF or CRLF, without the blank line) to b with eol line ends,
 * every line longer than SMTP allows folded at white space.
 */
struct buf;
void compose_fold_header(struct buf *b, const char *head, size_t len,
    const char *eol);


/*
 * compose_list_fields - the fields that name the list in every mail it
 * sends (RFC 2919 List-Id; RFC 2369 List-Post, List-Help,
 * List-Subscribe), appended to b: a list copy's header block, or a
 * tree's (mime_head).
 */
void compose_list_fields(struct buf *b, const char *name, const char *local,
    const char *domain, const char *address);

/* A new Message-ID (without <>) at domain; caller frees. */
char *compose_message_id(const char *domain);

/* RFC 5322 date for t in UTC; buf of 64. */
void compose_date(int64_t t, char *buf, size_t n);

/* An automatic message from the list to one person. */
struct notice {
	const char *from_name;	/* UTF-8, encoded here */
	const char *from;	/* team-owner@example.org */
	const char *to;
	const char *subject;	/* UTF-8, encoded here */
	const char *in_reply_to;	/* without <>, or NULL */
	const char *reply_to;	/* address, or NULL */
	const char *list_id;	/* "<team.example.org>", or NULL */
	const char *text;	/* UTF-8 body */
	const char *attach;	/* a message attached as message/rfc822, or NULL */
	size_t attach_len;
	int reply;		/* 1: it answers a message from its recipient */
	int64_t date;		/* its Date:, when it was made earlier than it
				 * is composed (notice_copy); 0: now */
};

/*
 * compose_notice - text/plain UTF-8, 7bit or quoted-printable
 * (multipart/mixed when a message is attached, inline).  RFC 3834: Auto-Submitted: auto-replied when it answers a
 * message (reply), auto-generated for everything else (onboarding, poll
 * results, reminders, nudges, notices to owners).  Caller frees.
 */
char *compose_notice(const struct notice *n, size_t *outlen);

/* s with < > & " ' as HTML entities; caller frees. */
char *html_escape(const char *s);

#endif
