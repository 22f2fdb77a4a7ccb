/*
 * Unit tests for base/csv and ods: CSV edge cases, the small and national
 * demo estates built from ../shared/data/orgs, and the April 2026 ICB
 * reorganisation (from the data and from a user's mapping file).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "base/csv.h"
#include "ods/ods.h"

static const char *data_dir(void)
{
	const char *d = getenv("BULWARK_DATA");
	return d && d[0] ? d : "../shared/data";
}

/* ---- CSV ---- */

static struct csv_reader *open_str(const char *s, size_t max_fields, size_t max_len)
{
	struct csv_reader *r;
	struct bw_error err = { 0 };
	struct csv_limits lim = { max_fields, max_len };
	assert_int_equal(csv_open_mem(&r, s, strlen(s), "t.csv", &lim, &err), BW_OK);
	return r;
}

static void csv_quotes_commas_and_doubled_quotes(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	struct csv_reader *r = open_str("a,\"b,c\",\"say \"\"hi\"\"\",\"\"\n", 0, 0);
	assert_int_equal(csv_next(r, &err), CSV_ROW);
	assert_int_equal(csv_nfields(r), 4);
	assert_string_equal(csv_field_c(r, 0), "a");
	assert_string_equal(csv_field_c(r, 1), "b,c");
	assert_string_equal(csv_field_c(r, 2), "say \"hi\"");
	assert_string_equal(csv_field_c(r, 3), "");
	assert_int_equal(csv_field(r, 2).n, 8);
	assert_string_equal(csv_field_c(r, 9), "");   /* past the end: empty, not a crash */
	assert_int_equal(csv_next(r, &err), CSV_EOF);
	csv_close(r);
}

static void csv_embedded_newlines_keep_line_numbers(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	struct csv_reader *r = open_str("\"two\nlines\",x\n\"three\r\nmore\nlines\",y\nlast,z\n", 0, 0);
	assert_int_equal(csv_next(r, &err), CSV_ROW);
	assert_string_equal(csv_field_c(r, 0), "two\nlines");
	assert_int_equal(csv_line(r), 1);
	assert_int_equal(csv_next(r, &err), CSV_ROW);
	assert_string_equal(csv_field_c(r, 0), "three\r\nmore\nlines");
	assert_int_equal(csv_line(r), 3);
	assert_int_equal(csv_next(r, &err), CSV_ROW);
	assert_string_equal(csv_field_c(r, 0), "last");
	assert_int_equal(csv_line(r), 6);
	csv_close(r);
}

static void csv_crlf_and_blank_lines(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	struct csv_reader *r = open_str("a,b\r\n\r\nc,d\r\n", 0, 0);
	assert_int_equal(csv_next(r, &err), CSV_ROW);
	assert_string_equal(csv_field_c(r, 1), "b");  /* no stray \r */
	assert_int_equal(csv_next(r, &err), CSV_ROW);
	assert_string_equal(csv_field_c(r, 0), "c");
	assert_string_equal(csv_field_c(r, 1), "d");
	assert_int_equal(csv_line(r), 3);
	assert_int_equal(csv_next(r, &err), CSV_EOF);
	csv_close(r);
}

static void csv_field_too_long_names_the_line(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	struct csv_reader *r = open_str("ab,cd\nef,gh\nok,toolong\nnever\n", 0, 5);
	assert_int_equal(csv_next(r, &err), CSV_ROW);
	assert_int_equal(csv_next(r, &err), CSV_ROW);
	assert_int_equal(csv_next(r, &err), CSV_ERR);
	assert_int_equal(err.code, BW_ELIMIT);
	assert_non_null(strstr(err.msg, "t.csv line 3"));
	assert_non_null(strstr(err.msg, "field 2"));
	/* A failed reader stays failed rather than resynchronising mid-record. */
	assert_int_equal(csv_next(r, &err), CSV_ERR);
	csv_close(r);
}

static void csv_too_many_fields(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	struct csv_reader *r = open_str("1,2,3\n1,2,3,4\n", 3, 0);
	assert_int_equal(csv_next(r, &err), CSV_ROW);
	assert_int_equal(csv_nfields(r), 3);
	assert_int_equal(csv_next(r, &err), CSV_ERR);
	assert_int_equal(err.code, BW_ELIMIT);
	assert_non_null(strstr(err.msg, "line 2"));
	assert_non_null(strstr(err.msg, "more than 3 fields"));
	csv_close(r);
}

