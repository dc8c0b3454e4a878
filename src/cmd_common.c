/* cmd_common - arguments, configuration, database and output for cmd_*.c. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "kith/db.h"
#include "kith/log.h"
#include "kith/tokens.h"
#include "kith/util.h"

/* Arguments echoed in an error line are cut here, so that the line stays
 * readable; longer than any message a module writes into its err[512]. */
#define ERROR_ARG_COLUMNS 512

/* The first n columns of clean text s (cut on a character boundary). */
static size_t
columns_prefix(const char *s, size_t len, size_t n, int *cut)
{
	size_t i = 0, w = 0;

	*cut = 0;
	while (i < len) {
		uint32_t cp;
		size_t l = utf8_next(s + i, len - i, &cp);
		int cw = l ? char_width(cp) : 1;

		if (l == 0)
			l = 1;
		if (w + (size_t)cw > n) {
			*cut = 1;
			break;
		}
		w += (size_t)cw;
		i += l;
	}
	return i;
}

/* One %s for people: cleaned, cut to prec columns (or clip, with an
 * ellipsis), padded to width. */
static void
add_cell(struct buf *b, const char *s, int left, int width, int prec,
    int clip)
{
	struct buf c;
	size_t w;
	int cut = 0;

	if (s == NULL)
		s = "(null)";
	buf_init(&c);
	buf_add_clean(&c, s, strlen(s), CLEAN_LINE);
	buf_add(&c, "", 0);	/* c.data is a string from here on */
	if (prec >= 0) {
		c.len = columns_prefix(c.data, c.len, (size_t)prec, &cut);
		c.data[c.len] = '\0';
	}
	if (clip > 0) {
		c.len = columns_prefix(c.data, c.len, (size_t)clip, &cut);
		c.data[c.len] = '\0';
		if (cut)
			buf_adds(&c, "\xe2\x80\xa6");	/* … */
	}
	w = str_width(c.data);
	for (; !left && width > 0 && w < (size_t)width; w++)
		buf_addc(b, ' ');
	buf_add(b, c.data, c.len);
	for (; left && width > 0 && w < (size_t)width; w++)
		buf_addc(b, ' ');
	buf_release(&c);
}

/*
 * format_people - printf(3) into b, but every %s is cleaned and its width
 * and precision count terminal columns.  The other conversions are
 * printf's own.  clip > 0 cuts long strings to that many columns.
 */
static void
format_people(struct buf *b, int clip, const char *fmt, va_list ap)
{
	const char *p = fmt;

	while (*p) {
		const char *pct = strchr(p, '%');
		char spec[32], conv;
		size_t k = 0;
		int left = 0, width = -1, prec = -1, lng = 0;

		if (pct == NULL) {
			buf_adds(b, p);
			break;
		}
		buf_add(b, p, (size_t)(pct - p));
		p = pct + 1;
		spec[k++] = '%';
		while (*p && strchr("-+ #0", *p) && k < 8) {
			left |= *p == '-';
			spec[k++] = *p++;
		}
		if (*p == '*') {
			width = va_arg(ap, int);
			p++;
			if (width < 0) {
				left = 1;
				width = -width;
			}
			k += (size_t)snprintf(spec + k, sizeof(spec) - k, "%d",
			    width);
		} else {
			for (width = 0; isdigit((unsigned char)*p) && k < 16; p++) {
				width = width * 10 + (*p - '0');
				spec[k++] = *p;
			}
		}
		if (*p == '.') {
			spec[k++] = *p++;
			if (*p == '*') {
				prec = va_arg(ap, int);
				p++;
				k += (size_t)snprintf(spec + k, sizeof(spec) - k,
				    "%d", prec < 0 ? 0 : prec);
			} else
				for (prec = 0; isdigit((unsigned char)*p) &&
				    k < 24; p++) {
					prec = prec * 10 + (*p - '0');
					spec[k++] = *p;
				}
		}
		while (*p && strchr("hlzjtL", *p) && k < 28) {
			lng = lng * 16 + *p;	/* "ll" and "l" differ */
			spec[k++] = *p++;
		}
		conv = *p ? *p++ : '%';
		spec[k++] = conv;
		spec[k] = '\0';
		switch (conv) {
		case '%':
			buf_addc(b, '%');
			break;
		case 's':
			add_cell(b, va_arg(ap, const char *), left, width, prec,
			    clip);
			break;
		case 'c':
			buf_addf(b, spec, va_arg(ap, int));
			break;
		case 'd': case 'i':
			if (lng == 'l' * 16 + 'l')
				buf_addf(b, spec, va_arg(ap, long long));
			else if (lng == 'l')
				buf_addf(b, spec, va_arg(ap, long));
			else if (lng == 'z' || lng == 't')
				buf_addf(b, spec, va_arg(ap, ptrdiff_t));
			else if (lng == 'j')
				buf_addf(b, spec, va_arg(ap, intmax_t));
			else
				buf_addf(b, spec, va_arg(ap, int));
			break;
		case 'u': case 'x': case 'X': case 'o':
			if (lng == 'l' * 16 + 'l')
				buf_addf(b, spec, va_arg(ap, unsigned long long));
			else if (lng == 'l')
				buf_addf(b, spec, va_arg(ap, unsigned long));
			else if (lng == 'z' || lng == 't')
				buf_addf(b, spec, va_arg(ap, size_t));
			else if (lng == 'j')
				buf_addf(b, spec, va_arg(ap, uintmax_t));
			else
				buf_addf(b, spec, va_arg(ap, unsigned));
			break;
		case 'f': case 'F': case 'g': case 'G': case 'e': case 'E':
			if (lng == 'L')
				buf_addf(b, spec, va_arg(ap, long double));
			else
				buf_addf(b, spec, va_arg(ap, double));
			break;
		case 'p':
			buf_addf(b, spec, va_arg(ap, void *));
			break;
		default:
			/* the compiler checks every format: not reached */
			buf_adds(b, spec);
			break;
		}
	}
}

