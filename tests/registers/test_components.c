/*
 * Unit tests for the software inventory (src/registers/components*.c,
 * suggest.c): checking one component, reading CSV files and real SBOMs
 * from ../shared/data/feeds/sbom, hostile files, imports that commit all
 * or nothing, re-importing an SBOM in place, and CPE suggestions for typed
 * names with typos. The backend comes from BULWARK_TEST_DB: unset or
 * "sqlite" uses a temp file; a postgresql:// URL uses that server, each
 * test in a schema of its own that is dropped and re-made first.
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

#include "registers/components.h"

/* ---- harness ---- */

static const char *data_dir(void)
{
	const char *d = getenv("BULWARK_DATA");
	return d && *d ? d : "../shared/data";
}

static int group_teardown(void **state)
{
	components_dictionary_reset();
	return testdb_group_teardown(state);
}

/* The systems area owns `systems`; these tests need only its agreed
 * columns, so they make that much of it themselves. */
static const struct db_migration test_systems[] = {
	{ "test/systems", "CREATE TABLE systems (id {{ID}}, org_id {{INT}} NOT NULL REFERENCES orgs(id), name TEXT NOT NULL)" },
	{ NULL, NULL },
};

struct fixture {
	struct db *db;
	struct actor actor;
	struct comp_system sys, other;
};

static int64_t add_system(struct db *db, int64_t org_id, const char *name)
{
	struct db_stmt *st = db_prep(db, "INSERT INTO systems (org_id, name) VALUES (?1, ?2) RETURNING id");
	db_bind_i64(st, 1, org_id);
	db_bind_text(st, 2, name);
	assert_int_equal(db_step(st), DB_ROW);
	int64_t id = db_col_i64(st, 0);
	db_reset(st);
	return id;
}

static void fresh(struct fixture *f, const char *name)
{
	struct bw_error err = { 0 };
	char schema[128];
	snprintf(schema, sizeof schema, "tc_%s", name);
	memset(f, 0, sizeof *f);
	const struct db_migration *const sets[] = { orgs_migrations, audit_migrations, test_systems,
						    components_migrations, NULL };
	f->db = testdb_fresh(schema, sets);
	orgs_actor_cli(&f->actor);
	int64_t root, trust, gp;
	assert_int_equal(orgs_add(f->db, &f->actor, "X26", "NHS England", ORG_NATIONAL, NULL, false, &root, &err), BW_OK);
	assert_int_equal(orgs_add(f->db, &f->actor, "RXX", "Riverside Hospital NHS Trust", ORG_NHS_TRUST, "X26", false,
				  &trust, &err), BW_OK);
	assert_int_equal(orgs_add(f->db, &f->actor, "Y01", "Hillside Surgery", ORG_GP_PRACTICE, "X26", false, &gp, &err),
			 BW_OK);
	assert_int_equal(components_system_get(f->db, add_system(f->db, trust, "Patient administration"), &f->sys), BW_OK);
	add_system(f->db, trust, "Pathology LIMS");
	assert_int_equal(components_system_get(f->db, add_system(f->db, gp, "Clinical system"), &f->other), BW_OK);
}

static void done(struct fixture *f)
{
	db_close(f->db);
}

static int64_t count(struct db *db, const char *sql)
{
	return db_query_i64(db, sql, -1);
}

static char *slurp(const char *rel, size_t *n)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", data_dir(), rel);
	FILE *fp = fopen(path, "rb");
	if (!fp)
		fail_msg("cannot read %s", path);
	fseek(fp, 0, SEEK_END);
	long len = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	char *p = malloc((size_t)len + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)len, fp), (size_t)len);
	p[len] = 0;
	fclose(fp);
	*n = (size_t)len;
	return p;
}

/* ---- checking one component ---- */

