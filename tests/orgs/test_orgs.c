/*
 * Unit tests for src/orgs: subtree ranges, the role x action matrix against
 * one's own organisation and its neighbours, who may grant which role, the
 * messages for bad input, re-parenting a subtree, and users. The backend
 * comes from BULWARK_TEST_DB: unset or "sqlite" uses a temp file; a
 * postgresql:// URL uses that server, each test in a schema of its own that
 * is dropped and re-made first, so runs can repeat.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <unistd.h>
#include <cmocka.h>

#include "orgs/orgs.h"

static char tmpdir[256];

/* ---- harness ---- */

static const char *pg_url(void)
{
	const char *u = getenv("BULWARK_TEST_DB");
	if (u && (!strncmp(u, "postgresql://", 13) || !strncmp(u, "postgres://", 11)))
		return u;
	return NULL;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/bw-unit-orgs-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* A fresh database with the orgs and audit tables, for one test. */
static struct db *fresh_db(const char *name)
{
	struct bw_error err = { 0 };
	char url[512];
	const char *pg = pg_url();
	if (pg) {
		struct db *admin;
		if (db_open(&admin, pg, &err) != BW_OK)
			fail_msg("db_open %s: %s", pg, err.msg);
		char sql[256];
		snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS to_%s CASCADE; CREATE SCHEMA to_%s", name, name);
		assert_int_equal(db_exec(admin, sql, &err), BW_OK);
		db_close(admin);
		snprintf(url, sizeof url, "%s%soptions=-csearch_path%%3Dto_%s", pg, strchr(pg, '?') ? "&" : "?", name);
	} else {
		snprintf(url, sizeof url, "%s/%s.db", tmpdir, name);
		unlink(url);
	}
	struct db *db = NULL;
	if (db_open(&db, url, &err) != BW_OK)
		fail_msg("db_open %s: %s", url, err.msg);
	const struct db_migration *const sets[] = { orgs_migrations, audit_migrations, NULL };
	if (db_migrate(db, sets, &err) != BW_OK)
		fail_msg("migrate: %s", err.msg);
	return db;
}

static int64_t count(struct db *db, const char *sql)
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
		fail_msg("orgs_add %s: %s (%s)", code, err.msg, err.field);
	return id;
}

/*
 * The estate most tests use. Ids come from a fresh table, so they are known:
 *   NAT /1/ ; C02..C21 /1/2/ .. /1/21/ ; G22 /1/2/22/ ; G23 /1/2/22/23/ ;
 *   G24 /1/20/24/
 * /1/20/ shares the text prefix "/1/2" with /1/2/ but is not inside it.
 */
static void build_estate(struct db *db)
{
	assert_int_equal(add_org(db, "NAT", ORG_NATIONAL, NULL), 1);
	for (int i = 2; i <= 21; i++) {
		char code[8];
		snprintf(code, sizeof code, "C%02d", i);
		assert_int_equal(add_org(db, code, ORG_ICS, "NAT"), i);
	}
	assert_int_equal(add_org(db, "G22", ORG_NHS_TRUST, "C02"), 22);
	assert_int_equal(add_org(db, "G23", ORG_GP_PRACTICE, "G22"), 23);
	assert_int_equal(add_org(db, "G24", ORG_NHS_TRUST, "C20"), 24);
}

static struct org_ref ref_of(struct db *db, const char *code)
{
	struct org o;
	struct bw_error err = { 0 };
	if (orgs_get_by_code(db, code, &o, &err) != BW_OK)
		fail_msg("no org %s: %s", code, err.msg);
	struct org_ref r = { .id = o.id };
	snprintf(r.path, sizeof r.path, "%s", o.path);
	return r;
}

static void expect_path(struct db *db, const char *code, const char *path, int64_t parent_id)
{
	struct org o;
	struct bw_error err = { 0 };
	if (orgs_get_by_code(db, code, &o, &err) != BW_OK)
		fail_msg("no org %s: %s", code, err.msg);
	if (strcmp(o.path, path) != 0 || o.parent_id != parent_id)
		fail_msg("%s: path %s parent %lld, expected %s parent %lld", code, o.path,
			 (long long)o.parent_id, path, (long long)parent_id);
}

/* Every organisation as "code path parent;" for before/after comparisons. */
static void snapshot(struct db *db, struct buf *out)
{
	buf_reset(out);
	struct db_stmt *st = db_prep(db, "SELECT code, path, parent_id FROM orgs ORDER BY code");
	assert_non_null(st);
	while (db_step(st) == DB_ROW)
		buf_printf(out, "%s %s %lld;", db_col_text(st, 0), db_col_text(st, 1), (long long)db_col_i64(st, 2));
}

