/* cmd_serve - kith serve: the web front door, in the foreground. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "kith/db.h"
#include "kith/http.h"
#include "kith/lmtp.h"
#include "kith/log.h"
#include "kith/template.h"
#include "kith/util.h"

#define STOP_GRACE 10	/* seconds requests in flight may take at SIGTERM */

extern char **environ;

/*
 * spawn_deliver - `kith deliver` as a child, so that mail a page queued
 * (a confirmation, a goodbye) leaves now rather than at the next cron.
 * A separate process: the delivery engine forks its workers, which a
 * threaded server must not do itself.
 */
static pid_t
spawn_deliver(const struct cli *c)
{
	char *logpath = xasprintf("%s/deliver.log", c->cfg.data_dir);
	char *argv[5];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none;
	pid_t pid = 0;
	int i = 0;

	argv[i++] = "kith";
	if (c->config_path) {
		argv[i++] = "--config";
		argv[i++] = (char *)c->config_path;
	}
	argv[i++] = "deliver";
	argv[i] = NULL;
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, logpath, O_WRONLY | O_CREAT |
	    O_APPEND, 0640);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	if (posix_spawn(&pid, "/proc/self/exe", &fa, &attr, argv, environ)) {
		log_warn("serve: cannot start a delivery; cron will send");
		pid = 0;
	}
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	free(logpath);
	return pid;
}

/* SIGHUP: read the configuration again; the old one stays on error. */
static void
reload(struct cli *c, struct http_server *srv)
{
	struct kith_config fresh, web;
	char err[512];
	int level;

	template_keep_texts(1);	/* the texts as they are now, edited or not */
	if (config_load(&fresh, c->config_path, err, sizeof(err)) < 0 ||
	    config_load(&web, c->config_path, err, sizeof(err)) < 0) {
		log_error("serve: reload: %s; the old configuration stays", err);
		config_release(&fresh);
		return;
	}
	if ((level = log_level_parse(fresh.log_level)) < 0) {
		log_error("serve: reload: log_level '%s' is not error, warn, "
		    "info or debug; the old configuration stays",
		    fresh.log_level);
		config_release(&fresh);
		config_release(&web);
		return;
	}
	if (strcmp(fresh.http_listen, c->cfg.http_listen) ||
	    fresh.http_threads != c->cfg.http_threads ||
	    fresh.http_max_connections != c->cfg.http_max_connections ||
	    fresh.http_timeout != c->cfg.http_timeout)
		log_warn("serve: [http] listen, threads, max_connections and "
		    "timeout take effect when kith serve starts again");
	/* the LMTP side keeps the configuration it started with */
	if (strcmp(fresh.lmtp_listen, c->cfg.lmtp_listen) ||
	    strcmp(fresh.domain, c->cfg.domain) ||
	    strcmp(fresh.delimiter, c->cfg.delimiter) ||
	    fresh.lmtp_max_size != c->cfg.lmtp_max_size ||
	    fresh.lmtp_max_recipients != c->cfg.lmtp_max_recipients)
		log_warn("serve: [lmtp] settings, domain and delimiter take "
		    "effect on LMTP when kith serve starts again");
	log_set_level(level);
	http_reload(srv, &web, err, sizeof(err));
	config_release(&c->cfg);
	c->cfg = fresh;
}

int
cmd_serve(struct cli *c, int argc, char **argv)
{
	const char *listen = NULL, *lmtp_listen = NULL;
	const struct cli_opt opts[] = {
		{ "listen", 'l', OPT_VALUE, &listen },
		{ "lmtp", 0, OPT_VALUE, &lmtp_listen },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "serve", "[--listen ADDRESS] "
	    "[--lmtp ADDRESS]", 0, 0, opts };
	struct http_server *srv;
	struct lmtp_server *lmtp = NULL;
	struct kith_config web, mta;
	struct timespec tick = { 1, 0 };
	sigset_t set;
	char err[512], *path;
	pid_t deliver = 0;
	int again = 0;

	cli_parse_help(&sub,
	    "usage: kith serve [--listen ADDRESS] [--lmtp ADDRESS]\n\n"
	    "Serve the web pages members reach from their mail (one-click "
	    "unsubscribe,\npreferences, list pages with a join form, RSVP "
	    "and vote links, moderation)\non [http] listen (HOST:PORT, "
	    "[IPV6]:PORT or unix:/PATH), behind a reverse\nproxy that "
	    "terminates TLS.  Runs in the foreground: SIGTERM stops it "
	    "once\nthe requests in flight are answered, SIGHUP reads the "
	    "configuration again.\nSee kith-serve(8).\n", argc, argv);
	if (listen && config_listen_parse(listen, NULL, 0, NULL) < 0)
		usage_error("serve", "--listen '%s' is not HOST:PORT, "
		    "[IPV6]:PORT or unix:/PATH", listen);
	if (lmtp_listen && config_listen_parse(lmtp_listen, NULL, 0, NULL) < 0)
		usage_error("serve", "--lmtp '%s' is not HOST:PORT, "
		    "[IPV6]:PORT or unix:/PATH", lmtp_listen);
	cli_config(c);
	if (config_load(&web, c->config_path, err, sizeof(err)) < 0)
		die(EX_CONFIG_, "%s", err);
	path = config_db_path(&web);
	db_reserve_cache(path);
	free(path);
	/* the signals are taken here, by sigtimedwait; no thread sees them */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* the texts of notices are read once, until SIGHUP (a leave sends
	 * two: finding and reading them was 35 system calls of each) */
	template_keep_texts(1);
	srv = http_start(&web, listen, err, sizeof(err));
	if (srv == NULL) {
		config_release(&web);
		die(EX_TEMPFAIL_, "serve: %s", err);
	}
	if ((lmtp_listen || *c->cfg.lmtp_listen) &&
	    (config_load(&mta, c->config_path, err, sizeof(err)) < 0 ||
	    (lmtp = lmtp_start(&mta, lmtp_listen, err, sizeof(err))) == NULL)) {
		http_stop(srv, 0);
		die(EX_TEMPFAIL_, "serve: lmtp: %s", err);
	}
	printf("kith serve: listening on %s\n", http_address(srv));
	if (lmtp)
		printf("kith serve: LMTP on %s\n", lmtp_address(lmtp));
	fflush(stdout);
	for (;;) {
		int sig = sigtimedwait(&set, NULL, &tick);

		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGHUP)
			reload(c, srv);
		if (sig == SIGCHLD || deliver) {
			pid_t p;

			while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
				if (p == deliver)
					deliver = 0;
		}
		if (http_take_mail(srv) | lmtp_take_mail(lmtp))
			again = 1;
		if (again && deliver == 0 && c->cfg.deliver_on_receive) {
			deliver = spawn_deliver(c);
			again = 0;
		}
	}
	log_warn("serve: stopping: answering the requests in flight");
	lmtp_stop(lmtp, STOP_GRACE);
	http_stop(srv, STOP_GRACE);
	printf("kith serve: stopped\n");
	config_release(&c->cfg);
	return 0;
}