static void test_check(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct comp_ok ok;
	struct bw_error e = { 0 };

	/* a CPE alone gives vendor, product and version, and comes back canonical */
	struct comp_in in = { .cpe = "cpe:2.3:a:openssl:openssl:3.0.13:*:*:*:*:*:*:*" };
	assert_int_equal(components_check(&a, &in, &ok, &e), BW_OK);
	assert_string_equal(ok.vendor, "openssl");
	assert_string_equal(ok.product, "openssl");
	assert_string_equal(ok.version, "3.0.13");
	assert_string_equal(ok.cpe, "cpe:2.3:a:openssl:openssl:3.0.13:*:*:*:*:*:*:*");

	/* a purl's name and namespace fill the gaps; typed names win */
	in = (struct comp_in){ .vendor = " Lodash team ", .purl = "pkg:npm/lodash@4.17.21" };
	assert_int_equal(components_check(&a, &in, &ok, &e), BW_OK);
	assert_string_equal(ok.vendor, "Lodash team");
	assert_string_equal(ok.product, "lodash");
	assert_string_equal(ok.version, "4.17.21");
	assert_string_equal(ok.norm_vendor, "lodash_team");

	/* names fold as CPE bindings do */
	in = (struct comp_in){ .vendor = "Microsoft", .product = "Office 2019 (x64)", .version = "16.0" };
	assert_int_equal(components_check(&a, &in, &ok, &e), BW_OK);
	assert_string_equal(ok.norm_product, "office_2019_x64");
	assert_null(ok.cpe);

	/* faults name their field and say what is wrong */
	in = (struct comp_in){ .product = "Office", .cpe = "cpe:2.3:a:microsoft" };
	assert_int_equal(components_check(&a, &in, &ok, &e), BW_EINVAL);
	assert_string_equal(e.field, "cpe");
	assert_non_null(strstr(e.msg, "CPE name is not valid"));
	in = (struct comp_in){ .product = "Office", .cpe = "cpe:2.3:a:*:office:1:*:*:*:*:*:*:*" };
	assert_int_equal(components_check(&a, &in, &ok, &e), BW_EINVAL);
	assert_string_equal(e.field, "cpe");
	in = (struct comp_in){ .product = "lodash", .purl = "npm/lodash@1" };
	assert_int_equal(components_check(&a, &in, &ok, &e), BW_EINVAL);
	assert_string_equal(e.field, "purl");
	assert_non_null(strstr(e.msg, "Package URL is not valid"));
	in = (struct comp_in){ .vendor = "Acme", .version = "1.0" };
	assert_int_equal(components_check(&a, &in, &ok, &e), BW_EINVAL);
	assert_string_equal(e.field, "product");
	in = (struct comp_in){ .product = "Evil\nname" };
	assert_int_equal(components_check(&a, &in, &ok, &e), BW_EINVAL);
	assert_string_equal(e.field, "product");
	char longname[LIM_COMP_NAME + 2];
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	in = (struct comp_in){ .vendor = longname, .product = "p" };
	assert_int_equal(components_check(&a, &in, &ok, &e), BW_ELIMIT);
	assert_string_equal(e.field, "vendor");
	in = (struct comp_in){ .product = "p", .version = "\xff\xfe" };
	assert_int_equal(components_check(&a, &in, &ok, &e), BW_EINVAL);
	assert_string_equal(e.field, "version");
	arena_free(&a);
}

/* ---- CSV ---- */

static void test_csv(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	struct comp_batch b;
	struct bw_error e = { 0 };

	/* columns in any order, names in any case, Latin-1 read as such */
	const char ok[] = "Product,VENDOR,version,cpe,purl,system\r\n"
			  "Office,Microsoft,2019,,,\r\n"
			  "\"Caf\xe9, Manager\",Acme,1.2,,,Pathology LIMS\r\n"
			  "=HYPERLINK(\"x\"),Evil,1,,,\n";
	comp_batch_init(&b, &a);
	assert_int_equal(components_csv_parse(ok, sizeof ok - 1, &b, &e), BW_OK);
	assert_int_equal(b.n, 3);
	assert_string_equal(b.v[0].product, "Office");
	assert_string_equal(b.v[0].vendor, "Microsoft");
	assert_null(b.v[0].cpe);
	assert_string_equal(b.v[1].product, "Caf\xc3\xa9, Manager");
	assert_string_equal(b.v[1].system, "Pathology LIMS");
	assert_int_equal(b.v[1].row, 3);
	assert_string_equal(b.v[2].product, "=HYPERLINK(\"x\")");
	comp_batch_free(&b);

	/* hostile or wrong files: a clear reason, no rows */
	struct { const char *p; size_t n; const char *words; } bad[] = {
		{ "\xff\xfep\0r\0o\0d\0", 10, "UTF-16" },
		{ "PK\x03\x04rest", 8, "spreadsheet" },
		{ "product,colour\nx,red\n", 21, "colour" },
		{ "vendor,version\nx,1\n", 19, "product" },
		{ "product\n", 8, "no components" },
		{ "", 0, "empty" },
		{ "product\n\"unterminated\n", 22, "line" },
	};
	for (size_t i = 0; i < BW_NELEM(bad); i++) {
		comp_batch_init(&b, &a);
		bw_error_clear(&e);
		assert_int_not_equal(components_csv_parse(bad[i].p, bad[i].n, &b, &e), BW_OK);
		if (!strstr(e.msg, bad[i].words))
			fail_msg("case %zu: \"%s\" does not mention %s", i, e.msg, bad[i].words);
		assert_string_equal(e.field, "file");
		comp_batch_free(&b);
	}
	arena_free(&a);
}

