/*
 * Unit tests for the critical systems register (src/registers/systems_*.c,
 * graph.c, gaps.c): dates as people type them, the computed gaps, single
 * points of failure and the SVG drawing, and in the database: saving with
 * every refusal naming its field and changing nothing, the audit record of
 * each change, the gap facts kept on the row, suppliers only when visible,
 * backups and restore tests changed in place (facts, roll-up and audit
 * follow; bad input and another system's items change nothing), and the
 * roll-up's SQL agreeing with the C rule system by system. The
 * restore-test window is set to 200 days through BULWARK_RESTORE_TEST_MAX_DAYS
 * (read once), so the override is tested too.
 *
 * The backend comes from BULWARK_TEST_DB: unset or "sqlite" uses a temp
 * file; a postgresql:// URL uses that server, each test in a schema of its
 * own that is dropped and re-made first, so runs can repeat.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/testdb.h"

#include "registers/systems_int.h"

/* ---- harness ---- */

/* The suppliers area's two tables as this area reads them (the columns its
 * documented query uses), so these tests do not wait on that area. */
static const struct db_migration fake_suppliers[] = {
	{ "test/suppliers",
	  "CREATE TABLE suppliers (id {{ID}}, org_id {{INT}} NOT NULL, name TEXT NOT NULL,"
	  " shared {{INT}} NOT NULL DEFAULT 0);"
	  "CREATE TABLE supplier_links (org_id {{INT}} NOT NULL, supplier_id {{INT}} NOT NULL);" },
	{ NULL, NULL },
};

static struct db *fresh_db(const char *name)
{
	char schema[128];
	snprintf(schema, sizeof schema, "ty_%s", name);
	const struct db_migration *const sets[] = { orgs_migrations, audit_migrations, fake_suppliers,
						    systems_migrations, NULL };
	return testdb_fresh(schema, sets);
}

static int64_t q(struct db *db, const char *sql)
{
	int64_t v = db_query_i64(db, sql, -1);
	if (v < 0)
		fail_msg("%s: %s", sql, db_errmsg(db));
	return v;
}

static void exec_ok(struct db *db, const char *sql)
{
	struct bw_error err = { 0 };
	if (db_exec(db, sql, &err) != BW_OK)
		fail_msg("%s: %s", sql, err.msg);
}

static int64_t add_org(struct db *db, const char *code, enum org_type type, const char *parent)
{
	struct actor cli;
	orgs_actor_cli(&cli);
	struct bw_error err = { 0 };
	int64_t id = 0;
	char name[64];
	snprintf(name, sizeof name, "Organisation %s", code);
	if (orgs_add(db, &cli, code, name, type, parent, false, &id, &err) != BW_OK)
		fail_msg("orgs_add %s: %s", code, err.msg);
	return id;
}

static struct actor lead(void)
{
	struct actor a = { .user_id = 7, .org_id = 1, .role = ROLE_ORG_LEAD };
	snprintf(a.email, sizeof a.email, "lead@example.nhs.uk");
	return a;
}

/* A system with sensible values; changes come as (index, value) pairs. */
static enum bw_err save(struct db *db, int64_t org, int64_t id, const char *name, const char *tier,
			const char *downtime, const char *rto, int64_t *out, struct bw_error *err)
{
	const char *v[SF_COUNT] = {
		[SF_NAME] = name, [SF_FUNCTION] = "Patient records", [SF_TIER] = tier, [SF_OWNER] = "Head of IT",
		[SF_HOSTING] = "on_premises", [SF_RTO] = rto, [SF_RPO] = "1", [SF_DOWNTIME] = downtime,
		[SF_STATUS] = "in_service",
	};
	struct actor a = lead();
	return systems_save(db, &a, org, id, v, out, err);
}

static int64_t make(struct db *db, int64_t org, const char *name, const char *tier, const char *downtime,
		    const char *rto)
{
	struct bw_error err = { 0 };
	int64_t id = 0;
	if (save(db, org, 0, name, tier, downtime, rto, &id, &err) != BW_OK)
		fail_msg("save %s: %s (%s)", name, err.msg, err.field);
	return id;
}

static void backup(struct db *db, int64_t sys, bool offline)
{
	const char *v[BF_COUNT] = { "Nightly image", "daily", offline ? "1" : "", "", "Tape safe" };
	struct actor a = lead();
	struct bw_error err = { 0 };
	if (systems_backup_add(db, &a, sys, v, NULL, &err) != BW_OK)
		fail_msg("backup: %s", err.msg);
}

static void restore(struct db *db, int64_t sys, int days_ago, const char *result, const char *minutes)
{
	char date[16];
	systems_date_iso(systems_today(bw_now()) - (int64_t)days_ago * 86400, date);
	const char *v[RF_COUNT] = { date, result, minutes, NULL, "" };
	struct actor a = lead();
	struct bw_error err = { 0 };
	if (systems_restore_add(db, &a, sys, v, NULL, &err) != BW_OK)
		fail_msg("restore: %s (%s)", err.msg, err.field);
}

