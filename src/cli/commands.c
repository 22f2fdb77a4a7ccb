/* commands: serve, init, user, org, token, audit, backup, restore, routes. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/routes.h"
#include "alerts/alerts.h"
#include "alerts/outbox.h"
#include "app/worker.h"
#include "cli/cli.h"
#include "registers/registers.h"
#include "findings/findings.h"
#include "feeds/feeds.h"
#include "exposures/exposures.h"

const struct db_migration *const cli_migrations[] = {
	orgs_migrations, audit_migrations, auth_migrations, db_jobs_migrations,
	suppliers_migrations, systems_migrations, components_migrations, risks_migrations, findings_migrations, outbox_migrations, alerts_migrations, feeds_migrations, exposures_migrations, NULL,
};

/* Every domain module's routes, parameters and navigation, for serve and
 * for the route listing the tenant-isolation test walks: one list. */
/* the platform's own background work: expired sessions and stale lock-out rows */
static enum bw_err job_auth_cleanup(struct db *db, const struct db_job *job, struct bw_error *err)
{
	(void)job;
	if (auth_cleanup(db) < 0)
		return db_fail(db, err, "session clean-up");
	return BW_OK;
}

static const struct worker_kind foundation_kinds[] = {
	{ "auth.cleanup", job_auth_cleanup, 60, 300 },
	{ NULL, NULL, 0, 0 },
};

static void cli_register_modules(void)
{
	routes_register_foundation();
	worker_add_kinds(foundation_kinds);
	registers_register();
	findings_register();
	feeds_register();
	exposures_register();
	alerts_register();
	outbox_register();
}

bool cli_parse(int argc, char **argv, int first, struct cli_opt *opts, size_t nopts,
	       const char **pos, size_t maxpos, size_t *npos)
{
	*npos = 0;
	for (int i = first; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) != 0) {
			if (*npos >= maxpos) {
				fprintf(stderr, "bulwark: unexpected argument '%s'\n", a);
				return false;
			}
			pos[(*npos)++] = a;
			continue;
		}
		const char *name = a + 2, *eq = strchr(name, '=');
		size_t nl = eq ? (size_t)(eq - name) : strlen(name);
		size_t k = 0;
		for (; k < nopts; k++)
			if (strlen(opts[k].name) == nl && strncmp(opts[k].name, name, nl) == 0)
				break;
		if (k == nopts) {
			fprintf(stderr, "bulwark: unknown option '%s' (see 'bulwark help %s')\n", a, argv[1]);
			return false;
		}
		if (!opts[k].has_value) {
			if (eq) {
				fprintf(stderr, "bulwark: option --%s takes no value\n", opts[k].name);
				return false;
			}
			opts[k].value = "1";
		} else if (eq) {
			opts[k].value = eq + 1;
		} else if (i + 1 < argc) {
			opts[k].value = argv[++i];
		} else {
			fprintf(stderr, "bulwark: option --%s needs a value\n", opts[k].name);
			return false;
		}
	}
	return true;
}

const char *cli_get(const struct cli_opt *opts, size_t nopts, const char *name)
{
	for (size_t k = 0; k < nopts; k++)
		if (strcmp(opts[k].name, name) == 0)
			return opts[k].value;
	return NULL;
}

const char *cli_db_url(const char *given)
{
	if (given && *given)
		return given;
	const char *env = getenv("BULWARK_DB");
	return env && *env ? env : "var/bulwark.db";
}

const char *cli_data_dir(const char *given)
{
	if (given && *given)
		return given;
	const char *env = getenv("BULWARK_DATA");
	return env && *env ? env : "../shared/data";
}

struct db *cli_open_db(const char *url)
{
	struct db *db = NULL;
	struct bw_error err = { 0 };
	if (db_open(&db, cli_db_url(url), &err) != BW_OK) {
		fprintf(stderr, "bulwark: cannot open database %s: %s\n", cli_db_url(url), err.msg);
		return NULL;
	}
	if (db_migrate(db, cli_migrations, &err) != BW_OK) {
		fprintf(stderr, "bulwark: migrating %s: %s\n", cli_db_url(url), err.msg);
		db_close(db);
		return NULL;
	}
	return db;
}