/* ---- SBOMs ---- */

static void test_sbom_real(void **state)
{
	(void)state;
	struct { const char *file; const char *format; size_t min; const char *product; } cases[] = {
		{ "feeds/sbom/cyclonedx-bom-examples/SBOM/juice-shop/v11.1.2/bom.json", "CycloneDX 1.2", 840, "express" },
		{ "feeds/sbom/cyclonedx-bom-examples/SBOM/laravel-7.12.0/bom.1.4.json", "CycloneDX 1.4", 60, NULL },
		{ "feeds/sbom/trivy/integration/testdata/fluentd-multiple-lockfiles.cdx.json.golden", "CycloneDX 1.7", 150, NULL },
		{ "feeds/sbom/trivy/integration/testdata/fixtures/sbom/minikube-kbom.json", "CycloneDX 1.5", 10, NULL },
		{ "feeds/sbom/spdx-examples/software/example11/spdx2.3/sbom.spdx.json", "SPDX 2.3", 4, NULL },
		{ "feeds/sbom/trivy/integration/testdata/julia-spdx.json.golden", "SPDX 2.3", 5, NULL },
	};
	for (size_t i = 0; i < BW_NELEM(cases); i++) {
		struct arena a;
		arena_init(&a);
		size_t n;
		char *p = slurp(cases[i].file, &n);
		struct comp_batch b;
		comp_batch_init(&b, &a);
		struct bw_error e = { 0 };
		if (components_sbom_parse(p, n, &b, &e) != BW_OK)
			fail_msg("%s: %s", cases[i].file, e.msg);
		assert_string_equal(b.format, cases[i].format);
		if (b.n < cases[i].min)
			fail_msg("%s: %zu components, expected at least %zu", cases[i].file, b.n, cases[i].min);
		assert_non_null(b.ns);
		bool found = cases[i].product == NULL;
		for (size_t k = 0; k < b.n && !found; k++)
			found = b.v[k].product && !strcmp(b.v[k].product, cases[i].product) && b.v[k].purl;
		assert_true(found);
		for (size_t k = 0; k < b.n; k++)
			assert_non_null(b.v[k].ref);
		comp_batch_free(&b);
		free(p);
		arena_free(&a);
	}
}

static void test_sbom_refused(void **state)
{
	(void)state;
	struct { const char *file; const char *words; } files[] = {
		{ "feeds/sbom/grype/test/cli/testdata/sbom-grype-source.json", "Syft" },
		{ "feeds/sbom/cyclonedx-bom-examples/VEX/vex.json", "VEX" },
	};
	struct arena a;
	arena_init(&a);
	struct comp_batch b;
	struct bw_error e = { 0 };
	for (size_t i = 0; i < BW_NELEM(files); i++) {
		size_t n;
		char *p = slurp(files[i].file, &n);
		comp_batch_init(&b, &a);
		bw_error_clear(&e);
		assert_int_equal(components_sbom_parse(p, n, &b, &e), BW_EINVAL);
		if (!strstr(e.msg, files[i].words))
			fail_msg("%s: \"%s\"", files[i].file, e.msg);
		assert_int_equal(b.n, 0);
		comp_batch_free(&b);
		free(p);
	}
	/* deeply nested, malformed, wrong version, not UTF-8 */
	struct buf deep;
	buf_init(&deep);
	buf_puts(&deep, "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.5\",\"components\":");
	for (int i = 0; i < 5000; i++)
		buf_puts(&deep, "[");
	struct { const char *p; size_t n; const char *words; } bad[] = {
		{ deep.p, deep.len, "nested" },
		{ "{\"bomFormat\":\"CycloneDX\",", 0, "not valid JSON" },
		{ "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"2.0\",\"components\":[{\"name\":\"x\"}]}", 0, "2.0" },
		{ "{\"spdxVersion\":\"SPDX-2.3\",\"packages\":[{\"name\":\"caf\xe9\"}]}", 0, "not valid JSON" },
		{ "[1,2]", 0, "not an SBOM" },
		{ "{\"hello\":1}", 0, "not a CycloneDX or SPDX" },
	};
	for (size_t i = 0; i < BW_NELEM(bad); i++) {
		comp_batch_init(&b, &a);
		bw_error_clear(&e);
		assert_int_not_equal(components_sbom_parse(bad[i].p, bad[i].n ? bad[i].n : strlen(bad[i].p), &b, &e), BW_OK);
		if (!strstr(e.msg, bad[i].words))
			fail_msg("case %zu: \"%s\" does not mention %s", i, e.msg, bad[i].words);
		assert_int_equal(b.n, 0);
		comp_batch_free(&b);
	}
	buf_free(&deep);
	arena_free(&a);
}

