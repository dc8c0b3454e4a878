/* cmd_receive - kith receive: one message from the MTA. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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

#define RECEIVE_MAX (256 << 20)

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

		dup2(null, 0);
		dup2(null, 1);
		dup2(logfd >= 0 ? logfd : null, 2);
		free(logpath);
		if (deliver_run(cfg, &o, &s, err, sizeof(err)) != KITH_OK)
			log_error("deliver: %s", err);
		_exit(0);
	}
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
	int ch;

	if (wants_help(argc, argv)) {
		printf("usage: kith receive [-r RECIPIENT] [-f SENDER] < message\n\n"
		    "Called by the MTA for each message to a list address.  The "
		    "envelope comes\nfrom -r/-f or from the environment Postfix "
		    "(ORIGINAL_RECIPIENT, SENDER)\nand Exim (LOCAL_PART, DOMAIN, "
		    "SENDER) set.  Exit codes: 0 stored (or\ndropped on "
		    "purpose), 67 no such list, 75 try again later.\n");
		return 0;
	}
	optind = 0;
	while ((ch = getopt(argc, argv, "r:f:")) != -1) {
		if (ch == 'r')
			rcpt = optarg;
		else if (ch == 'f')
			sender = optarg;
		else
			usage_error("receive", "bad option");
	}
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
	if (buf_read_fd_max(&in, 0, RECEIVE_MAX) < 0) {
		/* Far past any list's max_size: the MTA bounces it to the
		 * sender, who learns why; nothing is silently lost. */
		if (errno == EFBIG)
			die(EX_DATAERR_, "receive: message larger than %d MB; "
			    "not accepted", RECEIVE_MAX >> 20);
		die(EX_TEMPFAIL_, "receive: cannot read the message: %s",
		    strerror(errno));
	}
	inbound_receive(&c->cfg, in.data ? in.data : "", in.len,
	    sender ? sender : "", rcpt, &res);
	buf_release(&in);
	free(exim_rcpt);
	if (res.exit_code != 0)
		fprintf(stderr, "kith: %s\n", res.reason);
	else
		log_info("%s", res.reason);
	if (res.exit_code == 0 && res.queued && c->cfg.deliver_on_receive)
		start_delivery(&c->cfg);
	config_release(&c->cfg);
	return res.exit_code;
}
