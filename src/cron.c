/* cron - the jobs of kith cron: the core's, then the feature table's. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kith/cron.h"
#include "kith/digest.h"
#include "kith/feature.h"
#include "kith/log.h"
#include "kith/membership.h"
#include "kith/moderation.h"
#include "kith/post.h"
#include "kith/tokens.h"
#include "kith/util.h"

/* What a burst over LMTP deferred (post.h), if no quiet moment came:
 * the posts' words into the archive's index, their copies queued. */
static int
catch_up_posts(const struct site_ctx *c, int64_t now)
{
	return post_catch_up(c->db, now);
}

/* Held posts past their time go, and their posters are told. */
static int
expire_held(const struct site_ctx *c, int64_t now)
{
	return moderation_expire(c->cfg, c->db, c->key, now);
}

/* The moderators hear of posts that have waited a day or more. */
static int
remind_moderators(const struct site_ctx *c, int64_t now)
{
	return moderation_remind(c->cfg, c->db, c->key, now);
}

/* Pending confirmations expire, nomail periods end, owners get summaries. */
static int
expire_confirmations(const struct site_ctx *c, int64_t now)
{
	return membership_cron(c->cfg, c->db, c->key, now);
}

/* The digests that are due. */
static int
send_digests(const struct site_ctx *c, int64_t now)
{
	return digest_cron(c->cfg, c->db, now) < 0 ? KITH_TEMP : KITH_OK;
}

static const struct {
	const char *name;
	int (*run)(const struct site_ctx *, int64_t);
} core_jobs[] = {
	{ "posts stored under load", catch_up_posts },
	{ "held posts", expire_held },
	{ "moderator reminders", remind_moderators },
	{ "confirmations", expire_confirmations },
	{ "digests", send_digests },
};

/* run_job - one job; its trouble is logged, and the worst kept in *worst. */
static void
run_job(const char *name, int (*run)(const struct site_ctx *, int64_t),
    const struct site_ctx *c, int64_t now, int *worst)
{
	int st = run(c, now);

	if (st == KITH_OK)
		return;
	if (st == KITH_TEMP)
		log_warn("cron: %s: not done this time; next minute", name);
	else
		log_error("cron: %s: failed; see the lines above", name);
	if (st > *worst)
		*worst = st;
}

int
cron_run(const struct kith_config *cfg, struct db *db, int64_t now)
{
	char *secret = config_secret_path(cfg), err[512] = "";
	struct token_key *key = token_key_load(secret, err, sizeof(err));
	struct site_ctx c = { cfg, db, key };
	int worst = KITH_OK;

	free(secret);
	if (key == NULL) {
		log_error("cron: %s", err);
		return KITH_TEMP;
	}
	for (size_t i = 0; i < sizeof(core_jobs) / sizeof(core_jobs[0]); i++)
		run_job(core_jobs[i].name, core_jobs[i].run, &c, now, &worst);
	for (const struct feature *const *f = features_table; *f; f++)
		if ((*f)->cron)
			run_job((*f)->name, (*f)->cron, &c, now, &worst);
	token_key_free(key);
	return worst;
}

int
cron_mark(int fd, int64_t now)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "%lld\n", (long long)now);

	if (ftruncate(fd, 0) < 0 || pwrite(fd, line, (size_t)n, 0) != n)
		return -1;
	return 0;
}

int64_t
cron_last_run(const struct kith_config *cfg)
{
	char *lock = xasprintf("%s/cron.lock", cfg->data_dir), line[32] = "";
	FILE *f = fopen(lock, "r");
	struct stat sb;
	int64_t t = -1;

	if (f && fgets(line, sizeof(line), f) && *line >= '0' && *line <= '9')
		t = strtoll(line, NULL, 10);
	else if (f && fstat(fileno(f), &sb) == 0)
		t = (int64_t)sb.st_mtime;
	if (f)
		fclose(f);
	free(lock);
	return t;
}
