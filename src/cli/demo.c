/*
 * demo: `bulwark demo` seeds a deterministic estate from the NHS ODS data
 * (see src/ods/ods.h) with people in it. Every demo user gets the password
 * from --password-file, or one random password printed once; it is hashed
 * once and reused, so the national scale (~300,000 users) takes minutes.
 * E-mail pattern: <role>@<org code, lower case>.demo.bulwark.example
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ods/ods.h"
#include "alerts/alerts.h"
#include "alerts/outbox.h"
#include "registers/registers.h"
#include "findings/findings.h"
#include "exposures/exposures.h"
#include "feeds/feeds.h"

static enum org_type map_type(enum ods_type t)
{
	switch (t) {
	case ODS_NATIONAL: return ORG_NATIONAL;
	case ODS_REGION: return ORG_REGION;
	case ODS_ICB: return ORG_ICS;
	case ODS_NHS_TRUST: return ORG_NHS_TRUST;
	case ODS_GP_PRACTICE: return ORG_GP_PRACTICE;
	case ODS_PHARMACY: return ORG_PHARMACY;
	case ODS_CARE_PROVIDER: return ORG_CARE_PROVIDER;
	case ODS_DENTAL_PRACTICE: return ORG_DENTAL_PRACTICE;
	case ODS_SUPPLIER: return ORG_SUPPLIER;
	default: return ORG_OTHER;
	}
}

/* Which roles each kind of organisation gets in the demo. */
static const enum role national_roles[] = { ROLE_ADMIN, ROLE_ANALYST, ROLE_AUDITOR };
static const enum role ics_roles[] = { ROLE_ICS_LEAD, ROLE_BOARD };
static const enum role org_roles[] = { ROLE_ORG_LEAD, ROLE_CONTRIBUTOR, ROLE_BOARD, ROLE_STAFF, ROLE_AUDITOR };

struct seed {
	const struct ods_estate *e;
	const char *hash;
	bool national;
	int64_t *ids;
	char (*paths)[256];
	int64_t users;
};