void
cli_vfprintf(FILE *out, const char *fmt, va_list ap)
{
	struct buf b;

	buf_init(&b);
	format_people(&b, 0, fmt, ap);
	if (b.len)
		fwrite(b.data, 1, b.len, out);
	buf_release(&b);
}

int
cli_fprintf(FILE *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vfprintf(out, fmt, ap);
	va_end(ap);
	return 0;
}

int
cli_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vfprintf(stdout, fmt, ap);
	va_end(ap);
	return 0;
}

void
cli_text(FILE *out, const char *s)
{
	fput_clean(out, s, CLEAN_TEXT, 0);
}

/* "kith: " fmt "\n" on stderr in one write, arguments cleaned and cut. */
static void
error_line(const char *fmt, va_list ap, const char *tail, const char *cmd)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "kith: ");
	format_people(&b, ERROR_ARG_COLUMNS, fmt, ap);
	if (tail) {
		struct buf c;

		buf_init(&c);
		buf_add_clean(&c, cmd, strlen(cmd), CLEAN_LINE);
		buf_addf(&b, tail, c.data ? c.data : "");
		buf_release(&c);
	}
	buf_addc(&b, '\n');
	fflush(stdout);
	fwrite(b.data, 1, b.len, stderr);
	fflush(stderr);
	buf_release(&b);
}

void
cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_line(fmt, ap, NULL, NULL);
	va_end(ap);
}

void
die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_line(fmt, ap, NULL, NULL);
	va_end(ap);
	exit(code);
}

void
usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_line(fmt, ap, "; see 'kith %s --help'", cmd);
	va_end(ap);
	exit(EX_USAGE_);
}

int
wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	}
	return 0;
}

int
group_help(int argc, char **argv, void (*usage)(FILE *out))
{
	if (argc >= 2 && !wants_help(argc, argv))
		return -1;
	usage(argc < 2 ? stderr : stdout);
	return argc < 2 ? EX_USAGE_ : 0;
}

/* The command word of "list rm": what 'kith ... --help' explains. */
static char *
help_word(const char *cmd)
{
	return xstrndup(cmd, strcspn(cmd, " "));
}

static const struct cli_opt *
find_long(const struct cli_opt *o, const char *name, size_t n)
{
	for (; o && o->name; o++)
		if (strlen(o->name) == n && !strncmp(o->name, name, n))
			return o;
	return NULL;
}

static const struct cli_opt *
find_letter(const struct cli_opt *o, char letter)
{
	for (; o && o->name; o++)
		if (o->letter && o->letter == letter)
			return o;
	return NULL;
}

