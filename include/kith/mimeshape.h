/*
 * mimeshape - how deep and how wide a message's MIME structure is, in
 * one linear pass and without building anything.
 *
 * libetpan parses every multipart level by scanning the whole of it, so
 * nesting costs depth x size (depth 20,000 took a minute), and every
 * part costs a few hundred bytes of tree.  message.c measures the shape
 * first and hands libetpan only messages within the limits; anything
 * deeper or wider is read as opaque (header only).
 *
 * The scan follows libetpan's rules, erring towards counting more: a
 * delimiter is "--boundary" at the start of a line followed by "--" or by
 * white space and the line end; the outermost open boundary a line
 * matches wins; message/... parts (and the parts of multipart/digest that
 * have no Content-Type) nest a whole message.  A multipart part whose
 * boundary the scan cannot read (RFC 2231 pieces, two Content-Type
 * fields) counts as beyond the limits.
 */
#ifndef KITH_MIMESHAPE_H
#define KITH_MIMESHAPE_H

#include <stddef.h>

#define MIME_DEPTH_MAX 50	/* nested multipart and message levels */
#define MIME_PARTS_MAX 1000	/* parts and nested messages in all */

struct mimeshape {
	int depth;		/* deepest nesting seen (stops past max) */
	size_t parts;		/* parts seen (stops past the limit) */
	const char *why;	/* static text when beyond a limit, else NULL */
};

/*
 * mimeshape_check - 0 when raw[0..len) nests at most max_depth levels
 * and has at most max_parts parts; -1 otherwise, with s->why saying
 * which.  Linear in len; stops at the first limit passed.
 */
int mimeshape_check(const char *raw, size_t len, int max_depth,
    size_t max_parts, struct mimeshape *s);

#endif