static void read_rollup(struct db *db, int64_t org, struct gap_counts *own, struct gap_counts *sub)
{
	struct bw_error err = { 0 };
	if (gaps_sync(db, &err) != BW_OK || gaps_read(db, org, own, sub, &err) != BW_OK)
		fail_msg("roll-up: %s", err.msg);
}

static char clock_file[] = "/tmp/bulwark-systems-clock-XXXXXX";

static void set_clock(long offset)
{
	FILE *f = fopen(clock_file, "w");
	assert_non_null(f);
	fprintf(f, "%ld\n", offset);
	fclose(f);
}

static unsigned gaps_of(struct db *db, int64_t id)
{
	struct arena a;
	arena_init(&a);
	struct reg_system s;
	assert_int_equal(systems_get(db, &a, id, &s), BW_OK);
	unsigned g = systems_gaps(&s, bw_now(), systems_restore_max_days());
	arena_free(&a);
	return g;
}

/* ---- pure logic ---- */

static void test_dates(void **state)
{
	(void)state;
	int64_t t, ref;
	assert_true(systems_date_parse("2026-03-15", &ref));
	static const char *const same[] = { "15/3/2026", "15 3 2026", "15 March 2026", "15 mar 2026", "15-03-2026",
					    " 15 / 03 / 2026 ", "15.3.2026" };
	for (size_t i = 0; i < BW_NELEM(same); i++) {
		assert_true(systems_date_parse(same[i], &t));
		assert_int_equal(t, ref);
	}
	static const char *const bad[] = { "", "31/2/2026", "29/2/2025", "15/13/2026", "15/3/26", "tomorrow",
					    "2026-03", "15 Smarch 2026", "1 2 3 4", "0/1/2026", "99999999999/1/2026" };
	for (size_t i = 0; i < BW_NELEM(bad); i++)
		assert_false(systems_date_parse(bad[i], &t));
	assert_true(systems_date_parse("29/2/2024", &t));      /* a leap year */
	char out[24];
	systems_date_format(ref, out);
	assert_string_equal(out, "15 Mar 2026");
	systems_date_iso(ref, out);
	assert_string_equal(out, "2026-03-15");
}

static void test_gap_rules(void **state)
{
	(void)state;
	int64_t now = 1800000000, today = systems_today(now);
	struct reg_system s = { .has_offline = true, .last_success_on = today - 10 * 86400, .downtime = "Paper forms",
				.status = "in_service", .rto_hours = 4, .last_restore_minutes = 120 };
	assert_int_equal(systems_gaps(&s, now, 365), 0);
	s.has_offline = false;
	assert_int_equal(systems_gaps(&s, now, 365), GAP_NO_OFFLINE);
	s.has_offline = true;
	s.last_success_on = today - 366 * 86400;
	assert_int_equal(systems_gaps(&s, now, 365), GAP_RESTORE_STALE);
	s.last_success_on = today - 365 * 86400;      /* exactly a year: still counts */
	assert_int_equal(systems_gaps(&s, now, 365), 0);
	s.last_success_on = 0;
	assert_int_equal(systems_gaps(&s, now, 365), GAP_RESTORE_MISSING);
	s.last_success_on = today;
	s.downtime = "";
	assert_int_equal(systems_gaps(&s, now, 365), GAP_NO_DOWNTIME);
	s.downtime = "x";
	s.status = "unsupported";
	assert_int_equal(systems_gaps(&s, now, 365), GAP_UNSUPPORTED);
	s.status = "being_replaced";
	s.last_restore_minutes = 241;
	assert_int_equal(systems_gaps(&s, now, 365), GAP_RTO_EXCEEDED);
	s.rto_hours = -1;                             /* no objective: nothing to exceed */
	assert_int_equal(systems_gaps(&s, now, 365), 0);
	for (unsigned i = 0; i < GAP_KINDS; i++) {
		assert_true(strlen(systems_gap_name(i)) > 0);
		assert_true(strlen(systems_gap_label(i)) > 0);
	}
	assert_string_equal(systems_tier_label(1), "Tier 1: patients could be harmed within hours");
}

static void test_max_days_from_environment(void **state)
{
	(void)state;
	/* main() set BULWARK_RESTORE_TEST_MAX_DAYS=200 before anything read it */
	assert_int_equal(systems_restore_max_days(), 200);
	setenv("BULWARK_RESTORE_TEST_MAX_DAYS", "10", 1);
	assert_int_equal(systems_restore_max_days(), 200);   /* read once */
}

