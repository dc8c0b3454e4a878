/* cmd_deliver - kith deliver, kith cron, kith queue. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "kith/cron.h"
#include "kith/db.h"
#include "kith/deliver.h"
#include "kith/log.h"
#include "kith/outbox.h"
#include "kith/util.h"

/* quiet: 0 the counts always, 1 when anything was tried, 2 never */
static int
run_delivery(struct cli *c, const struct deliver_opts *o, int quiet)
{
	struct deliver_stats s;
	char err[512] = "";
	int st = deliver_run(&c->cfg, o, &s, err, sizeof(err));

	if (st != KITH_OK)
		die(st == KITH_TEMP ? EX_TEMPFAIL_ : EX_CONFIG_, "deliver: %s",
		    err);
	if (!quiet || (quiet == 1 && s.sent + s.deferred + s.failed > 0))
		printf("%lld sent, %lld deferred, %lld failed\n",
		    (long long)s.sent, (long long)s.deferred, (long long)s.failed);
	/* cron's mail and a failed timer show it, not only the log */
	if (s.relay_refused > 0)
		die(EX_TEMPFAIL_, "deliver: the relay refused Kith for %lld "
		    "copies (the line above says why); they wait and are "
		    "retried", (long long)s.relay_refused);
	return 0;
}

int
cmd_deliver(struct cli *c, int argc, char **argv)
{
	const char *workers = NULL, *every = NULL;
	int quiet = 0;
	const struct cli_opt opts[] = {
		{ "workers", 'w', OPT_VALUE, &workers },
		{ "commit-every", 'c', OPT_VALUE, &every },
		{ "quiet", 'q', OPT_FLAG, &quiet },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "deliver", "[--workers N] [--commit-every "
	    "N] [--quiet]", 0, 0, opts };
	struct deliver_opts o = { 0, 0 };
	int r;

	cli_parse_help(&sub,
	    "usage: kith deliver [--workers N] [--commit-every N] "
	    "[--quiet]\n\nSend every outbox row that is due.  With an "
	    "smtp:// transport, N workers\n(default [smtp] connections) "
	    "send in parallel, one connection each.\nResults are "
	    "committed every N messages (default 64); each accepted "
	    "message\nis journalled first, so a run killed at any "
	    "moment resends only the\ntransactions in flight.  Safe "
	    "to run while another delivery runs.\n", argc, argv);
	if (workers)
		o.workers = (int)cli_number("deliver", "--workers", workers, 1, 64);
	if (every)
		o.commit_every = (int)cli_number("deliver", "--commit-every",
		    every, 1, 1000000);
	cli_config(c);
	r = run_delivery(c, &o, quiet);
	config_release(&c->cfg);
	return r;
}

int
cmd_cron(struct cli *c, int argc, char **argv)
{
	struct deliver_opts o = { 0, 0 };
	char *lock;
	int fd, r, jobs, verbose = 0;
	const struct cli_opt opts[] = {
		{ "verbose", 'v', OPT_FLAG, &verbose },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "cron", "[--verbose]", 0, 0, opts };

	cli_parse_help(&sub, "usage: kith cron [--verbose]\n\nRun from cron "
	    "every minute: expires held posts and pending confirmations,\n"
	    "ends 'nomail until' periods, sends daily join/leave summaries "
	    "to owners,\nqueues the digests that are due, delivers what is "
	    "due and retries deferred\nmail.  A second cron started while "
	    "one runs exits at once.  Silent when all\nis well (cron mails "
	    "what a job prints): --verbose prints what was sent.\nExit 75 "
	    "when a job was not done (the database busy; it runs again next\n"
	    "minute), 70 when one failed, each with the lines that say why.\n",
	    argc, argv);
	cli_open(c);
	lock = xasprintf("%s/cron.lock", c->cfg.data_dir);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	/* Every user of a shared data directory runs cron (util.h). */
	if (fd >= 0 && share_like_parent(lock, 0660) < 0)
		log_warn("cron: cannot give '%s' to the data directory's "
		    "group: %s", lock, strerror(errno));
	if (fd < 0)
		die(EX_CANTCREAT_, "cannot open '%s': %s", lock, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		log_info("cron: another cron is running; nothing to do");
		return 0;
	}
	/* the lock holds when cron last ran, for kith check: Kith's clock
	 * (which tests pin), not the file's time (which libfaketime shifts) */
	if (cron_mark(fd, now_utc()) < 0)
		log_warn("cron: cannot write this run's time into '%s': %s",
		    lock, strerror(errno));
	/* each job logs its own trouble; what is due is delivered anyway */
	jobs = cron_run(&c->cfg, c->db, now_utc());
	/* cron mails whatever a job prints: nothing, when all went well */
	r = run_delivery(c, &o, verbose ? 1 : 2);
	/* Keep the WAL small while nothing else is writing. */
	db_checkpoint(c->db);
	free(lock);
	close(fd);
	cli_close(c);
	/* a job not done is the exit's too: cron's mail, systemd's
	 * failed timer and monitoring see it, not only the log */
	if (r == 0 && jobs == KITH_TEMP)
		die(EX_TEMPFAIL_, "cron: not every job was done (see the lines "
		    "above); they run again next minute");
	if (r == 0 && jobs == KITH_PERM)
		die(EX_SOFTWARE_, "cron: a job failed (see the lines above)");
	return r;
}