static void csv_empty_input_and_missing_final_newline(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	struct csv_reader *r = open_str("", 0, 0);
	assert_int_equal(csv_next(r, &err), CSV_EOF);
	csv_close(r);
	r = open_str("\n\r\n\n", 0, 0);
	assert_int_equal(csv_next(r, &err), CSV_EOF);
	csv_close(r);
	r = open_str("a,b\nc,\"d\"", 0, 0);
	assert_int_equal(csv_next(r, &err), CSV_ROW);
	assert_int_equal(csv_next(r, &err), CSV_ROW);
	assert_string_equal(csv_field_c(r, 1), "d");
	assert_int_equal(csv_next(r, &err), CSV_EOF);
	csv_close(r);
	/* A trailing comma is one more, empty, field. */
	r = open_str("x,", 0, 0);
	assert_int_equal(csv_next(r, &err), CSV_ROW);
	assert_int_equal(csv_nfields(r), 2);
	csv_close(r);
}

static void csv_latin1_bytes_pass_through_and_convert(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	struct csv_reader *r = open_str("caf\xe9,\xef\xbf\n", 0, 0);
	assert_int_equal(csv_next(r, &err), CSV_ROW);
	assert_int_equal(csv_field(r, 0).n, 4);
	assert_int_equal((unsigned char)csv_field(r, 0).p[3], 0xE9);
	struct buf b;
	buf_init(&b);
	assert_string_equal(csv_field_utf8(r, 0, &b), "caf\xc3\xa9");
	buf_reset(&b);
	/* 0xEF 0xBF at the start of a field is Latin-1 text, not a broken BOM. */
	assert_string_equal(csv_field_utf8(r, 1, &b), "\xc3\xaf\xc2\xbf");
	buf_free(&b);
	csv_close(r);
	/* A file starting with Latin-1 0xEF keeps it; a real BOM is dropped. */
	r = open_str("\xef" "x\n", 0, 0);
	assert_int_equal(csv_next(r, &err), CSV_ROW);
	assert_string_equal(csv_field_c(r, 0), "\xef" "x");
	csv_close(r);
	r = open_str("\xef\xbb\xbf" "code\n", 0, 0);
	assert_int_equal(csv_next(r, &err), CSV_ROW);
	assert_string_equal(csv_field_c(r, 0), "code");
	csv_close(r);
}

static void csv_bad_quoting_is_an_error(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	struct csv_reader *r = open_str("a\n\"never closed\n\nmore\n", 0, 0);
	assert_int_equal(csv_next(r, &err), CSV_ROW);
	assert_int_equal(csv_next(r, &err), CSV_ERR);
	assert_non_null(strstr(err.msg, "line 2"));  /* where the quote opened */
	assert_non_null(strstr(err.msg, "not closed"));
	csv_close(r);
	r = open_str("ok\n\"a\"b,c\n", 0, 0);
	assert_int_equal(csv_next(r, &err), CSV_ROW);
	assert_int_equal(csv_next(r, &err), CSV_ERR);
	assert_non_null(strstr(err.msg, "line 2"));
	csv_close(r);
	const char nul[] = "a\0b\n";
	assert_int_equal(csv_open_mem(&r, nul, sizeof nul - 1, "n.csv", NULL, &err), BW_OK);
	assert_int_equal(csv_next(r, &err), CSV_ERR);
	assert_non_null(strstr(err.msg, "NUL"));
	csv_close(r);
}