static void test_graph_spof(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct graph g = { 0 };
	size_t epr = graph_node_add(&g, &a, GRAPH_SYSTEM, 1, "EPR", 1);
	size_t pacs = graph_node_add(&g, &a, GRAPH_SYSTEM, 2, "PACS", 1);
	size_t lims = graph_node_add(&g, &a, GRAPH_SYSTEM, 3, "LIMS <script>alert(1)</script>", 1);
	size_t ad = graph_node_add(&g, &a, GRAPH_SYSTEM, 4, "Active Directory", 2);
	size_t mail = graph_node_add(&g, &a, GRAPH_SYSTEM, 5, "Email", 3);
	size_t dc = graph_node_add(&g, &a, GRAPH_LOCATION, 0, "Main data centre", 0);
	size_t dc2 = graph_node_add(&g, &a, GRAPH_LOCATION, 0, "main DATA centre", 0);
	size_t net = graph_node_add(&g, &a, GRAPH_LOCATION, 0, "Internet", 0);
	size_t sup = graph_node_add(&g, &a, GRAPH_SUPPLIER, 9, "Harbour Cloud", 0);
	assert_int_equal(dc, dc2);                        /* locations match ignoring case */
	graph_edge_add(&g, &a, epr, ad);
	graph_edge_add(&g, &a, pacs, ad);
	graph_edge_add(&g, &a, lims, ad);
	graph_edge_add(&g, &a, ad, dc);
	graph_edge_add(&g, &a, mail, net);
	graph_edge_add(&g, &a, epr, sup);
	graph_edge_add(&g, &a, epr, sup);                 /* duplicates are dropped */
	graph_edge_add(&g, &a, epr, epr);                 /* and self-loops */
	assert_int_equal(g.ne, 6);
	graph_analyse(&g, &a);
	assert_true(graph_is_spof(&g.nodes[ad]));
	assert_int_equal(g.nodes[ad].dependents_tier1, 3);
	assert_true(graph_is_spof(&g.nodes[dc]));         /* through Active Directory */
	assert_int_equal(g.nodes[dc].dependents_tier1, 3);
	assert_false(graph_is_spof(&g.nodes[net]));       /* only tier 3 email uses it */
	assert_false(graph_is_spof(&g.nodes[sup]));       /* one tier-1 system */
	assert_true(g.nodes[ad].layer > g.nodes[epr].layer);
	/* a cycle must not hang the analysis; through it, PACS and LIMS now
	 * reach EPR's supplier as well */
	graph_edge_add(&g, &a, ad, epr);
	graph_analyse(&g, &a);
	assert_int_equal(g.nodes[sup].dependents_tier1, 3);
	assert_int_equal(g.nodes[epr].dependents_tier1, 2);
	assert_true(g.nodes[dc].layer > g.nodes[ad].layer || g.nodes[dc].kind != GRAPH_SYSTEM);
	struct buf b;
	buf_init(&b);
	graph_svg(&b, &g, "Dependency graph of <Trust>");
	const char *svg = buf_cstr(&b);
	assert_non_null(strstr(svg, "role=\"img\""));
	assert_non_null(strstr(svg, "<title id=\"graph-title\">Dependency graph of &lt;Trust&gt;</title>"));
	assert_non_null(strstr(svg, "Single points of failure: "));
	assert_non_null(strstr(svg, "Active Directory"));
	assert_null(strstr(svg, "<script>"));
	assert_non_null(strstr(svg, "&lt;script&gt;"));
	buf_free(&b);
	arena_free(&a);
}

/* ---- database ---- */

