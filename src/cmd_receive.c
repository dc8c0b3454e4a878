/* cmd_receive - kith receive: one message from the MTA. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "kith/deliver.h"
#include "kith/inbound.h"
#include "kith/log.h"
#include "kith/util.h"

static const char *
env_first(const char *const *names)
{
	for (int i = 0; names[i]; i++) {
		const char *v = getenv(names[i]);

		if (v && *v)
			return v;
	}
	return NULL;
}

/*
 * start_delivery - members get the post within seconds: deliver in a
 * grandchild that has left the MTA's process group and closed the MTA's
 * pipes, so that the MTA neither waits for the fan-out nor kills it.
 */
static void
start_delivery(const struct kith_config *cfg)
{
	pid_t pid = fork();
	int status;

	if (pid < 0) {
		log_warn("receive: cannot fork the delivery; cron will send");
		return;
	}
	if (pid > 0) {
		waitpid(pid, &status, 0);
		return;
	}
	setsid();
	if (fork() != 0)
		_exit(0);
	{
		struct deliver_opts o = { 0, 0 };
		struct deliver_stats s;
		char err[512] = "", *logpath = xasprintf("%s/deliver.log",
		    cfg->data_dir);
		int null = open("/dev/null", O_RDWR);
		int logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0640);

		/* Each user of a shared data directory appends to it. */
		if (logfd >= 0)
			share_like_parent(logpath, 0660);
		dup2(null, 0);
		dup2(null, 1);
		dup2(logfd >= 0 ? logfd : null, 2);
		free(logpath);
		if (deliver_run(cfg, &o, &s, err, sizeof(err)) != KITH_OK)
			log_error("deliver: %s", err);
		_exit(0);
	}
}

/*
 * read_message - read standard input into in, keeping at most about
 * limit bytes: the rest is read and counted, not kept, so a message far
 * over the list's max_size costs no memory.  *size is the whole size.
 */
static int
read_message(struct buf *in, size_t limit, size_t *size)
{
	char skip[65536];
	ssize_t n;

	*size = 0;
	if (buf_read_fd_max(in, 0, limit) == 0) {
		*size = in->len;
		return 0;
	}
	if (errno != EFBIG)
		return -1;
	*size = in->len;
	while ((n = read(0, skip, sizeof(skip))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		*size += (size_t)n;
	}
	return 0;
}

int
cmd_receive(struct cli *c, int argc, char **argv)
{
	static const char *const rcpt_env[] = { "ORIGINAL_RECIPIENT",
		"RECIPIENT", NULL };
	static const char *const sender_env[] = { "SENDER", NULL };
	const char *rcpt = NULL, *sender = NULL;
	struct inbound_result res;
	struct buf in;
	char *exim_rcpt = NULL;
	const struct cli_opt opts[] = {
		{ "recipient", 'r', OPT_VALUE, &rcpt },
		{ "sender", 'f', OPT_VALUE, &sender },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "receive", "[-r RECIPIENT] [-f SENDER] "
	    "< message", 0, 0, opts };
	size_t size;

	cli_parse_help(&sub,
	    "usage: kith receive [-r RECIPIENT] [-f SENDER] < message\n\n"
	    "Called by the MTA for each message to a list address.  The "
	    "envelope comes\nfrom -r/-f or from the environment Postfix "
	    "(ORIGINAL_RECIPIENT, SENDER)\nand Exim (LOCAL_PART, DOMAIN, "
	    "SENDER) set.  Exit codes: 0 stored (or\ndropped on "
	    "purpose, or a post over max_size refused with a notice),\n"
	    "65 other mail over max_size, 67 no such list, 75 try "
	    "again later.\n", argc, argv);
	if (rcpt == NULL)
		rcpt = env_first(rcpt_env);
	if (rcpt == NULL && getenv("LOCAL_PART") && getenv("DOMAIN")) {
		exim_rcpt = xasprintf("%s%s@%s", getenv("LOCAL_PART"),
		    getenv("LOCAL_PART_SUFFIX") ? getenv("LOCAL_PART_SUFFIX") :
		    "", getenv("DOMAIN"));
		rcpt = exim_rcpt;
	}
	if (sender == NULL)
		sender = env_first(sender_env);
	if (rcpt == NULL)
		usage_error("receive", "no recipient: give -r ADDRESS or set "
		    "RECIPIENT");
	cli_config(c);
	buf_init(&in);
	/* The size is checked while reading: what is over the list's
	 * max_size is never held in memory, let alone parsed. */
	if (read_message(&in, inbound_size_limit(&c->cfg, rcpt), &size) < 0)
		die(EX_TEMPFAIL_, "receive: cannot read the message: %s",
		    strerror(errno));
	inbound_receive_sized(&c->cfg, in.data ? in.data : "", in.len, size,
	    sender ? sender : "", rcpt, &res);
	buf_release(&in);
	free(exim_rcpt);
	if (res.exit_code != 0)
		cli_warn("%s", res.reason);
	else
		log_info("%s", res.reason);
	if (res.exit_code == 0 && res.queued && c->cfg.deliver_on_receive)
		start_delivery(&c->cfg);
	config_release(&c->cfg);
	return res.exit_code;
}
