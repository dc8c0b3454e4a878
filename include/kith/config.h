/*
 * config - kith.conf, an INI file, read into one struct.
 *
 * Every setting is declared once in the table in config.c (section, name,
 * type, default, bounds, help); `kith check` and kith.conf(5) follow it.
 * The file is found via --config, $KITH_CONF, ./kith.conf,
 * /etc/kith/kith.conf; without one the defaults apply.  $KITH_HOME
 * overrides data_dir.  The struct is the only global state Kith has and
 * is read-only once loaded.
 */
#ifndef KITH_CONFIG_H
#define KITH_CONFIG_H

#include <stddef.h>
#include <stdio.h>

struct dns_memo;

struct kith_config {
	char *path;		/* file read, or NULL when defaults only */
	/* [site] */
	char *domain;
	char *data_dir;
	char *transport;	/* smtp://host:port, maildir:DIR, sendmail:PATH */
	char *secret_file;
	char *log_level;
	char *delimiter;	/* recipient delimiter, one character */
	char *archive_url;	/* List-Archive base, "" = none */
	char *web_base_url;	/* https://... for one-click unsubscribe, "" = none */
	int deliver_on_receive;	/* fork a delivery run after each post */
	int busy_timeout_ms;
	char *authserv_id;	/* our MTA's Authentication-Results id, "" = none */
	/* [smtp] */
	int smtp_connections;
	char *smtp_helo;
	char *smtp_tls;		/* auto | require | off */
	int smtp_tls_verify;
	char *smtp_ca_file;
	char *smtp_user;
	char *smtp_password;
	int smtp_timeout;
	/* [dkim] */
	char *dkim_domain;	/* "" = do not sign */
	char *dkim_selector;
	char *dkim_key_file;	/* "" = DATA/dkim/SELECTOR.DOMAIN.pem */
	/* [delivery] */
	int batch_size;
	int max_attempts;
	int retry_base;		/* seconds before the first retry */
	int lease_seconds;
	char *rate;		/* site-wide sending rate, "600/min"; "" = none */
	/* [http] - kith serve */
	char *http_listen;	/* HOST:PORT, [V6]:PORT or unix:PATH */
	int http_threads;	/* connection threads */
	int http_max_connections;
	int http_timeout;	/* seconds a connection may sit idle */
	int http_max_body;	/* bytes of a request body */
	int http_max_headers;	/* header fields of a request */
	int http_db_timeout_ms;	/* wait for a busy database, then 503 */
	char *http_real_ip_header;	/* "" = the peer address is the client */
	char *http_join_rate;	/* join form, per client: "10/h" */
	char *http_join_rate_address;	/* join form, per address: "3/day" */
	/* [dns] - DMARC policies and ARC keys (dns.h) */
	char *dns_server;	/* forwarders "ADDR[@PORT]", "" = resolv.conf */
	int dns_timeout_ms;	/* one lookup's deadline */
	/* not read from the file: kith serve's LMTP side sets it, for the
	 * answers its threads share (dns.h); NULL elsewhere */
	struct dns_memo *dns_memo;
	/* [lmtp] - kith serve's LMTP side, for the MTA */
	char *lmtp_listen;	/* "" = none; HOST:PORT, [V6]:PORT, unix:PATH */
	int lmtp_max_connections;
	int lmtp_timeout;	/* seconds a client may sit idle */
	int lmtp_max_size;	/* bytes of a message kept */
	int lmtp_max_recipients;	/* per transaction */
	/* [storage] - the database behind Kith */
	char *storage_backend;	/* sqlite | postgresql */
	char *storage_dsn;	/* postgresql: a libpq connection string or URI */
};

/*
 * config_load - read the configuration.  explicit_path is --config or NULL.
 * Fills cfg (release with config_release); on error writes one line into
 * err (size errlen) and returns -1.
 */
int config_load(struct kith_config *cfg, const char *explicit_path,
    char *err, size_t errlen);
void config_release(struct kith_config *cfg);

/*
 * config_listen_parse - [http] listen: "HOST:PORT" or "[V6]:PORT" (port 0:
 * any free one) gives 0,
 * the host (without brackets) and the port; "unix:/PATH" gives 1 and the
 * path in host (port 0); anything else -1.  host may be NULL to check only.
 */
int config_listen_parse(const char *spec, char *host, size_t hostlen,
    int *port);

/*
 * Paths derived from data_dir; caller frees.  config_db_path is where
 * the database is, as db_open takes it: DATA/kith.db, or with [storage]
 * backend = postgresql "postgresql:" and the dsn.  config_db_label: the
 * same for people to read, a password in the dsn shown as "(set)".
 */
char *config_db_path(const struct kith_config *cfg);
char *config_db_label(const struct kith_config *cfg);
char *config_secret_path(const struct kith_config *cfg);
char *config_dkim_key_path(const struct kith_config *cfg);

/*
 * 1 when path names one of the site's own files (the same file, by
 * device and inode): the database, its WAL or shared memory, the
 * secret, the DKIM key.  What a command writes to a path it is given
 * must never replace one of them.
 */
int config_site_file(const struct kith_config *cfg, const char *path);

/* Print every setting with its value, as `kith check` shows it. */
void config_dump(const struct kith_config *cfg, FILE *out);

#endif