static void test_save_refusals_change_nothing(void **state)
{
	(void)state;
	struct db *db = fresh_db("refusals");
	int64_t nat = add_org(db, "NAT", ORG_NATIONAL, NULL);
	int64_t trust = add_org(db, "RX1", ORG_NHS_TRUST, "NAT");
	(void)nat;
	int64_t audits = q(db, "SELECT count(*) FROM audit");
	struct bw_error err = { 0 };
	int64_t id = 0;
	assert_int_equal(save(db, trust, 0, "EPR", "5", "x", "4", &id, &err), BW_EINVAL);
	assert_string_equal(err.field, "tier");
	assert_int_equal(save(db, trust, 0, "   ", "1", "x", "4", &id, &err), BW_EINVAL);
	assert_string_equal(err.field, "name");
	assert_int_equal(save(db, trust, 0, "EPR", "1", "x", "lots", &id, &err), BW_EINVAL);
	assert_string_equal(err.field, "rto_hours");
	assert_non_null(strstr(err.msg, "whole number"));
	assert_int_equal(save(db, trust, 0, "EPR", "1", "x", "9000", &id, &err), BW_EINVAL);
	assert_string_equal(err.field, "rto_hours");
	assert_int_equal(save(db, trust, 0, "EP\x01R", "1", "x", "4", &id, &err), BW_EINVAL);
	assert_string_equal(err.field, "name");
	assert_int_equal(q(db, "SELECT count(*) FROM systems"), 0);
	assert_int_equal(q(db, "SELECT count(*) FROM audit"), audits);

	int64_t epr = make(db, trust, "  EPR  ", "1", "Paper packs", "4");
	assert_int_equal(q(db, "SELECT count(*) FROM systems WHERE name = 'EPR'"), 1);    /* trimmed */
	assert_int_equal(q(db, "SELECT count(*) FROM audit WHERE action = 'system.create'"), 1);
	assert_int_equal(save(db, trust, 0, "epr", "2", "x", "4", &id, &err), BW_ECONFLICT);
	assert_string_equal(err.field, "name");
	/* a change keeps the id and is audited; a system of another organisation is not found */
	assert_int_equal(save(db, trust, epr, "EPR (Epic)", "1", "", "", &id, &err), BW_OK);
	assert_int_equal(id, epr);
	assert_int_equal(q(db, "SELECT count(*) FROM audit WHERE action = 'system.update'"), 1);
	assert_int_equal(save(db, nat, epr, "Moved", "1", "", "", &id, &err), BW_ENOTFOUND);
	assert_int_equal(q(db, "SELECT count(*) FROM systems WHERE name = 'Moved'"), 0);

	/* restore tests: a date in the future is refused, naming the field */
	const char *v[RF_COUNT] = { "1 1 2199", "success", "30", NULL, "" };
	struct actor a = lead();
	assert_int_equal(systems_restore_add(db, &a, epr, v, NULL, &err), BW_EINVAL);
	assert_string_equal(err.field, "tested_on");
	v[0] = "31/2/2025";
	assert_int_equal(systems_restore_add(db, &a, epr, v, NULL, &err), BW_EINVAL);
	assert_string_equal(err.field, "tested_on");
	v[0] = "1/1/2025";
	v[2] = "-5";
	assert_int_equal(systems_restore_add(db, &a, epr, v, NULL, &err), BW_EINVAL);
	assert_string_equal(err.field, "minutes");
	assert_int_equal(q(db, "SELECT count(*) FROM restore_tests"), 0);
	/* a dependency on itself, or on another organisation's system, is refused */
	int64_t other = make(db, nat, "National EPR", "1", "x", "4");
	const char *d[DF_COUNT] = { "system", "", "", "", "" };
	char sid[24];
	snprintf(sid, sizeof sid, "%lld", (long long)epr);
	d[DF_SYSTEM] = sid;
	assert_int_equal(systems_dep_add(db, &a, epr, d, NULL, &err), BW_EINVAL);
	assert_string_equal(err.field, "on_system");
	snprintf(sid, sizeof sid, "%lld", (long long)other);
	assert_int_equal(systems_dep_add(db, &a, epr, d, NULL, &err), BW_EINVAL);
	assert_string_equal(err.field, "on_system");
	const char *loc[DF_COUNT] = { "location", "", "", "  ", "" };
	assert_int_equal(systems_dep_add(db, &a, epr, loc, NULL, &err), BW_EINVAL);
	assert_string_equal(err.field, "location");
	assert_int_equal(q(db, "SELECT count(*) FROM system_deps"), 0);
	db_close(db);
}

static void test_facts_and_gaps(void **state)
{
	(void)state;
	struct db *db = fresh_db("facts");
	add_org(db, "NAT", ORG_NATIONAL, NULL);
	int64_t trust = add_org(db, "RX1", ORG_NHS_TRUST, "NAT");
	int64_t epr = make(db, trust, "EPR", "1", "Paper packs", "4");
	assert_int_equal(gaps_of(db, epr), GAP_NO_OFFLINE | GAP_RESTORE_MISSING);
	backup(db, epr, false);
	assert_int_equal(gaps_of(db, epr), GAP_NO_OFFLINE | GAP_RESTORE_MISSING);
	backup(db, epr, true);
	assert_int_equal(gaps_of(db, epr), GAP_RESTORE_MISSING);
	restore(db, epr, 250, "success", "60");         /* older than the 200 days set */
	assert_int_equal(gaps_of(db, epr), GAP_RESTORE_STALE);
	restore(db, epr, 100, "failed", "900");          /* a failed test neither counts nor times */
	assert_int_equal(gaps_of(db, epr), GAP_RESTORE_STALE);
	restore(db, epr, 20, "success", "300");          /* 5 hours against a 4 hour objective */
	assert_int_equal(gaps_of(db, epr), GAP_RTO_EXCEEDED);
	restore(db, epr, 5, "partial", "90");            /* the last restore's time is what counts */
	assert_int_equal(gaps_of(db, epr), 0);
	assert_int_equal(q(db, "SELECT count(*) FROM audit WHERE action = 'system.restore_test.add'"), 4);
	/* deleting the off-line backup brings the gap back, audited */
	struct actor a = lead();
	struct bw_error err = { 0 };
	int64_t off = q(db, "SELECT id FROM system_backups WHERE offline = 1");
	assert_int_equal(systems_backup_delete(db, &a, epr, off, &err), BW_OK);
	assert_int_equal(gaps_of(db, epr), GAP_NO_OFFLINE);
	assert_int_equal(systems_backup_delete(db, &a, epr, off, &err), BW_ENOTFOUND);
	assert_int_equal(q(db, "SELECT count(*) FROM audit WHERE action = 'system.backup.delete'"), 1);
	/* deleting the system takes its parts with it */
	int64_t ad = make(db, trust, "Active Directory", "1", "", "2");
	char sid[24];
	snprintf(sid, sizeof sid, "%lld", (long long)ad);
	const char *d[DF_COUNT] = { "system", sid, "", "", "Sign-in" };
	assert_int_equal(systems_dep_add(db, &a, epr, d, NULL, &err), BW_OK);
	assert_int_equal(systems_dep_add(db, &a, epr, d, NULL, &err), BW_ECONFLICT);
	assert_int_equal(systems_delete(db, &a, ad, &err), BW_OK);
	assert_int_equal(q(db, "SELECT count(*) FROM system_deps"), 0);
	assert_int_equal(systems_delete(db, &a, epr, &err), BW_OK);
	assert_int_equal(q(db, "SELECT count(*) FROM systems"), 0);
	assert_int_equal(q(db, "SELECT count(*) FROM restore_tests") + q(db, "SELECT count(*) FROM system_backups"), 0);
	assert_int_equal(q(db, "SELECT count(*) FROM audit WHERE action = 'system.delete'"), 2);
	int64_t checked = 0, bad = 0;
	assert_int_equal(audit_verify(db, &checked, &bad, &err), BW_OK);
	assert_true(checked >= 10);
	db_close(db);
}

