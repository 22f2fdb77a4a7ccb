/*
 * Unit tests for the feeds module (src/feeds): each importer on small
 * hand-made inputs (KEV, CVE JSON 5 in a folder, OSV in a zip, a CSAF
 * provider with signed advisories), incremental syncs (unchanged = no
 * writes, one change = one update, a KEV update adding three CVEs = three
 * changes), refusals with reasons (bad JSON, deep nesting, oversize, zip
 * bomb, path traversal, SHA-512 mismatch, tampered signature) that leave the
 * previous state intact, the CPE dictionary and the compiled feed; and the
 * real corpora from ../shared/data/feeds (KEV, an OSV ecosystem, CISA's IT
 * CSAF advisories with their hashes). The backend comes from BULWARK_TEST_DB (see
 * tests/lib/testdb.h); BULWARK_FEEDS_FULL=1 imports every corpus instead:
 * the whole CVE 5 zip, every OSV zip and all 2,383 CSAF advisories (minutes
 * under the sanitizers, too long for every run; the unit-feeds-corpora-*
 * executables read every record of them without the database writes).
 */
#include <archive.h>
#include <archive_entry.h>
#include <ftw.h>
#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/testdb.h"

#include "feeds/feeds_int.h"
#include "registers/components.h"

/* ---- harness ---- */

static char dir[256];

static const char *data_dir(void)
{
	const char *d = getenv("BULWARK_DATA");
	return d && *d ? d : "../shared/data";
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static int group_setup(void **state)
{
	snprintf(dir, sizeof dir, "/tmp/bw-feeds-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return testdb_group_setup(state);
}

static int group_teardown(void **state)
{
	components_dictionary_reset();
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return testdb_group_teardown(state);
}

static const struct db_migration *const sets[] = {
	orgs_migrations, audit_migrations, components_migrations, feeds_migrations, NULL,
};

static struct db *fresh(const char *name)
{
	struct db *db = testdb_fresh(name, sets);
	struct bw_error e = { 0 };
	assert_int_equal(db_exec(db, "INSERT INTO orgs (code, name, type, path, created_at) VALUES ('X26', 'National team', 'national', '/1/', 0)", &e), BW_OK);
	return db;
}

static const char *path_of(const char *name)
{
	static char p[8][512];
	static int k;
	k = (k + 1) % 8;
	snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
	return p[k];
}

static void write_file(const char *path, const char *text, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	fclose(f);
}

static void write_text(const char *path, const char *text)
{
	write_file(path, text, strlen(text));
}

/* A zip of (name, bytes) pairs written with libarchive. */
struct zent {
	const char *name;
	const char *data;
	size_t n;
};

static void write_zip(const char *path, const struct zent *e, size_t n)
{
	struct archive *a = archive_write_new();
	archive_write_set_format_zip(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *en = archive_entry_new();
		archive_entry_set_pathname(en, e[i].name);
		archive_entry_set_size(en, (la_int64_t)e[i].n);
		archive_entry_set_filetype(en, AE_IFREG);
		archive_entry_set_perm(en, 0644);
		assert_int_equal(archive_write_header(a, en), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, e[i].data, e[i].n), (la_ssize_t)e[i].n);
		archive_entry_free(en);
	}
	archive_write_close(a);
	archive_write_free(a);
}

static struct actor cli(void)
{
	struct actor a;
	orgs_actor_cli(&a);
	return a;
}

static void add(struct db *db, const char *name, enum feeds_kind kind, const char *loc, const char *key)
{
	struct bw_error e = { 0 };
	struct actor a = cli();
	if (feeds_source_add(db, &a, name, kind, loc, key, NULL, &e) != BW_OK)
		fail_msg("add %s: %s", name, e.msg);
}

static struct feeds_sync_result sync_ok(struct db *db, const char *name)
{
	struct feeds_sync_result r;
	struct bw_error e = { 0 };
	if (feeds_sync(db, NULL, name, &r, &e) != BW_OK)
		fail_msg("sync %s: %s", name, e.msg);
	return r;
}

static int64_t q(struct db *db, const char *sql)
{
	return db_query_i64(db, sql, -1);
}

/* The text of the first row and column of sql, copied. */
static char *qs(struct db *db, const char *sql)
{
	struct db_stmt *st = db_prep(db, sql);
	char *s = NULL;
	if (db_step(st) == DB_ROW) {
		s = strdup(db_col_text(st, 0) ? db_col_text(st, 0) : "");
		db_reset(st);
	}
	return s;
}

/* Every refusal of the source's last sync has a reason, and one of them
 * contains each of the wanted phrases. */
static void assert_refused(struct db *db, const char *source, const char *const *want, size_t nwant)
{
	struct feeds_source s;
	struct bw_error e = { 0 };
	assert_int_equal(feeds_source_get(db, source, &s, &e), BW_OK);
	struct feeds_error ex[FEEDS_LIM_ERROR_EXAMPLES];
	size_t n = feeds_errors_get(db, s.id, ex, FEEDS_LIM_ERROR_EXAMPLES);
	for (size_t i = 0; i < n; i++)
		assert_true(strlen(ex[i].reason) > 5);
	for (size_t k = 0; k < nwant; k++) {
		bool found = false;
		for (size_t i = 0; i < n && !found; i++)
			found = strstr(ex[i].reason, want[k]) || strstr(ex[i].entry, want[k]);
		if (!found)
			fail_msg("no refusal of %s mentions \"%s\" (%zu refusals)", source, want[k], n);
	}
}

/* ---- KEV ---- */

static const char *kev_entry(char *out, size_t n, int k)
{
	snprintf(out, n,
		 "{\"cveID\":\"CVE-2024-%04d\",\"vendorProject\":\"Acme\",\"product\":\"Widget %d\","
		 "\"vulnerabilityName\":\"Acme Widget %d flaw\",\"dateAdded\":\"2024-0%d-1%d\","
		 "\"shortDescription\":\"Something bad %d.\",\"requiredAction\":\"Patch.\",\"dueDate\":\"2024-12-01\","
		 "\"knownRansomwareCampaignUse\":\"%s\",\"notes\":\"\",\"cwes\":[\"CWE-79\"]}",
		 1000 + k, k, k, 1 + k % 9, k % 10, k, k % 2 ? "Known" : "Unknown");
	return out;
}

static void write_kev(const char *path, int from, int to)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "{\"title\":\"CISA Catalog of Known Exploited Vulnerabilities\",\"catalogVersion\":\"x\",\"vulnerabilities\":[");
	char e[1024];
	for (int k = from; k < to; k++)
		buf_printf(&b, "%s%s", k > from ? "," : "", kev_entry(e, sizeof e, k));
	buf_puts(&b, "]}");
	write_file(path, b.p, b.len);
	buf_free(&b);
}

