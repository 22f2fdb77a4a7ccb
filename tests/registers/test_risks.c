/*
 * Unit tests for the risk register (src/registers/risks.c, heatmap.c): the
 * 5 x 5 scales and bands, the form checks between fields, the heat map's
 * accessible SVG and table, and on a database: raising, rescoring (history
 * kept), accepting (who and until, leads only), actions, deleting, the audit
 * trail, and the demo seed (3 to 6 risks per provider, some overdue). The
 * backend comes from BULWARK_TEST_DB as in the other database tests.
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

#include "registers/suppliers_risks.h"

static struct db *fresh_db(const char *name)
{
	char schema[128];
	snprintf(schema, sizeof schema, "tr_%s", name);
	const struct db_migration *const sets[] = { orgs_migrations, audit_migrations, suppliers_migrations,
						    risks_migrations, NULL };
	return testdb_fresh(schema, sets);
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

static struct actor actor_at(struct db *db, const char *code, enum role role, int64_t uid)
{
	struct org o;
	assert_int_equal(orgs_get_by_code(db, code, &o, NULL), BW_OK);
	struct actor a = { .user_id = uid, .org_id = o.id, .role = role };
	snprintf(a.email, sizeof a.email, "person%lld@%s.example", (long long)uid, code);
	snprintf(a.name, sizeof a.name, "Person %lld", (long long)uid);
	snprintf(a.org_code, sizeof a.org_code, "%s", code);
	snprintf(a.org_path, sizeof a.org_path, "%s", o.path);
	return a;
}

static int64_t count(struct db *db, const char *sql)
{
	int64_t v = db_query_i64(db, sql, -1);
	if (v < 0)
		fail_msg("%s: %s", sql, db_errmsg(db));
	return v;
}

static void scales_and_bands(void **state)
{
	(void)state;
	assert_string_equal(sr_likelihood_label(1), "Rare");
	assert_string_equal(sr_likelihood_label(5), "Almost certain");
	assert_string_equal(sr_impact_label(5), "Catastrophic");
	assert_string_equal(sr_impact_label(0), "Not set");
	assert_int_equal(sr_band_of(3), SR_BAND_LOW);
	assert_int_equal(sr_band_of(4), SR_BAND_MODERATE);
	assert_int_equal(sr_band_of(6), SR_BAND_MODERATE);
	assert_int_equal(sr_band_of(8), SR_BAND_HIGH);
	assert_int_equal(sr_band_of(12), SR_BAND_HIGH);
	assert_int_equal(sr_band_of(15), SR_BAND_EXTREME);
	assert_int_equal(sr_band_of(25), SR_BAND_EXTREME);
	assert_string_equal(sr_band_label(SR_BAND_EXTREME), "Extreme");
	assert_string_equal(sr_category_label("legacy_system"), "Legacy or unsupported system");
	assert_true(sr_may_accept(ROLE_ORG_LEAD));
	assert_false(sr_may_accept(ROLE_CONTRIBUTOR));
	assert_false(sr_may_accept(ROLE_BOARD));
}

static const char *good_risk[RK_NFIELDS] = {
	[RK_TITLE] = "Unsupported server runs the pathology interface", [RK_DESC] = "It gets no updates",
	[RK_CATEGORY] = "legacy_system", [RK_OWNER] = "Head of IT", [RK_L] = "4", [RK_I] = "5", [RK_RL] = "3",
	[RK_RI] = "4", [RK_TREATMENT] = "mitigate", [RK_REVIEW] = "31/3/2027", [RK_STATUS] = "open",
};

static void checks_between_fields(void **state)
{
	(void)state;
	const char *v[RK_NFIELDS];
	memcpy(v, good_risk, sizeof v);
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	assert_int_equal(sr_risk_validate(v, false, &errs), BW_OK);
	v[RK_RL] = "5";
	v[RK_RI] = "5";
	v[RK_TREATMENT] = "accept";
	v[RK_L] = "7";
	v[RK_REVIEW] = "next week";
	web_form_errors_init(&errs);
	assert_int_equal(sr_risk_validate(v, false, &errs), BW_EINVAL);
	assert_non_null(web_form_error_for(&errs, "likelihood"));
	assert_non_null(web_form_error_for(&errs, "review_date"));
	assert_non_null(strstr(web_form_error_for(&errs, "treatment"), "Accept this risk"));
	v[RK_L] = "4";
	v[RK_REVIEW] = "31/3/2027";
	web_form_errors_init(&errs);
	assert_int_equal(sr_risk_validate(v, true, &errs), BW_EINVAL);   /* accepted already: treatment fine */
	assert_null(web_form_error_for(&errs, "treatment"));
	assert_non_null(strstr(web_form_error_for(&errs, "residual_likelihood"), "cannot be higher"));

	const char *acc[2] = { "1/1/2020", NULL };
	web_form_errors_init(&errs);
	assert_int_equal(sr_accept_validate(acc, "2026-11-29", &errs), BW_EINVAL);
	assert_string_equal(web_form_error_for(&errs, "accepted_until"), "Accepted until must be a date in the future");
	acc[0] = "1/1/2031";
	web_form_errors_init(&errs);
	assert_int_equal(sr_accept_validate(acc, "2026-11-29", &errs), BW_EINVAL);
	assert_non_null(strstr(web_form_error_for(&errs, "accepted_until"), "3 years"));
	acc[0] = "1/6/2027";
	web_form_errors_init(&errs);
	assert_int_equal(sr_accept_validate(acc, "2026-11-29", &errs), BW_OK);
}

