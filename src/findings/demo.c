/*
 * demo: findings for the demo estate. The rule library gets the SigmaHQ
 * rules that have regression cases (their index, sigma-regression/index.tsv,
 * names each rule's file); each NHS trust then gets the findings of a few of
 * those cases' recorded events, chosen by its place in the estate, so the
 * pages, the roll-up and the tenant-isolation walk have real data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings/findings_int.h"

#define DEMO_MAX_CASES   600
#define DEMO_PER_TRUST   3
#define DEMO_MAX_TRUSTS  60

struct demo_case {
	char *dir;        /* case folder under sigma-regression/ */
	char *rule_path;  /* rule file under sigma/ */
	char *rule_id;
};

static size_t read_index(const char *path, struct demo_case *cases, size_t max)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char line[4096];
	size_t n = 0;
	bool head = true;
	while (n < max && fgets(line, sizeof line, f)) {
		if (head) {
			head = false;
			continue;
		}
		line[strcspn(line, "\r\n")] = 0;
		char *cols[4] = { 0 };
		char *p = line;
		for (int i = 0; i < 4 && p; i++) {
			cols[i] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = 0;
		}
		if (!cols[3] || !*cols[0] || !*cols[3])
			continue;
		cases[n].dir = strdup(cols[0]);
		cases[n].rule_id = strdup(cols[1]);
		cases[n].rule_path = strdup(cols[3]);
		n++;
	}
	fclose(f);
	return n;
}

static void cases_free(struct demo_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(cases[i].dir);
		free(cases[i].rule_id);
		free(cases[i].rule_path);
	}
	free(cases);
}

enum bw_err findings_demo_seed(struct db *db, const char *data_dir, struct bw_error *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/detect/sigma-regression/index.tsv", data_dir);
	struct demo_case *cases = calloc(DEMO_MAX_CASES, sizeof *cases);
	if (!cases)
		return bw_fail(err, BW_EINTERNAL, "", "out of memory");
	size_t n = read_index(path, cases, DEMO_MAX_CASES);
	if (n == 0) {
		/* no detection data beside this instance: an empty library is still valid */
		free(cases);
		log_warn("findings: no regression index at %s; the demo has no findings", path);
		return BW_OK;
	}
	const char **paths = calloc(n, sizeof *paths);
	if (!paths) {
		cases_free(cases, n);
		return bw_fail(err, BW_EINTERNAL, "", "out of memory");
	}
	size_t np = 0;
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t k = 0; k < np && !seen; k++)
			seen = strcmp(paths[k], cases[i].rule_path) == 0;
		if (!seen)
			paths[np++] = cases[i].rule_path;
	}
	struct actor cli;
	orgs_actor_cli(&cli);
	char root[4096];
	snprintf(root, sizeof root, "%s/detect/sigma", data_dir);
	struct findings_import im;
	enum bw_err rc = findings_rules_import_paths(db, &cli, root, paths, np, &im, err);
	free(paths);
	if (rc != BW_OK) {
		cases_free(cases, n);
		return rc;
	}

	/* the trusts, in a fixed order */
	int64_t trusts[DEMO_MAX_TRUSTS];
	size_t nt = 0;
	struct db_stmt *st = db_prep(db, "SELECT id FROM orgs WHERE type = 'nhs_trust' ORDER BY code LIMIT ?1");
	db_bind_i64(st, 1, DEMO_MAX_TRUSTS);
	while (nt < DEMO_MAX_TRUSTS && db_step(st) == DB_ROW)
		trusts[nt++] = db_col_i64(st, 0);
	int64_t total = 0;
	for (size_t t = 0; t < nt && rc == BW_OK; t++) {
		int got = 0;
		/* a case whose rule the engine refused makes no finding: try the next */
		for (size_t k = 0; k < n && got < DEMO_PER_TRUST && rc == BW_OK; k++) {
			const struct demo_case *dc = &cases[(t * 37 + k * 11) % n];
			snprintf(path, sizeof path, "%s/detect/sigma-regression/%s/%s.json", data_dir, dc->dir, dc->rule_id);
			FILE *f = fopen(path, "r");
			if (!f)
				continue;
			fclose(f);
			const char *slash = strrchr(dc->dir, '/');
			char source[300];
			snprintf(source, sizeof source, "demo: %s.json", slash ? slash + 1 : dc->dir);
			struct findings_scan s;
			rc = findings_scan_file(db, trusts[t], path, source, 0, &s, err);
			if (rc == BW_OK && s.findings > 0) {
				got++;
				total += s.findings;
			}
		}
	}
	cases_free(cases, n);
	if (rc != BW_OK)
		return rc;
	/* one triaged finding of each kind, so the states show */
	int64_t fp = db_query_i64(db, "SELECT min(id) FROM findings", 0);
	int64_t esc = db_query_i64(db, "SELECT max(id) FROM findings", 0);
	if (fp && esc && fp != esc) {
		if ((rc = findings_triage(db, &cli, fp, FINDING_FALSE_POSITIVE, "Demo: an administrator's own test", err)) != BW_OK)
			return rc;
		if ((rc = findings_triage(db, &cli, esc, FINDING_ESCALATED, "Demo: passed to the incident lead", err)) != BW_OK)
			return rc;
	}
	log_info("findings: demo library %lld rules (%lld refused), %lld findings for %zu trusts", (long long)im.files,
		 (long long)im.failed, (long long)total, nt);
	return BW_OK;
}
