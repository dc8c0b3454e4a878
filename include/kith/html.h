/*
 * html - HTML mail read as plain text, for the one text Kith keeps of a
 * post (the archive's index, commands in HTML-only requests, the plain
 * digest).  Not a browser: it keeps what a reader of the text needs.
 *
 *  - inline elements (<b>, <span>, <font> ...) add nothing, so "숙제<b>는
 *    </b>" stays the one word "숙제는";
 *  - block elements end lines, paragraphs (<p>, headings, lists, tables,
 *    <blockquote>) are set apart by a blank line, <br> breaks a line and
 *    table cells are separated by a space;
 *  - a link keeps its target: "text <https://...>" (once, when the text
 *    is not already the address);
 *  - <blockquote> lines start with "> " per level, as quotes do in text;
 *  - white space runs are one space except in <pre>; entities (named,
 *    decimal, hex) become UTF-8; scripts, styles, the head and comments
 *    are dropped.
 * Input and output are UTF-8 (the charset is converted before).
 */
#ifndef KITH_HTML_H
#define KITH_HTML_H

#include <stddef.h>

struct buf;

/* html_to_text - the text of html (len bytes) appended to out. */
void html_to_text(struct buf *out, const char *html, size_t len);

#endif