static void heatmap_is_accessible(void **state)
{
	(void)state;
	int64_t inh[5][5] = { 0 }, res[5][5] = { 0 };
	inh[3][4] = 7;   /* likelihood 4, impact 5 */
	res[2][3] = 7;
	struct buf b;
	buf_init(&b);
	sr_heatmap_svg(&b, "hm", "Risks before controls", inh);
	const char *s = buf_cstr(&b);
	assert_non_null(strstr(s, "role=\"img\""));
	assert_non_null(strstr(s, "aria-labelledby=\"hm-title hm-desc\""));
	assert_non_null(strstr(s, "<title id=\"hm-title\">Risks before controls</title>"));
	assert_non_null(strstr(s, "7 risks placed"));
	assert_non_null(strstr(s, ">7</text>"));
	assert_null(strstr(s, "style="));   /* the CSP forbids inline style */
	/* 25 squares */
	size_t rects = 0;
	for (const char *p = s; (p = strstr(p, "<rect")); p++)
		rects++;
	assert_int_equal(rects, 25);
	buf_reset(&b);
	sr_heatmap_table(&b, "Open risks", inh, res);
	s = buf_cstr(&b);
	assert_non_null(strstr(s, "7 before controls, 0 now (Extreme)"));
	assert_non_null(strstr(s, "0 before controls, 7 now (High)"));
	assert_non_null(strstr(s, "<caption"));
	buf_free(&b);
}

