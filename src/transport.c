/* transport - pick a backend from the configured spec. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kith/transport.h"
#include "kith/util.h"

struct transport {
	const struct transport_ops *ops;
	void *state;
	int parallel;
};

void
tx_set_result(struct tx *t, int status, int code, const char *text)
{
	if (t->status != -1)
		return;
	t->status = status;
	t->code = code;
	snprintf(t->text, sizeof(t->text), "%s", text ? text : "");
	/* Replies go into logs and the database: one line only. */
	for (char *p = t->text; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	if (t->done)
		t->done(t, t->ctx);
}

void
add_lf(struct buf *b, const char *data, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *cr = memchr(data + i, '\r', len - i);
		size_t end = cr ? (size_t)(cr - data) : len;

		buf_add(b, data + i, end - i);
		if (cr && (end + 1 == len || data[end + 1] != '\n'))
			buf_addc(b, '\r');	/* a lone CR stays */
		i = end + 1;
	}
}

struct transport *
transport_open(const struct kith_config *cfg, char *err, size_t errlen)
{
	const char *spec = cfg->transport;
	const struct transport_ops *ops;
	const char *arg;
	struct transport *t;
	void *state;
	int parallel = 0;

	if (!strncmp(spec, "smtp://", 7)) {
		ops = &transport_smtp_ops;
		arg = spec + 7;
		parallel = 1;
	} else if (!strncmp(spec, "sendmail:", 9)) {
		ops = &transport_sendmail_ops;
		arg = spec + 9;
	} else if (!strncmp(spec, "maildir:", 8)) {
		ops = &transport_maildir_ops;
		arg = spec + 8;
	} else {
		snprintf(err, errlen, "transport '%s' is not smtp://host:port, "
		    "sendmail:PATH or maildir:DIR", spec);
		return NULL;
	}
	state = ops->open(cfg, arg, err, errlen);
	if (state == NULL)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->ops = ops;
	t->state = state;
	t->parallel = parallel;
	return t;
}

int
transport_probe(struct transport *t, char *err, size_t errlen)
{
	*err = '\0';
	return t->ops->probe ? t->ops->probe(t->state, err, errlen) : 0;
}

int
transport_send(struct transport *t, struct tx *txs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		txs[i].status = -1;
		txs[i].relay_refused = 0;
	}
	return t->ops->send(t->state, txs, n);
}

void
transport_close(struct transport *t)
{
	if (t) {
		t->ops->close(t->state);
		free(t);
	}
}

int
transport_parallel(const struct transport *t)
{
	return t->parallel;
}