static void test_suppliers_visible_only(void **state)
{
	(void)state;
	struct db *db = fresh_db("suppliers");
	int64_t nat = add_org(db, "NAT", ORG_NATIONAL, NULL);
	int64_t ics = add_org(db, "QX1", ORG_ICS, "NAT");
	int64_t t1 = add_org(db, "RX1", ORG_NHS_TRUST, "QX1");
	int64_t t2 = add_org(db, "RX2", ORG_NHS_TRUST, "QX1");
	assert_true(systems_suppliers_ready(db));
	char sql[512];
	snprintf(sql, sizeof sql,
		 "INSERT INTO suppliers (org_id, name, shared) VALUES (%lld, 'Own Ltd', 0), (%lld, 'Other Trust Ltd', 0),"
		 " (%lld, 'Linked Ltd', 0), (%lld, 'Shared National Ltd', 1), (%lld, 'Unshared ICS Ltd', 0)",
		 (long long)t1, (long long)t2, (long long)t2, (long long)nat, (long long)ics);
	exec_ok(db, sql);
	snprintf(sql, sizeof sql, "INSERT INTO supplier_links (org_id, supplier_id) VALUES (%lld, 3)", (long long)t1);
	exec_ok(db, sql);
	struct arena a;
	arena_init(&a);
	struct web_option opts[10];
	size_t n = systems_supplier_options(db, &a, t1, opts, 10);
	assert_int_equal(n, 3);
	assert_string_equal(opts[0].label, "Linked Ltd");
	assert_string_equal(opts[1].label, "Own Ltd");
	assert_string_equal(opts[2].label, "Shared National Ltd");
	char name[64];
	assert_false(systems_supplier_name(db, t1, 2, name, sizeof name));  /* another trust's */
	assert_false(systems_supplier_name(db, t1, 5, name, sizeof name));  /* above, not shared */
	const char *v[SF_COUNT] = { "EPR", "Records", "1", "", "cloud", "2", "", "", "", "in_service" };
	struct actor act = lead();
	struct bw_error err = { 0 };
	int64_t id;
	assert_int_equal(systems_save(db, &act, t1, 0, v, &id, &err), BW_EINVAL);
	assert_string_equal(err.field, "supplier");
	assert_int_equal(q(db, "SELECT count(*) FROM systems"), 0);
	v[SF_SUPPLIER] = "3";
	assert_int_equal(systems_save(db, &act, t1, 0, v, &id, &err), BW_OK);
	assert_int_equal(q(db, "SELECT supplier_id FROM systems"), 3);
	/* a supplier dependency must be visible too */
	const char *d[DF_COUNT] = { "supplier", "", "2", "", "" };
	assert_int_equal(systems_dep_add(db, &act, id, d, NULL, &err), BW_EINVAL);
	assert_string_equal(err.field, "on_supplier");
	d[DF_SUPPLIER] = "4";
	assert_int_equal(systems_dep_add(db, &act, id, d, NULL, &err), BW_OK);
	struct graph g;
	assert_int_equal(graph_load(db, &a, t1, &g, &err), BW_OK);
	assert_int_equal(g.n, 3);                           /* EPR, its supplier, the one it depends on */
	assert_int_equal(g.ne, 2);
	arena_free(&a);
	db_close(db);
}

static int64_t first_id(struct db *db, const char *table, int64_t system_id)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT min(id) FROM %s WHERE system_id = %lld", table, (long long)system_id);
	return q(db, sql);
}

/* Whether the newest audit summary of action says needle (or, want false,
 * does not); fails showing the summary otherwise. */
