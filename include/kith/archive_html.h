/*
 * archive_html - a post's text as HTML for the web archive: never the
 * sender's HTML (an HTML-only post is shown as its text, html.h), only
 * text Kith escaped itself.
 *
 *  - every character is escaped (& < > " '); control characters, the
 *    bidi overrides and isolates (util.h char_unsafe) and invalid UTF-8
 *    never reach the page;
 *  - http://, https:// and mailto: addresses become links with
 *    rel="nofollow noopener" (trailing punctuation and unbalanced
 *    brackets stay outside); nothing else ever becomes a link, so
 *    javascript: and data: stay text;
 *  - quoted lines (starting with '>') are set apart; runs of three or
 *    more fold into <details> with a summary the caller words (no
 *    script: the reader opens them);
 *  - the signature (after a "-- " line near the end) is dimmed;
 *  - with hide_addresses, every e-mail address reads "local@…" and no
 *    mailto: link is made.
 *
 * Output is a fragment: <div class="t"> blocks of text (white space kept
 * by the stylesheet), <details class="quote"> or <blockquote
 * class="quote"> for quotes, <div class="sig"> for the signature.
 */
#ifndef KITH_ARCHIVE_HTML_H
#define KITH_ARCHIVE_HTML_H

#include <stddef.h>

struct buf;

#define ARCHIVE_QUOTE_FOLD 3	/* quoted lines that fold */

struct ahtml_opts {
	int hide_addresses;
	/* the summary of a folded quote of n lines, as HTML the caller
	 * escaped (caller's template); NULL: the number alone */
	char *(*quote_summary)(int lines, void *ctx);
	void *ctx;
};

/* archive_html_text - text (UTF-8) as above, appended to out. */
void archive_html_text(struct buf *out, const char *text,
    const struct ahtml_opts *o);

/*
 * archive_html_marked - one line of text (a search snippet or subject)
 * whose matched words archive_search marked: escaped, the marks as
 * <mark> and </mark> (always balanced), addresses hidden as above;
 * white space runs become one space.
 */
void archive_html_marked(struct buf *out, const char *marked,
    int hide_addresses);

/*
 * archive_html_plain - a name or subject for a page: one line, unsafe
 * characters dropped, addresses hidden when asked.  Not escaped (the
 * template escapes it).  Caller frees.
 */
char *archive_html_plain(const char *s, int hide_addresses);

#endif
