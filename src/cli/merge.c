/*
 * merge: `bulwark org merge` applies an ICB reorganisation — by default the
 * one of 1 April 2026 read from the ODS data, or a mapping file — to the
 * organisations in the database, in one transaction: new ICBs are added
 * under their regions, every member moves to its new ICB (org_history and
 * the audit trail record each move), and nothing else changes. If any step
 * fails, nothing has changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ods/ods.h"

static enum ods_type ods_type_of(const char *t)
{
	static const struct {
		const char *name;
		enum ods_type type;
	} map[] = {
		{ "national", ODS_NATIONAL }, { "region", ODS_REGION }, { "ics", ODS_ICB },
		{ "nhs_trust", ODS_NHS_TRUST }, { "gp_practice", ODS_GP_PRACTICE }, { "pharmacy", ODS_PHARMACY },
		{ "care_provider", ODS_CARE_PROVIDER }, { "dental_practice", ODS_DENTAL_PRACTICE },
		{ "supplier", ODS_SUPPLIER },
	};
	for (size_t i = 0; i < BW_NELEM(map); i++)
		if (strcmp(map[i].name, t) == 0)
			return map[i].type;
	return ODS_OTHER;
}

/* The organisations in the database as an estate the planner understands. */
static enum bw_err estate_from_db(struct db *db, struct ods_estate *e, struct bw_error *err)
{
	memset(e, 0, sizeof *e);
	arena_init(&e->arena);
	int64_t n = db_query_i64(db, "SELECT count(*) FROM orgs", 0);
	e->orgs = calloc(n > 0 ? (size_t)n : 1, sizeof *e->orgs);
	if (!e->orgs)
		return bw_fail(err, BW_EINTERNAL, NULL, "out of memory");
	/* path order puts every parent before its children */
	struct db_stmt *st = db_prep(db, "SELECT o.code, o.name, o.type, p.code, o.postcode FROM orgs o"
					 " LEFT JOIN orgs p ON p.id = o.parent_id ORDER BY o.path");
	if (!st)
		return bw_fail(err, BW_EDB, NULL, "%s", db_errmsg(db));
	while (db_step(st) == DB_ROW && e->n < (size_t)n) {
		struct ods_org *o = &e->orgs[e->n++];
		snprintf(o->code, sizeof o->code, "%s", db_col_text(st, 0));
		o->name = arena_strdup(&e->arena, db_col_text(st, 1));
		o->type = ods_type_of(db_col_text(st, 2));
		snprintf(o->parent_code, sizeof o->parent_code, "%s", db_col_text(st, 3) ? db_col_text(st, 3) : "");
		snprintf(o->postcode, sizeof o->postcode, "%s", db_col_text(st, 4) ? db_col_text(st, 4) : "");
		o->parent = SIZE_MAX;
	}
	return ods_estate_index(e, err);
}

struct apply {
	const struct ods_reorg_plan *plan;
	const struct ods_estate *e;
	const char *source;
	struct actor cli;
};

static enum bw_err apply_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct apply *a = arg;
	for (size_t i = 0; i < a->plan->ncreate; i++) {
		const struct ods_reorg_icb *c = &a->plan->create[i];
		char name[LIM_NAME + 1];
		ods_name_display(c->name, name, sizeof name);
		if (orgs_add(db, &a->cli, c->code, name, ORG_ICS, c->region, false, NULL, err) != BW_OK)
			return err->code;
	}
	for (size_t i = 0; i < a->plan->nmoves; i++) {
		const struct ods_move *m = &a->plan->moves[i];
		char reason[200];
		snprintf(reason, sizeof reason, "%s: %s to %s (%s)", a->source, m->old_parent, m->new_parent,
			 ods_reorg_how_name(m->how));
		if (orgs_move_in_tx(db, &a->cli, a->e->orgs[m->org].code, m->new_parent, reason, err) != BW_OK)
			return err->code;
	}
	char summary[300];
	snprintf(summary, sizeof summary, "Applied %s: %zu ICBs created, %zu organisations moved, %zu ICBs left empty",
		 a->source, a->plan->ncreate, a->plan->nmoves, a->plan->ndissolve);
	struct audit_rec r = { 0, "cli", 0, "org.reorganise", "estate", summary };
	return audit_append(db, &r, err);
}

int cmd_org_merge(int argc, char **argv)
{
	struct cli_opt o[] = { { "db", 1, 0, 0 }, { "mapping", 1, 0, 0 }, { "data", 1, 0, 0 }, { "dry-run", 0, 0, 0 } };
	size_t np;
	if (!cli_parse(argc, argv, 3, o, BW_NELEM(o), NULL, 0, &np))
		return 2;
	struct bw_error err = { 0 };
	struct ods_reorg map;
	const char *file = cli_get(o, 4, "mapping");
	enum bw_err rc = file ? ods_reorg_parse_file(file, &map, &err)
			      : ods_reorg_load(cli_data_dir(cli_get(o, 4, "data")), &map, &err);
	if (rc != BW_OK) {
		fprintf(stderr, "bulwark: reading the mapping: %s\n", err.msg);
		return 1;
	}
	struct db *db = cli_open_db(cli_get(o, 4, "db"));
	if (!db) {
		ods_reorg_free(&map);
		return 1;
	}
	struct ods_estate e;
	struct ods_reorg_plan plan = { 0 };
	int status = 0;
	if (estate_from_db(db, &e, &err) != BW_OK || ods_reorg_plan(&map, &e, &plan, &err) != BW_OK) {
		fprintf(stderr, "bulwark: %s\n", err.msg);
		status = 1;
	} else {
		printf("%zu new ICB%s, %zu organisation%s to move, %zu ICB%s left with no members\n", plan.ncreate,
		       plan.ncreate == 1 ? "" : "s", plan.nmoves, plan.nmoves == 1 ? "" : "s", plan.ndissolve,
		       plan.ndissolve == 1 ? "" : "s");
		if (!cli_get(o, 4, "dry-run")) {
			struct apply a = { &plan, &e, file ? file : "ICB reorganisation of " ODS_REORG_DATE, { 0 } };
			orgs_actor_cli(&a.cli);
			if (db_tx(db, true, apply_tx, &a, &err) != BW_OK) {
				fprintf(stderr, "bulwark: nothing changed: %s%s%s\n", err.field, err.field[0] ? ": " : "", err.msg);
				status = 1;
			} else {
				printf("Done: every move is recorded in the organisation history and the audit log.\n");
			}
		}
	}
	ods_reorg_plan_free(&plan);
	ods_estate_free(&e);
	ods_reorg_free(&map);
	db_close(db);
	return status;
}
