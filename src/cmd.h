/*
 * cmd - the thin command layer: each `kith SUBCOMMAND` is a cmd_*()
 * that parses its arguments, calls modules and prints.  Shared helpers
 * for arguments (one option parser for every subcommand), for opening the
 * configuration and database and for output live in cmd_common.c.
 *
 * Output for people goes through cli_printf (or cli_text): every string
 * argument is cleaned (util.h: no control or bidi characters reach the
 * terminal) and widths count columns, so tables line up in any script.
 * JSON strings go through json_string.
 */
#ifndef KITH_CMD_H
#define KITH_CMD_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "kith/config.h"
#include "kith/lists.h"

struct db;

struct cli {
	const char *config_path;	/* --config, or NULL */
	struct kith_config cfg;
	struct db *db;
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

/* One option of a subcommand: --name (and -letter), what it stores. */
enum cli_opt_kind {
	OPT_FLAG,	/* int *: set to 1 */
	OPT_VALUE,	/* const char **: the value (the next argument, or
			 * after '=') */
	OPT_MULTI	/* struct cli_multi *: each value, in order */
};

struct cli_opt {
	const char *name;	/* without the dashes; NULL ends a table */
	char letter;		/* -r; 0 for none */
	enum cli_opt_kind kind;
	void *dest;
};

struct cli_multi {
	const char **v;		/* room for max values */
	size_t n, max;
};

/* A subcommand as its usage shows it, for the parser and its messages. */
struct cli_sub {
	const char *cmd;	/* "list rm" */
	const char *usage;	/* "LIST [--yes]" */
	int min, max;		/* how many positionals; max -1 for any */
	const struct cli_opt *opts;	/* NULL when it takes none */
};

/*
 * cli_parse - the option parser of every subcommand.  argv[0] is the
 * subcommand itself; options and positionals may come in any order, "--"
 * ends the options, "-" alone is a positional.  An unknown option (also
 * --json where a subcommand has no JSON), a missing value, a value given
 * to a flag, too few or too many positionals: exit 64 with one line.
 * Returns how many positionals there are, moved to argv[0..n).
 */
int cli_parse(const struct cli_sub *s, int argc, char **argv);
/*
 * cli_parse_help - -h or --help prints help (the whole text) and exits 0;
 * otherwise cli_parse.  cli_no_args: the same for a command that takes
 * no argument and no option.
 */
int cli_parse_help(const struct cli_sub *s, const char *help, int argc,
    char **argv);
void cli_no_args(const char *cmd, const char *help, int argc, char **argv);
/* cli_parse for a subcommand whose one option is --json (sets *json). */
int cli_parse_json(const char *cmd, const char *usage, int min, int max,
    int *json, int argc, char **argv);
/* A positive number (an ID) or exit 64 naming what it should be. */
int64_t cli_id(const char *cmd, const char *what, const char *s);
/* A number from lo to hi, or exit 64: "'x' for --workers is not ...". */
int64_t cli_number(const char *cmd, const char *opt, const char *s,
    int64_t lo, int64_t hi);

/*
 * cli_confirm - ask the person at the terminal to type want; 1 when they
 * did.  0 when stdin is not a terminal (scripts confirm with an option).
 */
int cli_confirm(const char *question, const char *want);

/*
 * cli_guard_terminal - from here on, whatever goes to a terminal on
 * stdout or stderr is cleaned (util.h, newlines and tabs kept), also what
 * modules print and raw dumps (kith mod show).  Pipes and files get the
 * bytes as they are.  Called once by main().
 */
void cli_guard_terminal(void);
/* stderr as it was before the guard: for our own progress bar only. */
FILE *cli_raw_stderr(void);

/* printf(3) for people; see the top of this file. */
int cli_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_fprintf(FILE *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cli_vfprintf(FILE *out, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Text of many lines for people (a post's body): newlines and tabs kept. */
void cli_text(FILE *out, const char *s);

/* One line "kith: ..." on stderr, arguments cleaned and cut to a readable
 * length; the command goes on. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print one error line "kith: ..." (as cli_warn) and exit with code. */
void die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* A module's status: nothing for KITH_OK, else err as the error line,
 * exit 75 for KITH_TEMP (try again), 65 for KITH_PERM (the input). */
void cli_status(int st, const char *err);
/* Exit 64 with a usage line and a pointer to --help. */
void usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* 1 when argv holds -h or --help as first option. */
int wants_help(int argc, char **argv);
/*
 * group_help - for a command of subcommands (kith list ...): with none
 * given, usage on stderr and 64; with -h or --help, usage on stdout and
 * 0; else -1, and the command goes on.
 */
int group_help(int argc, char **argv, void (*usage)(FILE *out));

/* A JSON string literal of s (util.h buf_add_json). */
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
int cmd_backup(struct cli *c, int argc, char **argv);
int cmd_restore(struct cli *c, int argc, char **argv);
int cmd_import(struct cli *c, int argc, char **argv);
int cmd_migrate(struct cli *c, int argc, char **argv);

#endif