/* ---- imports ---- */

static enum bw_err import_csv(struct fixture *f, const char *csv, bool partial, struct comp_batch *b,
			      struct comp_import_result *res, struct bw_error *e)
{
	enum bw_err rc = components_csv_parse(csv, strlen(csv), b, e);
	if (rc != BW_OK)
		return rc;
	return components_import(f->db, &f->actor, &f->sys, b, partial, "csv", res, e);
}

static void test_import_all_or_nothing(void **state)
{
	(void)state;
	struct fixture f;
	fresh(&f, "import");
	struct arena a;
	arena_init(&a);
	struct comp_batch b;
	struct comp_import_result res;
	struct bw_error e = { 0 };
	const char *csv = "system,vendor,product,version,cpe,purl\n"
			  ",Microsoft,Office,2019,,\n"
			  ",OpenSSL,OpenSSL,3.0.13,cpe:2.3:a:openssl:openssl:3.0.13:*:*:*:*:*:*:*,\n"
			  ",Bad,Thing,1,cpe:2.3:a:bad,\n"
			  "Pathology LIMS,Sunquest,Laboratory,9,,\n"
			  "Radiology PACS,Agfa,Enterprise Imaging,8,,\n"
			  ",npm,left-pad,1.3.0,,pkg:npm/left-pad@1.3.0\n";
	int64_t audit0 = count(f.db, "SELECT count(*) FROM audit");

	/* errors and no partial import: nothing written, every fault reported */
	comp_batch_init(&b, &a);
	assert_int_equal(import_csv(&f, csv, false, &b, &res, &e), BW_EINVAL);
	assert_non_null(strstr(e.msg, "nothing was imported"));
	assert_int_equal(b.nerrs, 2);
	assert_int_equal(b.errs[0].row, 4);
	assert_string_equal(b.errs[0].field, "cpe");
	assert_int_equal(b.errs[1].row, 6);
	assert_string_equal(b.errs[1].field, "system");
	assert_non_null(strstr(b.errs[1].msg, "Radiology PACS"));
	assert_int_equal(count(f.db, "SELECT count(*) FROM components"), 0);
	assert_int_equal(count(f.db, "SELECT count(*) FROM audit"), audit0);
	comp_batch_free(&b);

	/* partial: the four good rows, one into the other named system, one audit record */
	comp_batch_init(&b, &a);
	assert_int_equal(import_csv(&f, csv, true, &b, &res, &e), BW_OK);
	assert_int_equal(res.added, 4);
	assert_int_equal(res.updated, 0);
	assert_int_equal(res.skipped, 2);
	comp_batch_free(&b);
	assert_int_equal(count(f.db, "SELECT count(*) FROM components"), 4);
	assert_int_equal(count(f.db, "SELECT count(*) FROM components c JOIN systems s ON s.id = c.system_id"
				     " WHERE s.name = 'Pathology LIMS' AND c.product = 'Laboratory'"), 1);
	assert_int_equal(count(f.db, "SELECT count(*) FROM audit WHERE action = 'component.import'"), 1);

	/* the same file again updates rather than duplicates */
	comp_batch_init(&b, &a);
	assert_int_equal(import_csv(&f, csv, true, &b, &res, &e), BW_OK);
	assert_int_equal(res.added, 0);
	assert_int_equal(res.updated, 4);
	comp_batch_free(&b);
	assert_int_equal(count(f.db, "SELECT count(*) FROM components"), 4);

	/* another organisation's system cannot be named */
	comp_batch_init(&b, &a);
	assert_int_equal(import_csv(&f, "system,product\nClinical system,EMIS Web\n", false, &b, &res, &e), BW_EINVAL);
	assert_int_equal(b.nerrs, 1);
	assert_string_equal(b.errs[0].field, "system");
	comp_batch_free(&b);
	assert_int_equal(count(f.db, "SELECT count(*) FROM components WHERE system_id = (SELECT id FROM systems"
				     " WHERE name = 'Clinical system')"), 0);
	arena_free(&a);
	done(&f);
}

