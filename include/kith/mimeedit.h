/*
 * mimeedit - a received message as a tree of byte ranges, for changing
 * a few of its parts and passing every other byte on as it came: the
 * list footer (footer.h) and the content filter (filter.h).
 *
 * Unlike message.h (libetpan, which decodes), this keeps where each part
 * starts and ends in the raw bytes, so that a rebuilt message differs
 * only in the parts that were replaced.  A part's range runs from its
 * first header field to the end of its body, without the line end that
 * belongs to the next delimiter (RFC 2046 5.1.1).  Multipart parts have
 * kids; a message/rfc822 part has one kid, the message it holds.
 *
 * Bounded as message_parse is: MIME_DEPTH_MAX levels and MIME_PARTS_MAX
 * parts (mimeshape.h); past them medit_parse gives up.
 *
 * Ownership: medit_parse() returns a tree the caller frees with
 * medit_free(); it borrows raw, which must outlive it.
 */
#ifndef KITH_MIMEEDIT_H
#define KITH_MIMEEDIT_H

#include <stddef.h>

struct medit_part {
	const char *start;	/* the part's header fields (borrowed) */
	size_t len;
	size_t body;		/* offset of the body in start */
	char type[96];		/* "text/plain" (the default), lower case */
	char charset[48];	/* lower case; "" when not given */
	char cte[32];		/* lower case; "7bit" when not given */
	char filename[256];	/* UTF-8 (RFC 2231, RFC 2047); "" if none */
	char format[16];	/* format= (text/plain; RFC 3676) or "" */
	char delsp[8];		/* delsp= or "" */
	int attachment;		/* Content-Disposition: attachment */
	struct medit_part *kids;
	size_t nkids;
};

/*
 * medit_parse - the tree of raw[0..len); NULL when it is deeper or wider
 * than the limits.  Caller frees with medit_free().
 */
struct medit_part *medit_parse(const char *raw, size_t len);
void medit_free(struct medit_part *top);

/* 1 when p's type is type ("text/plain") or, for "text/", starts so. */
int medit_is(const struct medit_part *p, const char *type);

/*
 * medit_decode - p's body with its transfer encoding undone; caller
 * frees; *n its length.  The charset is kept.
 */
char *medit_decode(const struct medit_part *p, size_t *n);

/*
 * medit_utf8 - p's text decoded and converted to UTF-8; NULL when its
 * charset cannot be converted.  Caller frees.
 */
char *medit_utf8(const struct medit_part *p);

/*
 * medit_as_body - p as a body part: its Content-* header fields (none
 * other), a blank line and its body, with eol line ends in the header;
 * for a part moved under a new multipart.  Caller frees.
 */
char *medit_as_body(const struct medit_part *p, const char *eol, size_t *n);

/* The boundary of multipart p (decoded), or NULL; caller frees. */
char *medit_boundary(const struct medit_part *p);

/*
 * One edit: replace part's Content-Type, Content-Transfer-Encoding and
 * body by content (new fields, blank line, body), or, with append, add
 * content right after the part (a delimiter line and a new part after
 * the last part of a multipart).
 */
struct medit_edit {
	const struct medit_part *part;
	const char *content;
	size_t content_len;
	int append;
	int whole;	/* every Content-* field replaced (a dropped part) */
};

/*
 * medit_rebuild - the message top was parsed from, with the edits made:
 * a replaced part keeps its other header fields (From and To at the top,
 * a Content-Disposition), and the top gains MIME-Version when it had
 * none.  Content written with CRLF is
 * given the message's own line ends (eol).  Caller frees.
 */
char *medit_rebuild(const struct medit_part *top, const struct medit_edit *e,
    size_t ne, const char *eol, size_t *n);

#endif