/* The last audit record's action, object and summary, joined by '|'. */
static void last_audit(struct db *db, char *out, size_t n)
{
	struct db_stmt *st = db_prep(db, "SELECT action, object, summary FROM audit ORDER BY id DESC");
	assert_non_null(st);
	assert_int_equal(db_step(st), DB_ROW);
	snprintf(out, n, "%s|%s|%s", db_col_text(st, 0), db_col_text(st, 1), db_col_text(st, 2));
	db_reset(st);
}

static void expect_chain_intact(struct db *db)
{
	struct bw_error err = { 0 };
	int64_t n, bad;
	if (audit_verify(db, &n, &bad, &err) != BW_OK)
		fail_msg("audit chain: %s", err.msg);
	assert_true(n > 0);
}

/* ---- subtree ranges ---- */

static bool in_range(const char *path, const char *lo, const char *hi)
{
	return strcmp(path, lo) >= 0 && strcmp(path, hi) < 0;
}

static void subtree_bounds_cover_descendants(void **state)
{
	(void)state;
	char lo[256], hi[256];
	orgs_subtree_bounds("/1/2/", lo, hi);
	assert_true(in_range("/1/2/", lo, hi));
	assert_true(in_range("/1/2/3/", lo, hi));
	assert_true(in_range("/1/2/999/1/", lo, hi));
	assert_false(in_range("/1/20/", lo, hi));
	assert_false(in_range("/1/20/3/", lo, hi));
	assert_false(in_range("/1/2-/", lo, hi));
	assert_false(in_range("/1/", lo, hi));
	assert_false(in_range("/1/3/", lo, hi));
	assert_false(in_range("/1/1/", lo, hi));
	assert_false(in_range("/2/", lo, hi));
	orgs_subtree_bounds("/", lo, hi);
	assert_true(in_range("/1/", lo, hi));
	assert_true(in_range("/99/7/", lo, hi));

	/* the same ranges in the database */
	struct db *db = fresh_db("bounds");
	build_estate(db);
	expect_path(db, "C02", "/1/2/", 1);
	expect_path(db, "C20", "/1/20/", 1);
	expect_path(db, "G23", "/1/2/22/23/", 22);
	assert_int_equal(orgs_count_subtree(db, "/1/2/"), 3);     /* C02, G22, G23 */
	assert_int_equal(orgs_count_subtree(db, "/1/20/"), 2);    /* C20, G24 */
	assert_int_equal(orgs_count_subtree(db, "/1/2/22/"), 2);
	assert_int_equal(orgs_count_subtree(db, "/1/2/22/23/"), 1);
	assert_int_equal(orgs_count_subtree(db, "/1/"), 24);
	orgs_subtree_bounds("/1/2/", lo, hi);
	struct db_stmt *st = db_prep(db, "SELECT code FROM orgs WHERE path >= ?1 AND path < ?2 ORDER BY path");
	db_bind_text(st, 1, lo);
	db_bind_text(st, 2, hi);
	const char *want[] = { "C02", "G22", "G23" };
	for (size_t i = 0; i < BW_NELEM(want); i++) {
		assert_int_equal(db_step(st), DB_ROW);
		assert_string_equal(db_col_text(st, 0), want[i]);
	}
	assert_int_equal(db_step(st), DB_DONE);
	db_close(db);
}

/* ---- access ---- */

static const enum role all_roles[ROLE_COUNT] = {
	ROLE_ADMIN, ROLE_ANALYST, ROLE_ICS_LEAD, ROLE_ORG_LEAD,
	ROLE_CONTRIBUTOR, ROLE_BOARD, ROLE_STAFF, ROLE_AUDITOR,
};

/* The policy, written out: V view, E edit, U manage users, O manage orgs, A audit. */
static const struct {
	enum role role;
	const char *may;
} policy[] = {
	{ ROLE_ADMIN, "VEUOA" },
	{ ROLE_ANALYST, "VE..A" },
	{ ROLE_ICS_LEAD, "VEU.A" },
	{ ROLE_ORG_LEAD, "VEU.A" },
	{ ROLE_CONTRIBUTOR, "VE..." },
	{ ROLE_BOARD, "V...." },
	{ ROLE_STAFF, "V...." },
	{ ROLE_AUDITOR, "V...A" },
};