static void test_kev_incremental(void **state)
{
	(void)state;
	struct db *db = fresh("feeds_kev");
	const char *p = path_of("kev.json");
	write_kev(p, 0, 5);
	add(db, "kev", FEEDS_KEV, p, NULL);
	struct feeds_sync_result r = sync_ok(db, "kev");
	assert_int_equal(r.added, 5);
	assert_int_equal(r.errors, 0);
	assert_int_equal(q(db, "SELECT count(*) FROM vulnerabilities WHERE kev = 1"), 5);
	assert_int_equal(q(db, "SELECT kev_ransomware FROM vulnerabilities WHERE id = 'CVE-2024-1001'"), 1);
	assert_int_equal(q(db, "SELECT kev_due FROM vulnerabilities WHERE id = 'CVE-2024-1001'"), 1733011200);
	int64_t changes = q(db, "SELECT count(*) FROM feed_changes");
	int64_t marker = q(db, "SELECT max(id) FROM feed_changes");
	int64_t touched = q(db, "SELECT max(updated_at) FROM feed_records");

	/* the same catalog again: nothing written */
	r = sync_ok(db, "kev");
	assert_int_equal(r.added + r.updated + r.withdrawn, 0);
	assert_int_equal(r.unchanged, 5);
	assert_int_equal(q(db, "SELECT count(*) FROM feed_changes"), changes);
	assert_int_equal(q(db, "SELECT max(updated_at) FROM feed_records"), touched);

	/* three CVEs added to the catalog: exactly three changes to re-match */
	write_kev(p, 0, 8);
	r = sync_ok(db, "kev");
	assert_int_equal(r.added, 3);
	assert_int_equal(r.unchanged, 5);
	struct arena a;
	arena_init(&a);
	struct feeds_change *ch;
	size_t n;
	struct bw_error e = { 0 };
	assert_int_equal(feeds_changes_since(db, &a, marker, 100, &ch, &n, &e), BW_OK);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(ch[i].change, "added");
		assert_int_equal(ch[i].kind, FEEDS_KEV);
	}
	assert_string_equal(ch[2].record_id, "CVE-2024-1007");
	arena_free(&a);

	/* one taken off the catalog: withdrawn, its KEV flag cleared */
	write_kev(p, 1, 8);
	r = sync_ok(db, "kev");
	assert_int_equal(r.withdrawn, 1);
	assert_int_equal(q(db, "SELECT kev FROM vulnerabilities WHERE id = 'CVE-2024-1000'"), 0);
	assert_int_equal(q(db, "SELECT count(*) FROM vulnerabilities WHERE kev = 1"), 7);

	/* an entry without a CVE id is refused, the others still go in (the last
	 * batch once went missing when no record could be taken as removed) */
	const char *p2 = path_of("kev-noid.json");
	char e1[1024], e2[1024];
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "{\"vulnerabilities\":[{\"vendorProject\":\"Acme\"},%s,%s]}", kev_entry(e1, sizeof e1, 20),
		   kev_entry(e2, sizeof e2, 21));
	write_file(p2, b.p, b.len);
	buf_free(&b);
	add(db, "kev-noid", FEEDS_KEV, p2, NULL);
	r = sync_ok(db, "kev-noid");
	assert_int_equal(r.errors, 1);
	assert_int_equal(r.added, 2);
	assert_int_equal(q(db, "SELECT count(*) FROM feed_records r JOIN feed_sources s ON s.id = r.source_id"
			       " WHERE s.name = 'kev-noid'"), 2);
	db_close(db);
}