static char *read_file(const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct buf b;
	buf_init(&b);
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0 && b.len <= max)
		buf_add(&b, tmp, n);
	fclose(f);
	if (b.len > max) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* A password from --password-file (first line), or a fresh random one that
 * is printed once. */
static bool get_password(const char *file, char *out, size_t n, bool *generated)
{
	*generated = false;
	if (file) {
		char *s = read_file(file, 4096);
		if (!s) {
			fprintf(stderr, "bulwark: cannot read password file %s\n", file);
			return false;
		}
		s[strcspn(s, "\r\n")] = 0;
		snprintf(out, n, "%s", s);
		free(s);
		return true;
	}
	char tok[AUTH_TOKEN_LEN];
	bw_random_token(15, tok);   /* 20 characters of URL-safe base64 */
	snprintf(out, n, "bw-%s", tok);
	*generated = true;
	return true;
}

/* ---- serve ---- */

static volatile sig_atomic_t stop_flag;
static void on_signal(int s)
{
	(void)s;
	stop_flag = 1;
}

int cmd_serve(int argc, char **argv)
{
	struct cli_opt o[] = { { "db", 1, 0, 0 }, { "listen", 1, 0, 0 }, { "port", 1, 0, 0 },
			       { "threads", 1, 0, 0 }, { "tls-cert", 1, 0, 0 }, { "tls-key", 1, 0, 0 },
			       { "workers", 1, 0, 0 } };
	size_t np;
	if (!cli_parse(argc, argv, 2, o, BW_NELEM(o), NULL, 0, &np))
		return 2;
	int64_t port = 8080, threads = 0, workers = 1;
	if (cli_get(o, 7, "workers") && !str_to_i64(str_c(cli_get(o, 7, "workers")), 0, 64, &workers)) {
		fprintf(stderr, "bulwark: --workers must be a number from 0 to 64\n");
		return 2;
	}
	const char *ps = cli_get(o, 6, "port") ? cli_get(o, 6, "port") : getenv("PORT");
	if (ps && !str_to_i64(str_c(ps), 0, 65535, &port)) {
		fprintf(stderr, "bulwark: --port must be a number from 0 to 65535\n");
		return 2;
	}
	if (cli_get(o, 6, "threads") && !str_to_i64(str_c(cli_get(o, 6, "threads")), 1, 256, &threads)) {
		fprintf(stderr, "bulwark: --threads must be a number from 1 to 256\n");
		return 2;
	}
	const char *certf = cli_get(o, 6, "tls-cert"), *keyf = cli_get(o, 6, "tls-key");
	if (!!certf != !!keyf) {
		fprintf(stderr, "bulwark: --tls-cert and --tls-key go together\n");
		return 2;
	}
	char *cert = NULL, *key = NULL;
	if (certf && (!(cert = read_file(certf, 1 << 20)) || !(key = read_file(keyf, 1 << 20)))) {
		fprintf(stderr, "bulwark: cannot read the TLS certificate or key\n");
		return 2;
	}
	struct bw_error err = { 0 };
	if (auth_init(&err) != BW_OK) {
		fprintf(stderr, "bulwark: %s\n", err.msg);
		return 1;
	}
	const char *url = cli_db_url(cli_get(o, 6, "db"));
	struct db *db = cli_open_db(url);
	if (!db)
		return 1;
	db_close(db);

	cli_register_modules();
	struct app_config ac = { .db_url = url, .tls = cert != NULL };
	app_init(&ac);
	struct http_config hc = {
		.listen = cli_get(o, 6, "listen"), .port = (int)port, .threads = (int)threads,
		.tls_cert_pem = cert, .tls_key_pem = key,
		.has_credentials = app_has_credentials, .handler = app_handle, .offload = app_offload,
	};
	struct http_server *srv;
	if (http_server_start(&srv, &hc, &err) != BW_OK) {
		fprintf(stderr, "bulwark: %s\n", err.msg);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	const char *host = hc.listen && *hc.listen ? hc.listen : "127.0.0.1";
	printf("Bulwark is serving on %s://%s:%d/ (database %s)\n", cert ? "https" : "http", host,
	       http_server_port(srv), url);
	fflush(stdout);
	/* background jobs (feed syncs, deliveries, clean-up) on embedded
	 * worker threads; `bulwark worker` adds more elsewhere */
	struct worker *wk = NULL;
	if (worker_start(&wk, url, (int)workers, 1000, &err) != BW_OK)
		log_warn("serve: %s", err.msg);
	while (!stop_flag)
		sleep(1);
	http_server_stop(srv);
	worker_stop(wk);
	free(cert);
	free(key);
	return 0;
}

/* ---- init ---- */

int cmd_init(int argc, char **argv)
{
	struct cli_opt o[] = { { "db", 1, 0, 0 }, { "admin-email", 1, 0, 0 }, { "admin-name", 1, 0, 0 },
			       { "password-file", 1, 0, 0 }, { "org-code", 1, 0, 0 }, { "org-name", 1, 0, 0 } };
	size_t np;
	if (!cli_parse(argc, argv, 2, o, BW_NELEM(o), NULL, 0, &np))
		return 2;
	struct bw_error err = { 0 };
	if (auth_init(&err) != BW_OK) {
		fprintf(stderr, "bulwark: %s\n", err.msg);
		return 1;
	}
	struct db *db = cli_open_db(cli_get(o, 6, "db"));
	if (!db)
		return 1;
	int rc = 0;
	const char *email = cli_get(o, 6, "admin-email");
	if (db_query_i64(db, "SELECT count(*) FROM orgs", 0) == 0) {
		struct actor cli;
		orgs_actor_cli(&cli);
		const char *code = cli_get(o, 6, "org-code") ? cli_get(o, 6, "org-code") : "NATIONAL";
		const char *name = cli_get(o, 6, "org-name") ? cli_get(o, 6, "org-name") : "National cyber security team";
		if (orgs_add(db, &cli, code, name, ORG_NATIONAL, NULL, false, NULL, &err) != BW_OK) {
			fprintf(stderr, "bulwark: %s: %s\n", err.field, err.msg);
			rc = 1;
		}
		if (!rc && email) {
			char pw[LIM_PASSWORD_MAX + 1];
			bool gen;
			int64_t id;
			const char *aname = cli_get(o, 6, "admin-name") ? cli_get(o, 6, "admin-name") : "Administrator";
			if (!get_password(cli_get(o, 6, "password-file"), pw, sizeof pw, &gen) ||
			    auth_user_create(db, &cli, code, email, aname, ROLE_ADMIN, pw, &id, &err) != BW_OK) {
				fprintf(stderr, "bulwark: %s\n", err.msg[0] ? err.msg : "could not add the administrator");
				rc = 1;
			} else if (gen) {
				printf("Administrator %s created with password: %s\n", email, pw);
			}
		}
	}
	if (!rc)
		printf("Database %s is ready.\n", cli_db_url(cli_get(o, 6, "db")));
	db_close(db);
	return rc;
}

/* ---- user ---- */

int cmd_user(int argc, char **argv)
{
	struct cli_opt o[] = { { "db", 1, 0, 0 }, { "email", 1, 0, 0 }, { "name", 1, 0, 0 }, { "org", 1, 0, 0 },
			       { "role", 1, 0, 0 }, { "password-file", 1, 0, 0 } };
	const char *pos[1];
	size_t np;
	if (argc < 3 || !cli_parse(argc, argv, 3, o, BW_NELEM(o), pos, 0, &np)) {
		fprintf(stderr, "usage: bulwark user add|list|passwd|disable ... (see 'bulwark help user')\n");
		return 2;
	}
	const char *sub = argv[2];
	if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "passwd") && strcmp(sub, "disable")) {
		fprintf(stderr, "bulwark: 'user %s' is not a command (add, list, passwd, disable)\n", sub);
		return 2;
	}
	struct bw_error err = { 0 };
	if (auth_init(&err) != BW_OK) {
		fprintf(stderr, "bulwark: %s\n", err.msg);
		return 1;
	}
	struct db *db = cli_open_db(cli_get(o, 6, "db"));
	if (!db)
		return 1;
	struct actor cli;
	orgs_actor_cli(&cli);
	int rc = 0;
	const char *email = cli_get(o, 6, "email");
	if (strcmp(sub, "list") == 0) {
		const char *org = cli_get(o, 6, "org");
		struct db_stmt *st = db_prep(db, "SELECT u.id, u.email, u.name, u.role, u.disabled, o.code FROM users u"
						 " JOIN orgs o ON o.id = u.org_id WHERE CAST(?1 AS TEXT) IS NULL OR o.code = ?1 ORDER BY u.id");
		if (org)
			db_bind_text(st, 1, org);
		else
			db_bind_null(st, 1);
		while (db_step(st) == DB_ROW)
			printf("%lld\t%s\t%s\t%s\t%s%s\n", (long long)db_col_i64(st, 0), db_col_text(st, 1),
			       db_col_text(st, 2), db_col_text(st, 3), db_col_text(st, 5),
			       db_col_i64(st, 4) ? "\tdisabled" : "");
	} else if (strcmp(sub, "add") == 0) {
		char pw[LIM_PASSWORD_MAX + 1];
		bool gen;
		int64_t id;
		enum role role = role_parse(cli_get(o, 6, "role"));
		if (role == ROLE_NONE) {
			fprintf(stderr, "bulwark: --role must be one of admin, analyst, ics_lead, org_lead, contributor, board, staff, auditor\n");
			rc = 2;
		} else if (!get_password(cli_get(o, 6, "password-file"), pw, sizeof pw, &gen)) {
			rc = 1;
		} else if (auth_user_create(db, &cli, cli_get(o, 6, "org"), email, cli_get(o, 6, "name"), role, pw,
					    &id, &err) != BW_OK) {
			fprintf(stderr, "bulwark: %s%s%s\n", err.field, err.field[0] ? ": " : "", err.msg);
			rc = 1;
		} else {
			printf("Added user %lld (%s)%s%s\n", (long long)id, email, gen ? " with password: " : "", gen ? pw : "");
		}
	} else {
		struct user u;
		if (users_get_by_email(db, email ? email : "", &u, &err) != BW_OK) {
			fprintf(stderr, "bulwark: no user has the email address %s\n", email ? email : "(none given)");
			rc = 1;
		} else if (strcmp(sub, "passwd") == 0) {
			char pw[LIM_PASSWORD_MAX + 1];
			bool gen;
			if (!get_password(cli_get(o, 6, "password-file"), pw, sizeof pw, &gen) ||
			    auth_password_set(db, &cli, u.id, pw, &err) != BW_OK) {
				fprintf(stderr, "bulwark: %s\n", err.msg[0] ? err.msg : "could not set the password");
				rc = 1;
			} else {
				printf("Password of %s set%s%s\n", u.email, gen ? ": " : "", gen ? pw : "");
			}
		} else {
			if (users_set_disabled(db, &cli, u.id, true, &err) != BW_OK ||
			    auth_signout_everywhere(db, &cli, u.id, &err) != BW_OK) {
				fprintf(stderr, "bulwark: %s\n", err.msg);
				rc = 1;
			} else {
				printf("Disabled %s and signed them out everywhere\n", u.email);
			}
		}
	}
	db_close(db);
	return rc;
}

