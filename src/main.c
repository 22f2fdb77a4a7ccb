/*
 * bulwark: one binary, one table of subcommands (as git's commands[]).
 * `bulwark help CMD` prints a command's usage.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "detect/detect.h"
#include "findings/findings.h"
#include "feeds/feeds.h"
#include "exposures/exposures.h"

#ifndef BULWARK_VERSION
#define BULWARK_VERSION "0.1.0"
#endif

static int cmd_help(int argc, char **argv);

/* detect_cli reads its own argv from the command's name on */
static int cmd_detect(int argc, char **argv)
{
	return detect_cli(argc - 1, argv + 1);
}

static int cmd_version(int argc, char **argv)
{
	(void)argc, (void)argv;
	printf("bulwark %s\n", BULWARK_VERSION);
	return 0;
}

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	const char *usage;
} commands[] = {
	{ "serve", cmd_serve, "answer HTTP",
	  "bulwark serve [--db FILE|postgresql://...] [--listen ADDR] [--port N] [--threads N]\n"
	  "              [--tls-cert PEM --tls-key PEM] [--workers N (default 1)]" },
	{ "worker", cmd_worker, "run background jobs (feed syncs, deliveries) in a process of their own",
	  "bulwark worker [--db DB] [--threads N] [--once]" },
	{ "init", cmd_init, "create or upgrade a database and its first administrator",
	  "bulwark init --db DB [--admin-email E --admin-name N --password-file F]" },
	{ "demo", cmd_demo, "seed a deterministic demonstration estate",
	  "bulwark demo --db DB [--scale small|national] [--password-file F] [--data DIR]" },
	{ "user", cmd_user, "add, list, set passwords of and disable users",
	  "bulwark user add --db DB --email E --name N --org CODE --role ROLE [--password-file F]\n"
	  "bulwark user list --db DB [--org CODE]\n"
	  "bulwark user passwd --db DB --email E [--password-file F]\n"
	  "bulwark user disable --db DB --email E" },
	{ "org", cmd_org, "add, list, move and merge organisations",
	  "bulwark org add --db DB --code CODE --name NAME --type TYPE --parent CODE\n"
	  "bulwark org list --db DB [--parent CODE]\n"
	  "bulwark org move --db DB --code CODE --parent CODE [--reason TEXT]\n"
	  "bulwark org merge --db DB [--mapping FILE] [--data DIR] [--dry-run]\n"
	  "  (without --mapping: the ICB reorganisation of 1 April 2026 from the ODS data;\n"
	  "   FILE columns: old_code,new_code[,member_code[,new_name[,new_region]]])" },
	{ "token", cmd_token, "create and revoke API tokens",
	  "bulwark token create --db DB --email E --name NAME [--write] [--days N]\n"
	  "bulwark token revoke --db DB --id N" },
	{ "audit", cmd_audit, "verify the audit chain",
	  "bulwark audit verify --db DB" },
	{ "backup", cmd_backup, "consistent online copy of a SQLite database",
	  "bulwark backup --db FILE --out FILE" },
	{ "restore", cmd_restore, "put a backup back",
	  "bulwark restore --from FILE --db FILE [--force]" },
	{ "migrate", cmd_migrate, "copy a whole instance from SQLite to PostgreSQL",
	  "bulwark migrate --from sqlite:FILE --to postgresql://USER@HOST:PORT/DB" },
	{ "routes", cmd_routes, "list every route (for the tenant-isolation test)",
	  "bulwark routes [--db DB --examples-for CODE]" },
	{ "feeds", feeds_cli, "import, sync and show the vulnerability feeds", FEEDS_USAGE },
	{ "exposures", exposures_cli, "match the inventory against the stored feeds", EXPOSURES_USAGE },
	{ "detect", cmd_detect, "run Sigma rules over event logs (EVTX, JSON lines)",
	  "bulwark detect --rules DIR [--rules DIR]... [--config MAP] [--format jsonl|csv|table] [-j N] FILE...\n"
	  "bulwark detect rules check DIR\n"
	  "  exit 0: no findings, 1: findings (or rules that did not load), 2: usage, 3: unreadable input" },
	{ "findings", findings_cli, "the detection rule library of the platform",
	  "bulwark findings rules import DIR [--db DB]\n"
	  "bulwark findings rules list [--db DB]" },
	{ "version", cmd_version, "print the version", "bulwark version" },
	{ "help", cmd_help, "list commands, or show one command's usage", "bulwark help [COMMAND]" },
};

static int cmd_help(int argc, char **argv)
{
	if (argc > 2) {
		for (size_t i = 0; i < BW_NELEM(commands); i++)
			if (strcmp(commands[i].name, argv[2]) == 0) {
				printf("%s: %s\n\nusage:\n%s\n", commands[i].name, commands[i].summary, commands[i].usage);
				return 0;
			}
		fprintf(stderr, "bulwark: no command '%s'; see 'bulwark help'\n", argv[2]);
		return 2;
	}
	printf("usage: bulwark COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < BW_NELEM(commands); i++)
		printf("  %-8s %s\n", commands[i].name, commands[i].summary);
	printf("\n'bulwark help COMMAND' shows a command's options.\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (bw_crypto_init() != 0) {
		fprintf(stderr, "bulwark: libsodium could not start\n");
		return 1;
	}
	if (argc < 2)
		return cmd_help(argc, argv);
	for (size_t i = 0; i < BW_NELEM(commands); i++)
		if (strcmp(commands[i].name, argv[1]) == 0)
			return commands[i].fn(argc, argv);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cmd_help(1, argv);
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(argc, argv);
	fprintf(stderr, "bulwark: '%s' is not a command; see 'bulwark help'\n", argv[1]);
	return 2;
}
