/* cmd_archive - kith archive ls|show|search|export|import|html, kith
 * quarantine. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd.h"
#include "kith/archive.h"
#include "kith/archive_import.h"
#include "kith/archive_search.h"
#include "kith/lists.h"
#include "kith/web_archive.h"
#include "kith/db.h"
#include "kith/privacy.h"
#include "kith/quarantine.h"
#include "kith/util.h"

#define SEARCH_CLI_LIMIT 1000

struct post_ctx {
	int json, n;
	const char *snippet;	/* a search hit's, marked; or NULL */
};

/* A snippet as JSON: the marks around matched words become [ and ]. */
static void
json_snippet(const char *s)
{
	char *t = xstrdup(s);

	for (char *p = t; *p; p++)
		if (*p == ARCHIVE_MARK_OPEN[0])
			*p = '[';
		else if (*p == ARCHIVE_MARK_CLOSE[0])
			*p = ']';
	json_string(stdout, t);
	free(t);
}

static int
print_post(const struct post *p, void *ctx)
{
	struct post_ctx *x = ctx;
	time_t t = (time_t)p->date;
	char date[32];
	struct tm tm;

	if (x->json) {
		printf("%s{\"id\": %lld, \"number\": %lld, \"thread\": %lld, "
		    "\"date\": %lld, \"size\": %lld, \"message_id\": ",
		    x->n++ ? ",\n " : "", (long long)p->id, (long long)p->num,
		    (long long)p->thread_id, (long long)p->date,
		    (long long)p->size);
		json_string(stdout, p->message_id);
		printf(", \"sender\": ");
		json_string(stdout, p->sender);
		printf(", \"sender_name\": ");
		json_string(stdout, p->sender_name);
		printf(", \"subject\": ");
		json_string(stdout, p->subject);
		if (x->snippet) {
			printf(", \"snippet\": ");
			json_snippet(x->snippet);
		}
		printf("}");
		return 0;
	}
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
	cli_printf("%-6lld #%-5lld %s  %-30s %s\n", (long long)p->id,
	    (long long)p->num, date, p->sender, p->subject);
	return 0;
}

static int
print_hit(const struct search_hit *h, void *ctx)
{
	struct post_ctx *x = ctx;

	x->snippet = h->snippet;
	return print_post(&h->p, ctx);
}

/* archive search LIST WORDS...: the web page's engine, best first. */
static int
search(struct cli *c, const struct list *l, int n, char **argv,
    struct post_ctx *x)
{
	struct search_opts o = { l->id, SEARCH_CLI_LIMIT, 0, 0 };
	struct search_query sq;
	struct buf q;
	int st = KITH_OK;

	buf_init(&q);
	for (int i = 1; i < n; i++)
		buf_addf(&q, "%s%s", i > 1 ? " " : "", argv[i]);
	if (archive_search_parse(q.data, &sq) == 0) {
		st = archive_search_run(c->db, &o, &sq, print_hit, x);
		archive_search_release(&sq);
	}
	buf_release(&q);
	return st;
}

static void
archive_usage(FILE *out)
{
	fprintf(out, "usage: kith archive ls LIST [--json]\n"
	    "       kith archive show ID [--text]\n"
	    "       kith archive search LIST WORDS... [--json]\n"
	    "       kith archive export LIST --mbox\n"
	    "       kith archive import LIST (--mbox FILE [--mboxo] | "
	    "--mlmmj DIR)\n"
	    "       kith archive html LIST DIR [--members]\n"
	    "       kith archive rm ID --reason TEXT  (for good: every index, "
	    "index/get;\n                                      its page says "
	    "\"removed by the list owners\")\n\n"
	    "ls and search print: ID, #number in the list, date (UTC), sender, "
	    "subject.\nsearch takes what the web archive's search box takes: "
	    "words (any case, any\naccents), \"a phrase\", word*, -word, "
	    "from:NAME, subject:WORD,\nafter:YYYY-MM-DD, before:YYYY-MM-DD; "
	    "best matches first.\nshow prints the post as received (raw) or "
	    "its decoded text; export writes\nmboxrd to stdout.  import loads "
	    "an mbox file (mboxrd; --mboxo for files\nthat quote only \"From "
	    "\" lines, as pipermail's) or an mlmmj archive directory:\ndates "
	    "and threads kept, Message-IDs already there skipped, nothing "
	    "sent.\nhtml writes the web archive's pages as static files under "
	    "DIR (DIR/a/LIST/);\n--members writes what members see (for a "
	    "members-only archive).\n");
}

