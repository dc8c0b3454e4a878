/*
 * web_archive - a list's web archive, served by `kith serve` under
 * /a/LIST/ (the pages: web_archive.c, through web.h) and written as
 * static files by `kith archive html`.
 *
 *   /a/LIST/                  recent threads (page/N/ for older ones),
 *                             months, newsletters; ?q=... searches
 *   /a/LIST/YYYY/MM/          a month by thread (date/: by date; mbox)
 *   /a/LIST/t/ID/             a thread as a conversation (mbox)
 *   /a/LIST/m/MESSAGE-ID/     a post's permalink (raw; N/FILENAME: its
 *                             attachments)
 *   /a/LIST/n/ID/             a sent newsletter
 *   /a/LIST/new.atom          new threads (Atom)
 *   /a/LIST/login             members log in with a link mailed to them
 *
 * Who may read is the list's archive setting: public, members (a member
 * logged in: a signed HttpOnly SameSite=Lax cookie for 30 days), off
 * (nothing at all).  A public archive hides its senders' addresses from
 * everyone but members unless archive_addresses = show.  Nothing a
 * sender wrote is ever shown as HTML (archive_html.h); attachments come
 * with Content-Disposition: attachment and a sandbox CSP.
 */
#ifndef KITH_WEB_ARCHIVE_H
#define KITH_WEB_ARCHIVE_H

#include <stddef.h>

#include "kith/config.h"
#include "kith/template.h"

/* Threads on one page of /a/LIST/ (the export writes the same pages). */
#define PAGE_THREADS 30

struct archive_export_counts {
	long pages;	/* HTML pages */
	long files;	/* everything written, pages included */
};

/*
 * web_archive_export - the pages of list's archive as the public sees
 * them (members: as members see them) into dir, at the paths kith serve
 * answers (dir/a/LIST/..., directories with index.html, and
 * dir/static/kith.css), without the search form and logging in.  cfg is
 * taken over (moved).  0, or -1 with a line in err: no such list, the
 * archive is off, or for members and members is 0, a file that cannot
 * be written.
 */
int web_archive_export(struct kith_config *cfg, const char *list,
    const char *dir, int members, struct archive_export_counts *c,
    char *err, size_t errlen);

/* Every template the archive's pages render and their values (kith
 * check, texts.c). */
extern const struct template_schema web_archive_schema[];
extern const size_t web_archive_nschema;

#endif
