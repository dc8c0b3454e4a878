/*
 * cmd - the thin command layer: each `kith SUBCOMMAND` is a cmd_*()
 * that parses its arguments, calls modules and prints.  Shared helpers
 * for opening the configuration and database and for output live in
 * cmd_common.c.
 */
#ifndef KITH_CMD_H
#define KITH_CMD_H

#include <stdio.h>
#include <sqlite3.h>

#include "kith/config.h"
#include "kith/lists.h"

struct cli {
	const char *config_path;	/* --config, or NULL */
	struct kith_config cfg;
	sqlite3 *db;
};

/* Load the configuration; exits 78 with one line on error. */
void cli_config(struct cli *c);
/* Configuration and database (DB_DURABLE); exits 75/78 with one line on error. */
void cli_open(struct cli *c);
void cli_close(struct cli *c);
/* The site secret's token key, or exit 78 with one line. Free with token_key_free. */
struct token_key *cli_key(struct cli *c);
/* Find a list or exit 67 with "kith: list 'x' does not exist ...". */
void cli_list(struct cli *c, const char *spec, struct list *l);

/* Print one error line "kith: ..." and exit with code. */
void die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* Exit 64 with a usage line and a pointer to --help. */
void usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* 1 when argv holds -h or --help as first option. */
int wants_help(int argc, char **argv);

/* A JSON string literal of s (UTF-8 passes through). */
void json_string(FILE *out, const char *s);

int cmd_init(struct cli *c, int argc, char **argv);
int cmd_check(struct cli *c, int argc, char **argv);
int cmd_list(struct cli *c, int argc, char **argv);
int cmd_member(struct cli *c, int argc, char **argv);
int cmd_receive(struct cli *c, int argc, char **argv);
int cmd_serve(struct cli *c, int argc, char **argv);
int cmd_deliver(struct cli *c, int argc, char **argv);
int cmd_cron(struct cli *c, int argc, char **argv);
int cmd_archive(struct cli *c, int argc, char **argv);
int cmd_quarantine(struct cli *c, int argc, char **argv);
int cmd_queue(struct cli *c, int argc, char **argv);
int cmd_mod(struct cli *c, int argc, char **argv);
int cmd_digest(struct cli *c, int argc, char **argv);
int cmd_newsletter(struct cli *c, int argc, char **argv);
int cmd_event(struct cli *c, int argc, char **argv);
int cmd_onboarding(struct cli *c, int argc, char **argv);
int cmd_stats(struct cli *c, int argc, char **argv);
int cmd_poll(struct cli *c, int argc, char **argv);
int cmd_bounce(struct cli *c, int argc, char **argv);
int cmd_dkim(struct cli *c, int argc, char **argv);
int cmd_ban(struct cli *c, int argc, char **argv);

#endif