static void load_actor(struct db *db, const char *email, struct actor *a)
{
	struct user u;
	struct bw_error err = { 0 };
	if (users_get_by_email(db, email, &u, &err) != BW_OK)
		fail_msg("no user %s: %s", email, err.msg);
	if (orgs_actor_load(db, u.id, a, &err) != BW_OK)
		fail_msg("actor %s: %s", email, err.msg);
}

static void can_every_role_and_action(void **state)
{
	(void)state;
	struct db *db = fresh_db("can");
	build_estate(db);
	struct actor cli;
	orgs_actor_cli(&cli);
	struct bw_error err = { 0 };
	assert_int_equal(BW_NELEM(policy), ROLE_COUNT);
	for (size_t i = 0; i < BW_NELEM(policy); i++) {
		char email[64];
		snprintf(email, sizeof email, "%s@c02.example.nhs.uk", role_name(policy[i].role));
		if (users_add(db, &cli, "C02", email, "Pat Example", policy[i].role, NULL, &err) != BW_OK)
			fail_msg("users_add %s: %s", email, err.msg);
	}
	const struct org_ref own = ref_of(db, "C02"), child = ref_of(db, "G22"), grandchild = ref_of(db, "G23");
	const struct org_ref prefix_twin = ref_of(db, "C20"), sibling = ref_of(db, "C03");
	const struct org_ref parent = ref_of(db, "NAT"), cousin = ref_of(db, "G24");
	const struct org_ref *inside[] = { &own, &child, &grandchild };
	const struct org_ref *outside[] = { &prefix_twin, &sibling, &parent, &cousin };

	for (size_t i = 0; i < BW_NELEM(policy); i++) {
		char email[64];
		snprintf(email, sizeof email, "%s@c02.example.nhs.uk", role_name(policy[i].role));
		struct actor a;
		load_actor(db, email, &a);
		assert_int_equal(a.role, policy[i].role);
		assert_string_equal(a.org_path, "/1/2/");
		for (int act = 0; act < ACT_COUNT; act++) {
			bool want = policy[i].may[act] != '.';
			for (size_t k = 0; k < BW_NELEM(inside); k++)
				if (orgs_can(&a, (enum action)act, inside[k]) != want)
					fail_msg("%s action %d on %s: expected %d", role_name(a.role), act,
						 inside[k]->path, want);
			/* a sibling's or a parent's data is never reachable, whatever the role */
			for (size_t k = 0; k < BW_NELEM(outside); k++)
				if (orgs_can(&a, (enum action)act, outside[k]))
					fail_msg("%s action %d reached %s", role_name(a.role), act, outside[k]->path);
			/* no particular target: the role alone decides */
			assert_int_equal(orgs_can(&a, (enum action)act, NULL), want);
		}
		/* an unknown action is refused */
		assert_false(orgs_can(&a, ACT_COUNT, &own));
	}

	/* an administrator of the national team reaches everything below it */
	assert_int_equal(users_add(db, &cli, "NAT", "root@example.nhs.uk", "Root Admin", ROLE_ADMIN, NULL, &err), BW_OK);
	struct actor nat;
	load_actor(db, "root@example.nhs.uk", &nat);
	for (size_t k = 0; k < BW_NELEM(outside); k++)
		assert_true(orgs_can(&nat, ACT_MANAGE_ORGS, outside[k]));
	/* nobody (no user id) and no role are refused */
	struct actor nobody = nat;
	nobody.user_id = 0;
	assert_false(orgs_can(&nobody, ACT_VIEW, &own));
	struct actor norole = nat;
	norole.role = ROLE_NONE;
	assert_false(orgs_can(&norole, ACT_VIEW, &own));
	assert_false(orgs_can(NULL, ACT_VIEW, &own));
	db_close(db);
}