/* A component listed twice in one file is written once, as its later row
 * says; the same product in another system is that system's own. */
static void test_import_repeats(void **state)
{
	(void)state;
	struct fixture f;
	fresh(&f, "repeats");
	struct arena a;
	arena_init(&a);
	struct comp_batch b;
	struct comp_import_result res;
	struct bw_error e = { 0 };
	const char *csv = "system,vendor,product,version,cpe,purl\n"
			  ",OpenSSL,OpenSSL,3.0.13,,\n"
			  ",Zlib,zlib,1.3,,\n"
			  "Pathology LIMS,OpenSSL,OpenSSL,3.0.13,,\n"
			  ",Apache,httpd,2.4.58,,\n"
			  ",openssl,openssl,3.0.13,cpe:2.3:a:openssl:openssl:3.0.13:*:*:*:*:*:*:*,\n"
			  ",Zlib,zlib,1.3.1,,\n";
	comp_batch_init(&b, &a);
	assert_int_equal(import_csv(&f, csv, false, &b, &res, &e), BW_OK);
	comp_batch_free(&b);
	assert_int_equal(res.added, 5);
	assert_int_equal(count(f.db, "SELECT count(*) FROM components"), 5);
	/* the later spelling and its CPE, once, in the system imported into */
	assert_int_equal(count(f.db, "SELECT count(*) FROM components c JOIN systems s ON s.id = c.system_id"
				     " WHERE s.name <> 'Pathology LIMS' AND c.norm_product = 'openssl'"), 1);
	assert_int_equal(count(f.db, "SELECT count(*) FROM components c JOIN systems s ON s.id = c.system_id"
				     " WHERE s.name <> 'Pathology LIMS' AND c.product = 'openssl'"
				     " AND c.cpe = 'cpe:2.3:a:openssl:openssl:3.0.13:*:*:*:*:*:*:*'"), 1);
	assert_int_equal(count(f.db, "SELECT count(*) FROM components c JOIN systems s ON s.id = c.system_id"
				     " WHERE s.name = 'Pathology LIMS' AND c.product = 'OpenSSL' AND c.cpe IS NULL"), 1);
	/* two versions are two components */
	assert_int_equal(count(f.db, "SELECT count(*) FROM components WHERE product = 'zlib'"), 2);
	arena_free(&a);
	done(&f);
}

/* More rows than one statement takes (50 a statement on SQLite, 5,000 on
 * PostgreSQL, where the rows go as arrays) and than one core checks (the
 * second half on another): every batch and the remainder are written once,
 * text with quotes, backslashes, commas and braces comes back as it went in,
 * and the bad rows of both halves are reported in file order. */
