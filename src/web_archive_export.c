/*
 * web_archive_export - kith archive html: the public's pages of a list's
 * archive written as files, by asking kith serve's handlers (web.h) for
 * each of them.  Kept apart from the page handlers (web_archive.c), which
 * web.c calls, so that neither file includes the other's caller.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "kith/archive.h"
#include "kith/archive_html.h"
#include "kith/db.h"
#include "kith/log.h"
#include "kith/newsletter.h"
#include "kith/web.h"
#include "kith/web_archive.h"
#include "kith/weblinks.h"
#include "web_pages.h"

struct exporter {
	struct web *w;
	const char *dir;
	struct archive_export_counts *c;
	char *err;
	size_t errlen;
	int failed;
};

/* mkdir -p of the directories of path (a file's). */
static int
make_parents(const char *path)
{
	char *d = xstrdup(path), *slash = strrchr(d, '/');
	int r = 0;

	if (slash) {
		*slash = '\0';
		r = mkdir_p(d, 0755);
	}
	free(d);
	return r;
}

/* Ask for path as a reader would and write what it answers. */
static void
export_path(struct exporter *x, const char *path)
{
	struct web_request rq;
	struct web_response rs;
	char *file;
	FILE *f;

	if (x->failed)
		return;
	memset(&rq, 0, sizeof(rq));
	rq.method = "GET";
	rq.path = path;
	rq.client = "export";
	web_response_init(&rs);
	web_handle(x->w, &rq, &rs);
	if (rs.status != 200) {
		web_response_release(&rs);
		return;		/* not for this reader (raw, mbox) */
	}
	file = xasprintf("%s%s%s", x->dir, path, path[strlen(path) - 1] ==
	    '/' ? "index.html" : "");
	if (make_parents(file) < 0 || (f = fopen(file, "w")) == NULL) {
		snprintf(x->err, x->errlen, "cannot write '%s': %s", file,
		    strerror(errno));
		x->failed = 1;
	} else {
		if (fwrite(rs.body.data ? rs.body.data : "", 1, rs.body.len, f) !=
		    rs.body.len || fclose(f) != 0) {
			snprintf(x->err, x->errlen, "cannot write '%s': %s", file,
			    strerror(errno));
			x->failed = 1;
		}
		x->c->files++;
		if (!strncmp(rs.content_type, "text/html", 9))
			x->c->pages++;
	}
	free(file);
	web_response_release(&rs);
}

/* The stylesheet, which kith serve answers without a page. */
static void
export_css(struct exporter *x)
{
	size_t len = 0;
	char *css = web_stylesheet(&x->w->cfg, &len);
	char *file = xasprintf("%s/static/kith.css", x->dir);

	if (css == NULL || make_parents(file) < 0 ||
	    file_write_atomic(file, css, len, 0644) < 0) {
		snprintf(x->err, x->errlen, "cannot write '%s': %s", file,
		    css ? strerror(errno) : "no stylesheet");
		x->failed = 1;
	} else
		x->c->files++;
	free(css);
	free(file);
}

/* "/a/LIST/" + rest, the list encoded once (as a server gets it). */
static char *
export_url(const struct list *l, const char *rest)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "/a/");
	weblink_pct(&b, l->local);
	buf_addc(&b, '/');
	buf_adds(&b, rest);
	return buf_detach(&b, NULL);
}

struct export_list {
	struct exporter *x;
	const struct list *l;
};

static int
export_month_of(int month, int64_t posts, void *ctx)
{
	struct export_list *e = ctx;
	static const char *const kind[] = { "", "date/", "mbox" };

	(void)posts;
	for (int i = 0; i < 3; i++) {
		char rest[32], *url;

		snprintf(rest, sizeof(rest), "%04d/%02d/%s", month / 100,
		    month % 100, kind[i]);
		url = export_url(e->l, rest);
		export_path(e->x, url);
		free(url);
	}
	return 0;
}

static int
export_thread(const struct thread_info *t, void *ctx)
{
	struct export_list *e = ctx;
	char rest[48], *url;

	snprintf(rest, sizeof(rest), "t/%lld/", (long long)t->id);
	url = export_url(e->l, rest);
	export_path(e->x, url);
	free(url);
	snprintf(rest, sizeof(rest), "t/%lld/mbox", (long long)t->id);
	url = export_url(e->l, rest);
	export_path(e->x, url);
	free(url);
	return e->x->failed;
}