static void may_grant_rules(void **state)
{
	(void)state;
	/* which roles each role may give (or change the account of) */
	static const struct {
		enum role by;
		unsigned grants;
	} rules[] = {
		{ ROLE_ADMIN, ROLES_ALL },
		{ ROLE_ANALYST, 0 },
		{ ROLE_ICS_LEAD, ROLE_ICS_LEAD | ROLE_ORG_LEAD | ROLE_CONTRIBUTOR | ROLE_BOARD | ROLE_STAFF | ROLE_AUDITOR },
		{ ROLE_ORG_LEAD, ROLE_ORG_LEAD | ROLE_CONTRIBUTOR | ROLE_BOARD | ROLE_STAFF | ROLE_AUDITOR },
		{ ROLE_CONTRIBUTOR, 0 },
		{ ROLE_BOARD, 0 },
		{ ROLE_STAFF, 0 },
		{ ROLE_AUDITOR, 0 },
	};
	assert_int_equal(BW_NELEM(rules), ROLE_COUNT);
	for (size_t i = 0; i < BW_NELEM(rules); i++) {
		struct actor a = { .user_id = 5, .org_id = 2, .role = rules[i].by };
		snprintf(a.org_path, sizeof a.org_path, "/1/2/");
		for (size_t k = 0; k < ROLE_COUNT; k++) {
			bool want = (rules[i].grants & (unsigned)all_roles[k]) != 0;
			if (orgs_may_grant(&a, all_roles[k]) != want)
				fail_msg("%s granting %s: expected %d", role_name(rules[i].by), role_name(all_roles[k]), want);
		}
		assert_false(orgs_may_grant(&a, ROLE_NONE));
	}
	/* names round-trip; an unknown name is no role */
	for (size_t k = 0; k < ROLE_COUNT; k++)
		assert_int_equal(role_parse(role_name(all_roles[k])), all_roles[k]);
	assert_int_equal(role_parse("root"), ROLE_NONE);
	assert_int_equal(role_parse(NULL), ROLE_NONE);
	assert_true(role_requires_mfa(ROLE_ADMIN));
	assert_true(role_requires_mfa(ROLE_ANALYST));
	assert_false(role_requires_mfa(ROLE_ORG_LEAD));
}

/* ---- adding organisations ---- */