/* ---- CVE JSON 5 ---- */

static char *cve5(int num, const char *title, const char *score)
{
	char *s = NULL;
	int n = asprintf(&s,
		"{\"dataType\":\"CVE_RECORD\",\"dataVersion\":\"5.1\",\"cveMetadata\":{\"cveId\":\"CVE-2024-%d\",\"state\":\"PUBLISHED\","
		"\"assignerOrgId\":\"a\",\"datePublished\":\"2024-05-01T10:00:00Z\",\"dateUpdated\":\"2024-05-02T10:00:00.000Z\"},"
		"\"containers\":{\"cna\":{\"providerMetadata\":{\"orgId\":\"a\"},\"title\":\"%s\","
		"\"descriptions\":[{\"lang\":\"en\",\"value\":\"A buffer overflow in Acme Widget.\"}],"
		"\"affected\":[{\"vendor\":\"Acme\",\"product\":\"Widget\",\"cpes\":[\"cpe:2.3:a:acme_corp:widget_server:*:*:*:*:*:*:*:*\"],"
		"\"versions\":[{\"version\":\"1.0\",\"lessThan\":\"1.5\",\"status\":\"affected\",\"versionType\":\"semver\"}],"
		"\"defaultStatus\":\"unaffected\"}],"
		"\"metrics\":[{\"cvssV3_1\":{\"version\":\"3.1\",\"baseScore\":%s,\"baseSeverity\":\"CRITICAL\","
		"\"vectorString\":\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"}}],"
		"\"problemTypes\":[{\"descriptions\":[{\"cweId\":\"CWE-787\",\"lang\":\"en\",\"description\":\"x\",\"type\":\"CWE\"}]}]}}}",
		num, title, score);
	assert_true(n > 0);
	return s;
}

static void put_cve(const char *folder, int num, const char *title, const char *score)
{
	char p[600];
	snprintf(p, sizeof p, "%s/CVE-2024-%d.json", folder, num);
	char *s = cve5(num, title, score);
	write_text(p, s);
	free(s);
}

static void test_cve5_folder(void **state)
{
	(void)state;
	struct db *db = fresh("feeds_cve5");
	char folder[512];
	snprintf(folder, sizeof folder, "%s", path_of("cve5"));
	mkdir(folder, 0700);
	char sub[600];
	snprintf(sub, sizeof sub, "%s/2024", folder);
	mkdir(sub, 0700);
	put_cve(sub, 1001, "Overflow in Widget", "9.8");
	put_cve(sub, 1002, "Another one", "5.3");
	char p[700];
	snprintf(p, sizeof p, "%s/broken.json", sub);
	write_text(p, "{\"cveMetadata\": {\"cveId\": \"CVE-2024-1003\",");
	snprintf(p, sizeof p, "%s/deep.json", sub);
	{
		char deep[400];
		memset(deep, '[', 200);
		memset(deep + 200, ']', 200);
		write_file(p, deep, 400);
	}
	snprintf(p, sizeof p, "%s/notes.json", sub);
	write_text(p, "{\"hello\": \"not a CVE record\"}");
	snprintf(p, sizeof p, "%s/huge.json", sub);
	{
		size_t n = FEEDS_LIM_RECORD + 10;
		char *big = malloc(n);
		assert_non_null(big);
		memset(big, ' ', n);
		big[0] = '{';
		big[n - 1] = '}';
		write_file(p, big, n);
		free(big);
	}
	snprintf(p, sizeof p, "%s/README.md", folder);
	write_text(p, "not JSON, not read");
	add(db, "cve", FEEDS_CVE5, folder, NULL);
	struct feeds_sync_result r = sync_ok(db, "cve");
	assert_int_equal(r.added, 2);
	assert_int_equal(r.errors, 4);
	const char *want[] = { "not valid JSON", "nested deeper", "not a CVE JSON 5 record", "larger than the limit" };
	assert_refused(db, "cve", want, 4);
	assert_int_equal(q(db, "SELECT cvss10 FROM vulnerabilities WHERE id = 'CVE-2024-1001'"), 98);
	char *s = qs(db, "SELECT cwe || '|' || severity || '|' || title FROM vulnerabilities WHERE id = 'CVE-2024-1001'");
	assert_string_equal(s, "CWE-787|CRITICAL|Overflow in Widget");
	free(s);
	assert_int_equal(q(db, "SELECT errors FROM feed_sources WHERE name = 'cve'"), 4);

	/* the CPE dictionary learnt the record's vendor:product */
	assert_int_equal(q(db, "SELECT count(*) FROM cpe_dictionary WHERE cpe_vendor = 'acme_corp' AND cpe_product = 'widget_server'"
			     " AND name_key = 'acme_corp:widget_server'"), 1);

	/* one record changed: one update, one change to re-match */
	int64_t marker = q(db, "SELECT max(id) FROM feed_changes");
	put_cve(sub, 1002, "Another one, rescored", "7.5");
	r = sync_ok(db, "cve");
	assert_int_equal(r.updated, 1);
	assert_int_equal(r.added, 0);
	assert_int_equal(r.unchanged, 1);
	assert_int_equal(q(db, "SELECT cvss10 FROM vulnerabilities WHERE id = 'CVE-2024-1002'"), 75);
	struct arena a;
	arena_init(&a);
	struct match_record *recs;
	size_t n;
	int64_t next;
	struct bw_error e = { 0 };
	assert_int_equal(feeds_changed_records(db, &a, marker, 100, &recs, &n, &next, &e), BW_OK);
	assert_int_equal(n, 1);
	assert_string_equal(recs[0].id, "CVE-2024-1002");
	assert_true(next > marker);

	/* every stored record compiles into the match feed */
	struct match_feed *f;
	assert_int_equal(feeds_feed_load(db, &a, &f, &e), BW_OK);
	assert_int_equal(match_feed_count(f), 2);
	struct match_cpe cpe;
	assert_int_equal(match_cpe_parse(STR("cpe:2.3:a:acme_corp:widget_server:1.2:*:*:*:*:*:*:*"), &cpe, &e), BW_OK);
	struct match_component comp = { .id = "c", .cpe = &cpe, .version = "1.2" };
	assert_true(match_feed_knows(f, &comp));
	match_feed_free(f);
	arena_free(&a);
	db_close(db);
}