/* ---- org ---- */

int cmd_org(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[2], "merge") == 0)
		return cmd_org_merge(argc, argv);
	struct cli_opt o[] = { { "db", 1, 0, 0 }, { "code", 1, 0, 0 }, { "name", 1, 0, 0 }, { "type", 1, 0, 0 },
			       { "parent", 1, 0, 0 }, { "reason", 1, 0, 0 } };
	size_t np;
	if (argc < 3 || !cli_parse(argc, argv, 3, o, BW_NELEM(o), NULL, 0, &np)) {
		fprintf(stderr, "usage: bulwark org add|list|move ... (see 'bulwark help org')\n");
		return 2;
	}
	const char *sub = argv[2];
	if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "move")) {
		fprintf(stderr, "bulwark: 'org %s' is not a command (add, list, move, merge)\n", sub);
		return 2;
	}
	struct db *db = cli_open_db(cli_get(o, 6, "db"));
	if (!db)
		return 1;
	struct actor cli;
	orgs_actor_cli(&cli);
	struct bw_error err = { 0 };
	int rc = 0;
	if (strcmp(sub, "list") == 0) {
		const char *parent = cli_get(o, 6, "parent");
		struct db_stmt *st = db_prep(db, "SELECT o.code, o.name, o.type, p.code FROM orgs o LEFT JOIN orgs p ON p.id = o.parent_id"
						 " WHERE CAST(?1 AS TEXT) IS NULL OR p.code = ?1 ORDER BY o.path");
		if (parent)
			db_bind_text(st, 1, parent);
		else
			db_bind_null(st, 1);
		while (db_step(st) == DB_ROW)
			printf("%s\t%s\t%s\t%s\n", db_col_text(st, 0), db_col_text(st, 1), db_col_text(st, 2),
			       db_col_text(st, 3) ? db_col_text(st, 3) : "-");
	} else if (strcmp(sub, "add") == 0) {
		enum org_type t;
		if (!org_type_parse(cli_get(o, 6, "type"), &t)) {
			fprintf(stderr, "bulwark: --type must be one of national, region, ics, nhs_trust, gp_practice,"
					" care_provider, pharmacy, dental_practice, supplier, other\n");
			rc = 2;
		} else if (orgs_add(db, &cli, cli_get(o, 6, "code"), cli_get(o, 6, "name"), t, cli_get(o, 6, "parent"),
				    false, NULL, &err) != BW_OK) {
			fprintf(stderr, "bulwark: %s: %s\n", err.field, err.msg);
			rc = 1;
		} else {
			printf("Added %s\n", cli_get(o, 6, "code"));
		}
	} else {
		const char *code = cli_get(o, 6, "code"), *parent = cli_get(o, 6, "parent");
		if (!code || !parent) {
			fprintf(stderr, "bulwark: org move needs --code and --parent\n");
			rc = 2;
		} else if (orgs_move(db, &cli, code, parent, cli_get(o, 6, "reason"), &err) != BW_OK) {
			fprintf(stderr, "bulwark: %s: %s\n", err.field, err.msg);
			rc = 1;
		} else {
			printf("Moved %s under %s\n", code, parent);
		}
	}
	db_close(db);
	return rc;
}