static void test_import_batches(void **state)
{
	(void)state;
	struct fixture f;
	fresh(&f, "batches");
	struct arena a;
	arena_init(&a);
	enum { ROWS = 12345 };
	struct buf csv;
	buf_init(&csv);
	buf_puts(&csv, "vendor,product,version,cpe,purl\n");
	for (int i = 0; i < ROWS; i++)
		buf_printf(&csv, "\"Acme \"\"Q\"\" \\B{s}\",\"Widget %05d, {x}\",1.%d,%s,%s\n", i, i % 7,
			   i == 10 || i == 11000 ? "cpe:2.3:a:bad" : "",
			   i % 1000 == 1 ? "pkg:npm/widget@1.0.0" : "");
	struct comp_batch b;
	struct comp_import_result res;
	struct bw_error e = { 0 };
	for (int round = 0; round < 2; round++) {
		comp_batch_init(&b, &a);
		assert_int_equal(import_csv(&f, buf_cstr(&csv), true, &b, &res, &e), BW_OK);
		assert_int_equal(b.nerrs, 2);
		assert_int_equal(b.errs[0].row, 12);
		assert_int_equal(b.errs[1].row, 11002);
		assert_string_equal(b.errs[1].field, "cpe");
		comp_batch_free(&b);
		assert_int_equal(res.added, round ? 0 : ROWS - 2);
		assert_int_equal(res.updated, round ? ROWS - 2 : 0);
		assert_int_equal(res.skipped, 2);
	}
	assert_int_equal(count(f.db, "SELECT count(*) FROM components"), ROWS - 2);
	assert_int_equal(count(f.db, "SELECT count(*) FROM components WHERE vendor = 'Acme \"Q\" \\B{s}'"
				     " AND product = 'Widget 12344, {x}' AND version = '1.3' AND cpe IS NULL"), 1);
	assert_int_equal(count(f.db, "SELECT count(*) FROM components WHERE purl = 'pkg:npm/widget@1.0.0'"), 13);
	assert_int_equal(count(f.db, "SELECT count(*) FROM components WHERE product LIKE 'Widget 00010,%'"), 0);
	/* a file of old and new rows, big enough for the bulk path: rows 0-1499
	 * (1,499 there: row 10 was refused above), one with a new package URL,
	 * and 500 new */
	buf_reset(&csv);
	buf_puts(&csv, "vendor,product,version,purl\n");
	for (int i = 0; i < 2000; i++)
		buf_printf(&csv, "\"Acme \"\"Q\"\" \\B{s}\",\"Widget %05d, {x}\",1.%d,%s\n", i < 1500 ? i : ROWS + i, i % 7,
			   i == 1 ? "pkg:npm/widget@2.0.0" : "");
	comp_batch_init(&b, &a);
	assert_int_equal(import_csv(&f, buf_cstr(&csv), false, &b, &res, &e), BW_OK);
	comp_batch_free(&b);
	assert_int_equal(res.added, 501);
	assert_int_equal(res.updated, 1499);
	assert_int_equal(count(f.db, "SELECT count(*) FROM components"), ROWS - 2 + 501);
	/* the new URL replaces the old; a row without one keeps its own */
	assert_int_equal(count(f.db, "SELECT count(*) FROM components WHERE purl = 'pkg:npm/widget@2.0.0'"), 1);
	assert_int_equal(count(f.db, "SELECT count(*) FROM components WHERE purl = 'pkg:npm/widget@1.0.0'"), 12);
	if (db_kind(f.db) == DB_SQLITE)   /* turned off for the import only */
		assert_int_equal(count(f.db, "PRAGMA foreign_keys"), 1);
	buf_free(&csv);
	arena_free(&a);
	done(&f);
}

static void test_sbom_reimport(void **state)
{
	(void)state;
	struct fixture f;
	fresh(&f, "sbom");
	size_t n;
	char *p = slurp("feeds/sbom/cyclonedx-bom-examples/SBOM/laravel-7.12.0/bom.1.4.json", &n);
	struct comp_import_result res;
	struct bw_error e = { 0 };
	int64_t first = 0;
	for (int round = 0; round < 2; round++) {
		struct arena a;
		arena_init(&a);
		struct comp_batch b;
		comp_batch_init(&b, &a);
		assert_int_equal(components_sbom_parse(p, n, &b, &e), BW_OK);
		if (components_import(f.db, &f.actor, &f.sys, &b, false, "sbom", &res, &e) != BW_OK)
			fail_msg("import: %s (%zu row errors: %s)", e.msg, b.nerrs, b.nerrs ? b.errs[0].msg : "");
		if (round == 0) {
			first = res.added;
			assert_true(first >= 60);
		} else {
			assert_int_equal(res.added, 0);
			assert_int_equal(res.updated, first);
		}
		comp_batch_free(&b);
		arena_free(&a);
	}
	assert_int_equal(count(f.db, "SELECT count(*) FROM components"), first);
	assert_int_equal(count(f.db, "SELECT count(*) FROM components WHERE source = 'sbom' AND purl LIKE 'pkg:composer/%'"),
			 first);
	free(p);
	done(&f);
}

/* ---- one at a time ---- */

