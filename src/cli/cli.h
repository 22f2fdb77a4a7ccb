/*
 * cli: the subcommands of `bulwark` (the table is in main.c). Each command
 * is one function taking its own argv; options are parsed by cli_parse,
 * which refuses unknown flags loudly.
 */
#ifndef BW_CLI_H
#define BW_CLI_H

#include "app/app.h"

struct cli_opt {
	const char *name;        /* "db" for --db */
	bool has_value;
	const char *help;
	const char *value;       /* filled: the value, or "1" for a flag given */
};

/* Parses argv[first..] into opts; positional arguments go to pos (at most
 * maxpos). Prints the problem and returns false on an unknown flag, a
 * missing value or too many positionals. */
bool cli_parse(int argc, char **argv, int first, struct cli_opt *opts, size_t nopts,
	       const char **pos, size_t maxpos, size_t *npos);
const char *cli_get(const struct cli_opt *opts, size_t nopts, const char *name);

/* Opens the database named by --db (or BULWARK_DB, or var/bulwark.db) and
 * applies every migration. */
struct db *cli_open_db(const char *url);
const char *cli_db_url(const char *given);
/* The folder holding the shared data (orgs/, feeds/, detect/). */
const char *cli_data_dir(const char *given);
extern const struct db_migration *const cli_migrations[];

int cmd_serve(int argc, char **argv);
int cmd_worker(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_org(int argc, char **argv);
int cmd_org_merge(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_routes(int argc, char **argv);
int cmd_migrate(int argc, char **argv);

#endif