/* ---- OSV in a zip; hostile archives ---- */

static const char osv_a[] =
	"{\"schema_version\":\"1.6.0\",\"id\":\"GO-2024-0001\",\"modified\":\"2024-06-01T00:00:00Z\",\"published\":\"2024-05-01T00:00:00Z\","
	"\"aliases\":[\"CVE-2024-5555\",\"GHSA-xxxx-yyyy-zzzz\"],\"summary\":\"Panic in parser\",\"details\":\"Long text.\","
	"\"affected\":[{\"package\":{\"ecosystem\":\"Go\",\"name\":\"example.com/parser\"},"
	"\"ranges\":[{\"type\":\"SEMVER\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"1.2.3\"}]}]}]}";
static const char osv_b[] =
	"{\"id\":\"GO-2024-0002\",\"modified\":\"2024-06-02T00:00:00Z\",\"withdrawn\":\"2024-06-02T00:00:00Z\","
	"\"affected\":[]}";

static void test_osv_zip_and_refusals(void **state)
{
	(void)state;
	struct db *db = fresh("feeds_osv");
	const char *zp = path_of("osv.zip");
	struct zent ok[] = { { "GO-2024-0001.json", osv_a, sizeof osv_a - 1 }, { "GO-2024-0002.json", osv_b, sizeof osv_b - 1 } };
	write_zip(zp, ok, 2);
	add(db, "osv", FEEDS_OSV, zp, NULL);
	struct feeds_sync_result r = sync_ok(db, "osv");
	assert_int_equal(r.added, 1);
	assert_int_equal(r.withdrawn, 1);
	assert_int_equal(r.errors, 0);
	/* the vulnerability is known by its CVE alias */
	char *s = qs(db, "SELECT title || '|' || aliases FROM vulnerabilities WHERE id = 'CVE-2024-5555'");
	assert_non_null(s);
	assert_string_equal(s, "Panic in parser|GO-2024-0001,CVE-2024-5555,GHSA-xxxx-yyyy-zzzz");
	free(s);
	int64_t records = q(db, "SELECT count(*) FROM feed_records"), changes = q(db, "SELECT count(*) FROM feed_changes");
	char *sha = qs(db, "SELECT sha256 FROM feed_records WHERE entry_key = 'GO-2024-0001.json'");

	/* path traversal: the whole archive is refused, nothing changes */
	char changed[sizeof osv_a + 16];
	snprintf(changed, sizeof changed, "%s", osv_a);
	memcpy(strstr(changed, "Panic"), "Crash", 5);
	struct zent trav[] = { { "GO-2024-0001.json", changed, strlen(changed) }, { "../../etc/evil.json", osv_b, sizeof osv_b - 1 } };
	write_zip(zp, trav, 2);
	struct bw_error e = { 0 };
	struct feeds_sync_result fr;
	assert_int_not_equal(feeds_sync(db, NULL, "osv", &fr, &e), BW_OK);
	assert_non_null(strstr(e.msg, "leaves the archive"));
	assert_int_equal(q(db, "SELECT last_failed FROM feed_sources WHERE name = 'osv'"), 1);
	char *last = qs(db, "SELECT last_error FROM feed_sources WHERE name = 'osv'");
	assert_non_null(strstr(last, "../../etc/evil.json"));
	free(last);

	/* a zip bomb beside a changed record: refused, nothing changes */
	size_t bn = 64u * 1024 * 1024;
	char *zeros = calloc(1, bn);
	assert_non_null(zeros);
	struct zent bomb[] = { { "GO-2024-0001.json", changed, strlen(changed) }, { "GO-2024-0003.json", zeros, bn } };
	write_zip(zp, bomb, 2);
	free(zeros);
	struct stat st;
	assert_int_equal(stat(zp, &st), 0);
	assert_true(st.st_size < 1024 * 1024);   /* it really is a bomb */
	bw_error_clear(&e);
	assert_int_not_equal(feeds_sync(db, NULL, "osv", &fr, &e), BW_OK);
	assert_non_null(strstr(e.msg, "zip bomb"));
	for (int k = 0; k < 2; k++) {
		assert_int_equal(q(db, "SELECT count(*) FROM feed_records"), records);
		assert_int_equal(q(db, "SELECT count(*) FROM feed_changes"), changes);
		char *now = qs(db, "SELECT sha256 FROM feed_records WHERE entry_key = 'GO-2024-0001.json'");
		assert_string_equal(now, sha);
		free(now);
		assert_int_equal(q(db, "SELECT count(*) FROM feed_staging"), 0);
		if (k == 0) {
			/* not a zip at all, though named one */
			write_text(zp, "PK\3\4 this is not really a zip");
			bw_error_clear(&e);
			assert_int_not_equal(feeds_sync(db, NULL, "osv", &fr, &e), BW_OK);
		}
	}
	char *title = qs(db, "SELECT title FROM vulnerabilities WHERE id = 'CVE-2024-5555'");
	assert_string_equal(title, "Panic in parser");
	free(title);
	free(sha);

	/* the good archive again: back to ok, nothing to do */
	write_zip(zp, ok, 2);
	r = sync_ok(db, "osv");
	assert_int_equal(r.unchanged, 2);
	assert_int_equal(r.added + r.updated + r.withdrawn, 0);
	assert_int_equal(q(db, "SELECT last_failed FROM feed_sources WHERE name = 'osv'"), 0);
	db_close(db);
}