static void
store(const struct cli_sub *s, const struct cli_opt *o, const char *shown,
    const char *value)
{
	char *word = help_word(s->cmd);

	switch (o->kind) {
	case OPT_FLAG:
		if (value)
			usage_error(word, "option '%s' of 'kith %s' takes no "
			    "value", shown, s->cmd);
		*(int *)o->dest = 1;
		break;
	case OPT_VALUE:
		if (value == NULL)
			usage_error(word, "option '%s' of 'kith %s' needs a "
			    "value", shown, s->cmd);
		*(const char **)o->dest = value;
		break;
	case OPT_MULTI: {
		struct cli_multi *m = o->dest;

		if (value == NULL)
			usage_error(word, "option '%s' of 'kith %s' needs a "
			    "value", shown, s->cmd);
		if (m->n == m->max)
			usage_error(word, "'kith %s' takes %s at most %zu times",
			    s->cmd, shown, m->max);
		m->v[m->n++] = value;
		break;
	}
	}
	free(word);
}

int
cli_parse(const struct cli_sub *s, int argc, char **argv)
{
	int npos = 0, only_pos = 0;
	char *word = help_word(s->cmd);

	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		const struct cli_opt *o;
		const char *value = NULL;

		if (only_pos || a[0] != '-' || a[1] == '\0') {
			argv[npos++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_pos = 1;
			continue;
		}
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);

			o = find_long(s->opts, a + 2, n);
			if (o && eq)
				value = eq + 1;
		} else {
			o = find_letter(s->opts, a[1]);
			if (o && a[2] != '\0')
				value = a + 2;	/* -rADDRESS */
		}
		if (o == NULL)
			usage_error(word, "'kith %s' has no option '%.*s'", s->cmd,
			    (int)strcspn(a, "="), a);
		if (o->kind != OPT_FLAG && value == NULL) {
			if (i + 1 >= argc)
				usage_error(word, "option '%s' of 'kith %s' needs a "
				    "value", a, s->cmd);
			value = argv[++i];
		}
		store(s, o, a, value);
	}
	if (npos < s->min || (s->max >= 0 && npos > s->max))
		usage_error(word, "usage: kith %s %s", s->cmd, s->usage);
	free(word);
	return npos;
}

void
cli_status(int st, const char *err)
{
	if (st != KITH_OK)
		die(st == KITH_TEMP ? EX_TEMPFAIL_ : EX_DATAERR_, "%s", err);
}

int
cli_parse_help(const struct cli_sub *s, const char *help, int argc,
    char **argv)
{
	if (wants_help(argc, argv)) {
		fputs(help, stdout);
		exit(0);
	}
	return cli_parse(s, argc, argv);
}

void
cli_no_args(const char *cmd, const char *help, int argc, char **argv)
{
	const struct cli_sub sub = { cmd, "", 0, 0, NULL };

	cli_parse_help(&sub, help, argc, argv);
}

int
cli_parse_json(const char *cmd, const char *usage, int min, int max,
    int *json, int argc, char **argv)
{
	const struct cli_opt opts[] = {
		{ "json", 0, OPT_FLAG, json },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { cmd, usage, min, max, opts };

	return cli_parse(&sub, argc, argv);
}

int64_t
cli_id(const char *cmd, const char *what, const char *s)
{
	char *end, *word;
	long long n;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (*s != '\0' && isdigit((unsigned char)*s) && *end == '\0' &&
	    errno == 0 && n > 0)
		return n;
	word = help_word(cmd);
	usage_error(word, "'%s' is not %s", s, what);
}

int64_t
cli_number(const char *cmd, const char *opt, const char *s, int64_t lo,
    int64_t hi)
{
	char *end, *word;
	long long n;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (*s != '\0' && !isspace((unsigned char)*s) && *end == '\0' &&
	    errno == 0 && n >= lo && n <= hi)
		return n;
	word = help_word(cmd);
	usage_error(word, "'%s' for %s is not a number from %lld to %lld", s,
	    opt, (long long)lo, (long long)hi);
}

int
cli_confirm(const char *question, const char *want)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int ok;

	if (!isatty(0))
		return 0;
	cli_fprintf(stderr, "%s\nType '%s' to go on: ", question, want);
	fflush(stderr);
	n = getline(&line, &cap, stdin);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	ok = n > 0 && !strcmp(line, want);
	free(line);
	return ok;
}

/* A stream that cleans what it passes on to fd (cli_guard_terminal). */
struct guard {
	int fd;
	char carry[4];	/* a character cut in two by the buffer */
	size_t ncarry;
};

static FILE *raw_stderr;
static struct {
	FILE *f;
	struct guard *g;
} guarded[2];	/* stdout and stderr, when they are terminals */