static int
export_post(const struct post_text *pt, void *ctx)
{
	struct export_list *e = ctx;
	struct buf rest;
	char *url, *parts = NULL;
	const char *p;
	int n = 0;

	buf_init(&rest);
	buf_adds(&rest, "m/");
	weblink_pct(&rest, pt->p.message_id);
	buf_addc(&rest, '/');
	url = export_url(e->l, rest.data);
	export_path(e->x, url);
	free(url);
	buf_adds(&rest, "raw");
	url = export_url(e->l, rest.data);
	export_path(e->x, url);
	free(url);
	if (pt->parts == NULL) {
		struct buf r;

		buf_init(&r);
		if (archive_raw(e->x->w->db, pt->p.id, &r) == KITH_OK)
			parts = archive_parts(r.data ? r.data : "", r.len);
		buf_release(&r);
	}
	/* each attachment at the name the pages link to */
	for (p = parts ? parts : pt->parts; p && *p; n++) {
		const char *end = strchr(p, '\n'), *name = p;
		char *line, *shown;
		struct buf a;

		for (int tabs = 0; tabs < 2 && name; tabs++)
			name = strchr(name, '\t') ? strchr(name, '\t') + 1 : NULL;
		line = xstrndup(name ? name : "", name ? (size_t)((end ? end :
		    name + strlen(name)) - name) : 0);
		shown = archive_html_plain(*line ? line : "attachment", 0);
		buf_init(&a);
		buf_adds(&a, "m/");
		weblink_pct(&a, pt->p.message_id);
		buf_addf(&a, "/%d/", n + 1);
		weblink_pct(&a, *shown ? shown : "attachment");
		url = export_url(e->l, a.data);
		export_path(e->x, url);
		free(url);
		buf_release(&a);
		free(shown);
		free(line);
		p = end ? end + 1 : p + strlen(p);
	}
	free(parts);
	buf_release(&rest);
	return e->x->failed;
}

static int
export_newsletter(const struct campaign *c, void *ctx)
{
	struct export_list *e = ctx;
	char rest[48], *url;

	if (strcmp(c->state, "sent"))
		return 0;
	snprintf(rest, sizeof(rest), "n/%lld/", (long long)c->id);
	url = export_url(e->l, rest);
	export_path(e->x, url);
	free(url);
	return e->x->failed;
}

int
web_archive_export(struct kith_config *cfg, const char *list,
    const char *dir, int members, struct archive_export_counts *c,
    char *err, size_t errlen)
{
	struct web *w = web_new(cfg, err, errlen);
	struct exporter x;
	struct export_list e;
	struct list l;
	char *mode, *url;
	int64_t threads;

	memset(c, 0, sizeof(*c));
	if (w == NULL)
		return -1;
	w->static_site = 1;
	w->static_members = members;
	if (list_find(w->db, list, &l, err, errlen) != KITH_OK) {
		web_free(w);
		return -1;
	}
	mode = list_setting(w->db, l.id, "archive");
	if (!strcmp(mode, "off") || (!strcmp(mode, "members") && !members)) {
		snprintf(err, errlen, !strcmp(mode, "off") ? "the archive of "
		    "'%s' is off" : "the archive of '%s' is for members: "
		    "--members writes what members see, for a site that "
		    "keeps it to them", l.address);
		free(mode);
		list_release(&l);
		web_free(w);
		return -1;
	}
	free(mode);
	memset(&x, 0, sizeof(x));
	x.w = w;
	x.dir = dir;
	x.c = c;
	x.err = err;
	x.errlen = errlen;
	e.x = &x;
	e.l = &l;
	export_css(&x);
	url = export_url(&l, "");
	export_path(&x, url);
	free(url);
	url = export_url(&l, "new.atom");
	export_path(&x, url);
	free(url);
	threads = archive_thread_count(w->db, l.id);
	for (int64_t p = 2; (p - 1) * PAGE_THREADS < threads; p++) {
		char rest[32];

		snprintf(rest, sizeof(rest), "page/%lld/", (long long)p);
		url = export_url(&l, rest);
		export_path(&x, url);
		free(url);
	}
	/* a read that fails fails the export: no pages left out unsaid */
	if (archive_months(w->db, l.id, export_month_of, &e) != KITH_OK ||
	    archive_threads(w->db, l.id, 0, -1, 0, export_thread, &e) !=
	    KITH_OK || archive_range_posts(w->db, l.id, INT64_MIN, INT64_MAX,
	    0, export_post, &e) != KITH_OK ||
	    newsletter_foreach(w->db, l.id, export_newsletter, &e) != KITH_OK) {
		if (!x.failed)
			snprintf(err, errlen, "cannot read the archive of '%s': "
			    "database error", l.address);
		x.failed = 1;
	}
	list_release(&l);
	web_free(w);
	return x.failed ? -1 : 0;
}