static void csv_reads_files_plain_gzip_and_stream(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	char path[4096];
	struct csv_reader *r;
	struct csv_limits lim = { 40, 512 };
	/* The real files: etr.csv is plain, epraccur is gzip. */
	snprintf(path, sizeof path, "%s/orgs/ods/etr.csv", data_dir());
	assert_int_equal(csv_open_path(&r, path, &lim, &err), BW_OK);
	size_t rows = 0;
	int rc;
	while ((rc = csv_next(r, &err)) == CSV_ROW) {
		assert_int_equal(csv_nfields(r), 27);
		rows++;
	}
	assert_int_equal(rc, CSV_EOF);
	assert_int_equal(rows, 274);
	csv_close(r);
	snprintf(path, sizeof path, "%s/orgs/ods/epraccur.csv.gz", data_dir());
	assert_int_equal(csv_open_path(&r, path, &lim, &err), BW_OK);
	for (rows = 0; (rc = csv_next(r, &err)) == CSV_ROW; rows++)
		;
	assert_int_equal(rc, CSV_EOF);
	assert_int_equal(rows, 15389);
	csv_close(r);

	/* A gzip file cut short is an error, not a short read. */
	char tmp[] = "/tmp/bw-ods-test-XXXXXX";
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	close(fd);
	gzFile gz = gzopen(tmp, "wb");
	for (int i = 0; i < 20000; i++)
		gzprintf(gz, "\"row%d\",\"%d\"\n", i, i * 7919);
	gzclose(gz);
	FILE *f = fopen(tmp, "r+b");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fclose(f);
	assert_int_equal(truncate(tmp, size / 2), 0);
	assert_int_equal(csv_open_path(&r, tmp, NULL, &err), BW_OK);
	while ((rc = csv_next(r, &err)) == CSV_ROW)
		;
	assert_int_equal(rc, CSV_ERR);
	assert_int_equal(err.code, BW_EIO);
	csv_close(r);
	unlink(tmp);

	assert_int_equal(csv_open_path(&r, "/nonexistent/x.csv", NULL, &err), BW_ENOTFOUND);
	assert_null(r);

	f = tmpfile();
	fputs("h1,h2\n\"v\n1\",v2\n", f);
	rewind(f);
	assert_int_equal(csv_open_fp(&r, f, "stream", NULL, &err), BW_OK);
	assert_int_equal(csv_next(r, &err), CSV_ROW);
	assert_int_equal(csv_next(r, &err), CSV_ROW);
	assert_string_equal(csv_field_c(r, 0), "v\n1");
	assert_int_equal(csv_next(r, &err), CSV_EOF);
	csv_close(r);
	fclose(f);
}

/* ---- estates ---- */

static struct ods_estate national;  /* loaded once: it is the slow part */