/* ---- token ---- */

int cmd_token(int argc, char **argv)
{
	struct cli_opt o[] = { { "db", 1, 0, 0 }, { "email", 1, 0, 0 }, { "name", 1, 0, 0 }, { "write", 0, 0, 0 },
			       { "days", 1, 0, 0 }, { "id", 1, 0, 0 } };
	size_t np;
	if (argc < 3 || !cli_parse(argc, argv, 3, o, BW_NELEM(o), NULL, 0, &np) ||
	    (strcmp(argv[2], "create") && strcmp(argv[2], "revoke"))) {
		fprintf(stderr, "usage: bulwark token create|revoke ... (see 'bulwark help token')\n");
		return 2;
	}
	struct db *db = cli_open_db(cli_get(o, 6, "db"));
	if (!db)
		return 1;
	struct actor cli;
	orgs_actor_cli(&cli);
	struct bw_error err = { 0 };
	int rc = 0;
	if (strcmp(argv[2], "create") == 0) {
		struct user u;
		int64_t days = 0, id;
		char raw[AUTH_API_TOKEN_LEN];
		const char *email = cli_get(o, 6, "email");
		if (cli_get(o, 6, "days") && !str_to_i64(str_c(cli_get(o, 6, "days")), 1, 3650, &days)) {
			fprintf(stderr, "bulwark: --days must be a number from 1 to 3650\n");
			rc = 2;
		} else if (users_get_by_email(db, email ? email : "", &u, &err) != BW_OK) {
			fprintf(stderr, "bulwark: no user has the email address %s\n", email ? email : "(none given)");
			rc = 1;
		} else if (auth_token_create(db, &cli, u.id, cli_get(o, 6, "name") ? cli_get(o, 6, "name") : "cli",
					     cli_get(o, 6, "write") != NULL, days ? bw_now() + days * 86400 : 0, raw, &id,
					     &err) != BW_OK) {
			fprintf(stderr, "bulwark: %s\n", err.msg);
			rc = 1;
		} else {
			printf("%s\n", raw);
			fprintf(stderr, "Token %lld created for %s; it is shown once.\n", (long long)id, u.email);
		}
	} else {
		int64_t id;
		if (!cli_get(o, 6, "id") || !str_to_i64(str_c(cli_get(o, 6, "id")), 1, INT64_MAX, &id)) {
			fprintf(stderr, "bulwark: --id must be a token number\n");
			rc = 2;
		} else if (auth_token_revoke(db, &cli, id, &err) != BW_OK) {
			fprintf(stderr, "bulwark: %s\n", err.msg);
			rc = 1;
		} else {
			printf("Revoked token %lld\n", (long long)id);
		}
	}
	db_close(db);
	return rc;
}

