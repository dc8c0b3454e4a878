/*
 * transport_maildir - the embedded default: one Maildir per recipient
 * under DIR (DIR/<address>/new/), written tmp -> fsync -> rename, with
 * Return-Path and Delivered-To prepended as a local delivery agent would.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kith/transport.h"
#include "kith/util.h"

struct maildir {
	char *dir;
	char host[64];
	unsigned long seq;
};

static void *
maildir_open(const struct kith_config *cfg, const char *arg, char *err,
    size_t errlen)
{
	struct maildir *m;

	(void)cfg;
	if (*arg == '\0') {
		snprintf(err, errlen, "maildir transport needs a directory");
		return NULL;
	}
	/* In a shared data directory (util.h) every delivering user
	 * writes here: the maildirs are the group's. */
	if (mkdir_p(arg, 0755) < 0 || share_like_parent(arg, 02770) < 0) {
		snprintf(err, errlen, "cannot create '%s': %s", arg,
		    strerror(errno));
		return NULL;
	}
	m = xcalloc(1, sizeof(*m));
	m->dir = xstrdup(arg);
	if (gethostname(m->host, sizeof(m->host)) < 0)
		strcpy(m->host, "localhost");
	m->host[sizeof(m->host) - 1] = '\0';
	for (char *p = m->host; *p; p++)
		if (*p == '/' || *p == ':')
			*p = '_';
	return m;
}

/* DIR/<address>, with '/' and a leading '.' escaped: never leaves DIR. */
static char *
maildir_box(const char *dir, const char *rcpt)
{
	struct buf b;

	buf_init(&b);
	buf_addf(&b, "%s/", dir);
	for (const char *p = rcpt; *p; p++) {
		if (*p == '/' || *p == '%' || (p == rcpt && *p == '.'))
			buf_addf(&b, "%%%02X", (unsigned char)*p);
		else
			buf_addc(&b, *p);
	}
	return buf_detach(&b, NULL);
}

static int
maildir_deliver_one(struct maildir *m, struct tx *t)
{
	char *box, *tmp, *dst, *hex;
	struct buf b;
	int st = KITH_OK;

	box = maildir_box(m->dir, t->rcpt);
	hex = random_hex(6);
	tmp = xasprintf("%s/tmp/%lld.%ld_%lu_%s.%s", box, (long long)now_utc(),
	    (long)getpid(), ++m->seq, hex, m->host);
	dst = xasprintf("%s/new/%s", box, strrchr(tmp, '/') + 1);
	buf_init(&b);
	buf_addf(&b, "Return-Path: <%s>\nDelivered-To: %s\n", t->from, t->rcpt);
	/* Maildir files use LF line endings. */
	add_lf(&b, t->head, t->head_len);
	add_lf(&b, t->data, t->len);
	{
		char *sub[3];

		sub[0] = xasprintf("%s/tmp", box);
		sub[1] = xasprintf("%s/new", box);
		sub[2] = xasprintf("%s/cur", box);
		for (int i = 0; i < 3; i++) {
			if (mkdir_p(sub[i], 0700) < 0 ||
			    share_like_parent(box, 02770) < 0 ||
			    share_like_parent(sub[i], 02770) < 0)
				st = KITH_TEMP;
			free(sub[i]);
		}
	}
	if (st == KITH_OK && (file_write_atomic(tmp, b.data, b.len, 0600) < 0 ||
	    share_like_parent(tmp, 0660) < 0 || rename(tmp, dst) < 0))
		st = KITH_TEMP;
	if (st == KITH_OK)
		tx_set_result(t, KITH_OK, 250, "delivered to maildir");
	else {
		tx_set_result(t, KITH_TEMP, 451, strerror(errno));
		unlink(tmp);
	}
	buf_release(&b);
	free(box);
	free(hex);
	free(tmp);
	free(dst);
	return st;
}

static int
maildir_send(void *state, struct tx *txs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		maildir_deliver_one(state, &txs[i]);
	return KITH_OK;
}

static void
maildir_close(void *state)
{
	struct maildir *m = state;

	free(m->dir);
	free(m);
}

const struct transport_ops transport_maildir_ops = {
	maildir_open, maildir_send, maildir_close, NULL
};