static int national_setup(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	if (ods_load(data_dir(), ODS_SCALE_NATIONAL, &national, &err) != BW_OK) {
		fprintf(stderr, "national estate: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int national_teardown(void **state)
{
	(void)state;
	ods_estate_free(&national);
	return 0;
}

static size_t children(const struct ods_estate *e, const char *code, enum ods_type type)
{
	size_t n = 0;
	for (size_t i = 0; i < e->n; i++)
		n += strcmp(e->orgs[i].parent_code, code) == 0 && e->orgs[i].type == type;
	return n;
}

/* Shape every estate must have: one root, parents first, codes unique and
 * ODS-like, types in the right level, synthetic organisations marked. */
static void check_shape(const struct ods_estate *e)
{
	assert_true(e->n > 0);
	assert_int_equal(e->orgs[0].type, ODS_NATIONAL);
	assert_string_equal(e->orgs[0].code, ODS_NATIONAL_CODE);
	assert_int_equal(e->count[ODS_NATIONAL], 1);
	for (size_t i = 0; i < e->n; i++) {
		const struct ods_org *o = &e->orgs[i];
		assert_true(ods_code_valid(o->code, strlen(o->code)));
		assert_ptr_equal(ods_estate_find(e, o->code), o);
		assert_non_null(o->name);
		assert_true(o->name[0] != 0);
		size_t nl = strlen(o->name);
		bool suffix = nl >= 11 && strcmp(o->name + nl - 11, "(SYNTHETIC)") == 0;
		assert_int_equal(suffix, o->synthetic);
		if (i == 0) {
			assert_int_equal(o->parent, SIZE_MAX);
			continue;
		}
		assert_true(o->parent < i);
		const struct ods_org *p = &e->orgs[o->parent];
		assert_string_equal(p->code, o->parent_code);
		switch (o->type) {
		case ODS_REGION:
		case ODS_SUPPLIER:
			assert_int_equal(p->type, ODS_NATIONAL);
			break;
		case ODS_ICB:
			assert_int_equal(p->type, ODS_REGION);
			break;
		default:
			assert_int_equal(p->type, ODS_ICB);
			break;
		}
	}
	size_t total = 0;
	for (int t = 0; t < ODS_TYPE_COUNT; t++)
		total += e->count[t];
	assert_int_equal(total, e->n);
	assert_null(ods_estate_find(e, "NOSUCH"));
}

static void small_estate_shape(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	struct ods_estate e;
	assert_int_equal(ods_load(data_dir(), ODS_SCALE_SMALL, &e, &err), BW_OK);
	check_shape(&e);
	assert_int_equal(e.count[ODS_REGION], 2);
	assert_int_equal(e.count[ODS_ICB], 3);
	assert_int_equal(e.count[ODS_SUPPLIER], 2);
	assert_int_equal(e.n, 38);
	assert_int_equal(ods_estate_find(&e, "Y56")->type, ODS_REGION);
	assert_int_equal(ods_estate_find(&e, "Y61")->type, ODS_REGION);
	static const char *const icbs[] = { "QMJ", "QRV", "QM7" };
	for (size_t k = 0; k < 3; k++) {
		assert_int_equal(children(&e, icbs[k], ODS_NHS_TRUST), 3);
		assert_int_equal(children(&e, icbs[k], ODS_GP_PRACTICE), 3);
		assert_int_equal(children(&e, icbs[k], ODS_PHARMACY), 2);
		assert_int_equal(children(&e, icbs[k], ODS_CARE_PROVIDER), 1);
		assert_int_equal(children(&e, icbs[k], ODS_DENTAL_PRACTICE), 1);
	}
	/* Real organisations carry their real names and postcodes. */
	const struct ods_org *raj = ods_estate_find(&e, "RQW");
	assert_non_null(raj);
	assert_string_equal(raj->name, "THE PRINCESS ALEXANDRA HOSPITAL NHS TRUST");
	assert_string_equal(raj->postcode, "CM20 1QX");
	assert_false(raj->synthetic);
	/* Synthetic ones sit at a real postcode of their own ICB's area. */
	for (size_t i = 0; i < e.n; i++)
		if (e.orgs[i].type == ODS_CARE_PROVIDER || e.orgs[i].type == ODS_DENTAL_PRACTICE)
			assert_true(strlen(e.orgs[i].postcode) >= 5);
	ods_estate_free(&e);
}

static void small_estate_is_deterministic(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	struct ods_estate a, b;
	assert_int_equal(ods_load(data_dir(), ODS_SCALE_SMALL, &a, &err), BW_OK);
	assert_int_equal(ods_load(data_dir(), ODS_SCALE_SMALL, &b, &err), BW_OK);
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		assert_string_equal(a.orgs[i].code, b.orgs[i].code);
		assert_string_equal(a.orgs[i].name, b.orgs[i].name);
		assert_string_equal(a.orgs[i].parent_code, b.orgs[i].parent_code);
		assert_string_equal(a.orgs[i].postcode, b.orgs[i].postcode);
		assert_int_equal(a.orgs[i].type, b.orgs[i].type);
	}
	ods_estate_free(&a);
	ods_estate_free(&b);
}

static void missing_data_is_a_clear_error(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	struct ods_estate e;
	assert_int_equal(ods_load("/nonexistent", ODS_SCALE_SMALL, &e, &err), BW_ENOTFOUND);
	assert_non_null(strstr(err.msg, "nhs_england_regions.csv"));
	assert_int_equal(e.n, 0);
	ods_estate_free(&e);
	enum ods_scale s;
	assert_true(ods_scale_parse("national", &s) && s == ODS_SCALE_NATIONAL);
	assert_false(ods_scale_parse("huge", &s));
}

static void national_estate_counts(void **state)
{
	(void)state;
	const struct ods_estate *e = &national;
	check_shape(e);
	/* The figures of data/orgs/README.md. */
	assert_int_equal(e->count[ODS_REGION], 7);
	assert_int_equal(e->count[ODS_ICB], 42);
	assert_int_equal(e->count[ODS_NHS_TRUST], 199);
	assert_in_range(e->count[ODS_GP_PRACTICE], 6150, 6250);
	assert_in_range(e->count[ODS_PHARMACY], 10400, 10700);
	assert_int_equal(e->n, ODS_NATIONAL_TOTAL);
	assert_int_equal(e->count[ODS_SUPPLIER], 20);
	assert_in_range(e->count[ODS_DENTAL_PRACTICE], 9000, 13000);
	assert_in_range(e->count[ODS_CARE_PROVIDER], 25000, 40000);
	/* No ICB of 2026 in the pre-2026 estate; every ICB has practices and
	 * pharmacies. */
	assert_null(ods_estate_find(e, "S1Y5D"));
	assert_null(ods_estate_find(e, "Z9B2Z"));
	for (size_t i = 0; i < e->n; i++) {
		const struct ods_org *o = &e->orgs[i];
		if (o->type == ODS_ICB) {
			assert_true(children(e, o->code, ODS_GP_PRACTICE) > 0);
			assert_true(children(e, o->code, ODS_PHARMACY) > 0);
		}
	}
	/* ICBs per region before April 2026 (lookups/icbs.csv). */
	static const struct { const char *region; size_t icbs; } per_region[] = {
		{ "Y56", 5 }, { "Y58", 7 }, { "Y59", 6 }, { "Y60", 11 },
		{ "Y61", 6 }, { "Y62", 3 }, { "Y63", 4 },
	};
	for (size_t k = 0; k < BW_NELEM(per_region); k++)
		assert_int_equal(children(e, per_region[k].region, ODS_ICB), per_region[k].icbs);
	/* Trusts on 2026 codes in etr.csv go back to the ICB of their area. */
	static const char *const placed[][2] = {
		{ "RQW", "QM7" }, { "RDE", "QJG" }, { "RAJ", "QH8" }, { "RGR", "QJG" },
		{ "RWX", "QNQ" }, { "RDU", "QNQ" }, { "RPY", "QRV" }, { "RAL", "QMJ" },
		{ "RGT", "QUE" }, { "RC9", "QHG" }, { "RM1", "QMM" }, { "RTK", "QXU" },
		{ "RTH", "QU9" }, { "RYR", "QNX" }, { "RTD", "QHM" },
	};
	for (size_t k = 0; k < BW_NELEM(placed); k++) {
		const struct ods_org *o = ods_estate_find(e, placed[k][0]);
		assert_non_null(o);
		assert_string_equal(o->parent_code, placed[k][1]);
	}
}

/* ---- reorganisation ---- */

static size_t distinct_old(const struct ods_reorg *m, size_t *splits)
{
	size_t n = 0;
	*splits = 0;
	for (size_t i = 0; i < m->nwhole; i++) {
		bool seen = false, split = false;
		for (size_t j = 0; j < i; j++)
			seen |= strcmp(m->rules[j].old_code, m->rules[i].old_code) == 0;
		for (size_t j = 0; j < m->nwhole; j++)
			split |= j != i && strcmp(m->rules[j].old_code, m->rules[i].old_code) == 0;
		if (!seen) {
			n++;
			*splits += split;
		}
	}
	return n;
}

static const char *whole_new(const struct ods_reorg *m, const char *old)
{
	for (size_t i = 0; i < m->nwhole; i++)
		if (strcmp(m->rules[i].old_code, old) == 0)
			return m->rules[i].new_code;
	return NULL;
}

static void reorg_2026_mapping(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	struct ods_reorg m;
	assert_int_equal(ods_reorg_load(data_dir(), &m, &err), BW_OK);
	assert_int_equal(m.nwhole, 16);
	size_t splits;
	assert_int_equal(distinct_old(&m, &splits), 12);
	assert_int_equal(splits, 3);
	assert_int_equal(m.ncreated, 6);
	assert_string_equal(whole_new(&m, "QHG"), "S1Y5D");
	assert_string_equal(whole_new(&m, "QUE"), "S1Y5D");
	assert_string_equal(whole_new(&m, "QMJ"), "Z9B2Z");
	assert_string_equal(whole_new(&m, "QRV"), "Z9B2Z");
	assert_string_equal(whole_new(&m, "QMM"), "T6Y0W");
	assert_null(whole_new(&m, "QKK"));  /* South East London is untouched */
	static const char *const regions[][2] = {
		{ "S1Y5D", "Y61" }, { "D7T5G", "Y61" }, { "T6Y0W", "Y61" },
		{ "S0E4D", "Y59" }, { "S9B9J", "Y59" }, { "Z9B2Z", "Y56" },
	};
	for (size_t k = 0; k < BW_NELEM(regions); k++) {
		bool found = false;
		for (size_t i = 0; i < m.ncreated; i++)
			if (strcmp(m.created[i].code, regions[k][0]) == 0) {
				found = true;
				assert_string_equal(m.created[i].region, regions[k][1]);
				assert_non_null(strstr(m.created[i].name, "INTEGRATED CARE BOARD"));
			}
		assert_true(found);
	}
	/* Member rows exist only for the three split ICBs. */
	assert_true(m.nrules - m.nwhole > 500);
	for (size_t i = m.nwhole; i < m.nrules; i++) {
		const char *o = m.rules[i].old_code;
		assert_true(strcmp(o, "QM7") == 0 || strcmp(o, "QJG") == 0 ||
			    strcmp(o, "QNQ") == 0);
	}
	ods_reorg_free(&m);
}

static bool is_successor(const struct ods_reorg *m, const char *old, const char *to)
{
	for (size_t i = 0; i < m->nwhole; i++)
		if (strcmp(m->rules[i].old_code, old) == 0 && strcmp(m->rules[i].new_code, to) == 0)
			return true;
	return false;
}

static void reorg_national_plan_moves_every_member(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	struct ods_reorg m;
	struct ods_reorg_plan p;
	const struct ods_estate *e = &national;
	assert_int_equal(ods_reorg_load(data_dir(), &m, &err), BW_OK);
	assert_int_equal(ods_reorg_plan(&m, e, &p, &err), BW_OK);
	assert_int_equal(p.ncreate, 6);
	assert_int_equal(p.ndissolve, 12);
	/* 42 - 12 + 6 = 36 ICBs afterwards. */
	assert_int_equal(e->count[ODS_ICB] - p.ndissolve + p.ncreate, 36);
	size_t members = 0;
	for (size_t d = 0; d < p.ndissolve; d++)
		for (size_t i = 0; i < e->n; i++)
			members += strcmp(e->orgs[i].parent_code, p.dissolve[d]) == 0;
	assert_int_equal(p.nmoves, members);
	size_t by_default = 0;
	for (size_t i = 0; i < p.nmoves; i++) {
		const struct ods_move *mv = &p.moves[i];
		assert_string_equal(e->orgs[mv->org].parent_code, mv->old_parent);
		assert_true(is_successor(&m, mv->old_parent, mv->new_parent));
		by_default += mv->how == ODS_BY_DEFAULT;
	}
	/* Almost every split member is placed by data, a rule or location. */
	assert_true(by_default < 10);
	ods_reorg_plan_free(&p);
	ods_reorg_free(&m);
}

/* The boundary rules and location votes, without a member's own row, put
 * every trust where etr.csv (2026) says it went. */
static void reorg_rules_agree_with_trust_file(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	struct ods_reorg m;
	assert_int_equal(ods_reorg_load(data_dir(), &m, &err), BW_OK);
	char path[4096];
	snprintf(path, sizeof path, "%s/orgs/ods/etr.csv", data_dir());
	struct csv_reader *r;
	assert_int_equal(csv_open_path(&r, path, NULL, &err), BW_OK);
	size_t checked = 0, split = 0;
	while (csv_next(r, &err) == CSV_ROW) {
		const struct ods_org *t = ods_estate_find(&national, csv_field_c(r, 0));
		if (!t || t->type != ODS_NHS_TRUST)
			continue;
		const char *etr_icb = csv_field_c(r, 3);
		struct ods_org probe = *t;
		snprintf(probe.code, sizeof probe.code, "ZZPROBE");
		const char *to;
		enum ods_reorg_how how;
		assert_int_equal(ods_reorg_resolve(&m, t->parent_code, &probe, &to, &how, &err), BW_OK);
		if (!to) {
			assert_string_equal(t->parent_code, etr_icb);
		} else {
			assert_string_equal(to, etr_icb);
			split += how != ODS_BY_MERGE;
		}
		checked++;
	}
	csv_close(r);
	assert_int_equal(checked, 199);
	assert_true(split >= 8);
	ods_reorg_free(&m);
}

static void reorg_small_plan(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	struct ods_estate e;
	struct ods_reorg m;
	struct ods_reorg_plan p;
	assert_int_equal(ods_load(data_dir(), ODS_SCALE_SMALL, &e, &err), BW_OK);
	assert_int_equal(ods_reorg_load(data_dir(), &m, &err), BW_OK);
	assert_int_equal(ods_reorg_plan(&m, &e, &p, &err), BW_OK);
	assert_int_equal(p.nmoves, 30);
	assert_int_equal(p.ndissolve, 3);
	assert_int_equal(p.ncreate, 3);
	size_t to[3] = { 0 };
	static const char *const news[] = { "Z9B2Z", "S1Y5D", "D7T5G" };
	for (size_t i = 0; i < p.nmoves; i++)
		for (size_t k = 0; k < 3; k++)
			to[k] += strcmp(p.moves[i].new_parent, news[k]) == 0;
	assert_int_equal(to[0], 20);
	assert_true(to[1] > 0 && to[2] > 0);  /* QM7 really splits */
	assert_int_equal(to[1] + to[2], 10);
	for (size_t i = 0; i < p.nmoves; i++) {
		const char *code = e.orgs[p.moves[i].org].code;
		if (strcmp(code, "RQW") == 0)
			assert_string_equal(p.moves[i].new_parent, "D7T5G");  /* Harlow */
		if (strcmp(code, "RWH") == 0)
			assert_string_equal(p.moves[i].new_parent, "S1Y5D");  /* Stevenage */
	}
	ods_reorg_plan_free(&p);
	ods_reorg_free(&m);
	ods_estate_free(&e);
}

static const char user_map[] =
	"old_code,new_code,member_code,new_name,new_region\r\n"
	"QMJ,QRV\r\n"
	"qm7,NEW1A,,NHS NEW ONE INTEGRATED CARE BOARD,Y61\r\n"
	"QM7,NEW2B,,NHS NEW TWO INTEGRATED CARE BOARD,Y61\r\n";

static void reorg_user_file(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	struct ods_estate e;
	struct ods_reorg m;
	struct ods_reorg_plan p;
	assert_int_equal(ods_load(data_dir(), ODS_SCALE_SMALL, &e, &err), BW_OK);
	/* A split with no member rows cannot be planned: the error names one. */
	assert_int_equal(ods_reorg_parse_mem(user_map, sizeof user_map - 1, "map.csv", &m, &err),
			 BW_OK);
	assert_int_equal(m.nwhole, 3);
	assert_int_equal(m.ncreated, 2);
	assert_int_equal(ods_reorg_plan(&m, &e, &p, &err), BW_EINVAL);
	assert_non_null(strstr(err.msg, "give a member row for"));
	ods_reorg_free(&m);

	/* With a row for every member of QM7, from a file on disk. */
	struct buf b;
	buf_init(&b);
	buf_add(&b, user_map, sizeof user_map - 1);
	size_t nmem = 0;
	for (size_t i = 0; i < e.n; i++)
		if (strcmp(e.orgs[i].parent_code, "QM7") == 0)
			buf_printf(&b, "QM7,%s,%s\n", nmem++ % 2 ? "NEW2B" : "NEW1A", e.orgs[i].code);
	char tmp[] = "/tmp/bw-ods-map-XXXXXX";
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b.p, b.len), (ssize_t)b.len);
	close(fd);
	buf_free(&b);
	assert_int_equal(ods_reorg_parse_file(tmp, &m, &err), BW_OK);
	unlink(tmp);
	assert_int_equal(ods_reorg_plan(&m, &e, &p, &err), BW_OK);
	assert_int_equal(p.nmoves, 20);
	assert_int_equal(p.ncreate, 2);
	assert_int_equal(p.ndissolve, 2);
	size_t member_moves = 0;
	for (size_t i = 0; i < p.nmoves; i++)
		member_moves += p.moves[i].how == ODS_BY_MEMBER;
	assert_int_equal(member_moves, nmem);
	ods_reorg_plan_free(&p);
	ods_reorg_free(&m);
	ods_estate_free(&e);
}