/* ---- audit ---- */

int cmd_audit(int argc, char **argv)
{
	struct cli_opt o[] = { { "db", 1, 0, 0 } };
	size_t np;
	if (argc < 3 || strcmp(argv[2], "verify") != 0 || !cli_parse(argc, argv, 3, o, 1, NULL, 0, &np)) {
		fprintf(stderr, "usage: bulwark audit verify --db DB\n");
		return 2;
	}
	struct db *db = cli_open_db(cli_get(o, 1, "db"));
	if (!db)
		return 1;
	int64_t count, bad;
	struct bw_error err = { 0 };
	enum bw_err rc = audit_verify(db, &count, &bad, &err);
	db_close(db);
	if (rc != BW_OK) {
		printf("audit chain BROKEN at record %lld: %s\n", (long long)bad, err.msg);
		return 1;
	}
	printf("audit chain intact: %lld records\n", (long long)count);
	return 0;
}

/* ---- backup and restore ---- */

static const char *sqlite_path(const char *url)
{
	if (!url)
		return NULL;
	if (strncmp(url, "postgres", 8) == 0)
		return NULL;
	return strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;
}

int cmd_backup(int argc, char **argv)
{
	struct cli_opt o[] = { { "db", 1, 0, 0 }, { "out", 1, 0, 0 } };
	size_t np;
	if (!cli_parse(argc, argv, 2, o, 2, NULL, 0, &np))
		return 2;
	const char *src = sqlite_path(cli_db_url(cli_get(o, 2, "db"))), *out = cli_get(o, 2, "out");
	if (!src || !out) {
		fprintf(stderr, "usage: bulwark backup --db FILE --out FILE (SQLite; for PostgreSQL use pg_dump)\n");
		return 2;
	}
	struct bw_error err = { 0 };
	if (db_backup_sqlite(src, out, &err) != BW_OK) {
		fprintf(stderr, "bulwark: backup failed: %s\n", err.msg);
		return 1;
	}
	printf("Backed up %s to %s\n", src, out);
	return 0;
}

