/*
 * transport_sendmail - pipe each message to a sendmail-compatible program
 * (Postfix, Exim, OpenSMTPD, msmtp): PATH -i -f FROM -- RCPT.  Exit 0 is
 * success, 75 (EX_TEMPFAIL) and death by signal are temporary, anything
 * else permanent.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kith/transport.h"
#include "kith/util.h"

struct sendmail {
	char *path;
};

static void *
sendmail_open(const struct kith_config *cfg, const char *arg, char *err,
    size_t errlen)
{
	struct sendmail *s;

	(void)cfg;
	if (access(arg, X_OK) < 0) {
		snprintf(err, errlen, "sendmail program '%s' is not executable",
		    arg);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(arg);
	return s;
}

static void
sendmail_one(struct sendmail *s, struct tx *t)
{
	int fds[2], status;
	pid_t pid;
	struct buf b;

	if (pipe(fds) < 0) {
		tx_set_result(t, KITH_TEMP, 0, strerror(errno));
		return;
	}
	pid = fork();
	if (pid < 0) {
		tx_set_result(t, KITH_TEMP, 0, strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execl(s->path, s->path, "-i", "-f", *t->from ? t->from : "<>",
		    "--", t->rcpt, (char *)NULL);
		_exit(EX_TEMPFAIL_);
	}
	close(fds[0]);
	buf_init(&b);
	/* sendmail expects local (LF) line endings. */
	add_lf(&b, t->head, t->head_len);
	add_lf(&b, t->data, t->len);
	write_all(fds[1], b.data, b.len);
	buf_release(&b);
	close(fds[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		tx_set_result(t, KITH_OK, 0, "accepted by sendmail");
	else if (WIFEXITED(status) && WEXITSTATUS(status) != EX_TEMPFAIL_) {
		char msg[64];

		snprintf(msg, sizeof(msg), "sendmail exited %d",
		    WEXITSTATUS(status));
		tx_set_result(t, KITH_PERM, WEXITSTATUS(status), msg);
	} else
		tx_set_result(t, KITH_TEMP, WIFEXITED(status) ?
		    WEXITSTATUS(status) : 0, "sendmail failed temporarily");
}

static int
sendmail_send(void *state, struct tx *txs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sendmail_one(state, &txs[i]);
	return KITH_OK;
}

static void
sendmail_close(void *state)
{
	struct sendmail *s = state;

	free(s->path);
	free(s);
}

const struct transport_ops transport_sendmail_ops = {
	sendmail_open, sendmail_send, sendmail_close, NULL
};