static void test_add_edit_delete(void **state)
{
	(void)state;
	struct fixture f;
	fresh(&f, "crud");
	struct bw_error e = { 0 };
	int64_t id = 0;
	struct comp_in in = { .vendor = "Microsoft", .product = "Office", .version = "2019" };
	assert_int_equal(components_add(f.db, &f.actor, &f.sys, &in, &id, &e), BW_OK);
	/* the same product and version twice is refused, naming the product */
	assert_int_equal(components_add(f.db, &f.actor, &f.sys, &in, NULL, &e), BW_ECONFLICT);
	assert_string_equal(e.field, "product");
	/* a bad purl changes nothing */
	in.purl = "pkg:";
	assert_int_equal(components_update(f.db, &f.actor, id, &in, &e), BW_EINVAL);
	assert_string_equal(e.field, "purl");
	assert_int_equal(count(f.db, "SELECT count(*) FROM components WHERE purl IS NULL AND version = '2019'"), 1);
	in = (struct comp_in){ .vendor = "Microsoft", .product = "Office", .version = "2021" };
	assert_int_equal(components_update(f.db, &f.actor, id, &in, &e), BW_OK);
	assert_int_equal(count(f.db, "SELECT count(*) FROM components WHERE version = '2021'"), 1);
	/* confirming a suggestion stores it as confirmed; a bad one is refused */
	assert_int_equal(components_confirm_cpe(f.db, &f.actor, id, "cpe:2.3:a:microsoft:office", &e), BW_EINVAL);
	assert_string_equal(e.field, "cpe");
	assert_int_equal(components_confirm_cpe(f.db, &f.actor, id, "cpe:2.3:a:microsoft:office:2021:*:*:*:*:*:*:*", &e),
			 BW_OK);
	assert_int_equal(count(f.db, "SELECT count(*) FROM components WHERE cpe_confirmed = 1 AND cpe LIKE 'cpe:2.3:a:microsoft:office:%'"), 1);
	assert_int_equal(components_delete(f.db, &f.actor, id, &e), BW_OK);
	assert_int_equal(components_delete(f.db, &f.actor, id, &e), BW_ENOTFOUND);
	assert_int_equal(count(f.db, "SELECT count(*) FROM components"), 0);
	assert_int_equal(count(f.db, "SELECT count(*) FROM audit WHERE action LIKE 'component.%'"), 4);
	/* the hourly sweep takes the names nothing carries any more, and keeps
	 * those in use; a name swept away comes back when it is typed again */
	in = (struct comp_in){ .vendor = "Microsoft", .product = "Teams", .version = "1.6" };
	assert_int_equal(components_add(f.db, &f.actor, &f.sys, &in, NULL, &e), BW_OK);
	int64_t removed = -1;
	assert_int_equal(components_names_sweep(f.db, &removed, &e), BW_OK);
	assert_int_equal(removed, 1);
	assert_int_equal(count(f.db, "SELECT count(*) FROM component_names WHERE norm_product = 'office'"), 0);
	assert_int_equal(count(f.db, "SELECT count(*) FROM component_names n JOIN components c ON c.name_id = n.id"
				     " WHERE n.norm_product = 'teams'"), 1);
	in.product = "Office";
	assert_int_equal(components_add(f.db, &f.actor, &f.sys, &in, NULL, &e), BW_OK);
	assert_int_equal(count(f.db, "SELECT count(*) FROM component_names n JOIN components c ON c.name_id = n.id"
				     " WHERE n.norm_product = 'office'"), 1);
	assert_int_equal(components_names_sweep(f.db, &removed, &e), BW_OK);
	assert_int_equal(removed, 0);
	done(&f);
}

/* The demo's software: drawn from the feeds' real names, the identities
 * unique in each system, and no name stored that no component carries. */
static void test_demo_seed(void **state)
{
	(void)state;
	struct fixture f;
	fresh(&f, "seed");
	struct bw_error e = { 0 };
	assert_int_equal(components_demo_seed(f.db, false, data_dir(), &e), BW_OK);
	int64_t rows = count(f.db, "SELECT count(*) FROM components WHERE source = 'demo'");
	assert_true(rows >= 3 * 12);
	assert_int_equal(count(f.db, "SELECT count(*) FROM component_names n WHERE NOT EXISTS"
				     " (SELECT 1 FROM components c WHERE c.name_id = n.id)"), 0);
	assert_int_equal(count(f.db, "SELECT count(*) FROM components c JOIN component_names n ON n.id = c.name_id"
				     " AND n.norm_product = c.norm_product AND n.norm_vendor = c.norm_vendor"), rows);
	done(&f);
}