static void orgs_add_validation_names_field(void **state)
{
	(void)state;
	struct db *db = fresh_db("add");
	build_estate(db);
	struct actor cli;
	orgs_actor_cli(&cli);
	int64_t orgs_before = count(db, "SELECT count(*) FROM orgs");
	int64_t audit_before = count(db, "SELECT count(*) FROM audit");
	char long_name[LIM_NAME + 2];
	memset(long_name, 'n', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = 0;

	static const char *const null_parent = NULL;
	const struct {
		const char *code, *name, *parent;
		enum bw_err rc;
		const char *field, *msg;
	} cases[] = {
		{ "ab c", "Name", "NAT", BW_EINVAL, "code", "capital letters, digits and hyphens" },
		{ "abc", "Name", "NAT", BW_EINVAL, "code", "capital letters" },
		{ "AB_C", "Name", "NAT", BW_EINVAL, "code", "capital letters" },
		{ "", "Name", "NAT", BW_EINVAL, "code", "Enter the organisation code" },
		{ NULL, "Name", "NAT", BW_EINVAL, "code", "Enter the organisation code" },
		{ "ABCDEFGHIJKLMNOPQ", "Name", "NAT", BW_EINVAL, "code", "16 characters or fewer" },
		{ "C02", "Name", "NAT", BW_ECONFLICT, "code", "C02 already exists" },
		{ "NEW1", "Name", "NOPE", BW_ENOTFOUND, "parent", "NOPE" },
		{ "NEW1", "Name", "no pe", BW_EINVAL, "parent", "capital letters" },
		{ "NEW1", "Name", null_parent, BW_EINVAL, "parent", "Choose the parent organisation" },
		{ "NEW1", "", "NAT", BW_EINVAL, "name", "Enter a name" },
		{ "NEW1", "   ", "NAT", BW_EINVAL, "name", "Enter a name" },
		{ "NEW1", "Bad\x01name", "NAT", BW_EINVAL, "name", "control characters" },
		{ "NEW1", "Bad\xffname", "NAT", BW_EINVAL, "name", "not valid text" },
		{ "NEW1", long_name, "NAT", BW_EINVAL, "name", "200 characters or fewer" },
	};
	for (size_t i = 0; i < BW_NELEM(cases); i++) {
		struct bw_error err = { 0 };
		int64_t id = -1;
		enum bw_err rc = orgs_add(db, &cli, cases[i].code, cases[i].name, ORG_NHS_TRUST, cases[i].parent,
					  false, &id, &err);
		if (rc != cases[i].rc || strcmp(err.field, cases[i].field) != 0 || !strstr(err.msg, cases[i].msg))
			fail_msg("case %zu (%s): got %s field \"%s\" \"%s\"", i, cases[i].code ? cases[i].code : "(null)",
				 bw_err_name(rc), err.field, err.msg);
		assert_int_equal(id, -1);
	}
	/* nothing was added or recorded */
	assert_int_equal(count(db, "SELECT count(*) FROM orgs"), orgs_before);
	assert_int_equal(count(db, "SELECT count(*) FROM audit"), audit_before);

	/* the longest code allowed, under a child: its path extends the parent's */
	struct bw_error err = { 0 };
	int64_t id = 0;
	assert_int_equal(orgs_add(db, &cli, "ABCDEFGHIJKLMNOP", "Longest Code Trust", ORG_NHS_TRUST, "C03", true, &id, &err),
			 BW_OK);
	struct org o;
	assert_int_equal(orgs_get(db, id, &o, &err), BW_OK);
	char want[64];
	snprintf(want, sizeof want, "/1/3/%lld/", (long long)id);
	assert_string_equal(o.path, want);
	assert_int_equal(o.parent_id, 3);
	assert_int_equal(o.type, ORG_NHS_TRUST);
	assert_true(o.synthetic);
	assert_string_equal(o.name, "Longest Code Trust");
	char rec[600];
	last_audit(db, rec, sizeof rec);
	assert_string_equal(rec, "org.add|org:ABCDEFGHIJKLMNOP|Added NHS trust Longest Code Trust (ABCDEFGHIJKLMNOP) under C03");
	expect_chain_intact(db);
	db_close(db);
}

/* ---- re-parenting ---- */

static void orgs_move_rewrites_subtree(void **state)
{
	(void)state;
	struct db *db = fresh_db("move");
	build_estate(db);
	struct bw_error err = { 0 };
	struct actor cli;
	orgs_actor_cli(&cli);
	assert_int_equal(users_add(db, &cli, "NAT", "mover@example.nhs.uk", "Mo Ver", ROLE_ADMIN, NULL, &err), BW_OK);
	struct actor by;
	load_actor(db, "mover@example.nhs.uk", &by);
	assert_int_equal(users_add(db, &cli, "C03", "lead@c03.example.nhs.uk", "C Lead", ROLE_ICS_LEAD, NULL, &err), BW_OK);
	struct actor c03_lead;
	load_actor(db, "lead@c03.example.nhs.uk", &c03_lead);
	struct org_ref g23 = ref_of(db, "G23");
	assert_false(orgs_can(&c03_lead, ACT_VIEW, &g23));

	/* C02 and its descendants go under C03 */
	if (orgs_move(db, &by, "C02", "C03", "ICB merge", &err) != BW_OK)
		fail_msg("move: %s", err.msg);
	expect_path(db, "C02", "/1/3/2/", 3);
	expect_path(db, "G22", "/1/3/2/22/", 2);
	expect_path(db, "G23", "/1/3/2/22/23/", 22);
	/* the organisation whose path shares the prefix "/1/2" is untouched */
	expect_path(db, "C20", "/1/20/", 1);
	expect_path(db, "G24", "/1/20/24/", 20);
	expect_path(db, "C03", "/1/3/", 1);
	assert_int_equal(orgs_count_subtree(db, "/1/3/"), 4);
	assert_int_equal(orgs_count_subtree(db, "/1/2/"), 0);
	/* the new parent's lead now reaches the moved practice */
	g23 = ref_of(db, "G23");
	assert_true(orgs_can(&c03_lead, ACT_VIEW, &g23));

	/* recorded in org_history and the audit trail */
	struct db_stmt *st = db_prep(db, "SELECT org_id, old_parent_id, new_parent_id, reason, actor_id FROM org_history");
	assert_int_equal(db_step(st), DB_ROW);
	assert_int_equal(db_col_i64(st, 0), 2);
	assert_int_equal(db_col_i64(st, 1), 1);
	assert_int_equal(db_col_i64(st, 2), 3);
	assert_string_equal(db_col_text(st, 3), "ICB merge");
	assert_int_equal(db_col_i64(st, 4), by.user_id);
	assert_int_equal(db_step(st), DB_DONE);
	char rec[600];
	last_audit(db, rec, sizeof rec);
	assert_string_equal(rec, "org.move|org:C02|Moved C02 from NAT to C03: ICB merge");
	st = db_prep(db, "SELECT actor, actor_id, org_id FROM audit ORDER BY id DESC");
	assert_int_equal(db_step(st), DB_ROW);
	assert_string_equal(db_col_text(st, 0), "mover@example.nhs.uk");
	assert_int_equal(db_col_i64(st, 1), by.user_id);
	assert_int_equal(db_col_i64(st, 2), 2);
	db_reset(st);
	expect_chain_intact(db);

	/* a user's actor follows their organisation's new path */
	assert_int_equal(users_add(db, &cli, "G22", "trust@g22.example.nhs.uk", "T Rust", ROLE_STAFF, NULL, &err), BW_OK);
	struct actor t;
	load_actor(db, "trust@g22.example.nhs.uk", &t);
	assert_string_equal(t.org_path, "/1/3/2/22/");

	/* and back again: a second move, a second history row */
	assert_int_equal(orgs_move(db, &by, "G22", "C20", NULL, &err), BW_OK);
	expect_path(db, "G22", "/1/20/22/", 20);
	expect_path(db, "G23", "/1/20/22/23/", 22);
	expect_path(db, "C02", "/1/3/2/", 3);
	assert_int_equal(count(db, "SELECT count(*) FROM org_history"), 2);
	last_audit(db, rec, sizeof rec);
	assert_string_equal(rec, "org.move|org:G22|Moved G22 from C02 to C20");
	expect_chain_intact(db);
	db_close(db);
}

static void orgs_move_refusals_change_nothing(void **state)
{
	(void)state;
	struct db *db = fresh_db("moveno");
	build_estate(db);
	struct actor cli;
	orgs_actor_cli(&cli);
	struct buf before, after;
	buf_init(&before);
	buf_init(&after);
	snapshot(db, &before);
	int64_t audit_before = count(db, "SELECT count(*) FROM audit");

	const struct {
		const char *code, *parent;
		enum bw_err rc;
		const char *field, *msg;
	} cases[] = {
		{ "C02", "C02", BW_EINVAL, "parent", "under itself" },
		{ "C02", "G22", BW_EINVAL, "parent", "under itself" },
		{ "C02", "G23", BW_EINVAL, "parent", "under itself" },
		{ "NAT", "C05", BW_EINVAL, "parent", "under itself" },
		{ "C02", "NOPE", BW_ENOTFOUND, "parent", "NOPE" },
		{ "NOPE", "C03", BW_ENOTFOUND, "code", "NOPE" },
	};
	for (size_t i = 0; i < BW_NELEM(cases); i++) {
		struct bw_error err = { 0 };
		enum bw_err rc = orgs_move(db, &cli, cases[i].code, cases[i].parent, "test", &err);
		if (rc != cases[i].rc || strcmp(err.field, cases[i].field) != 0 || !strstr(err.msg, cases[i].msg))
			fail_msg("move %s under %s: got %s field \"%s\" \"%s\"", cases[i].code, cases[i].parent,
				 bw_err_name(rc), err.field, err.msg);
	}
	/* the prefix twin is not a descendant: C02 may go under C20 (checked below) */

	/* a move that fails after rewriting paths (here: the audit append)
	 * is rolled back whole */
	exec_ok(db, "DELETE FROM audit_head");
	struct bw_error err = { 0 };
	assert_int_equal(orgs_move(db, &cli, "C02", "C20", "doomed", &err), BW_EDB);
	assert_non_null(strstr(err.msg, "audit head"));
	snapshot(db, &after);
	assert_string_equal(buf_cstr(&after), buf_cstr(&before));
	assert_int_equal(count(db, "SELECT count(*) FROM org_history"), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM audit"), audit_before);

	/* with the head back, the same move goes through */
	struct db_stmt *st = db_prep(db, "SELECT id, hash FROM audit ORDER BY id DESC");
	assert_int_equal(db_step(st), DB_ROW);
	int64_t seq = db_col_i64(st, 0);
	char hash[65];
	snprintf(hash, sizeof hash, "%s", db_col_text(st, 1));
	db_reset(st);
	st = db_prep(db, "INSERT INTO audit_head (one, seq, hash) VALUES (1, ?1, ?2)");
	db_bind_i64(st, 1, seq);
	db_bind_text(st, 2, hash);
	assert_int_equal(db_step(st), DB_DONE);
	assert_int_equal(orgs_move(db, &cli, "C02", "C20", "merge", &err), BW_OK);
	expect_path(db, "C02", "/1/20/2/", 20);
	expect_path(db, "G23", "/1/20/2/22/23/", 22);
	expect_path(db, "G24", "/1/20/24/", 20);
	assert_int_equal(orgs_count_subtree(db, "/1/20/"), 5);
	expect_chain_intact(db);
	buf_free(&before);
	buf_free(&after);
	db_close(db);
}

/* ---- users ---- */

static void users_add_checks_email(void **state)
{
	(void)state;
	struct db *db = fresh_db("users");
	build_estate(db);
	struct actor cli;
	orgs_actor_cli(&cli);
	struct bw_error err = { 0 };
	int64_t id = 0;
	assert_int_equal(users_add(db, &cli, "C02", "Ann.Lead@Example.NHS.uk", "Ann Lead", ROLE_ORG_LEAD, &id, &err), BW_OK);
	assert_true(id > 0);
	struct user u;
	assert_int_equal(users_get(db, id, &u, &err), BW_OK);
	assert_string_equal(u.email, "ann.lead@example.nhs.uk");   /* stored lower-case */
	assert_string_equal(u.org_code, "C02");
	assert_string_equal(u.org_path, "/1/2/");
	assert_int_equal(u.role, ROLE_ORG_LEAD);
	assert_false(u.disabled);
	assert_int_equal(users_get_by_email(db, "ANN.LEAD@example.nhs.UK", &u, &err), BW_OK);
	assert_int_equal(u.id, id);
	char rec[600];
	last_audit(db, rec, sizeof rec);
	char want[200];
	snprintf(want, sizeof want, "user.add|user:%lld|Added user Ann Lead (ann.lead@example.nhs.uk) as Organisation lead in C02",
		 (long long)id);
	assert_string_equal(rec, want);

	int64_t users_before = count(db, "SELECT count(*) FROM users");
	int64_t audit_before = count(db, "SELECT count(*) FROM audit");
	char long_email[LIM_EMAIL + 2];
	memset(long_email, 'a', sizeof long_email - 1);
	long_email[sizeof long_email - 1] = 0;
	memcpy(long_email + LIM_EMAIL + 1 - 15, "@example.nhs.uk", 15);   /* 255 characters */
	const struct {
		const char *org, *email, *name;
		enum role role;
		enum bw_err rc;
		const char *field, *msg;
	} cases[] = {
		{ "C02", "ann.lead@example.nhs.uk", "Ann Again", ROLE_STAFF, BW_ECONFLICT, "email", "already exists" },
		{ "C03", "ANN.LEAD@EXAMPLE.NHS.UK", "Ann Again", ROLE_STAFF, BW_ECONFLICT, "email", "already exists" },
		{ "C02", "", "N", ROLE_STAFF, BW_EINVAL, "email", "Enter an email address" },
		{ "C02", NULL, "N", ROLE_STAFF, BW_EINVAL, "email", "Enter an email address" },
		{ "C02", "no-at-sign", "N", ROLE_STAFF, BW_EINVAL, "email", "correct format" },
		{ "C02", "@example.nhs.uk", "N", ROLE_STAFF, BW_EINVAL, "email", "correct format" },
		{ "C02", "a@b@example.nhs.uk", "N", ROLE_STAFF, BW_EINVAL, "email", "correct format" },
		{ "C02", "a@localhost", "N", ROLE_STAFF, BW_EINVAL, "email", "correct format" },
		{ "C02", "a@.example.uk", "N", ROLE_STAFF, BW_EINVAL, "email", "correct format" },
		{ "C02", "a@example.uk.", "N", ROLE_STAFF, BW_EINVAL, "email", "correct format" },
		{ "C02", "a b@example.uk", "N", ROLE_STAFF, BW_EINVAL, "email", "not allowed" },
		{ "C02", "a<b>@example.uk", "N", ROLE_STAFF, BW_EINVAL, "email", "not allowed" },
		{ "C02", "\xc3\xa9@example.uk", "N", ROLE_STAFF, BW_EINVAL, "email", "not allowed" },
		{ "C02", "a\n@example.uk", "N", ROLE_STAFF, BW_EINVAL, "email", "not allowed" },
		{ "C02", long_email, "N", ROLE_STAFF, BW_EINVAL, "email", "254 characters or fewer" },
		{ "C02", "ok@example.nhs.uk", "", ROLE_STAFF, BW_EINVAL, "name", "Enter a name" },
		{ "C02", "ok@example.nhs.uk", "Tab\there", ROLE_STAFF, BW_EINVAL, "name", "control characters" },
		{ "C02", "ok@example.nhs.uk", "Ok Name", ROLE_NONE, BW_EINVAL, "role", "Choose a role" },
		{ "NOPE", "ok@example.nhs.uk", "Ok Name", ROLE_STAFF, BW_ENOTFOUND, "org", "NOPE" },
	};
	for (size_t i = 0; i < BW_NELEM(cases); i++) {
		bw_error_clear(&err);
		int64_t nid = -1;
		enum bw_err rc = users_add(db, &cli, cases[i].org, cases[i].email, cases[i].name, cases[i].role, &nid, &err);
		if (rc != cases[i].rc || strcmp(err.field, cases[i].field) != 0 || !strstr(err.msg, cases[i].msg))
			fail_msg("case %zu (%s): got %s field \"%s\" \"%s\"", i, cases[i].email ? cases[i].email : "(null)",
				 bw_err_name(rc), err.field, err.msg);
		assert_int_equal(nid, -1);
	}
	assert_int_equal(count(db, "SELECT count(*) FROM users"), users_before);
	assert_int_equal(count(db, "SELECT count(*) FROM audit"), audit_before);
	/* the longest address allowed is accepted */
	memmove(long_email, long_email + 1, LIM_EMAIL + 1);
	assert_int_equal(strlen(long_email), LIM_EMAIL);
	assert_int_equal(users_add(db, &cli, "C02", long_email, "Long Address", ROLE_STAFF, NULL, &err), BW_OK);
	expect_chain_intact(db);
	db_close(db);
}

static void actor_load_refuses_disabled(void **state)
{
	(void)state;
	struct db *db = fresh_db("actor");
	build_estate(db);
	struct actor cli;
	orgs_actor_cli(&cli);
	struct bw_error err = { 0 };
	int64_t id = 0;
	assert_int_equal(users_add(db, &cli, "G22", "sam@g22.example.nhs.uk", "Sam Staff", ROLE_STAFF, &id, &err), BW_OK);
	struct actor a;
	assert_int_equal(orgs_actor_load(db, id, &a, &err), BW_OK);
	assert_int_equal(a.user_id, id);
	assert_int_equal(a.org_id, 22);
	assert_int_equal(a.role, ROLE_STAFF);
	assert_string_equal(a.email, "sam@g22.example.nhs.uk");
	assert_string_equal(a.name, "Sam Staff");
	assert_string_equal(a.org_code, "G22");
	assert_string_equal(a.org_name, "Organisation G22");
	assert_string_equal(a.org_path, "/1/2/22/");

	assert_int_equal(users_set_disabled(db, &cli, id, true, &err), BW_OK);
	char rec[600];
	last_audit(db, rec, sizeof rec);
	char want[200];
	snprintf(want, sizeof want, "user.disable|user:%lld|Disabled user sam@g22.example.nhs.uk", (long long)id);
	assert_string_equal(rec, want);
	bw_error_clear(&err);
	assert_int_equal(orgs_actor_load(db, id, &a, &err), BW_EAUTH);
	assert_non_null(strstr(err.msg, "disabled"));
	struct user u;
	assert_int_equal(users_get(db, id, &u, &err), BW_OK);
	assert_true(u.disabled);

	assert_int_equal(users_set_disabled(db, &cli, id, false, &err), BW_OK);
	assert_int_equal(orgs_actor_load(db, id, &a, &err), BW_OK);

	/* a role change shows in the next actor */
	assert_int_equal(users_set_role(db, &cli, id, ROLE_CONTRIBUTOR, &err), BW_OK);
	assert_int_equal(orgs_actor_load(db, id, &a, &err), BW_OK);
	assert_int_equal(a.role, ROLE_CONTRIBUTOR);
	last_audit(db, rec, sizeof rec);
	snprintf(want, sizeof want, "user.role|user:%lld|Changed role of sam@g22.example.nhs.uk from Staff to Contributor",
		 (long long)id);
	assert_string_equal(rec, want);
	bw_error_clear(&err);
	assert_int_equal(users_set_role(db, &cli, id, ROLE_NONE, &err), BW_EINVAL);
	assert_string_equal(err.field, "role");
	assert_int_equal(users_set_role(db, &cli, 9999, ROLE_STAFF, &err), BW_ENOTFOUND);

	/* no such user */
	assert_int_equal(orgs_actor_load(db, 9999, &a, &err), BW_EAUTH);
	expect_chain_intact(db);
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(subtree_bounds_cover_descendants),
		cmocka_unit_test(can_every_role_and_action),
		cmocka_unit_test(may_grant_rules),
		cmocka_unit_test(orgs_add_validation_names_field),
		cmocka_unit_test(orgs_move_rewrites_subtree),
		cmocka_unit_test(orgs_move_refusals_change_nothing),
		cmocka_unit_test(users_add_checks_email),
		cmocka_unit_test(actor_load_refuses_disabled),
	};
	return cmocka_run_group_tests_name(pg_url() ? "orgs (postgres)" : "orgs (sqlite)", tests,
					   group_setup, group_teardown);
}