/* A made-up person for each demo account, the same on every run. */
static void person_name(const char *code, enum role r, char *out, size_t n)
{
	static const char *const first[] = { "Aisha", "Ben", "Chloe", "Daniel", "Emma", "Farah", "George",
					     "Hannah", "Imran", "Jess", "Kwame", "Laura", "Mohammed", "Niamh",
					     "Owen", "Priya", "Rhys", "Sophie", "Tom", "Yusuf" };
	static const char *const last[] = { "Ahmed", "Brown", "Campbell", "Davies", "Evans", "Fisher", "Green",
					    "Hughes", "Iqbal", "Jones", "Khan", "Lewis", "Morgan", "Nowak",
					    "O'Brien", "Patel", "Roberts", "Singh", "Taylor", "Wilson" };
	uint64_t h = 1469598103934665603ull;
	for (const char *p = code; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h = (h ^ (uint64_t)r) * 1099511628211ull;
	snprintf(out, n, "%s %s", first[h % BW_NELEM(first)], last[(h >> 16) % BW_NELEM(last)]);
}

static void demo_email(char *out, size_t n, enum role r, const char *code)
{
	char lc[LIM_ORG_CODE + 1];
	size_t i = 0;
	for (; code[i] && i < LIM_ORG_CODE; i++)
		lc[i] = (char)tolower((unsigned char)code[i]);
	lc[i] = 0;
	snprintf(out, n, "%s@%s.demo.bulwark.example", role_name(r), lc);
}

static enum bw_err add_user(struct db *db, struct seed *s, int64_t org_id, const char *code,
			    const char *org_name, enum role r, struct bw_error *err)
{
	char email[LIM_EMAIL + 1], name[LIM_NAME + 1];
	demo_email(email, sizeof email, r, code);
	(void)org_name;
	person_name(code, r, name, sizeof name);
	struct db_stmt *st = db_prep(db, "INSERT INTO users (org_id, email, name, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5)"
					 " RETURNING id");
	db_bind_i64(st, 1, org_id);
	db_bind_text(st, 2, email);
	db_bind_text(st, 3, name);
	db_bind_text(st, 4, role_name(r));
	db_bind_i64(st, 5, bw_now());
	if (db_step(st) != DB_ROW)
		return bw_fail(err, BW_EDB, NULL, "adding %s: %s", email, db_errmsg(db));
	int64_t id = db_col_i64(st, 0);
	db_reset(st);
	s->users++;
	return auth_password_set_hash(db, id, s->hash, err);
}

static enum bw_err seed_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct seed *s = arg;
	const struct ods_estate *e = s->e;
	int64_t now = bw_now();
	s->users = 0;
	for (size_t i = 0; i < e->n; i++) {
		const struct ods_org *o = &e->orgs[i];
		struct db_stmt *st = db_prep(db, "INSERT INTO orgs (code, name, type, parent_id, path, synthetic, postcode, created_at)"
						 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id");
		if (!st)
			return bw_fail(err, BW_EDB, NULL, "%s", db_errmsg(db));
		char tmp[64];
		snprintf(tmp, sizeof tmp, "#new:%s", o->code);
		db_bind_text(st, 1, o->code);
		char name[LIM_NAME + 1];
		ods_name_display(o->name, name, sizeof name);
		db_bind_text(st, 2, name);
		db_bind_text(st, 3, org_type_name(map_type(o->type)));
		bool root = o->parent == SIZE_MAX;
		if (root)
			db_bind_null(st, 4);
		else
			db_bind_i64(st, 4, s->ids[o->parent]);
		db_bind_text(st, 5, tmp);
		db_bind_i64(st, 6, o->synthetic);
		if (o->postcode[0])
			db_bind_text(st, 7, o->postcode);
		else
			db_bind_null(st, 7);
		db_bind_i64(st, 8, now);
		if (db_step(st) != DB_ROW)
			return bw_fail(err, BW_EDB, NULL, "adding %s: %s", o->code, db_errmsg(db));
		s->ids[i] = db_col_i64(st, 0);
		db_reset(st);
		snprintf(s->paths[i], 256, "%s%lld/", root ? "/" : s->paths[o->parent], (long long)s->ids[i]);
		st = db_prep(db, "UPDATE orgs SET path = ?1 WHERE id = ?2");
		db_bind_text(st, 1, s->paths[i]);
		db_bind_i64(st, 2, s->ids[i]);
		if (db_step(st) != DB_DONE)
			return bw_fail(err, BW_EDB, NULL, "%s", db_errmsg(db));

		const enum role *roles = org_roles;
		size_t nroles = BW_NELEM(org_roles);
		if (o->type == ODS_NATIONAL)
			roles = national_roles, nroles = BW_NELEM(national_roles);
		else if (o->type == ODS_ICB)
			roles = ics_roles, nroles = BW_NELEM(ics_roles);
		else if (o->type == ODS_REGION || o->type == ODS_SUPPLIER)
			nroles = 0;
		/* the small estate has no organisation-level auditors; the national one has
		 * five people per organisation (~300,000 users) for load tests */
		if (!s->national && roles == org_roles)
			nroles = BW_NELEM(org_roles) - 1;
		for (size_t k = 0; k < nroles; k++)
			if (add_user(db, s, s->ids[i], o->code, o->name, roles[k], err) != BW_OK)
				return err->code;
	}
	char summary[200];
	snprintf(summary, sizeof summary, "Seeded a %s demo estate: %zu organisations, %lld users",
		 s->national ? "national" : "small", e->n, (long long)s->users);
	struct audit_rec r = { 0, "cli", s->ids[0], "demo.seed", "estate", summary };
	return audit_append(db, &r, err);
}

int cmd_demo(int argc, char **argv)
{
	struct cli_opt o[] = { { "db", 1, 0, 0 }, { "scale", 1, 0, 0 }, { "password-file", 1, 0, 0 },
			       { "data", 1, 0, 0 } };
	size_t np;
	if (!cli_parse(argc, argv, 2, o, BW_NELEM(o), NULL, 0, &np))
		return 2;
	enum ods_scale scale = ODS_SCALE_SMALL;
	const char *sc = cli_get(o, 4, "scale");
	if (sc && !ods_scale_parse(sc, &scale)) {
		fprintf(stderr, "bulwark: --scale must be small or national\n");
		return 2;
	}
	struct bw_error err = { 0 };
	if (auth_init(&err) != BW_OK) {
		fprintf(stderr, "bulwark: %s\n", err.msg);
		return 1;
	}
	char pw[LIM_PASSWORD_MAX + 1];
	bool generated = false;
	const char *pwfile = cli_get(o, 4, "password-file");
	if (pwfile) {
		FILE *f = fopen(pwfile, "r");
		if (!f || !fgets(pw, sizeof pw, f)) {
			fprintf(stderr, "bulwark: cannot read password file %s\n", pwfile);
			if (f)
				fclose(f);
			return 1;
		}
		fclose(f);
		pw[strcspn(pw, "\r\n")] = 0;
	} else {
		char tok[AUTH_TOKEN_LEN];
		bw_random_token(15, tok);
		snprintf(pw, sizeof pw, "demo-%s", tok);
		generated = true;
	}
	if (auth_password_check(pw, NULL, NULL, &err) != BW_OK) {
		fprintf(stderr, "bulwark: the demo password is refused: %s\n", err.msg);
		return 1;
	}
	char hash[AUTH_PASSWORD_HASH_LEN];
	if (auth_password_hash(pw, hash, &err) != BW_OK) {
		fprintf(stderr, "bulwark: %s\n", err.msg);
		return 1;
	}
	struct ods_estate e;
	if (ods_load(cli_data_dir(cli_get(o, 4, "data")), scale, &e, &err) != BW_OK) {
		fprintf(stderr, "bulwark: reading the organisation data: %s\n", err.msg);
		return 1;
	}
	struct db *db = cli_open_db(cli_get(o, 4, "db"));
	if (!db) {
		ods_estate_free(&e);
		return 1;
	}
	int rc = 0;
	if (db_query_i64(db, "SELECT count(*) FROM orgs", 0) > 0) {
		fprintf(stderr, "bulwark: %s already holds organisations; demo seeds only an empty database\n",
			cli_db_url(cli_get(o, 4, "db")));
		rc = 1;
	} else {
		struct seed s = { &e, hash, scale == ODS_SCALE_NATIONAL, calloc(e.n, sizeof(int64_t)),
				  calloc(e.n, 256), 0 };
		if (!s.ids || !s.paths) {
			fprintf(stderr, "bulwark: out of memory\n");
			rc = 1;
		} else if (db_tx(db, true, seed_tx, &s, &err) != BW_OK) {
			fprintf(stderr, "bulwark: seeding failed: %s\n", err.msg);
			rc = 1;
		} else if (registers_demo_seed(db, scale == ODS_SCALE_NATIONAL, cli_data_dir(cli_get(o, 4, "data")),
					       &err) != BW_OK) {
			fprintf(stderr, "bulwark: seeding the registers failed: %s\n", err.msg);
			rc = 1;
		} else if (findings_demo_seed(db, cli_data_dir(cli_get(o, 4, "data")), &err) != BW_OK) {
			fprintf(stderr, "bulwark: seeding the findings failed: %s\n", err.msg);
			rc = 1;
		} else if (feeds_demo_seed(db, cli_data_dir(cli_get(o, 4, "data")), &err) != BW_OK) {
			fprintf(stderr, "bulwark: registering the feeds failed: %s\n", err.msg);
			rc = 1;
		} else if (exposures_demo_seed(db, cli_data_dir(cli_get(o, 4, "data")), &err) != BW_OK) {
			fprintf(stderr, "bulwark: seeding the exposures failed: %s\n", err.msg);
			rc = 1;
		} else if (outbox_demo_seed(db, &err) != BW_OK) {
			fprintf(stderr, "bulwark: seeding the alert contacts failed: %s\n", err.msg);
			rc = 1;
		} else if (alerts_demo_seed(db, scale == ODS_SCALE_NATIONAL, NULL, &err) != BW_OK) {
			fprintf(stderr, "bulwark: seeding the advisories failed: %s\n", err.msg);
			rc = 1;
		} else {
			printf("Demo estate: %zu organisations, %lld users.\n", e.n, (long long)s.users);
			printf("Sign in as any demo user: <role>@<org code in lower case>.demo.bulwark.example\n");
			printf("  for example admin@national.demo.bulwark.example (administrator; sets up two-factor at first sign-in)\n");
			for (size_t i = 0; i < e.n; i++)
				if (e.orgs[i].type == ODS_NHS_TRUST) {
					char em[LIM_EMAIL + 1];
					demo_email(em, sizeof em, ROLE_ORG_LEAD, e.orgs[i].code);
					char nm[LIM_NAME + 1];
					ods_name_display(e.orgs[i].name, nm, sizeof nm);
					printf("  or %s (organisation lead of %s)\n", em, nm);
					break;
				}
			if (generated)
				printf("Password for every demo user (shown once): %s\n", pw);
			else
				printf("Password: the one in %s\n", pwfile);
		}
		free(s.ids);
		free(s.paths);
	}
	db_close(db);
	ods_estate_free(&e);
	return rc;
}