/* ---- suggestions ---- */

static void test_similarity(void **state)
{
	(void)state;
	assert_int_equal(components_similarity("office", "office"), 100);
	assert_true(components_similarity("ofice", "office") > 60);
	assert_true(components_similarity("mircosoft", "microsoft") > 45);
	assert_true(components_similarity("office", "openssl") < 30);
	struct buf b;
	buf_init(&b);
	components_cpe_for("microsoft", "office", "2019", &b);
	assert_string_equal(buf_cstr(&b), "cpe:2.3:a:microsoft:office:2019:*:*:*:*:*:*:*");
	buf_reset(&b);
	components_cpe_for("apache", "http_server", "2.4.58", &b);
	assert_string_equal(buf_cstr(&b), "cpe:2.3:a:apache:http_server:2.4.58:*:*:*:*:*:*:*");
	buf_free(&b);
}

static bool has(const struct comp_suggestion *s, size_t n, const char *v, const char *p)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s[i].vendor, v) && !strcmp(s[i].product, p))
			return true;
	return false;
}

static void test_suggest(void **state)
{
	(void)state;
	struct fixture f;
	fresh(&f, "suggest");
	struct bw_error e = { 0 };
	int64_t rows = 0;
	if (components_dictionary_load(f.db, data_dir(), &rows, &e) != BW_OK)
		fail_msg("dictionary: %s", e.msg);
	assert_true(rows > 10000);
	struct comp_suggestion s[5];
	/* typos in both names still find the product */
	size_t n = components_suggest(f.db, f.sys.org_path, "Mircosoft", "Ofice", s, 5);
	assert_true(n > 0);
	assert_true(has(s, n, "microsoft", "office"));
	/* a display name from CVE records leads to the CPE name */
	n = components_suggest(f.db, f.sys.org_path, "Oracle Corporation", "Business Intelligence Enterprise Edition", s, 5);
	assert_true(has(s, n, "oracle", "business_intelligence"));
	assert_true(s[0].score >= 90);
	/* the vendor inside the product name */
	n = components_suggest(f.db, f.sys.org_path, NULL, "openssl", s, 5);
	assert_true(has(s, n, "openssl", "openssl"));
	/* nonsense suggests nothing */
	n = components_suggest(f.db, f.sys.org_path, "Qqqzx", "Wwvvjk", s, 5);
	assert_int_equal(n, 0);
	/* what the inventory already confirmed comes first */
	int64_t id;
	struct comp_in in = { .vendor = "Hillside Labs", .product = "Ward Board", .version = "1" };
	assert_int_equal(components_add(f.db, &f.actor, &f.sys, &in, &id, &e), BW_OK);
	assert_int_equal(components_confirm_cpe(f.db, &f.actor, id, "cpe:2.3:a:hillside:wardboard:1:*:*:*:*:*:*:*", &e), BW_OK);
	n = components_suggest(f.db, f.sys.org_path, "Hillside Labs", "Ward Board", s, 5);
	assert_true(n > 0);
	assert_string_equal(s[0].vendor, "hillside");
	assert_string_equal(s[0].product, "wardboard");
	/* ... but only inside the same subtree */
	n = components_suggest(f.db, f.other.org_path, "Hillside Labs", "Ward Board", s, 5);
	assert_false(has(s, n, "hillside", "wardboard"));
	/* a component typed without a CPE keeps an unconfirmed guess */
	in = (struct comp_in){ .vendor = "Microsoft", .product = "Office", .version = "2016" };
	assert_int_equal(components_add(f.db, &f.actor, &f.sys, &in, &id, &e), BW_OK);
	assert_int_equal(count(f.db, "SELECT count(*) FROM components WHERE cpe IS NULL AND cpe_guess = 'microsoft:office'"), 1);
	done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_sbom_real),
		cmocka_unit_test(test_sbom_refused),
		cmocka_unit_test(test_import_all_or_nothing),
		cmocka_unit_test(test_import_repeats),
		cmocka_unit_test(test_import_batches),
		cmocka_unit_test(test_sbom_reimport),
		cmocka_unit_test(test_add_edit_delete),
		cmocka_unit_test(test_demo_seed),
		cmocka_unit_test(test_similarity),
		cmocka_unit_test(test_suggest),
	};
	return cmocka_run_group_tests(tests, testdb_group_setup, group_teardown);
}
