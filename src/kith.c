/* kith - subcommand dispatch; see kith(1). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "kith/util.h"

static const struct {
	const char *name;
	int (*fn)(struct cli *, int, char **);
	const char *summary;
} commands[] = {
	{ "init", cmd_init, "create the data directory, database and secret" },
	{ "check", cmd_check, "show the configuration and check the database" },
	{ "list", cmd_list, "create, show, change and remove lists" },
	{ "member", cmd_member, "add, remove, list, import and export members" },
	{ "receive", cmd_receive, "take one message from the MTA on stdin" },
	{ "serve", cmd_serve, "the web pages: unsubscribe, preferences, join, RSVP" },
	{ "deliver", cmd_deliver, "send what is waiting in the outbox" },
	{ "cron", cmd_cron, "do everything that is due (run every minute)" },
	{ "queue", cmd_queue, "show the outbox: pending, sent, deferred, failed" },
	{ "archive", cmd_archive, "posts: ls, show, search, export, import, html" },
	{ "digest", cmd_digest, "daily and weekly digests: list, show, preview, send" },
	{ "newsletter", cmd_newsletter, "campaigns: create, preview, schedule, send, status" },
	{ "event", cmd_event, "meetups: invitations, RSVPs, reminders, feed" },
	{ "onboarding", cmd_onboarding, "welcome sequences: add, ls, rm, progress" },
	{ "stats", cmd_stats, "engagement report: text, JSON or an HTML page" },
	{ "poll", cmd_poll, "polls answered by reply: create, show, close" },
	{ "bounce", cmd_bounce, "bounces: recent ones per list, and how Kith reads a report" },
	{ "dkim", cmd_dkim, "make a DKIM key and print its DNS record" },
	{ "mod", cmd_mod, "posts held for moderators: list, approve, reject" },
	{ "ban", cmd_ban, "addresses that may neither join nor post" },
	{ "backup", cmd_backup, "a consistent, compressed copy while Kith runs" },
	{ "restore", cmd_restore, "put a backup in place (checks its schema)" },
	{ "import", cmd_import, "move in from mlmmj or Mailman: members, settings, archive" },
	{ "migrate", cmd_migrate, "copy the site's database to PostgreSQL, counts checked" },
	{ "quarantine", cmd_quarantine, "messages kept because they could not be handled" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *out)
{
	fprintf(out, "usage: kith [--config FILE] COMMAND [ARGS]\n\n"
	    "Kith, a community mail server.  Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-11s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(out, "\n'kith COMMAND --help' tells more; see also kith(1) and "
	    "kith.conf(5).\n");
}

int
main(int argc, char **argv)
{
	struct cli c;
	int i = 1;

	memset(&c, 0, sizeof(c));
	cli_guard_terminal();
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--config")) {
			if (i + 1 >= argc)
				die(EX_USAGE_, "option '--config' needs a file; "
				    "see 'kith --help'");
			c.config_path = argv[i + 1];
			i += 2;
		} else if (!strncmp(argv[i], "--config=", 9)) {
			c.config_path = argv[i] + 9;
			i++;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			printf("kith %s\n", PACKAGE_VERSION);
			return 0;
		} else {
			die(EX_USAGE_, "unknown option '%s'; see 'kith --help'",
			    argv[i]);
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EX_USAGE_;
	}
	if (*argv[i] == '\0')
		die(EX_USAGE_, "no command; see 'kith --help'");
	for (size_t k = 0; k < NCOMMANDS; k++)
		if (!strcmp(argv[i], commands[k].name))
			return commands[k].fn(&c, argc - i, argv + i);
	if (!strcmp(argv[i], "help")) {
		usage(stdout);
		return 0;
	}
	die(EX_USAGE_, "'%s' is not a kith command; see 'kith --help'",
	    argv[i]);
}