/* ---- CSAF provider with signatures ---- */

static int run(const char *cmd)
{
	int rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void sha512_file(const char *path, const char *name)
{
	struct buf b;
	buf_init(&b);
	struct bw_error e = { 0 };
	assert_int_equal(feeds_read_file(path, FEEDS_LIM_RECORD, &b, &e), BW_OK);
	unsigned char h[64];
	crypto_hash_sha512(h, (const unsigned char *)b.p, b.len);
	char hex[129], out[700], p[600];
	bw_hex(h, 64, hex);
	snprintf(out, sizeof out, "%s  %s\n", hex, name);
	snprintf(p, sizeof p, "%s.sha512", path);
	write_text(p, out);
	buf_free(&b);
}

struct grab {
	const char *want;
	struct buf *out;
};

static bool grab_want(void *ctx, const char *name)
{
	return !strcmp(name, ((struct grab *)ctx)->want);
}

static enum bw_err grab_entry(void *ctx, const char *name, const char *p, size_t n, struct bw_error *err)
{
	(void)name, (void)err;
	buf_add(((struct grab *)ctx)->out, p, n);
	return BW_OK;
}

static void test_csaf_provider_signed(void **state)
{
	(void)state;
	if (run("command -v gpg >/dev/null") != 0)
		skip();
	struct db *db = fresh("feeds_csaf");
	char home[512], cmd[4096];
	snprintf(home, sizeof home, "%s", path_of("gnupg"));
	mkdir(home, 0700);
	/* a throw-away signing key, in a keyring of its own */
	snprintf(cmd, sizeof cmd,
		 "gpg --batch --quiet --homedir %s --passphrase '' --quick-gen-key 'Test Provider <psirt@example.org>' ed25519 sign never"
		 " 2>/dev/null && gpg --batch --quiet --homedir %s --armor --export psirt@example.org > %s/key.asc",
		 home, home, dir);
	assert_int_equal(run(cmd), 0);

	/* a real advisory from the corpus */
	char zip[600];
	snprintf(zip, sizeof zip, "%s/feeds/csaf/cisagov-csaf.zip", data_dir());
	struct buf adv;
	buf_init(&adv);
	struct grab g = { "csaf_files/IT/white/2024/va-24-201-01.json", &adv };
	struct feeds_walk w = { &g, grab_want, grab_entry, NULL, 0 };
	struct bw_error e = { 0 };
	if (feeds_walk_path(zip, &w, &e) != BW_OK || !adv.len)
		fail_msg("advisory from %s: %s", zip, e.msg);

	char site[512];
	snprintf(site, sizeof site, "%s", path_of("site"));
	mkdir(site, 0700);
	const char *names[] = { "good.json", "tampered.json", "badhash.json" };
	for (int i = 0; i < 3; i++) {
		char p[700];
		snprintf(p, sizeof p, "%s/%s", site, names[i]);
		/* each its own tracking id, so each is its own record */
		struct buf d;
		buf_init(&d);
		buf_add(&d, adv.p, adv.len);
		char *id = strstr(buf_cstr(&d), "\"VA-24-201-01\"");
		assert_non_null(id);
		id[8] = (char)('A' + i);   /* "VA-24-2A1-01", ... */
		write_file(p, d.p, d.len);
		buf_free(&d);
		sha512_file(p, names[i]);
		snprintf(cmd, sizeof cmd, "gpg --batch --quiet --homedir %s --armor --detach-sign --output %s.asc %s 2>/dev/null",
			 home, p, p);
		assert_int_equal(run(cmd), 0);
	}
	/* tampered after signing, its hash made to match again: only the signature tells */
	{
		char p[700];
		snprintf(p, sizeof p, "%s/tampered.json", site);
		struct buf d;
		buf_init(&d);
		assert_int_equal(feeds_read_file(p, FEEDS_LIM_RECORD, &d, &e), BW_OK);
		char *t = strstr(buf_cstr(&d), "\"title\"");
		assert_non_null(t);
		t = strchr(t + 8, '"');
		assert_non_null(t);
		t[1] = t[1] == 'X' ? 'Y' : 'X';
		write_file(p, d.p, d.len);
		buf_free(&d);
		sha512_file(p, "tampered.json");
		snprintf(p, sizeof p, "%s/badhash.json.sha512", site);
		write_text(p, "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000  badhash.json\n");
	}
	char feed[8192], p[700];
	snprintf(feed, sizeof feed,
		 "{\"feed\":{\"id\":\"test-feed\",\"title\":\"Test\",\"entry\":["
		 "{\"id\":\"VA-24-2A1-01\",\"updated\":\"2024-10-03T16:03:00Z\",\"content\":{\"src\":\"file://%s/good.json\"},"
		 "\"link\":[{\"rel\":\"hash\",\"href\":\"file://%s/good.json.sha512\"},{\"rel\":\"signature\",\"href\":\"file://%s/good.json.asc\"}]},"
		 "{\"id\":\"VA-24-2B1-01\",\"updated\":\"2024-10-03T16:03:00Z\",\"content\":{\"src\":\"file://%s/tampered.json\"},"
		 "\"link\":[{\"ref\":\"hash\",\"href\":\"file://%s/tampered.json.sha512\"},{\"ref\":\"signature\",\"href\":\"file://%s/tampered.json.asc\"}]},"
		 "{\"id\":\"VA-24-2C1-01\",\"updated\":\"2024-10-03T16:03:00Z\",\"content\":{\"src\":\"file://%s/badhash.json\"}}"
		 "]}}",
		 site, site, site, site, site, site, site);
	snprintf(p, sizeof p, "%s/feed-tlp-white.json", site);
	write_text(p, feed);
	char meta[2048];
	snprintf(meta, sizeof meta,
		 "{\"canonical_url\":\"https://example.org/.well-known/csaf/provider-metadata.json\",\"metadata_version\":\"2.0\","
		 "\"role\":\"csaf_trusted_provider\",\"distributions\":[{\"rolie\":{\"feeds\":[{\"tlp_label\":\"WHITE\","
		 "\"url\":\"feed-tlp-white.json\"}]}}]}");
	char metap[700];
	snprintf(metap, sizeof metap, "%s/provider-metadata.json", site);
	write_text(metap, meta);

	struct buf key;
	buf_init(&key);
	snprintf(p, sizeof p, "%s/key.asc", dir);
	assert_int_equal(feeds_read_file(p, FEEDS_LIM_KEY, &key, &e), BW_OK);
	add(db, "csaf", FEEDS_CSAF, metap, buf_cstr(&key));
	assert_int_equal(q(db, "SELECT length(key_fpr) FROM feed_sources WHERE name = 'csaf'"), 40);
	struct feeds_sync_result r = sync_ok(db, "csaf");
	assert_int_equal(r.added, 1);
	assert_int_equal(r.errors, 2);
	const char *want[] = { "tampered.json: the OpenPGP signature does not verify", "badhash.json: its SHA-512 hash does not match" };
	assert_refused(db, "csaf", want, 2);
	assert_int_equal(q(db, "SELECT count(*) FROM feed_records WHERE record_id = 'VA-24-2A1-01'"), 1);
	assert_int_equal(q(db, "SELECT count(*) FROM feed_records WHERE record_id = 'VA-24-2B1-01'"), 0);
	assert_true(q(db, "SELECT count(*) FROM vulnerabilities WHERE aliases = 'VA-24-2A1-01'") >= 1);

	/* the ROLIE entry's time has not moved: nothing fetched or written again */
	r = sync_ok(db, "csaf");
	assert_int_equal(r.added + r.updated, 0);
	assert_true(r.unchanged >= 1);

	/* without the key configured, an unsigned-but-hashed advisory is taken */
	add(db, "csaf-nokey", FEEDS_CSAF, metap, NULL);
	r = sync_ok(db, "csaf-nokey");
	assert_int_equal(r.added, 2);
	assert_int_equal(r.errors, 1);

	/* a key that is not OpenPGP is refused when the source is added */
	struct actor a = cli();
	bw_error_clear(&e);
	assert_int_equal(feeds_source_add(db, &a, "csaf-badkey", FEEDS_CSAF, metap, "not a key", NULL, &e), BW_EINVAL);
	assert_string_equal(e.field, "key");
	buf_free(&key);
	buf_free(&adv);
	db_close(db);
}

/* ---- sources ---- */

static void test_sources(void **state)
{
	(void)state;
	struct db *db = fresh("feeds_sources");
	struct actor a = cli();
	struct bw_error e = { 0 };
	assert_int_equal(feeds_source_add(db, &a, "Bad Name", FEEDS_KEV, "/x", NULL, NULL, &e), BW_EINVAL);
	assert_string_equal(e.field, "name");
	assert_int_equal(feeds_source_add(db, &a, "x", FEEDS_KEV, "ftp://example.org/kev.json", NULL, NULL, &e), BW_EINVAL);
	assert_int_equal(feeds_source_add(db, &a, "kev", FEEDS_KEV, "/nowhere/kev.json", NULL, NULL, &e), BW_OK);
	assert_int_equal(feeds_source_add(db, &a, "kev", FEEDS_KEV, "/x", NULL, NULL, &e), BW_ECONFLICT);
	/* an unreadable source fails, and says why */
	struct feeds_sync_result r;
	assert_int_equal(feeds_sync(db, NULL, "kev", &r, &e), BW_EIO);
	char *why = qs(db, "SELECT last_error FROM feed_sources WHERE name = 'kev'");
	assert_non_null(strstr(why, "/nowhere/kev.json"));
	free(why);
	assert_int_equal(feeds_sync(db, NULL, "nope", &r, &e), BW_ENOTFOUND);
	/* every change is in the audit trail */
	assert_true(q(db, "SELECT count(*) FROM audit WHERE action IN ('feeds.add', 'feeds.sync')") >= 2);
	/* the demo registers the shared data's sources, disabled */
	assert_int_equal(feeds_demo_seed(db, data_dir(), &e), BW_OK);
	assert_int_equal(q(db, "SELECT count(*) FROM feed_sources WHERE enabled = 0"), 8);
	assert_int_equal(feeds_demo_seed(db, data_dir(), &e), BW_OK);
	assert_int_equal(q(db, "SELECT count(*) FROM feed_sources"), 9);
	db_close(db);
}

/* ---- the real corpora ---- */

static void real(struct db *db, const char *name, enum feeds_kind kind, const char *rel, int64_t expect_seen)
{
	char p[600];
	if (rel[0] == '/')
		snprintf(p, sizeof p, "%s", rel);
	else
		snprintf(p, sizeof p, "%s/feeds/%s", data_dir(), rel);
	add(db, name, kind, p, NULL);
	int64_t t0 = bw_now_ms();
	struct feeds_sync_result r = sync_ok(db, name);
	int64_t ms = bw_now_ms() - t0;
	print_message("# %s: %lld records, %lld refused, %lld withdrawn in %lld ms (%.0f records/s)\n", name,
		      (long long)r.seen, (long long)r.errors, (long long)r.withdrawn, (long long)ms,
		      ms ? 1000.0 * (double)r.seen / (double)ms : 0.0);
	assert_int_equal(r.seen, expect_seen);
	assert_int_equal(r.added + r.withdrawn + r.errors, r.seen);
	/* every refusal is kept with a reason (up to the examples cap) */
	struct feeds_source s;
	struct bw_error e = { 0 };
	assert_int_equal(feeds_source_get(db, name, &s, &e), BW_OK);
	struct feeds_error ex[FEEDS_LIM_ERROR_EXAMPLES];
	size_t n = feeds_errors_get(db, s.id, ex, FEEDS_LIM_ERROR_EXAMPLES);
	assert_int_equal((int64_t)n, r.errors < FEEDS_LIM_ERROR_EXAMPLES ? r.errors : FEEDS_LIM_ERROR_EXAMPLES);
	for (size_t i = 0; i < n; i++) {
		assert_true(ex[i].entry[0] && strlen(ex[i].reason) > 5);
		if (i < 3)
			print_message("#   refused %s: %s\n", ex[i].entry, ex[i].reason);
	}
	assert_int_equal(s.records + s.withdrawn, r.added + r.withdrawn);
}

struct csaf_it {
	const char *root;
	int n;
};

static bool it_want(void *ctx, const char *name)
{
	(void)ctx;
	return !strncmp(name, "csaf_files/IT/white/", 20) && strstr(name, ".json");
}

static enum bw_err it_entry(void *ctx, const char *name, const char *p, size_t n, struct bw_error *err)
{
	(void)err;
	struct csaf_it *it = ctx;
	const char *base = strrchr(name, '/') + 1;
	char out[700];
	snprintf(out, sizeof out, "%s/%s", it->root, base);
	write_file(out, p, n);
	it->n++;
	return BW_OK;
}

static void test_real_corpora(void **state)
{
	(void)state;
	struct db *db = fresh("feeds_real");
	real(db, "kev", FEEDS_KEV, "kev/known_exploited_vulnerabilities.json", 1404);
	assert_int_equal(q(db, "SELECT count(*) FROM vulnerabilities WHERE kev = 1"), 1404);
	real(db, "osv-crates", FEEDS_OSV, "osv/crates.io-all.zip", 1176);
	bool full = getenv("BULWARK_FEEDS_FULL") != NULL;
	if (full) {
		real(db, "csaf", FEEDS_CSAF, "csaf/cisagov-csaf.zip", 2383);
		real(db, "cve5", FEEDS_CVE5, "cve5/vulnrichment.zip", 20120);
		real(db, "osv-go", FEEDS_OSV, "osv/Go-all.zip", 4241);
		real(db, "osv-pypi", FEEDS_OSV, "osv/PyPI-all.zip", 2611);
		real(db, "osv-bitnami", FEEDS_OSV, "osv/Bitnami-all.zip", 7404);
		real(db, "osv-alma", FEEDS_OSV, "osv/AlmaLinux-all.zip", 5650);
	} else {
		/* CISA's IT advisories (a folder of the corpus with their hashes and
		 * signatures), unpacked into the temporary folder */
		struct csaf_it it = { path_of("csaf-it") };
		mkdir(it.root, 0700);
		char zip[600];
		snprintf(zip, sizeof zip, "%s/feeds/csaf/cisagov-csaf.zip", data_dir());
		struct feeds_walk w = { &it, it_want, it_entry, NULL, 4 << 20 };
		struct bw_error e = { 0 };
		if (feeds_walk_path(zip, &w, &e) != BW_OK)
			fail_msg("%s: %s", zip, e.msg);
		assert_int_equal(it.n, 4 * 3 + 1);   /* advisories, .sha512, .asc, the ROLIE feed */
		real(db, "csaf", FEEDS_CSAF, it.root, 4);
	}
	/* the CVEs the CSAF advisories name have their scores */
	assert_true(q(db, "SELECT count(*) FROM vulnerabilities WHERE cvss10 IS NOT NULL") >= (full ? 1000 : 4));
	int64_t pairs = q(db, "SELECT count(*) FROM cpe_dictionary");
	print_message("# cpe_dictionary: %lld vendor:product pairs\n", (long long)pairs);
	if (full)
		assert_true(pairs > 1000);   /* CISA's CSAF and OSV name few CPEs; the CVE records many */
	/* a second sync of the CSAF archive reads every file and writes nothing */
	int64_t changes = q(db, "SELECT count(*) FROM feed_changes");
	struct feeds_sync_result r = sync_ok(db, "csaf");
	assert_int_equal(r.added + r.updated + r.withdrawn, 0);
	assert_int_equal(q(db, "SELECT count(*) FROM feed_changes"), changes);
	struct arena a;
	arena_init(&a);
	struct match_feed *f;
	struct bw_error e = { 0 };
	assert_int_equal(feeds_feed_load(db, &a, &f, &e), BW_OK);
	assert_true(match_feed_count(f) >= (size_t)q(db, "SELECT count(*) FROM feed_records r JOIN feed_sources s ON s.id = r.source_id WHERE r.withdrawn = 0 AND s.kind <> 'kev'"));
	match_feed_free(f);
	arena_free(&a);
	db_close(db);
}

/* Feed dates: the forms the feeds use, and hostile ones refused (a fuzzed
 * KEV entry's "+4354342" offset overflowed). */
static void test_time_parse(void **state)
{
	(void)state;
	assert_int_equal(feeds_time_parse("2024-10-24"), 1729728000);
	assert_int_equal(feeds_time_parse("2024-10-24T18:54:12Z"), 1729796052);
	assert_int_equal(feeds_time_parse("2024-10-24T18:54:12.345Z"), 1729796052);
	assert_int_equal(feeds_time_parse("2024-10-24T19:54:12+01:00"), 1729796052);
	assert_int_equal(feeds_time_parse("2024-10-24T13:24:12-0530"), 1729796052);
	const char *bad[] = { "", "2024", "2024-13-01", "2024-10-24T25:25Z", "2077-08-25 25:25+4354342",
			      "2024-10-24T18:54+4354342", "2024-10-24T18:54+24:00", "2024-10-24T18:54+01:99",
			      "2024-10-24T18:5", "24-10-2024" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (feeds_time_parse(bad[i]) != 0)
			fail_msg("\"%s\" was read as a time", bad[i]);
}

int main(void)
{
	/* BULWARK_TEST_DB: the unit tests also run on PostgreSQL */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_kev_incremental),
		cmocka_unit_test(test_cve5_folder),
		cmocka_unit_test(test_osv_zip_and_refusals),
		cmocka_unit_test(test_csaf_provider_signed),
		cmocka_unit_test(test_real_corpora),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