static void raise_rescore_accept_delete(void **state)
{
	(void)state;
	struct db *db = fresh_db("life");
	add_org(db, "NAT", ORG_NATIONAL, NULL);
	add_org(db, "ICA", ORG_ICS, "NAT");
	add_org(db, "TA", ORG_NHS_TRUST, "ICA");
	struct actor lead = actor_at(db, "TA", ROLE_ORG_LEAD, 7), contrib = actor_at(db, "TA", ROLE_CONTRIBUTOR, 8);
	struct bw_error err = { 0 };
	int64_t id = 0;
	assert_int_equal(sr_risk_save(db, &contrib, contrib.org_id, 0, good_risk, &id, &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM risk_history WHERE note = 'Raised'"), 1);
	struct arena a;
	arena_init(&a);
	struct sr_risk r;
	assert_int_equal(sr_risk_get(db, &a, id, &r), BW_OK);
	assert_int_equal(r.l * r.i, 20);
	assert_string_equal(r.v[RK_REVIEW], "2027-03-31");

	/* a change of wording only: no history row; a change of score: one */
	const char *v[RK_NFIELDS];
	memcpy(v, good_risk, sizeof v);
	v[RK_OWNER] = "Chief Information Officer";
	assert_int_equal(sr_risk_save(db, &contrib, contrib.org_id, id, v, NULL, &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM risk_history"), 1);
	v[RK_RL] = "2";
	assert_int_equal(sr_risk_save(db, &contrib, contrib.org_id, id, v, NULL, &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM risk_history"), 2);
	assert_int_equal(count(db, "SELECT residual_likelihood * residual_impact FROM risk_history ORDER BY id DESC LIMIT 1"), 8);
	assert_int_equal(count(db, "SELECT count(*) FROM audit WHERE action = 'risk.update' AND summary LIKE '%now 12 -> 8%'"), 1);

	/* accepting: leads only, recorded with who and until */
	assert_int_equal(sr_risk_accept(db, &contrib, id, "2027-06-01", "", &err), BW_EFORBIDDEN);
	assert_int_equal(count(db, "SELECT count(*) FROM risks WHERE treatment = 'accept'"), 0);
	assert_int_equal(sr_risk_accept(db, &lead, id, "1/6/2027", "Replacement server arrives in May", &err), BW_OK);
	arena_free(&a);
	arena_init(&a);
	assert_int_equal(sr_risk_get(db, &a, id, &r), BW_OK);
	assert_string_equal(r.v[RK_TREATMENT], "accept");
	assert_string_equal(r.accepted_by, "Person 7 (person7@TA.example)");
	assert_string_equal(r.accepted_until, "2027-06-01");
	assert_true(r.accepted_at > 0);
	assert_int_equal(count(db, "SELECT count(*) FROM audit WHERE action = 'risk.accept' AND actor_id = 7"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM risk_history WHERE note LIKE 'Accepted until 1 Jun 2027: Replacement%'"), 1);
	/* moving away from "accept" ends the acceptance */
	assert_int_equal(sr_risk_save(db, &contrib, contrib.org_id, id, v, NULL, &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM risks WHERE accepted_until IS NULL AND treatment = 'mitigate'"), 1);

	/* actions */
	const char *act[AC_NFIELDS] = { "Move the interface engine", "Infrastructure manager", "1/2/2027" };
	int64_t aid = 0;
	assert_int_equal(sr_action_add(db, &contrib, id, act, &aid, &err), BW_OK);
	assert_int_equal(sr_action_done(db, &contrib, id + 1, aid, &err), BW_ENOTFOUND);   /* wrong risk */
	assert_int_equal(sr_action_done(db, &contrib, id, aid, &err), BW_OK);
	assert_int_equal(sr_action_done(db, &contrib, id, aid, &err), BW_ENOTFOUND);       /* done already */
	assert_int_equal(count(db, "SELECT count(*) FROM risk_actions WHERE done_on IS NOT NULL"), 1);

	/* links: systems or suppliers only */
	assert_int_equal(sr_risk_link(db, &contrib, id, "system", 42, true, &err), BW_OK);
	assert_int_equal(sr_risk_link(db, &contrib, id, "printer", 42, true, &err), BW_EINVAL);
	assert_int_equal(count(db, "SELECT count(*) FROM risk_links"), 1);

	/* deleting takes the risk's rows with it, and is audited */
	assert_int_equal(sr_risk_delete(db, &lead, id, &err), BW_OK);
	assert_int_equal(count(db, "SELECT count(*) FROM risks"), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM risk_actions") + count(db, "SELECT count(*) FROM risk_links") +
				 count(db, "SELECT count(*) FROM risk_history"),
			 0);
	assert_int_equal(count(db, "SELECT count(*) FROM audit WHERE action = 'risk.delete'"), 1);
	assert_int_equal(sr_risk_delete(db, &lead, id, &err), BW_ENOTFOUND);
	int64_t n = 0, bad = 0;
	assert_int_equal(audit_verify(db, &n, &bad, &err), BW_OK);
	arena_free(&a);
	db_close(db);
}

static void demo_seed_per_provider(void **state)
{
	(void)state;
	struct db *db = fresh_db("seed");
	add_org(db, "NAT", ORG_NATIONAL, NULL);
	add_org(db, "ICA", ORG_ICS, "NAT");
	add_org(db, "TA", ORG_NHS_TRUST, "ICA");
	add_org(db, "GA", ORG_GP_PRACTICE, "ICA");
	add_org(db, "PA", ORG_PHARMACY, "ICA");
	add_org(db, "CA", ORG_CARE_PROVIDER, "ICA");
	add_org(db, "DA", ORG_DENTAL_PRACTICE, "ICA");
	struct bw_error err = { 0 };
	assert_int_equal(suppliers_demo_seed(db, false, NULL, &err), BW_OK);
	assert_int_equal(risks_demo_seed(db, false, NULL, &err), BW_OK);
	struct db_stmt *st = db_prep(db, "SELECT o.code, count(r.id) FROM orgs o LEFT JOIN risks r ON r.org_id = o.id"
					 " WHERE o.type <> 'national' GROUP BY o.code ORDER BY o.code");
	int orgs = 0;
	while (db_step(st) == DB_ROW) {
		orgs++;
		int64_t k = db_col_i64(st, 1);
		if (k < 3 || k > 6)
			fail_msg("%s has %lld risks", db_col_text(st, 0), (long long)k);
	}
	assert_int_equal(orgs, 6);
	assert_true(count(db, "SELECT count(*) FROM risk_actions") == count(db, "SELECT count(*) FROM risks"));
	assert_true(count(db, "SELECT count(*) FROM risk_history") == count(db, "SELECT count(*) FROM risks"));
	/* some reviews and actions overdue, some accepted, supplier risks linked */
	char today[11];
	sr_today(today);
	st = db_prep(db, "SELECT (SELECT count(*) FROM risks WHERE review_date < ?1),"
			 " (SELECT count(*) FROM risk_actions WHERE due_date < ?1),"
			 " (SELECT count(*) FROM risks WHERE treatment = 'accept' AND accepted_until > ?1),"
			 " (SELECT count(*) FROM risk_links WHERE kind = 'supplier')");
	db_bind_text(st, 1, today);
	assert_int_equal(db_step(st), DB_ROW);
	assert_true(db_col_i64(st, 0) > 0);
	assert_true(db_col_i64(st, 1) > 0);
	assert_true(db_col_i64(st, 2) > 0);
	assert_true(db_col_i64(st, 3) > 0);
	db_reset(st);
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scales_and_bands),
		cmocka_unit_test(checks_between_fields),
		cmocka_unit_test(heatmap_is_accessible),
		cmocka_unit_test(raise_rescore_accept_delete),
		cmocka_unit_test(demo_seed_per_provider),
	};
	return cmocka_run_group_tests_name(testdb_pg_url() ? "risks (postgres)" : "risks (sqlite)", tests, testdb_group_setup,
					   testdb_group_teardown);
}