static void
queue_usage(FILE *out)
{
	fprintf(out, "usage: kith queue [--json]\n"
	    "       kith queue ls [--state STATE] [--list LIST] [--json]\n"
	    "       kith queue retry [--list LIST]\n\n"
	    "The outbox: copies by state (pending, sending, sent, deferred, "
	    "failed).\n'ls' shows each copy not yet sent (or those in STATE): "
	    "its tries, its next\ntry (UTC) and the last reply.  'retry' makes "
	    "the deferred copies due now,\nas Postfix's postqueue -f: the next "
	    "'kith deliver' or 'kith cron' sends them.\n");
}

static const char *const queue_states[] = { "pending", "sending",
    "deferred", "failed", "sent" };

struct queue_ls {
	int json, n;
};

static int
print_copy(const struct outbox_row *r, void *ctx)
{
	struct queue_ls *q = ctx;
	time_t t = (time_t)r->next_try;
	char when[32] = "-";
	struct tm tm;

	if (!strcmp(r->state, "deferred") && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	if (q->json) {
		printf("%s{\"id\": %lld, \"list\": ", q->n++ ? ",\n " : "",
		    (long long)r->id);
		json_string(stdout, r->list);
		printf(", \"rcpt\": ");
		json_string(stdout, r->rcpt);
		printf(", \"state\": \"%s\", \"attempts\": %lld, "
		    "\"next_try\": %lld, \"last_code\": %d, \"last_text\": ",
		    r->state, (long long)r->attempts, (long long)r->next_try,
		    r->last_code);
		json_string(stdout, r->last_text);
		printf("}");
	} else
		cli_printf("%-6lld %-8s %2lld  %-16s  %-24s %-32s %s\n",
		    (long long)r->id, r->state, (long long)r->attempts, when,
		    r->list, r->rcpt, r->last_text);
	return 0;
}

static int
queue_ls(struct cli *c, int argc, char **argv)
{
	const char *state = NULL, *spec = NULL;
	struct queue_ls q = { 0, 0 };
	const struct cli_opt opts[] = {
		{ "state", 's', OPT_VALUE, &state },
		{ "list", 'l', OPT_VALUE, &spec },
		{ "json", 0, OPT_FLAG, &q.json },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "queue ls", "[--state STATE] [--list "
	    "LIST] [--json]", 0, 0, opts };
	struct list l = { 0 };
	size_t i;

	cli_parse(&sub, argc, argv);
	for (i = 0; state && i < sizeof(queue_states) / sizeof(*queue_states);
	    i++)
		if (!strcmp(state, queue_states[i]))
			break;
	if (state && i == sizeof(queue_states) / sizeof(*queue_states))
		usage_error("queue ls", "--state '%s': use pending, sending, "
		    "deferred, failed or sent", state);
	cli_open(c);
	if (spec)
		cli_list(c, spec, &l);
	if (q.json)
		printf("[");
	if (outbox_foreach(c->db, state, l.id, print_copy, &q) != KITH_OK)
		die(EX_TEMPFAIL_, DB_BUSY_TEXT);
	if (q.json)
		printf("]\n");
	if (spec)
		list_release(&l);
	cli_close(c);
	return 0;
}

static int
queue_retry(struct cli *c, int argc, char **argv)
{
	const char *spec = NULL;
	const struct cli_opt opts[] = {
		{ "list", 'l', OPT_VALUE, &spec },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "queue retry", "[--list LIST]", 0, 0,
	    opts };
	struct list l = { 0 };
	int64_t n;

	cli_parse(&sub, argc, argv);
	cli_open(c);
	if (spec)
		cli_list(c, spec, &l);
	if (outbox_retry_now(c->db, l.id, now_utc(), &n) != KITH_OK)
		die(EX_TEMPFAIL_, "nothing was changed: " DB_BUSY_TEXT);
	if (n == 0)
		cli_printf("no deferred copy waits for a retry\n");
	else
		cli_printf("%lld deferred %s due now; 'kith deliver' (or the "
		    "next 'kith cron') sends %s\n", (long long)n, n == 1 ?
		    "copy is" : "copies are", n == 1 ? "it" : "them");
	if (spec)
		list_release(&l);
	cli_close(c);
	return 0;
}

int
cmd_queue(struct cli *c, int argc, char **argv)
{
	struct outbox_counts n;
	int json = 0;

	if (wants_help(argc, argv)) {
		queue_usage(stdout);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "ls"))
		return queue_ls(c, argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "retry"))
		return queue_retry(c, argc - 1, argv + 1);
	cli_parse_json("queue", "[--json]", 0, 0, &json, argc, argv);
	cli_open(c);
	outbox_count(c->db, &n);
	if (json)
		printf("{\"pending\": %lld, \"sending\": %lld, \"sent\": %lld, "
		    "\"deferred\": %lld, \"failed\": %lld}\n",
		    (long long)n.pending, (long long)n.sending, (long long)n.sent,
		    (long long)n.deferred, (long long)n.failed);
	else
		printf("pending %lld\nsending %lld\nsent %lld\ndeferred %lld\n"
		    "failed %lld\n", (long long)n.pending, (long long)n.sending,
		    (long long)n.sent, (long long)n.deferred, (long long)n.failed);
	cli_close(c);
	return 0;
}