static void audit_says(struct db *db, const char *action, const char *needle, bool want)
{
	struct db_stmt *st = db_prep(db, "SELECT summary FROM audit WHERE action = ?1 ORDER BY id DESC LIMIT 1");
	db_bind_text(st, 1, action);
	if (db_step(st) != DB_ROW)
		fail_msg("no audit record %s", action);
	char summary[1024];
	snprintf(summary, sizeof summary, "%s", db_col_text(st, 0));
	db_reset(st);
	if ((strstr(summary, needle) != NULL) != want)
		fail_msg("%s: \"%s\" %s \"%s\"", action, summary, want ? "lacks" : "has", needle);
}

/* A typo in a backup or restore test is corrected in place: the system's
 * gaps and the roll-up follow, the audit says what changed, and a refusal
 * (bad value, another system's item) changes nothing. */
static void test_item_edits(void **state)
{
	(void)state;
	struct db *db = fresh_db("edits");
	add_org(db, "NAT", ORG_NATIONAL, NULL);
	int64_t ics = add_org(db, "QE1", ORG_ICS, "NAT");
	int64_t trust = add_org(db, "RE1", ORG_NHS_TRUST, "QE1");
	int64_t other_trust = add_org(db, "RE2", ORG_NHS_TRUST, "QE1");
	int64_t epr = make(db, trust, "EPR", "1", "Paper packs", "4");
	int64_t pas = make(db, other_trust, "PAS", "1", "Paper", "4");
	backup(db, epr, true);
	restore(db, epr, 10, "success", "60");
	backup(db, pas, true);
	restore(db, pas, 10, "success", "60");
	int64_t bk = first_id(db, "system_backups", epr), rt = first_id(db, "restore_tests", epr);
	int64_t other_bk = first_id(db, "system_backups", pas), other_rt = first_id(db, "restore_tests", pas);
	assert_int_equal(gaps_of(db, epr), 0);
	struct gap_counts own, sub;
	read_rollup(db, ics, &own, &sub);
	assert_int_equal(sub.systems, 2);
	assert_int_equal(sub.with_gaps, 0);

	struct actor a = lead();
	struct bw_error err = { 0 };
	/* the off-line flag removed (and the place corrected): the gap appears
	 * on the system and in the organisation's and the ICS's counts */
	const char *b[BF_COUNT] = { "Nightly image", "weekly", "", "", "Cloud vault" };
	assert_int_equal(systems_backup_update(db, &a, epr, bk, b, &err), BW_OK);
	assert_int_equal(gaps_of(db, epr), GAP_NO_OFFLINE);
	assert_int_equal(q(db, "SELECT count(*) FROM system_backups"), 2);   /* changed, not added */
	read_rollup(db, trust, &own, &sub);
	assert_int_equal(own.with_gaps, 1);
	assert_int_equal(own.gap[0], 1);
	read_rollup(db, ics, &own, &sub);
	assert_int_equal(sub.with_gaps, 1);
	assert_int_equal(sub.gap[0], 1);
	assert_int_equal(q(db, "SELECT count(*) FROM audit WHERE action = 'system.backup.update'"), 1);
	audit_says(db, "system.backup.update", "off-line copy: yes → no", true);
	audit_says(db, "system.backup.update", "where it is kept: \"Tape safe\" → \"Cloud vault\"", true);
	audit_says(db, "system.backup.update", "how often: Every day → Every week", true);
	audit_says(db, "system.backup.update", "how it is backed up", false);   /* unchanged: not listed */

	/* the restore test's date corrected to 400 days ago: out of date */
	char date[16];
	systems_date_iso(systems_today(bw_now()) - 400 * 86400, date);
	const char *r[RF_COUNT] = { date, "success", "60", NULL, "" };
	assert_int_equal(systems_restore_update(db, &a, epr, rt, r, &err), BW_OK);
	assert_int_equal(gaps_of(db, epr), GAP_NO_OFFLINE | GAP_RESTORE_STALE);
	read_rollup(db, ics, &own, &sub);
	assert_int_equal(sub.gap[2], 1);
	audit_says(db, "system.restore_test.update", "date of the test: ", true);
	int64_t day = q(db, "SELECT tested_on FROM restore_tests WHERE id = (SELECT min(id) FROM restore_tests)");
	/* a slower time than the objective is a gap too */
	r[RF_MINUTES] = "300";
	assert_int_equal(systems_restore_update(db, &a, epr, rt, r, &err), BW_OK);
	audit_says(db, "system.restore_test.update", "time taken: 60 minutes → 300 minutes", true);
	assert_int_equal(gaps_of(db, epr), GAP_NO_OFFLINE | GAP_RESTORE_STALE | GAP_RTO_EXCEEDED);

	/* refusals change nothing and write no audit */
	int64_t audits = q(db, "SELECT count(*) FROM audit");
	r[RF_DATE] = "31/2/2025";
	assert_int_equal(systems_restore_update(db, &a, epr, rt, r, &err), BW_EINVAL);
	assert_string_equal(err.field, "tested_on");
	r[RF_DATE] = "1 1 2199";
	assert_int_equal(systems_restore_update(db, &a, epr, rt, r, &err), BW_EINVAL);
	assert_string_equal(err.field, "tested_on");
	char sid[24];
	snprintf(sid, sizeof sid, "%lld", (long long)other_bk);
	r[RF_DATE] = date;
	r[RF_BACKUP] = sid;                              /* a backup of another system */
	assert_int_equal(systems_restore_update(db, &a, epr, rt, r, &err), BW_EINVAL);
	assert_string_equal(err.field, "backup");
	r[RF_BACKUP] = NULL;
	b[BF_LOCATION] = "  ";
	assert_int_equal(systems_backup_update(db, &a, epr, bk, b, &err), BW_EINVAL);
	assert_string_equal(err.field, "location");
	b[BF_LOCATION] = "Cloud vault";
	b[BF_FREQUENCY] = "fortnightly";
	assert_int_equal(systems_backup_update(db, &a, epr, bk, b, &err), BW_EINVAL);
	assert_string_equal(err.field, "frequency");
	/* another system's backup or restore test is not found through this one */
	b[BF_FREQUENCY] = "daily";
	b[BF_OFFLINE] = "";
	assert_int_equal(systems_backup_update(db, &a, epr, other_bk, b, &err), BW_ENOTFOUND);
	assert_int_equal(systems_restore_update(db, &a, epr, other_rt, r, &err), BW_ENOTFOUND);
	assert_int_equal(systems_backup_update(db, &a, 999999, bk, b, &err), BW_ENOTFOUND);
	assert_int_equal(q(db, "SELECT count(*) FROM audit"), audits);
	assert_int_equal(q(db, "SELECT tested_on FROM restore_tests WHERE id = (SELECT min(id) FROM restore_tests)"), day);
	assert_int_equal(q(db, "SELECT count(*) FROM system_backups WHERE location = 'Cloud vault' AND frequency = 'weekly'"),
			 1);
	assert_int_equal(gaps_of(db, pas), 0);           /* the other system kept its off-line copy */
	assert_int_equal(q(db, "SELECT count(*) FROM system_backups WHERE offline = 1"), 1);

	/* the off-line flag set again closes the gap */
	b[BF_OFFLINE] = "1";
	b[BF_LOCATION] = "Cloud vault";
	assert_int_equal(systems_backup_update(db, &a, epr, bk, b, &err), BW_OK);
	assert_int_equal(gaps_of(db, epr), GAP_RESTORE_STALE | GAP_RTO_EXCEEDED);
	read_rollup(db, ics, &own, &sub);
	assert_int_equal(sub.gap[0], 0);
	int64_t checked = 0, bad = 0;
	assert_int_equal(audit_verify(db, &checked, &bad, &err), BW_OK);
	db_close(db);
}