/* archive import LIST (--mbox FILE [--mboxo] | --mlmmj DIR) */
static int
archive_import(struct cli *c, int argc, char **argv)
{
	const char *mbox = NULL, *mlmmj = NULL;
	int mboxo = 0;
	const struct cli_opt opts[] = {
		{ "mbox", 0, OPT_VALUE, &mbox },
		{ "mlmmj", 0, OPT_VALUE, &mlmmj },
		{ "mboxo", 0, OPT_FLAG, &mboxo },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "archive import",
	    "LIST (--mbox FILE [--mboxo] | --mlmmj DIR)", 1, 1, opts };
	struct import_opts o = { 0, 0, 1, 0 };
	struct import_counts n;
	struct timespec t0, t1;
	struct list l;
	char err[512] = "", *mode;
	double secs;
	int st;

	cli_parse(&sub, argc, argv);
	if ((mbox == NULL) == (mlmmj == NULL))
		usage_error("archive", "'archive import' needs --mbox FILE or "
		    "--mlmmj DIR");
	cli_open(c);
	cli_list(c, argv[0], &l);
	mode = list_setting(c->db, l.id, "archive");
	o.mboxo = mboxo;
	o.searchable = strcmp(mode, "off") != 0;
	o.now = now_utc();
	free(mode);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = mbox ? archive_import_mbox(c->db, l.id, mbox, &o, &n, err,
	    sizeof(err)) : archive_import_mlmmj(c->db, l.id, mlmmj, &o, &n, err,
	    sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (st == KITH_PERM && n.messages == 0)
		die(EX_NOINPUT_, "%s", err);
	cli_printf("%s: %ld %s read, %ld imported, %ld already there, %ld "
	    "unreadable, %ld %s joined their thread; %.1f s\n", l.address,
	    n.messages, plural(n.messages, "message", "messages"), n.imported,
	    n.duplicates, n.unreadable, n.rethreaded, plural(n.rethreaded,
	    "reply", "replies"), secs);
	list_release(&l);
	cli_status(st, err);
	return 0;
}

/* archive html LIST DIR [--members] */
static int
archive_html(struct cli *c, int argc, char **argv)
{
	int members = 0;
	const struct cli_opt opts[] = {
		{ "members", 0, OPT_FLAG, &members },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "archive html", "LIST DIR [--members]",
	    2, 2, opts };
	struct archive_export_counts n;
	char err[512] = "";

	cli_parse(&sub, argc, argv);
	cli_config(c);
	/* DIR itself may be new, not the directories above it (a typo in a
	 * path makes no tree of directories) */
	if (mkdir(argv[1], 0755) < 0 && errno != EEXIST)
		die(EX_CANTCREAT_, "cannot make '%s': %s", argv[1],
		    strerror(errno));
	if (web_archive_export(&c->cfg, argv[0], argv[1], members, &n, err,
	    sizeof(err)) < 0)
		die(strstr(err, "does not exist") ? EX_NOUSER_ : strstr(err,
		    "cannot write") ? EX_CANTCREAT_ : EX_NOPERM_, "%s", err);
	cli_printf("wrote %ld %s (%ld %s) under %s\n", n.files,
	    plural(n.files, "file", "files"), n.pages, plural(n.pages, "page",
	    "pages"), argv[1]);
	return 0;
}

static int
archive_show(struct cli *c, int argc, char **argv)
{
	int text_only = 0;
	const struct cli_opt opts[] = {
		{ "text", 0, OPT_FLAG, &text_only },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "archive show", "ID [--text]", 1, 1, opts };
	struct post p;
	char *raw = NULL, *text = NULL;
	size_t len = 0;
	int64_t id;

	cli_parse(&sub, argc, argv);
	id = cli_id("archive show", "a post ID", argv[0]);
	cli_open(c);
	if (archive_get(c->db, id, &p, &raw, &len, &text) != KITH_OK) {
		int64_t when;
		char *why;

		if (privacy_removed(c->db, id, &when, &why, NULL) == KITH_OK) {
			char date[32];
			time_t t = (time_t)when;
			struct tm tm;

			gmtime_r(&t, &tm);
			strftime(date, sizeof(date), "%Y-%m-%d", &tm);
			die(EX_NOINPUT_, "post %lld was removed by the list owners "
			    "on %s: %s", (long long)id, date, why);
		}
		die(EX_NOINPUT_, "no archived post with ID %lld; see 'kith "
		    "archive ls LIST'", (long long)id);
	}
	if (text_only) {
		cli_printf("From: %s\nSubject: %s\n\n", p.sender, p.subject);
		cli_text(stdout, text ? text : "");
		printf("\n");
	} else
		fwrite(raw, 1, len, stdout);	/* the bytes, for a pipe */
	post_release(&p);
	free(raw);
	free(text);
	return 0;
}

struct remove_ctx {
	int64_t id, now;
	const char *reason;
};

static int
remove_tx(struct db *db, void *ctx, char *err, size_t errlen)
{
	struct remove_ctx *rm = ctx;

	return privacy_remove_post(db, rm->id, rm->reason, "", rm->now, err,
	    errlen);
}

/* archive rm ID --reason TEXT: for good, with a stand-in (privacy.h) */
static int
archive_rm(struct cli *c, int argc, char **argv)
{
	const char *reason = NULL;
	const struct cli_opt opts[] = {
		{ "reason", 0, OPT_VALUE, &reason },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "archive rm", "ID --reason TEXT", 1, 1,
	    opts };
	char err[256] = "";
	struct remove_ctx rm;
	int64_t id;
	int st, old;

	cli_parse(&sub, argc, argv);
	id = cli_id("archive rm", "a post ID", argv[0]);
	if (reason == NULL || *reason == '\0')
		usage_error("archive", "'archive rm' needs --reason TEXT (kept "
		    "with the post's stand-in)");
	cli_open(c);
	/* the removed bytes are overwritten, not only unlinked */
	old = db_secure_delete(c->db, 1);
	rm.id = id;
	rm.reason = reason;
	rm.now = now_utc();
	st = db_tx(c->db, remove_tx, &rm, err, sizeof(err));
	if (st == KITH_PERM)
		die(EX_NOINPUT_, "%s; see 'kith archive ls LIST'", err);
	if (st != KITH_OK)
		die(EX_TEMPFAIL_, "nothing was removed: " DB_BUSY_TEXT);
	if (privacy_scrub(c->db) == 0)
		cli_warn("a reader kept the write-ahead log open: the removed "
		    "bytes leave it at the next checkpoint");
	db_secure_delete(c->db, old);
	cli_printf("removed post %lld from the archive: %s\n", (long long)id,
	    reason);
	return 0;
}

/* archive ls|search|export LIST ... */
static int
archive_list_cmd(struct cli *c, int argc, char **argv)
{
	const char *sub = argv[0];
	struct post_ctx x = { 0, 0, NULL };
	int mbox = 0, n, st;
	const struct cli_opt json_opts[] = {
		{ "json", 0, OPT_FLAG, &x.json },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_opt mbox_opts[] = {
		{ "mbox", 0, OPT_FLAG, &mbox },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub subs[] = {
		{ "archive ls", "LIST [--json]", 1, 1, json_opts },
		{ "archive search", "LIST WORDS... [--json]", 2, -1, json_opts },
		{ "archive export", "LIST --mbox", 1, 1, mbox_opts },
	};
	const struct cli_sub *s = !strcmp(sub, "ls") ? &subs[0] :
	    !strcmp(sub, "search") ? &subs[1] : &subs[2];
	struct list l;

	n = cli_parse(s, argc, argv);
	if (s == &subs[2] && !mbox)
		usage_error("archive", "'archive export' needs --mbox");
	cli_open(c);
	cli_list(c, argv[0], &l);
	if (x.json)
		printf("[");
	if (s == &subs[0])
		st = archive_foreach(c->db, l.id, print_post, &x);
	else if (s == &subs[1])
		st = search(c, &l, n, argv, &x);
	else
		st = archive_export_mbox(c->db, l.id, stdout);
	if (x.json)
		printf("]\n");
	list_release(&l);
	if (st != KITH_OK)
		die(EX_TEMPFAIL_, "archive: database error");
	return 0;
}

int
cmd_archive(struct cli *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	int help;

	if ((help = group_help(argc, argv, archive_usage)) >= 0)
		return help;
	if (!strcmp(sub, "show"))
		return archive_show(c, argc - 1, argv + 1);
	if (!strcmp(sub, "import"))
		return archive_import(c, argc - 1, argv + 1);
	if (!strcmp(sub, "html"))
		return archive_html(c, argc - 1, argv + 1);
	if (!strcmp(sub, "rm"))
		return archive_rm(c, argc - 1, argv + 1);
	if (!strcmp(sub, "ls") || !strcmp(sub, "search") ||
	    !strcmp(sub, "export"))
		return archive_list_cmd(c, argc - 1, argv + 1);
	usage_error("archive", "'%s' is not an archive command", sub);
}

static int
quarantine_ls(struct cli *c, int argc, char **argv)
{
	int json = 0, n = 0;
	struct db_stmt *st;

	cli_parse_json("quarantine ls", "[--json]", 0, 0, &json, argc, argv);
	cli_open(c);
	st = db_prepare(c->db, "SELECT id, received, envelope_from, "
	    "envelope_to, reason, length(raw) FROM quarantine ORDER BY id");
	if (st == NULL)
		die(EX_TEMPFAIL_, DB_BUSY_TEXT);
	if (json)
		printf("[");
	while (db_step(st) == DB_ROW) {
		const char *from = db_col_str(st, 2);
		const char *to = db_col_str(st, 3);
		const char *why = db_col_str(st, 4);
		int64_t size = db_col_int64(st, 5);
		char sz[32];

		if (json) {
			printf("%s{\"id\": %lld, \"received\": %lld, \"from\": ",
			    n++ ? ",\n " : "",
			    (long long)db_col_int64(st, 0),
			    (long long)db_col_int64(st, 1));
			json_string(stdout, from ? from : "");
			printf(", \"to\": ");
			json_string(stdout, to ? to : "");
			printf(", \"size\": %lld, \"reason\": ", (long long)size);
			json_string(stdout, why ? why : "");
			printf("}");
		} else
			cli_printf("%lld  %s -> %s  %s  %s\n",
			    (long long)db_col_int64(st, 0),
			    from ? from : "", to ? to : "",
			    size_human(size, sz, sizeof(sz)), why ? why : "");
	}
	if (json)
		printf("]\n");
	db_finalize(st);
	cli_close(c);
	return 0;
}

static int
quarantine_show(struct cli *c, int argc, char **argv)
{
	const struct cli_sub sub = { "quarantine show", "ID", 1, 1, NULL };
	struct db_stmt *st;
	int64_t id;

	cli_parse(&sub, argc, argv);
	id = cli_id("quarantine show", "a quarantined message's ID", argv[0]);
	cli_open(c);
	st = db_prepare(c->db, "SELECT raw FROM quarantine WHERE id=?");
	if (st)
		db_bind(st, "i", id);
	if (!st || db_step(st) != DB_ROW)
		die(EX_NOINPUT_, "no quarantined message %lld; see 'kith "
		    "quarantine ls'", (long long)id);
	fwrite(db_col_blob(st, 0), 1,
	    (size_t)db_col_bytes(st, 0), stdout);
	db_finalize(st);
	cli_close(c);
	return 0;
}

/* retry: as the MTA would deliver it now; what happened, in one line */
static int
quarantine_retry_cmd(struct cli *c, int argc, char **argv)
{
	const struct cli_sub sub = { "quarantine retry", "ID", 1, 1, NULL };
	struct inbound_result res;
	char err[512] = "";
	int64_t id;
	int st;

	cli_parse(&sub, argc, argv);
	id = cli_id("quarantine retry", "a quarantined message's ID", argv[0]);
	cli_config(c);
	st = quarantine_retry(&c->cfg, id, &res, err, sizeof(err));
	if (st == KITH_PERM)
		die(EX_NOINPUT_, "%s; see 'kith quarantine ls'", err);
	if (st != KITH_OK)
		die(EX_TEMPFAIL_, "%s", err);
	if (!strcmp(res.what, "quarantined"))
		die(EX_DATAERR_, "message %lld still cannot be handled, and is "
		    "kept again: %s", (long long)id, res.reason);
	if (res.exit_code != 0)
		die(res.exit_code, "message %lld stays in quarantine: %s",
		    (long long)id, res.reason);
	cli_printf("message %lld %s, and no longer in quarantine: %s\n",
	    (long long)id, res.what, res.reason);
	return 0;
}

static int
quarantine_rm(struct cli *c, int argc, char **argv)
{
	const struct cli_sub sub = { "quarantine rm", "ID", 1, 1, NULL };
	int64_t id;
	int st;

	cli_parse(&sub, argc, argv);
	id = cli_id("quarantine rm", "a quarantined message's ID", argv[0]);
	cli_open(c);
	st = quarantine_remove(c->db, id);
	if (st == KITH_PERM)
		die(EX_NOINPUT_, "no quarantined message %lld; see 'kith "
		    "quarantine ls'", (long long)id);
	if (st != KITH_OK)
		die(EX_TEMPFAIL_, "nothing was removed: %s", DB_BUSY_TEXT);
	cli_printf("removed quarantined message %lld\n", (long long)id);
	cli_close(c);
	return 0;
}

static void
quarantine_usage(FILE *out)
{
	fprintf(out, "usage: kith quarantine ls [--json]\n"
	    "       kith quarantine show ID\n"
	    "       kith quarantine retry ID   (handle it again, as if the "
	    "MTA\n                                   delivered it now)\n"
	    "       kith quarantine rm ID\n\n"
	    "Messages Kith could not handle, kept with the reason.\n");
}

int
cmd_quarantine(struct cli *c, int argc, char **argv)
{
	int help;

	if ((help = group_help(argc, argv, quarantine_usage)) >= 0)
		return help;
	if (!strcmp(argv[1], "ls"))
		return quarantine_ls(c, argc - 1, argv + 1);
	if (!strcmp(argv[1], "show"))
		return quarantine_show(c, argc - 1, argv + 1);
	if (!strcmp(argv[1], "retry"))
		return quarantine_retry_cmd(c, argc - 1, argv + 1);
	if (!strcmp(argv[1], "rm"))
		return quarantine_rm(c, argc - 1, argv + 1);
	usage_error("quarantine", "'%s' is not a quarantine command", argv[1]);
}