int cmd_restore(int argc, char **argv)
{
	struct cli_opt o[] = { { "db", 1, 0, 0 }, { "from", 1, 0, 0 }, { "force", 0, 0, 0 } };
	size_t np;
	if (!cli_parse(argc, argv, 2, o, 3, NULL, 0, &np))
		return 2;
	const char *dst = sqlite_path(cli_db_url(cli_get(o, 3, "db"))), *from = cli_get(o, 3, "from");
	if (!dst || !from) {
		fprintf(stderr, "usage: bulwark restore --from FILE --db FILE [--force]\n");
		return 2;
	}
	struct bw_error err = { 0 };
	if (db_restore_sqlite(from, dst, cli_get(o, 3, "force") != NULL, &err) != BW_OK) {
		fprintf(stderr, "bulwark: restore refused: %s\n", err.msg);
		return 1;
	}
	printf("Restored %s from %s\n", dst, from);
	return 0;
}

/* ---- worker: background jobs in a process of their own ---- */

int cmd_worker(int argc, char **argv)
{
	struct cli_opt o[] = { { "db", 1, 0, 0 }, { "threads", 1, 0, 0 }, { "once", 0, 0, 0 } };
	size_t np;
	if (!cli_parse(argc, argv, 2, o, BW_NELEM(o), NULL, 0, &np))
		return 2;
	int64_t threads = 1;
	if (cli_get(o, 3, "threads") && !str_to_i64(str_c(cli_get(o, 3, "threads")), 1, 64, &threads)) {
		fprintf(stderr, "bulwark: --threads must be a number from 1 to 64\n");
		return 2;
	}
	struct bw_error err = { 0 };
	if (auth_init(&err) != BW_OK) {
		fprintf(stderr, "bulwark: %s\n", err.msg);
		return 1;
	}
	const char *url = cli_db_url(cli_get(o, 3, "db"));
	struct db *db = cli_open_db(url);
	if (!db)
		return 1;
	cli_register_modules();
	if (cli_get(o, 3, "once")) {
		/* everything due now, then exit: for cron and for tests */
		int n = worker_run_due(db, 1000000);
		db_close(db);
		printf("%d jobs run\n", n);
		return 0;
	}
	db_close(db);
	struct worker *wk;
	if (worker_start(&wk, url, (int)threads, 1000, &err) != BW_OK) {
		fprintf(stderr, "bulwark: %s\n", err.msg);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	printf("Bulwark worker running %d threads (database %s)\n", (int)threads, url);
	fflush(stdout);
	while (!stop_flag)
		sleep(1);
	worker_stop(wk);
	return 0;
}

/* ---- routes: the table the tenant-isolation test walks ---- */

int cmd_routes(int argc, char **argv)
{
	struct cli_opt o[] = { { "db", 1, 0, 0 }, { "examples-for", 1, 0, 0 } };
	size_t np;
	if (!cli_parse(argc, argv, 2, o, 2, NULL, 0, &np))
		return 2;
	cli_register_modules();
	const char *code = cli_get(o, 2, "examples-for");
	struct db *db = NULL;
	struct org target = { 0 };
	if (code) {
		db = cli_open_db(cli_get(o, 2, "db"));
		if (!db)
			return 1;
		struct bw_error err = { 0 };
		if (orgs_get_by_code(db, code, &target, &err) != BW_OK) {
			fprintf(stderr, "bulwark: %s\n", err.msg);
			return 1;
		}
	}
	int rc = 0;
	/* one line per route: METHOD PATTERN KIND AUTH TARGET [EXAMPLE-PATH] */
	for (size_t i = 0; i < app_route_count(); i++) {
		const struct route *r = app_route_at(i);
		const char *auth = r->auth == AUTH_PUBLIC ? "public" : r->auth == AUTH_MFA ? "mfa" : "signed-in";
		printf("%s\t%s\t%s\t%s\t%s", r->method, r->pattern, r->kind == ROUTE_API ? "api" : "page", auth,
		       r->target ? r->target : "-");
		if (db) {
			/* fill every {param} with an object owned inside target's subtree */
			struct buf path;
			buf_init(&path);
			const char *p = r->pattern;
			while (*p) {
				if (*p != '{') {
					buf_putc(&path, *p++);
					continue;
				}
				const char *close = strchr(p, '}');
				char name[64];
				snprintf(name, sizeof name, "%.*s", (int)(close - p - 1), p + 1);
				const struct route_param *rp = app_param_find(name);
				char val[128];
				if (!rp || !rp->example(db, target.path, val, sizeof val)) {
					snprintf(val, sizeof val, "NO-EXAMPLE-%s", name);
					if (!rp) {
						fprintf(stderr, "bulwark: route %s uses {%s}, which has no registered parameter\n",
							r->pattern, name);
						rc = 1;
					}
				}
				buf_puts(&path, val);
				p = close + 1;
			}
			printf("\t%s", buf_cstr(&path));
			buf_free(&path);
		}
		printf("\n");
	}
	if (db)
		db_close(db);
	return rc;
}