/* The roll-up's SQL must agree with systems_gaps(), system by system. */
static void test_rollup_matches_rule(void **state)
{
	(void)state;
	struct db *db = fresh_db("rollup");
	add_org(db, "NAT", ORG_NATIONAL, NULL);
	int64_t ics = add_org(db, "QX1", ORG_ICS, "NAT");
	int64_t orgs[3] = { add_org(db, "RX1", ORG_NHS_TRUST, "QX1"), add_org(db, "RX2", ORG_NHS_TRUST, "QX1"),
			    add_org(db, "B82001", ORG_GP_PRACTICE, "QX1") };
	/* /1/20/-style prefixes: an organisation numbered so its path shares a
	 * text prefix with RX1's must not be counted in RX1's subtree */
	for (int i = 0; i < 12; i++) {
		char code[16];
		snprintf(code, sizeof code, "PAD%d", i);
		add_org(db, code, ORG_OTHER, "NAT");
	}
	int64_t far = add_org(db, "RZZ", ORG_NHS_TRUST, "NAT");
	int64_t expect[3][GAP_KINDS + 2] = { { 0 } };
	int k = 0;
	for (int o = 0; o < 3; o++) {
		for (int i = 0; i < 7; i++, k++) {
			char name[32];
			snprintf(name, sizeof name, "System %d", k);
			const char *tier = i < 5 ? "1" : "2";
			int64_t id = make(db, orgs[o], name, tier, k % 3 ? "Paper" : "", k % 4 ? "2" : "");
			if (k % 5)
				backup(db, id, k % 2);
			if (k % 6)
				restore(db, id, (k * 53) % 400, k % 7 ? "success" : "failed", k % 3 ? "100" : "200");
			if (k % 11 == 0) {
				const char *v[SF_COUNT] = { name, "x", tier, "", "cloud", "", k % 4 ? "2" : "", "", "",
							    "unsupported" };
				struct actor a = lead();
				struct bw_error err = { 0 };
				assert_int_equal(systems_save(db, &a, orgs[o], id, v, NULL, &err), BW_OK);
			}
			if (i >= 5)
				continue;
			unsigned g = gaps_of(db, id);
			expect[o][0]++;
			expect[o][1] += g != 0;
			for (int b = 0; b < GAP_KINDS; b++)
				expect[o][2 + b] += (g >> b) & 1;
		}
	}
	make(db, far, "Far away", "1", "", "");
	int64_t total[GAP_KINDS + 2] = { 0 };
	for (int o = 0; o < 3; o++) {
		struct gap_counts c, own;
		read_rollup(db, orgs[o], &own, &c);
		assert_int_equal(c.systems, expect[o][0]);
		assert_int_equal(c.with_gaps, expect[o][1]);
		for (int b = 0; b < GAP_KINDS; b++)
			assert_int_equal(c.gap[b], expect[o][2 + b]);
		assert_memory_equal(&own, &c, sizeof c);
		for (int b = 0; b < GAP_KINDS + 2; b++)
			total[b] += expect[o][b];
	}
	struct gap_counts c, own;
	read_rollup(db, ics, &own, &c);
	assert_int_equal(own.systems, 0);
	assert_int_equal(c.systems, total[0]);
	assert_int_equal(c.with_gaps, total[1]);
	assert_true(total[1] > 0 && total[1] < total[0]);    /* the data has both kinds */
	for (int b = 0; b < GAP_KINDS; b++) {
		assert_int_equal(c.gap[b], total[2 + b]);
		assert_true(total[2 + b] > 0);                   /* every kind of gap occurs */
	}
	/* the sums kept up write by write equal the sums built from scratch */
	struct gap_counts after_own, after;
	struct bw_error err = { 0 };
	assert_int_equal(gaps_rebuild(db, &err), BW_OK);
	read_rollup(db, ics, &after_own, &after);
	assert_memory_equal(&after, &c, sizeof c);

	/* a system deleted leaves the sums of its organisation and the ICS */
	int64_t victim = db_query_i64(db, "SELECT min(id) FROM systems WHERE tier = 1 AND org_id IN"
					  " (SELECT id FROM orgs WHERE code = 'RX1')", 0);
	struct actor a = lead();
	assert_int_equal(systems_delete(db, &a, victim, &err), BW_OK);
	read_rollup(db, ics, &after_own, &after);
	assert_int_equal(after.systems, total[0] - 1);

	/* a move takes a member's counts from one ICS to another */
	int64_t other = add_org(db, "QX2", ORG_ICS, "NAT");
	struct gap_counts rx2_own, rx2_sub, o2;
	read_rollup(db, orgs[1], &rx2_own, &rx2_sub);
	struct actor admin = { .user_id = 1, .org_id = 1, .role = ROLE_ADMIN };
	assert_int_equal(orgs_move(db, &admin, "RX2", "QX2", "test reorganisation", &err), BW_OK);
	read_rollup(db, other, &own, &o2);
	assert_memory_equal(&o2, &rx2_sub, sizeof o2);
	read_rollup(db, ics, &own, &c);
	assert_int_equal(c.systems, after.systems - rx2_sub.systems);
	db_close(db);
}

