/* cmd_archive - kith archive ls|show|search|export, kith quarantine. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "kith/archive.h"
#include "kith/db.h"
#include "kith/util.h"

static int
print_post(const struct post *p, void *ctx)
{
	time_t t = (time_t)p->date;
	char date[32];
	struct tm tm;

	(void)ctx;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
	printf("%-6lld #%-5lld %s  %-30s %s\n", (long long)p->id,
	    (long long)p->num, date, p->sender, p->subject);
	return 0;
}

static void
archive_usage(FILE *out)
{
	fprintf(out, "usage: kith archive ls LIST\n"
	    "       kith archive show ID [--text]\n"
	    "       kith archive search LIST WORDS...\n"
	    "       kith archive export LIST --mbox\n\n"
	    "ls and search print: ID, #number in the list, date (UTC), sender, "
	    "subject.\nshow prints the post as received (raw) or its decoded "
	    "text; export writes\nmboxrd to stdout.\n");
}

static int
archive_show(struct cli *c, const char *idstr, int text_only)
{
	struct post p;
	char *raw = NULL, *text = NULL, *end;
	size_t len = 0;
	long long id = strtoll(idstr, &end, 10);

	if (*idstr == '\0' || *end)
		usage_error("archive", "'%s' is not a post ID", idstr);
	if (archive_get(c->db, id, &p, &raw, &len, &text) != KITH_OK)
		die(EX_NOINPUT_, "no archived post with ID %lld; see 'kith "
		    "archive ls LIST'", id);
	if (text_only)
		printf("From: %s\nSubject: %s\n\n%s\n", p.sender, p.subject,
		    text);
	else
		fwrite(raw, 1, len, stdout);
	post_release(&p);
	free(raw);
	free(text);
	return 0;
}

int
cmd_archive(struct cli *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	struct list l;
	int st;

	if (argc < 3 || wants_help(argc, argv)) {
		archive_usage(argc < 3 && !wants_help(argc, argv) ? stderr :
		    stdout);
		return argc < 3 && !wants_help(argc, argv) ? EX_USAGE_ : 0;
	}
	cli_open(c);
	if (!strcmp(sub, "show"))
		return archive_show(c, argv[2], argc > 3 &&
		    !strcmp(argv[3], "--text"));
	cli_list(c, argv[2], &l);
	if (!strcmp(sub, "ls"))
		st = archive_foreach(c->db, l.id, print_post, NULL);
	else if (!strcmp(sub, "search")) {
		struct buf q;

		if (argc < 4)
			usage_error("archive", "'archive search' needs words");
		buf_init(&q);
		for (int i = 3; i < argc; i++)
			buf_addf(&q, "%s%s", i > 3 ? " " : "", argv[i]);
		st = archive_search(c->db, l.id, q.data, print_post, NULL);
		buf_release(&q);
	} else if (!strcmp(sub, "export")) {
		if (argc < 4 || strcmp(argv[3], "--mbox"))
			usage_error("archive", "'archive export' needs --mbox");
		st = archive_export_mbox(c->db, l.id, stdout);
	} else
		usage_error("archive", "'%s' is not an archive command", sub);
	list_release(&l);
	if (st != KITH_OK)
		die(EX_TEMPFAIL_, "archive: database error");
	return 0;
}

int
cmd_quarantine(struct cli *c, int argc, char **argv)
{
	sqlite3_stmt *st;

	if (wants_help(argc, argv) || argc < 2) {
		printf("usage: kith quarantine ls\n       kith quarantine show ID"
		    "\n\nMessages Kith could not handle, kept with the reason.\n");
		return argc < 2 ? EX_USAGE_ : 0;
	}
	cli_open(c);
	if (!strcmp(argv[1], "ls")) {
		st = db_prepare(c->db, "SELECT id, received, envelope_from, "
		    "envelope_to, reason, length(raw) FROM quarantine ORDER BY id");
		while (st && sqlite3_step(st) == SQLITE_ROW)
			printf("%lld  %s -> %s  %lld bytes  %s\n",
			    (long long)sqlite3_column_int64(st, 0),
			    sqlite3_column_text(st, 2), sqlite3_column_text(st, 3),
			    (long long)sqlite3_column_int64(st, 5),
			    sqlite3_column_text(st, 4));
	} else if (!strcmp(argv[1], "show") && argc == 3) {
		st = db_prepare(c->db, "SELECT raw FROM quarantine WHERE id=?");
		if (st)
			db_bind(st, "i", (int64_t)atoll(argv[2]));
		if (!st || sqlite3_step(st) != SQLITE_ROW)
			die(EX_NOINPUT_, "no quarantined message %s", argv[2]);
		fwrite(sqlite3_column_blob(st, 0), 1,
		    (size_t)sqlite3_column_bytes(st, 0), stdout);
	} else
		usage_error("quarantine", "unknown quarantine command");
	sqlite3_finalize(st);
	cli_close(c);
	return 0;
}