static ssize_t
guard_write(void *cookie, const char *data, size_t n)
{
	struct guard *g = cookie;
	struct buf in, out;
	size_t keep;

	buf_init(&in);
	buf_init(&out);
	buf_add(&in, g->carry, g->ncarry);
	buf_add(&in, data, n);
	keep = utf8_partial(in.data, in.len);
	if (keep == 0 && in.len && in.data[in.len - 1] == '\r')
		keep = 1;	/* CR LF may be cut in two */
	buf_add_clean(&out, in.data, in.len - keep, CLEAN_TEXT);
	memcpy(g->carry, in.data + in.len - keep, keep);
	g->ncarry = keep;
	buf_release(&in);
	if (out.len && write_all(g->fd, out.data, out.len) < 0) {
		buf_release(&out);
		return -1;
	}
	buf_release(&out);
	return (ssize_t)n;
}

/* What is left at the end: a character cut short, a last CR. */
static int
guard_flush_carry(struct guard *g)
{
	struct buf out;
	int r = 0;

	buf_init(&out);
	buf_add_clean(&out, g->carry, g->ncarry, CLEAN_TEXT);
	g->ncarry = 0;
	if (out.len)
		r = write_all(g->fd, out.data, out.len);
	buf_release(&out);
	return r;
}

static int
guard_close(void *cookie)
{
	int r = guard_flush_carry(cookie);

	free(cookie);
	return r;
}

/* exit() flushes the streams but does not close them. */
static void
guard_finish(void)
{
	for (int i = 0; i < 2; i++)
		if (guarded[i].f != NULL) {
			fflush(guarded[i].f);
			guard_flush_carry(guarded[i].g);
		}
}

static void
guard_open(int fd, int slot)
{
	static const cookie_io_functions_t io = { NULL, guard_write, NULL,
		guard_close };
	struct guard *g = xcalloc(1, sizeof(*g));
	FILE *f;

	g->fd = fd;
	f = fopencookie(g, "w", io);
	if (f == NULL) {
		free(g);
		return;
	}
	setvbuf(f, NULL, _IOLBF, BUFSIZ);
	guarded[slot].f = f;
	guarded[slot].g = g;
}

void
cli_guard_terminal(void)
{
	raw_stderr = stderr;
	if (isatty(1))
		guard_open(1, 0);
	if (isatty(2))
		guard_open(2, 1);
	if (guarded[0].f)
		stdout = guarded[0].f;
	if (guarded[1].f)
		stderr = guarded[1].f;
	if (guarded[0].f || guarded[1].f)
		atexit(guard_finish);
}

FILE *
cli_raw_stderr(void)
{
	return raw_stderr ? raw_stderr : stderr;
}

void
cli_config(struct cli *c)
{
	char err[512] = "";
	int level;

	if (config_load(&c->cfg, c->config_path, err, sizeof(err)) < 0)
		die(EX_CONFIG_, "%s", err);
	level = log_level_parse(c->cfg.log_level);
	if (level < 0)
		die(EX_CONFIG_, "log_level '%s' is not error, warn, info or "
		    "debug", c->cfg.log_level);
	log_set_level(level);
}

void
cli_open(struct cli *c)
{
	char err[512] = "", *path;
	int st;

	cli_config(c);
	path = config_db_path(&c->cfg);
	st = db_open(path, 0, c->cfg.busy_timeout_ms, DB_DURABLE, &c->db, err,
	    sizeof(err));
	free(path);
	if (st != KITH_OK)
		die(st == KITH_TEMP ? EX_TEMPFAIL_ : EX_CONFIG_, "%s", err);
}

void
cli_close(struct cli *c)
{
	db_close(c->db);
	c->db = NULL;
	config_release(&c->cfg);
}

struct token_key *
cli_key(struct cli *c)
{
	char *path = config_secret_path(&c->cfg), err[512] = "";
	struct token_key *k = token_key_load(path, err, sizeof(err));

	free(path);
	if (k == NULL)
		die(EX_CONFIG_, "%s", err);
	return k;
}

void
cli_list(struct cli *c, const char *spec, struct list *l)
{
	char err[512] = "";

	if (list_find(c->db, spec, l, err, sizeof(err)) != KITH_OK)
		die(EX_NOUSER_, "%s", err);
}

void
json_string(FILE *out, const char *s)
{
	struct buf b;

	buf_init(&b);
	buf_add_json(&b, s ? s : "");
	fwrite(b.data, 1, b.len, out);
	buf_release(&b);
}