/* Time alone makes a restore test out of date: the roll-up follows the
 * cut-off without any write to the system. */
static void test_rollup_follows_time(void **state)
{
	(void)state;
	set_clock(0);
	struct db *db = fresh_db("rolltime");
	add_org(db, "NAT", ORG_NATIONAL, NULL);
	int64_t ics = add_org(db, "QY1", ORG_ICS, "NAT");
	int64_t trust = add_org(db, "RY1", ORG_NHS_TRUST, "QY1");
	int64_t id = make(db, trust, "PAS", "1", "Paper", "4");
	backup(db, id, true);
	restore(db, id, 190, "success", "30");   /* the limit is 200 days here */
	struct gap_counts own, sub;
	read_rollup(db, ics, &own, &sub);
	assert_int_equal(sub.systems, 1);
	assert_int_equal(sub.with_gaps, 0);
	set_clock(15 * 86400);                   /* 205 days since the test */
	read_rollup(db, ics, &own, &sub);
	assert_int_equal(sub.with_gaps, 1);
	assert_int_equal(sub.gap[2], 1);        /* restore test out of date */
	read_rollup(db, trust, &own, &sub);
	assert_int_equal(own.with_gaps, 1);
	set_clock(0);
	db_close(db);
}

int main(void)
{
	setenv("BULWARK_RESTORE_TEST_MAX_DAYS", "200", 1);
	int fd = mkstemp(clock_file);
	if (fd < 0)
		return 1;
	close(fd);
	setenv("BULWARK_TEST_CLOCK", clock_file, 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_max_days_from_environment),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_gap_rules),
		cmocka_unit_test(test_graph_spof),
		cmocka_unit_test(test_save_refusals_change_nothing),
		cmocka_unit_test(test_facts_and_gaps),
		cmocka_unit_test(test_suppliers_visible_only),
		cmocka_unit_test(test_item_edits),
		cmocka_unit_test(test_rollup_matches_rule),
		cmocka_unit_test(test_rollup_follows_time),
	};
	fprintf(stderr, "# backend: %s\n", testdb_pg_url() ? "postgresql" : "sqlite");
	int rc = cmocka_run_group_tests(tests, testdb_group_setup, testdb_group_teardown);
	unlink(clock_file);
	return rc;
}
