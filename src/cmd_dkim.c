/* cmd_dkim - kith dkim keygen. */
#include "config.h"

#include <errno.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "kith/dkim.h"
#include "kith/util.h"

/* A DNS name of labels (letters, digits, '-', '_') joined by dots: what
 * goes into a file name and a TXT record without surprises. */
static int
dns_name_ok(const char *s)
{
	size_t label = 0, n = strlen(s);

	if (n == 0 || n > 253 || *s == '.' || s[n - 1] == '.')
		return 0;
	for (; *s; s++) {
		if (*s == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)*s) || *s == '-' || *s == '_') {
			if (++label > 63)
				return 0;
		} else
			return 0;
	}
	return 1;
}

/* DNS TXT strings hold 255 characters each: quote the value in pieces. */
static void
print_txt(const char *name, const char *value)
{
	size_t n = strlen(value);

	printf("%s IN TXT (", name);
	for (size_t i = 0; i < n; i += 250)
		printf(" \"%.*s\"", (int)(n - i < 250 ? n - i : 250), value + i);
	printf(" )\n");
}

static void
dkim_usage(FILE *out)
{
	fprintf(out, "usage: kith dkim keygen DOMAIN [--selector S] "
	    "[--out FILE]\n\nWrite a new 2048-bit RSA key (PEM, mode 0600, "
	    "0640 in a shared data directory; by default "
	    "DATA/dkim/S.DOMAIN.pem)\nand print the DNS TXT record to "
	    "publish.  Then set [dkim] domain, selector\n(and key_file "
	    "when not the default) in kith.conf: every mail Kith sends\n"
	    "is signed.\n");
}

int
cmd_dkim(struct cli *c, int argc, char **argv)
{
	const char *selector = "kith", *out = NULL, *domain;
	const struct cli_opt opts[] = {
		{ "selector", 's', OPT_VALUE, &selector },
		{ "out", 'o', OPT_VALUE, &out },
		{ NULL, 0, 0, NULL }
	};
	const struct cli_sub sub = { "dkim keygen", "DOMAIN [--selector S] "
	    "[--out FILE]", 1, 1, opts };
	char *path, *dir, *txt, *name, err[512] = "";
	int help;

	if ((help = group_help(argc, argv, dkim_usage)) >= 0)
		return help;
	if (strcmp(argv[1], "keygen"))
		usage_error("dkim", "'%s' is not a dkim command", argv[1]);
	cli_parse(&sub, argc - 1, argv + 1);
	domain = argv[1];
	if (!dns_name_ok(domain))
		die(EX_DATAERR_, "'%s' is not a domain name", domain);
	if (!dns_name_ok(selector))
		die(EX_DATAERR_, "'%s' is not a selector (letters, digits, '-', "
		    "'_'; dots between)", selector);
	if (out && !*out)
		die(EX_DATAERR_, "--out needs a file name");
	cli_config(c);
	dir = xasprintf("%s/dkim", c->cfg.data_dir);
	path = out ? xstrdup(out) : xasprintf("%s/%s.%s.pem", dir, selector,
	    domain);
	/* In a shared data directory (util.h) every delivering user signs:
	 * the key is the group's to read (0640), in a directory of its. */
	if (!out && (mkdir_p(dir, 0700) < 0 || share_like_parent(dir, 02770) <
	    0))
		die(EX_CANTCREAT_, "cannot create '%s': %s", dir, strerror(errno));
	if (dkim_keygen(path, &txt, err, sizeof(err)) < 0)
		die(EX_CANTCREAT_, "%s", err);
	if (share_like_parent(path, 0640) < 0)
		die(EX_CANTCREAT_, "cannot give '%s' to the group: %s", path,
		    strerror(errno));
	name = xasprintf("%s._domainkey.%s.", selector, domain);
	cli_printf("private key: %s\n", path);
	print_txt(name, txt);
	cli_printf("\nThen in kith.conf:\n[dkim]\ndomain = %s\nselector = %s\n"
	    "%s%s%s", domain, selector, out ? "key_file = " : "",
	    out ? out : "", out ? "\n" : "");
	free(name);
	free(txt);
	free(path);
	free(dir);
	config_release(&c->cfg);
	return 0;
}