static void expect_parse_error(const char *text, const char *msg_part, const char *field)
{
	struct bw_error err = { 0 };
	struct ods_reorg m;
	assert_int_equal(ods_reorg_parse_mem(text, strlen(text), "map.csv", &m, &err), BW_EINVAL);
	if (!strstr(err.msg, msg_part))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, msg_part);
	assert_string_equal(err.field, field);
	assert_null(m.rules);
}

static void reorg_user_file_errors_name_line_and_column(void **state)
{
	(void)state;
	expect_parse_error("old_code,new_code\nQMJ,QRV\nQNX,S9-B9J\n",
			   "map.csv line 3, column 2 (new_code)", "new_code");
	expect_parse_error("QMJ\n", "map.csv line 1: 1 columns", "line");
	expect_parse_error("QMJ,QMJ\n", "line 1, column 2 (new_code): is the same", "new_code");
	expect_parse_error("QMJ,QRV\nQRV,Z9B2Z\n", "QRV is itself dissolved", "new_code");
	expect_parse_error("QMJ,QRV\n\nQMJ,QRV\n", "line 3: repeats line 1", "line");
	expect_parse_error("QMJ,NEW1,,A NAME\n", "new_name and new_region go together",
			   "new_region");
	expect_parse_error(",QRV\n", "line 1, column 1 (old_code): is empty", "old_code");
	expect_parse_error("QMJ,QRV,ABCDEFGHIJKLMNOPQ\n", "column 3 (member_code)", "member_code");
	expect_parse_error("", "has no rows", "line");
	expect_parse_error("QMJ,\"QRV\n", "not closed", "line");

	/* A member that is not under its old ICB, or a new ICB without a name. */
	struct bw_error err = { 0 };
	struct ods_estate e;
	struct ods_reorg m;
	struct ods_reorg_plan p;
	assert_int_equal(ods_load(data_dir(), ODS_SCALE_SMALL, &e, &err), BW_OK);
	const char *t1 = "QMJ,QRV,RQW\n";
	assert_int_equal(ods_reorg_parse_mem(t1, strlen(t1), "m", &m, &err), BW_OK);
	assert_int_equal(ods_reorg_plan(&m, &e, &p, &err), BW_EINVAL);
	assert_non_null(strstr(err.msg, "line 1: RQW is not a member of QMJ"));
	ods_reorg_free(&m);
	const char *t2 = "QMJ,NOWHERE\n";
	assert_int_equal(ods_reorg_parse_mem(t2, strlen(t2), "m", &m, &err), BW_OK);
	assert_int_equal(ods_reorg_plan(&m, &e, &p, &err), BW_EINVAL);
	assert_non_null(strstr(err.msg, "NOWHERE"));
	assert_string_equal(err.field, "new_name");
	ods_reorg_free(&m);
	const char *t3 = "QKK,QRV\n";
	assert_int_equal(ods_reorg_parse_mem(t3, strlen(t3), "m", &m, &err), BW_OK);
	assert_int_equal(ods_reorg_plan(&m, &e, &p, &err), BW_ENOTFOUND);
	ods_reorg_free(&m);
	ods_estate_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(csv_quotes_commas_and_doubled_quotes),
		cmocka_unit_test(csv_embedded_newlines_keep_line_numbers),
		cmocka_unit_test(csv_crlf_and_blank_lines),
		cmocka_unit_test(csv_field_too_long_names_the_line),
		cmocka_unit_test(csv_too_many_fields),
		cmocka_unit_test(csv_empty_input_and_missing_final_newline),
		cmocka_unit_test(csv_latin1_bytes_pass_through_and_convert),
		cmocka_unit_test(csv_bad_quoting_is_an_error),
		cmocka_unit_test(csv_reads_files_plain_gzip_and_stream),
		cmocka_unit_test(small_estate_shape),
		cmocka_unit_test(small_estate_is_deterministic),
		cmocka_unit_test(missing_data_is_a_clear_error),
		cmocka_unit_test(reorg_2026_mapping),
		cmocka_unit_test(reorg_small_plan),
		cmocka_unit_test(reorg_user_file),
		cmocka_unit_test(reorg_user_file_errors_name_line_and_column),
		cmocka_unit_test(national_estate_counts),
		cmocka_unit_test(reorg_national_plan_moves_every_member),
		cmocka_unit_test(reorg_rules_agree_with_trust_file),
	};
	/* The national estate is loaded once for the whole group. */
	return cmocka_run_group_tests_name("ods", tests, national_setup, national_teardown);
}
