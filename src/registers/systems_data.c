/*
 * systems_data: the critical systems register's tables and storage —
 * systems, their backups, restore tests and dependencies — with the form
 * fields both the pages and the API validate against, the plain-words
 * labels, dates, and the computed gaps. Every change is written and audited
 * in one transaction; the gap facts on the system row are recomputed in
 * that same transaction.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "registers/systems_int.h"

const struct db_migration systems_migrations[] = {
	{ "registers/0002_systems",
	  "CREATE TABLE systems ("
	  " id {{ID}},"
	  " org_id {{INT}} NOT NULL REFERENCES orgs(id),"
	  " name TEXT NOT NULL,"
	  " essential_function TEXT NOT NULL,"
	  " tier {{INT}} NOT NULL CHECK (tier BETWEEN 1 AND 4),"
	  " owner TEXT NOT NULL DEFAULT '',"
	  " hosting TEXT NOT NULL CHECK (hosting IN ('on_premises', 'cloud', 'supplier_hosted')),"
	  " supplier_id {{INT}},"   /* suppliers.id: another area's table, checked in code */
	  " rto_hours {{INT}},"
	  " rpo_hours {{INT}},"
	  " downtime_procedure TEXT NOT NULL DEFAULT '',"
	  " status TEXT NOT NULL CHECK (status IN ('in_service', 'being_replaced', 'unsupported')),"
	  " has_offline {{INT}} NOT NULL DEFAULT 0,"
	  " last_success_on {{INT}},"
	  " last_restore_minutes {{INT}},"
	  " created_at {{INT}} NOT NULL,"
	  " updated_at {{INT}} NOT NULL);"
	  "CREATE INDEX systems_by_org ON systems (org_id, tier);"
	  "CREATE INDEX systems_by_supplier ON systems (supplier_id);"
	  "CREATE TABLE system_backups ("
	  " id {{ID}},"
	  " system_id {{INT}} NOT NULL REFERENCES systems(id),"
	  " method TEXT NOT NULL,"
	  " frequency TEXT NOT NULL,"
	  " offline {{INT}} NOT NULL DEFAULT 0,"
	  " immutable {{INT}} NOT NULL DEFAULT 0,"
	  " location TEXT NOT NULL,"
	  " created_at {{INT}} NOT NULL);"
	  "CREATE INDEX system_backups_by_system ON system_backups (system_id);"
	  "CREATE TABLE restore_tests ("
	  " id {{ID}},"
	  " system_id {{INT}} NOT NULL REFERENCES systems(id),"
	  " backup_id {{INT}} REFERENCES system_backups(id),"
	  " tested_on {{INT}} NOT NULL,"
	  " result TEXT NOT NULL CHECK (result IN ('success', 'partial', 'failed')),"
	  " minutes {{INT}},"
	  " notes TEXT NOT NULL DEFAULT '',"
	  " created_at {{INT}} NOT NULL);"
	  "CREATE INDEX restore_tests_by_system ON restore_tests (system_id, tested_on);"
	  "CREATE TABLE system_deps ("
	  " id {{ID}},"
	  " system_id {{INT}} NOT NULL REFERENCES systems(id),"
	  " kind TEXT NOT NULL CHECK (kind IN ('system', 'supplier', 'location')),"
	  " on_system_id {{INT}} REFERENCES systems(id),"
	  " on_supplier_id {{INT}},"  /* suppliers.id, checked in code */
	  " location TEXT,"
	  " note TEXT NOT NULL DEFAULT '',"
	  " created_at {{INT}} NOT NULL);"
	  "CREATE INDEX system_deps_by_system ON system_deps (system_id);"
	  "CREATE INDEX system_deps_by_target ON system_deps (on_system_id);" },
	/* the tier-1 gap counts kept ready per organisation (rollup.c) */
	{ "registers/0005_gap_rollup",
	  "CREATE TABLE gap_rollup ("
	  " org_id {{INT}} PRIMARY KEY REFERENCES orgs(id),"
	  " own_systems {{INT}} NOT NULL DEFAULT 0, own_with {{INT}} NOT NULL DEFAULT 0,"
	  " own_g0 {{INT}} NOT NULL DEFAULT 0, own_g1 {{INT}} NOT NULL DEFAULT 0, own_g2 {{INT}} NOT NULL DEFAULT 0,"
	  " own_g3 {{INT}} NOT NULL DEFAULT 0, own_g4 {{INT}} NOT NULL DEFAULT 0, own_g5 {{INT}} NOT NULL DEFAULT 0,"
	  " sub_systems {{INT}} NOT NULL DEFAULT 0, sub_with {{INT}} NOT NULL DEFAULT 0,"
	  " sub_g0 {{INT}} NOT NULL DEFAULT 0, sub_g1 {{INT}} NOT NULL DEFAULT 0, sub_g2 {{INT}} NOT NULL DEFAULT 0,"
	  " sub_g3 {{INT}} NOT NULL DEFAULT 0, sub_g4 {{INT}} NOT NULL DEFAULT 0, sub_g5 {{INT}} NOT NULL DEFAULT 0,"
	  " fresh_from {{INT}});"
	  "CREATE INDEX gap_rollup_fresh ON gap_rollup (fresh_from);"
	  "CREATE TABLE gap_rollup_state ("
	  " id {{INT}} PRIMARY KEY CHECK (id = 1),"
	  " history_id {{INT}} NOT NULL,"
	  " max_days {{INT}} NOT NULL);" },
	{ NULL, NULL },
};

/* ---- labels ---- */

static const struct web_option tier_opts[] = {
	{ "1", "Tier 1: patients could be harmed within hours" },
	{ "2", "Tier 2: patient care suffers within a day" },
	{ "3", "Tier 3: services are disrupted within a week" },
	{ "4", "Tier 4: can be without it for more than a week" },
};
static const struct web_option hosting_opts[] = {
	{ "on_premises", "On our premises" },
	{ "cloud", "In the cloud" },
	{ "supplier_hosted", "Hosted by the supplier" },
};
static const struct web_option status_opts[] = {
	{ "in_service", "In service" },
	{ "being_replaced", "Being replaced" },
	{ "unsupported", "Unsupported: no longer updated by its supplier" },
};
static const struct web_option frequency_opts[] = {
	{ "continuous", "Continuously" }, { "hourly", "Every hour" }, { "daily", "Every day" },
	{ "weekly", "Every week" }, { "monthly", "Every month" },
};
static const struct web_option result_opts[] = {
	{ "success", "Succeeded: everything came back" },
	{ "partial", "Partly succeeded" },
	{ "failed", "Failed" },
};
static const struct web_option kind_opts[] = {
	{ "system", "Another system" },
	{ "supplier", "A supplier" },
	{ "location", "A hosting location or network" },
};

static const char *option_label(const struct web_option *o, size_t n, const char *v)
{
	for (size_t i = 0; v && i < n; i++)
		if (!strcmp(o[i].value, v))
			return o[i].label;
	return NULL;
}

const char *systems_tier_label(int tier)
{
	return tier >= 1 && tier <= 4 ? tier_opts[tier - 1].label : "Not recorded";
}

const char *systems_hosting_label(const char *v)
{
	return option_label(hosting_opts, BW_NELEM(hosting_opts), v);
}

const char *systems_status_label(const char *v)
{
	return option_label(status_opts, BW_NELEM(status_opts), v);
}

const char *systems_frequency_label(const char *v)
{
	return option_label(frequency_opts, BW_NELEM(frequency_opts), v);
}

const char *systems_result_label(const char *v)
{
	return option_label(result_opts, BW_NELEM(result_opts), v);
}

static const char *const gap_names[GAP_KINDS] = {
	"no_offline_backup", "no_restore_test", "restore_test_stale", "no_downtime_procedure",
	"unsupported", "rto_exceeded",
};
static const char *const gap_labels[GAP_KINDS] = {
	"No off-line backup", "Never successfully restored", "Restore test out of date",
	"No downtime procedure", "Unsupported software", "Restore slower than the RTO",
};

const char *systems_gap_name(unsigned bit)
{
	return bit < GAP_KINDS ? gap_names[bit] : "";
}

const char *systems_gap_label(unsigned bit)
{
	return bit < GAP_KINDS ? gap_labels[bit] : "";
}

/* ---- gaps ---- */

static int64_t max_days = SYSTEMS_RESTORE_TEST_MAX_DAYS;
static pthread_once_t max_days_once = PTHREAD_ONCE_INIT;

static void max_days_read(void)
{
	const char *s = getenv("BULWARK_RESTORE_TEST_MAX_DAYS");
	int64_t v;
	if (s && *s) {
		if (str_to_i64(str_c(s), 1, 3650, &v))
			max_days = v;
		else
			log_warn("BULWARK_RESTORE_TEST_MAX_DAYS must be 1 to 3650 days; using %d",
				 SYSTEMS_RESTORE_TEST_MAX_DAYS);
	}
}

int64_t systems_restore_max_days(void)
{
	pthread_once(&max_days_once, max_days_read);
	return max_days;
}

int64_t systems_today(int64_t now)
{
	int64_t t = now + bw_london_offset(now);
	return t - ((t % 86400) + 86400) % 86400;
}

int64_t systems_restore_cutoff(int64_t now, int64_t days)
{
	return systems_today(now) - days * 86400;
}

unsigned systems_gaps(const struct reg_system *s, int64_t now, int64_t days)
{
	unsigned g = 0;
	if (!s->has_offline)
		g |= GAP_NO_OFFLINE;
	if (!s->last_success_on)
		g |= GAP_RESTORE_MISSING;
	else if (s->last_success_on < systems_restore_cutoff(now, days))
		g |= GAP_RESTORE_STALE;
	if (!s->downtime || !*s->downtime)
		g |= GAP_NO_DOWNTIME;
	if (s->status && !strcmp(s->status, "unsupported"))
		g |= GAP_UNSUPPORTED;
	if (s->rto_hours >= 0 && s->last_restore_minutes > s->rto_hours * 60)
		g |= GAP_RTO_EXCEEDED;
	return g;
}

/* ---- dates ---- */

static const char *const months[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
static const char *const months_long[12] = { "January", "February", "March", "April", "May", "June", "July",
					      "August", "September", "October", "November", "December" };

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool date_make(int64_t y, int64_t m, int64_t d, int64_t *out)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1)
		return false;
	if (d > mdays[m - 1] + (m == 2 && leap(y)))
		return false;
	*out = days_from_civil(y, m, d) * 86400;
	return true;
}

static int month_parse(const char *p, size_t n)
{
	for (int i = 0; i < 12; i++)
		if ((n == 3 && !strncasecmp(p, months[i], 3)) ||
		    (n == strlen(months_long[i]) && !strncasecmp(p, months_long[i], n)))
			return i + 1;
	if (n == 4 && !strncasecmp(p, "Sept", 4))
		return 9;
	return 0;
}

bool systems_date_parse(const char *s, int64_t *out)
{
	if (!s)
		return false;
	/* three parts separated by spaces, '/', '-' or '.' */
	const char *part[3];
	size_t len[3], n = 0;
	const char *p = s;
	while (*p) {
		while (*p == ' ' || *p == '/' || *p == '-' || *p == '.' || *p == ',')
			p++;
		if (!*p)
			break;
		if (n == 3)
			return false;
		part[n] = p;
		while (*p && !strchr(" /-.,", *p))
			p++;
		len[n] = (size_t)(p - part[n]);
		n++;
	}
	if (n != 3)
		return false;
	int64_t a[3] = { 0, 0, 0 };
	int month_word = 0;
	for (size_t i = 0; i < 3; i++) {
		if (len[i] > 9)
			return false;
		if (isalpha((unsigned char)part[i][0])) {
			if (i != 1 || !(month_word = month_parse(part[i], len[i])))
				return false;
			a[i] = month_word;
		} else if (!str_to_i64((struct str){ part[i], len[i] }, 0, 9999, &a[i])) {
			return false;
		}
	}
	if (len[0] == 4 && !month_word)            /* 2026-03-15 */
		return date_make(a[0], a[1], a[2], out);
	if (len[2] != 4)                           /* the year must be written in full */
		return false;
	return date_make(a[2], a[1], a[0], out);   /* 15/3/2026, 15 March 2026 */
}

void systems_date_format(int64_t t, char out[24])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	snprintf(out, 24, "%d %s %d", tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900);
}

void systems_date_iso(int64_t t, char out[16])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	snprintf(out, 16, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* ---- fields: one table each, checked the same way by pages and API ---- */

static enum bw_err check_id(const struct web_field *f, const char *v, struct bw_error *err)
{
	int64_t id;
	if (!str_to_i64(str_c(v), 1, INT64_MAX, &id))
		return bw_fail(err, BW_EINVAL, f->name, "Select %s from the list", f->label);
	return BW_OK;
}

static enum bw_err check_date(const struct web_field *f, const char *v, struct bw_error *err)
{
	int64_t t;
	if (!systems_date_parse(v, &t))
		return bw_fail(err, BW_EINVAL, f->name,
			       "%s must be a real date, like 15 3 2026 or 15 March 2026", f->label);
	if (t > systems_today(bw_now()))
		return bw_fail(err, BW_EINVAL, f->name, "%s must be today or in the past", f->label);
	if (t < days_from_civil(2000, 1, 1) * 86400)
		return bw_fail(err, BW_EINVAL, f->name, "%s must be in the year 2000 or later", f->label);
	return BW_OK;
}

const struct web_field systems_fields[SF_COUNT] = {
	[SF_NAME] = { .name = "name", .label = "Name", .type = WEB_FIELD_TEXT, .required = true,
		      .max_len = LIM_NAME, .hint = "What staff call it, for example: Electronic patient record (Epic)" },
	[SF_FUNCTION] = { .name = "essential_function", .label = "What it does for patients",
			  .hint = "The essential function patients lose when it stops",
			  .type = WEB_FIELD_TEXTAREA, .required = true, .max_len = LIM_SYSTEM_FUNCTION },
	[SF_TIER] = { .name = "tier", .label = "Criticality", .type = WEB_FIELD_SELECT, .required = true,
		      .options = tier_opts, .options_n = BW_NELEM(tier_opts),
		      .hint = "How soon patients are affected when it stops" },
	[SF_OWNER] = { .name = "owner", .label = "Owner", .type = WEB_FIELD_TEXT, .max_len = LIM_NAME,
		       .hint = "The person or role responsible for it" },
	[SF_HOSTING] = { .name = "hosting", .label = "Where it runs", .type = WEB_FIELD_SELECT, .required = true,
			 .options = hosting_opts, .options_n = BW_NELEM(hosting_opts) },
	[SF_SUPPLIER] = { .name = "supplier", .label = "Supplier", .type = WEB_FIELD_TEXT, .max_len = 20,
			  .check = check_id },
	[SF_RTO] = { .name = "rto_hours", .label = "Recovery time objective (hours)", .type = WEB_FIELD_NUMBER,
		     .min = 0, .max = LIM_SYSTEM_HOURS, .width = "4",
		     .hint = "The longest it can be unavailable before the harm is unacceptable" },
	[SF_RPO] = { .name = "rpo_hours", .label = "Recovery point objective (hours)", .type = WEB_FIELD_NUMBER,
		     .min = 0, .max = LIM_SYSTEM_HOURS, .width = "4",
		     .hint = "How many hours of the most recent data you could afford to lose" },
	[SF_DOWNTIME] = { .name = "downtime_procedure", .label = "Downtime (paper) procedure",
			  .type = WEB_FIELD_TEXTAREA, .max_len = LIM_SYSTEM_TEXT,
			  .hint = "What staff do while it is unavailable, and where the paper forms are kept" },
	[SF_STATUS] = { .name = "status", .label = "Status", .type = WEB_FIELD_SELECT, .required = true,
			.options = status_opts, .options_n = BW_NELEM(status_opts) },
};

const struct web_field backup_fields[BF_COUNT] = {
	[BF_METHOD] = { .name = "method", .label = "How it is backed up", .type = WEB_FIELD_TEXT, .required = true,
			.max_len = LIM_NAME, .hint = "For example: nightly image backup with Veeam" },
	[BF_FREQUENCY] = { .name = "frequency", .label = "How often", .type = WEB_FIELD_SELECT, .required = true,
			   .options = frequency_opts, .options_n = BW_NELEM(frequency_opts) },
	[BF_OFFLINE] = { .name = "offline", .label = "A copy is kept off-line", .type = WEB_FIELD_CHECKBOX,
			 .hint = "Disconnected from the network, so ransomware cannot reach it: for example tapes "
				 "or disks kept in a safe" },
	[BF_IMMUTABLE] = { .name = "immutable", .label = "A copy is immutable", .type = WEB_FIELD_CHECKBOX,
			   .hint = "It cannot be changed or deleted before it expires, even by an administrator" },
	[BF_LOCATION] = { .name = "location", .label = "Where it is kept", .type = WEB_FIELD_TEXT, .required = true,
			  .max_len = LIM_NAME, .hint = "For example: tape safe in the estates building" },
};

const struct web_field restore_fields[RF_COUNT] = {
	[RF_DATE] = { .name = "tested_on", .label = "Date of the test", .type = WEB_FIELD_TEXT, .required = true,
		      .max_len = 30, .width = "10", .hint = "For example, 15 3 2026 or 15 March 2026",
		      .check = check_date },
	[RF_RESULT] = { .name = "result", .label = "Result", .type = WEB_FIELD_SELECT, .required = true,
			.options = result_opts, .options_n = BW_NELEM(result_opts) },
	[RF_MINUTES] = { .name = "minutes", .label = "Time taken (minutes)", .type = WEB_FIELD_NUMBER,
			 .min = 0, .max = LIM_RESTORE_MINUTES, .width = "4",
			 .hint = "From starting the restore until the system could be used again" },
	[RF_BACKUP] = { .name = "backup", .label = "Which backup was restored", .type = WEB_FIELD_TEXT,
			.max_len = 20, .check = check_id },
	[RF_NOTES] = { .name = "notes", .label = "Notes", .type = WEB_FIELD_TEXTAREA, .max_len = LIM_SYSTEM_TEXT,
		       .hint = "What went wrong or what you learned" },
};

const struct web_field dep_fields[DF_COUNT] = {
	[DF_KIND] = { .name = "kind", .label = "What it depends on", .type = WEB_FIELD_SELECT, .required = true,
		      .options = kind_opts, .options_n = BW_NELEM(kind_opts) },
	[DF_SYSTEM] = { .name = "on_system", .label = "System", .type = WEB_FIELD_TEXT, .max_len = 20,
			.check = check_id },
	[DF_SUPPLIER] = { .name = "on_supplier", .label = "Supplier", .type = WEB_FIELD_TEXT, .max_len = 20,
			  .check = check_id },
	[DF_LOCATION] = { .name = "location", .label = "Hosting location or network", .type = WEB_FIELD_TEXT,
			  .max_len = LIM_NAME, .hint = "For example: main data centre, or the HSCN connection" },
	[DF_NOTE] = { .name = "note", .label = "Note", .type = WEB_FIELD_TEXT, .max_len = LIM_NAME },
};

/* ---- reading ---- */

static const char *col_dup(struct db_stmt *st, struct arena *a, int col)
{
	const char *s = db_col_text(st, col);
	return arena_strdup(a, s ? s : "");
}

void systems_row(struct db_stmt *st, struct arena *a, struct reg_system *s)
{
	memset(s, 0, sizeof *s);
	s->id = db_col_i64(st, 0);
	s->org_id = db_col_i64(st, 1);
	s->org_code = col_dup(st, a, 2);
	s->org_name = col_dup(st, a, 3);
	s->name = col_dup(st, a, 4);
	s->function = col_dup(st, a, 5);
	s->owner = col_dup(st, a, 6);
	s->hosting = col_dup(st, a, 7);
	s->status = col_dup(st, a, 8);
	s->downtime = col_dup(st, a, 9);
	s->tier = (int)db_col_i64(st, 10);
	s->supplier_id = db_col_isnull(st, 11) ? 0 : db_col_i64(st, 11);
	s->rto_hours = db_col_isnull(st, 12) ? -1 : db_col_i64(st, 12);
	s->rpo_hours = db_col_isnull(st, 13) ? -1 : db_col_i64(st, 13);
	s->has_offline = db_col_i64(st, 14) != 0;
	s->last_success_on = db_col_isnull(st, 15) ? 0 : db_col_i64(st, 15);
	s->last_restore_minutes = db_col_isnull(st, 16) ? -1 : db_col_i64(st, 16);
	s->updated_at = db_col_i64(st, 17);
}

enum bw_err systems_get(struct db *db, struct arena *a, int64_t id, struct reg_system *out)
{
	struct db_stmt *st = db_prep(db, "SELECT " SYSTEMS_COLS " FROM systems s JOIN orgs o ON o.id = s.org_id"
					 " WHERE s.id = ?1");
	db_bind_i64(st, 1, id);
	int rc = db_step(st);
	if (rc != DB_ROW)
		return rc == DB_DONE ? BW_ENOTFOUND : BW_EDB;
	systems_row(st, a, out);
	db_reset(st);
	return BW_OK;
}

/* ---- suppliers (the suppliers area's tables) ---- */

/* Whether table has the named columns (b may be NULL), from the catalogue:
 * safe inside a transaction, where a failed statement would abort it on
 * PostgreSQL. */
static bool has_columns(struct db *db, const char *table, const char *a, const char *b)
{
	struct db_stmt *st = db_prep(db, db_kind(db) == DB_POSTGRES
		? "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema()"
		  " AND table_name = ?1 AND column_name IN (?2, ?3)"
		: "SELECT count(*) FROM pragma_table_info(?1) WHERE name IN (?2, ?3)");
	db_bind_text(st, 1, table);
	db_bind_text(st, 2, a);
	db_bind_text(st, 3, b ? b : a);
	int64_t n = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
	db_reset(st);
	return n == (b ? 2 : 1);
}

bool systems_suppliers_ready(struct db *db)
{
	/* the columns this area reads, looked up in the catalogue: safe inside
	 * a transaction (a failed statement would abort one on PostgreSQL) */
	const char *sql = db_kind(db) == DB_POSTGRES
		? "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema()"
		  " AND ((table_name = 'suppliers' AND column_name IN ('id', 'org_id', 'name', 'shared'))"
		  " OR (table_name = 'supplier_links' AND column_name IN ('supplier_id', 'org_id')))"
		: "SELECT (SELECT count(*) FROM pragma_table_info('suppliers') WHERE name IN ('id', 'org_id', 'name', 'shared'))"
		  " + (SELECT count(*) FROM pragma_table_info('supplier_links') WHERE name IN ('supplier_id', 'org_id'))";
	return db_query_i64(db, sql, 0) == 6;
}

#define SUPPLIER_VISIBLE SYSTEMS_SUPPLIER_VISIBLE("?1")

bool systems_supplier_name(struct db *db, int64_t org_id, int64_t supplier_id, char *out, size_t n)
{
	if (!supplier_id || !systems_suppliers_ready(db))
		return false;
	struct db_stmt *st = db_prep(db, "SELECT sp.name FROM suppliers sp WHERE sp.id = ?2 AND" SUPPLIER_VISIBLE);
	db_bind_i64(st, 1, org_id);
	db_bind_i64(st, 2, supplier_id);
	bool ok = db_step(st) == DB_ROW;
	if (ok) {
		snprintf(out, n, "%s", db_col_text(st, 0) ? db_col_text(st, 0) : "");
		db_reset(st);
	}
	return ok;
}

size_t systems_supplier_options(struct db *db, struct arena *a, int64_t org_id, struct web_option *out,
				size_t max)
{
	struct org o;
	if (!systems_suppliers_ready(db) || orgs_get(db, org_id, &o, NULL) != BW_OK)
		return 0;
	/* the same rule as SYSTEMS_SUPPLIER_VISIBLE, as three index look-ups:
	 * the organisations above come from the path ("/1/3/7/") */
	int64_t above[8] = { 0 };
	size_t na = 0;
	for (const char *p = o.path + 1; *p && na < BW_NELEM(above);) {
		const char *slash = strchr(p, '/');
		if (!slash || !str_to_i64((struct str){ p, (size_t)(slash - p) }, 1, INT64_MAX, &above[na]))
			break;
		na++;
		p = slash + 1;
	}
	struct db_stmt *st = db_prep(db, "SELECT id, name FROM suppliers WHERE org_id = ?1"
					 " UNION SELECT sp.id, sp.name FROM supplier_links l JOIN suppliers sp ON sp.id = l.supplier_id"
					 " WHERE l.org_id = ?1"
					 " UNION SELECT id, name FROM suppliers WHERE shared = 1"
					 " AND org_id IN (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
					 " ORDER BY 2, 1 LIMIT ?10");
	db_bind_i64(st, 1, org_id);
	for (int i = 0; i < 8; i++)
		db_bind_i64(st, 2 + i, above[i]);
	db_bind_i64(st, 10, (int64_t)max);
	size_t n = 0;
	while (n < max && db_step(st) == DB_ROW) {
		out[n].value = arena_printf(a, "%lld", (long long)db_col_i64(st, 0));
		out[n].label = col_dup(st, a, 1);
		n++;
	}
	db_reset(st);
	return n;
}

/* ---- writing ---- */

/* A copy without white space at either end (isspace: line breaks too). */
static const char *trimmed(struct arena *a, const char *s)
{
	if (!s)
		return "";
	struct str t = str_trim(str_c(s));
	return arena_strndup(a, t.p, t.n);
}

static int64_t opt_i64(const char *s)
{
	int64_t v;
	return s && str_to_i64(str_trim(str_c(s)), INT64_MIN, INT64_MAX, &v) ? v : -1;
}

static void bind_opt(struct db_stmt *st, int idx, int64_t v)
{
	if (v < 0)
		db_bind_null(st, idx);
	else
		db_bind_i64(st, idx, v);
}

static bool checked(const char *v)
{
	return v && (!strcmp(v, "1") || !strcmp(v, "on") || !strcmp(v, "true"));
}

/* Checks values against a field table; the first problem goes into err. */
static enum bw_err validate(const struct web_field *f, size_t n, const char *const *v, struct bw_error *err)
{
	struct web_form form = { .fields = f, .fields_n = n };
	struct web_form_errors errs;
	web_form_errors_init(&errs);
	if (web_form_validate(&form, v, &errs) == BW_OK)
		return BW_OK;
	*err = errs.e[0];
	return BW_EINVAL;
}

static enum bw_err audit(struct db *db, const struct actor *by, int64_t org_id, const char *action,
			 int64_t system_id, const char *summary, struct bw_error *err)
{
	char object[48];
	snprintf(object, sizeof object, "system:%lld", (long long)system_id);
	struct audit_rec r = { by->user_id, by->user_id ? by->email : "cli", org_id, action, object, summary };
	return audit_append(db, &r, err);
}

/* The system's organisation, or BW_ENOTFOUND. */
static enum bw_err system_org(struct db *db, int64_t id, int64_t *org_id, char *name, size_t n)
{
	struct db_stmt *st = db_prep(db, "SELECT org_id, name FROM systems WHERE id = ?1");
	db_bind_i64(st, 1, id);
	int rc = db_step(st);
	if (rc != DB_ROW)
		return rc == DB_DONE ? BW_ENOTFOUND : BW_EDB;
	*org_id = db_col_i64(st, 0);
	if (name)
		snprintf(name, n, "%s", db_col_text(st, 1));
	db_reset(st);
	return BW_OK;
}

enum bw_err systems_refresh_facts(struct db *db, int64_t id, struct bw_error *err)
{
	/* the last restore that recorded its time, unless it failed: a failed
	 * restore says nothing about how long a real one takes */
	struct db_stmt *st = db_prep(db,
		"UPDATE systems SET"
		" has_offline = CASE WHEN EXISTS (SELECT 1 FROM system_backups b WHERE b.system_id = systems.id"
		"   AND b.offline = 1) THEN 1 ELSE 0 END,"
		" last_success_on = (SELECT max(r.tested_on) FROM restore_tests r WHERE r.system_id = systems.id"
		"   AND r.result = 'success'),"
		" last_restore_minutes = (SELECT r.minutes FROM restore_tests r WHERE r.system_id = systems.id"
		"   AND r.minutes IS NOT NULL AND r.result <> 'failed' ORDER BY r.tested_on DESC, r.id DESC LIMIT 1)"
		" WHERE ?1 = 0 OR id = ?1");
	db_bind_i64(st, 1, id);
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "updating the system's backup facts");
	return id ? gaps_touch_system(db, id, err) : gaps_rebuild(db, err);
}

struct save_args {
	const struct actor *by;
	int64_t org_id, id;
	const char *v[SF_COUNT];
	int64_t id_out;
};

static enum bw_err save_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct save_args *s = arg;
	int64_t now = bw_now();
	if (s->id) {
		int64_t org;
		enum bw_err rc = system_org(db, s->id, &org, NULL, 0);
		if (rc != BW_OK || org != s->org_id)
			return bw_fail(err, rc == BW_EDB ? BW_EDB : BW_ENOTFOUND, NULL, "No such system");
	}
	int64_t supplier = opt_i64(s->v[SF_SUPPLIER]);
	char sname[LIM_NAME + 1];
	if (supplier > 0 && !systems_supplier_name(db, s->org_id, supplier, sname, sizeof sname))
		return bw_fail(err, BW_EINVAL, "supplier", "Select a supplier from the list");
	struct db_stmt *st = db_prep(db, "SELECT count(*) FROM systems WHERE org_id = ?1 AND lower(name) = lower(?2)"
					 " AND id <> ?3");
	db_bind_i64(st, 1, s->org_id);
	db_bind_text(st, 2, s->v[SF_NAME]);
	db_bind_i64(st, 3, s->id);
	if (db_step(st) != DB_ROW)
		return db_fail(db, err, "checking the name");
	int64_t same = db_col_i64(st, 0);
	db_reset(st);
	if (same)
		return bw_fail(err, BW_ECONFLICT, "name", "This organisation already has a system called %s",
			       s->v[SF_NAME]);
	if (s->id)
		st = db_prep(db, "UPDATE systems SET name = ?2, essential_function = ?3, tier = ?4, owner = ?5,"
				 " hosting = ?6, supplier_id = ?7, rto_hours = ?8, rpo_hours = ?9,"
				 " downtime_procedure = ?10, status = ?11, updated_at = ?12 WHERE id = ?1 RETURNING id");
	else
		st = db_prep(db, "INSERT INTO systems (org_id, name, essential_function, tier, owner, hosting,"
				 " supplier_id, rto_hours, rpo_hours, downtime_procedure, status, created_at, updated_at)"
				 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12) RETURNING id");
	db_bind_i64(st, 1, s->id ? s->id : s->org_id);
	db_bind_text(st, 2, s->v[SF_NAME]);
	db_bind_text(st, 3, s->v[SF_FUNCTION]);
	db_bind_i64(st, 4, opt_i64(s->v[SF_TIER]));
	db_bind_text(st, 5, s->v[SF_OWNER]);
	db_bind_text(st, 6, s->v[SF_HOSTING]);
	bind_opt(st, 7, supplier > 0 ? supplier : -1);
	bind_opt(st, 8, opt_i64(s->v[SF_RTO]));
	bind_opt(st, 9, opt_i64(s->v[SF_RPO]));
	db_bind_text(st, 10, s->v[SF_DOWNTIME]);
	db_bind_text(st, 11, s->v[SF_STATUS]);
	db_bind_i64(st, 12, now);
	if (db_step(st) != DB_ROW)
		return db_fail(db, err, "saving the system");
	s->id_out = db_col_i64(st, 0);
	db_reset(st);
	if (gaps_touch(db, s->org_id, err) != BW_OK)
		return err->code;
	char summary[LIM_NAME + 64];
	snprintf(summary, sizeof summary, "%s system \"%s\" (tier %s)", s->id ? "Changed" : "Added",
		 s->v[SF_NAME], s->v[SF_TIER]);
	return audit(db, s->by, s->org_id, s->id ? "system.update" : "system.create", s->id_out, summary, err);
}

enum bw_err systems_save(struct db *db, const struct actor *by, int64_t org_id, int64_t id,
			 const char *const v[SF_COUNT], int64_t *id_out, struct bw_error *err)
{
	struct arena a;
	arena_init(&a);
	struct save_args s = { .by = by, .org_id = org_id, .id = id };
	for (size_t i = 0; i < SF_COUNT; i++)
		s.v[i] = trimmed(&a, v[i]);
	enum bw_err rc = validate(systems_fields, SF_COUNT, s.v, err);
	if (rc == BW_OK)
		rc = db_tx(db, true, save_tx, &s, err);
	if (rc == BW_OK && id_out)
		*id_out = s.id_out;
	arena_free(&a);
	return rc;
}

struct del_args {
	const struct actor *by;
	int64_t system_id, item_id;
	const char *const *v;
	int64_t id_out;
};

static enum bw_err delete_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct del_args *d = arg;
	int64_t org;
	char name[LIM_NAME + 1];
	enum bw_err rc = system_org(db, d->system_id, &org, name, sizeof name);
	if (rc != BW_OK)
		return bw_fail(err, rc, NULL, "No such system");
	/* what other areas keep about the system goes with it: its software
	 * components, and risks' links to it (their tables, read through the
	 * columns agreed; skipped while those areas are not installed) */
	int64_t ncomp = 0;
	if (has_columns(db, "components", "system_id", NULL)) {
		struct db_stmt *st = db_prep(db, "DELETE FROM components WHERE system_id = ?1");
		db_bind_i64(st, 1, d->system_id);
		if (db_step(st) != DB_DONE)
			return db_fail(db, err, "deleting the system's components");
		ncomp = db_changes(db);
	}
	if (has_columns(db, "risk_links", "kind", "target_id")) {
		struct db_stmt *st = db_prep(db, "DELETE FROM risk_links WHERE kind = 'system' AND target_id = ?1");
		db_bind_i64(st, 1, d->system_id);
		if (db_step(st) != DB_DONE)
			return db_fail(db, err, "deleting links from risks");
	}
	static const char *const sql[] = {
		"DELETE FROM system_deps WHERE system_id = ?1 OR on_system_id = ?1",
		"DELETE FROM restore_tests WHERE system_id = ?1",
		"DELETE FROM system_backups WHERE system_id = ?1",
		"DELETE FROM systems WHERE id = ?1",
	};
	for (size_t i = 0; i < BW_NELEM(sql); i++) {
		struct db_stmt *st = db_prep(db, sql[i]);
		db_bind_i64(st, 1, d->system_id);
		if (db_step(st) != DB_DONE)
			return db_fail(db, err, "deleting the system");
	}
	if (gaps_touch(db, org, err) != BW_OK)
		return err->code;
	char summary[LIM_NAME + 128];
	snprintf(summary, sizeof summary, "Deleted system \"%s\" with its backups, restore tests, dependencies and %lld"
		 " software component%s", name, (long long)ncomp, ncomp == 1 ? "" : "s");
	return audit(db, d->by, org, "system.delete", d->system_id, summary, err);
}

enum bw_err systems_delete(struct db *db, const struct actor *by, int64_t id, struct bw_error *err)
{
	struct del_args d = { .by = by, .system_id = id };
	return db_tx(db, true, delete_tx, &d, err);
}

static enum bw_err backup_add_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct del_args *d = arg;
	int64_t org;
	char name[LIM_NAME + 1];
	if (system_org(db, d->system_id, &org, name, sizeof name) != BW_OK)
		return bw_fail(err, BW_ENOTFOUND, NULL, "No such system");
	struct db_stmt *st = db_prep(db, "SELECT count(*) FROM system_backups WHERE system_id = ?1");
	db_bind_i64(st, 1, d->system_id);
	int64_t n = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
	db_reset(st);
	if (n >= LIM_DEPS_PER_SYSTEM)
		return bw_fail(err, BW_ELIMIT, "method", "A system can have at most %d backups recorded",
			       LIM_DEPS_PER_SYSTEM);
	st = db_prep(db, "INSERT INTO system_backups (system_id, method, frequency, offline, immutable, location,"
			 " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id");
	db_bind_i64(st, 1, d->system_id);
	db_bind_text(st, 2, d->v[BF_METHOD]);
	db_bind_text(st, 3, d->v[BF_FREQUENCY]);
	db_bind_i64(st, 4, checked(d->v[BF_OFFLINE]));
	db_bind_i64(st, 5, checked(d->v[BF_IMMUTABLE]));
	db_bind_text(st, 6, d->v[BF_LOCATION]);
	db_bind_i64(st, 7, bw_now());
	if (db_step(st) != DB_ROW)
		return db_fail(db, err, "adding the backup");
	d->id_out = db_col_i64(st, 0);
	db_reset(st);
	if (systems_refresh_facts(db, d->system_id, err) != BW_OK)
		return err->code;
	char summary[2 * LIM_NAME + 96];
	snprintf(summary, sizeof summary, "Added a backup of \"%s\" (%s, %s)", name, d->v[BF_METHOD],
		 checked(d->v[BF_OFFLINE]) ? "off-line copy" : "no off-line copy");
	return audit(db, d->by, org, "system.backup.add", d->system_id, summary, err);
}

/* Runs fn over trimmed, validated values (item_id: the backup or restore
 * test being changed; 0 when adding). */
static enum bw_err run_item(struct db *db, const struct actor *by, int64_t system_id, int64_t item_id,
			    const struct web_field *f, size_t n, const char *const *v,
			    enum bw_err (*fn)(struct db *, void *, struct bw_error *), int64_t *id_out,
			    struct bw_error *err)
{
	struct arena a;
	arena_init(&a);
	const char **t = arena_alloc(&a, n * sizeof *t);
	for (size_t i = 0; i < n; i++)
		t[i] = trimmed(&a, v[i]);
	struct del_args d = { .by = by, .system_id = system_id, .item_id = item_id, .v = t };
	enum bw_err rc = validate(f, n, t, err);
	if (rc == BW_OK)
		rc = db_tx(db, true, fn, &d, err);
	if (rc == BW_OK && id_out)
		*id_out = d.id_out;
	arena_free(&a);
	return rc;
}

enum bw_err systems_backup_add(struct db *db, const struct actor *by, int64_t system_id,
			       const char *const v[BF_COUNT], int64_t *id_out, struct bw_error *err)
{
	return run_item(db, by, system_id, 0, backup_fields, BF_COUNT, v, backup_add_tx, id_out, err);
}

/* Whether backup is one of the system's backups. */
static bool backup_of(struct db *db, int64_t backup, int64_t system_id)
{
	struct db_stmt *st = db_prep(db, "SELECT count(*) FROM system_backups WHERE id = ?1 AND system_id = ?2");
	db_bind_i64(st, 1, backup);
	db_bind_i64(st, 2, system_id);
	int64_t ok = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
	db_reset(st);
	return ok != 0;
}

static enum bw_err restore_add_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct del_args *d = arg;
	int64_t org;
	char name[LIM_NAME + 1];
	if (system_org(db, d->system_id, &org, name, sizeof name) != BW_OK)
		return bw_fail(err, BW_ENOTFOUND, NULL, "No such system");
	int64_t backup = opt_i64(d->v[RF_BACKUP]);
	if (backup > 0 && !backup_of(db, backup, d->system_id))
		return bw_fail(err, BW_EINVAL, "backup", "Select a backup of this system from the list");
	struct db_stmt *st = db_prep(db, "SELECT count(*) FROM restore_tests WHERE system_id = ?1");
	db_bind_i64(st, 1, d->system_id);
	int64_t n = db_step(st) == DB_ROW ? db_col_i64(st, 0) : 0;
	db_reset(st);
	if (n >= 500)
		return bw_fail(err, BW_ELIMIT, "tested_on", "A system can have at most 500 restore tests recorded");
	int64_t day;
	systems_date_parse(d->v[RF_DATE], &day);
	st = db_prep(db, "INSERT INTO restore_tests (system_id, backup_id, tested_on, result, minutes, notes, created_at)"
			 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id");
	db_bind_i64(st, 1, d->system_id);
	bind_opt(st, 2, backup > 0 ? backup : -1);
	db_bind_i64(st, 3, day);
	db_bind_text(st, 4, d->v[RF_RESULT]);
	bind_opt(st, 5, opt_i64(d->v[RF_MINUTES]));
	db_bind_text(st, 6, d->v[RF_NOTES]);
	db_bind_i64(st, 7, bw_now());
	if (db_step(st) != DB_ROW)
		return db_fail(db, err, "adding the restore test");
	d->id_out = db_col_i64(st, 0);
	db_reset(st);
	if (systems_refresh_facts(db, d->system_id, err) != BW_OK)
		return err->code;
	char date[24], summary[LIM_NAME + 96];
	systems_date_format(day, date);
	snprintf(summary, sizeof summary, "Recorded a restore test of \"%s\" on %s: %s", name, date, d->v[RF_RESULT]);
	return audit(db, d->by, org, "system.restore_test.add", d->system_id, summary, err);
}

enum bw_err systems_restore_add(struct db *db, const struct actor *by, int64_t system_id,
				const char *const v[RF_COUNT], int64_t *id_out, struct bw_error *err)
{
	return run_item(db, by, system_id, 0, restore_fields, RF_COUNT, v, restore_add_tx, id_out, err);
}

/* ---- changing a backup or a restore test ----
 * The audit summary lists each field that changed as "old → new", so the
 * trail shows what a mistyped date or location was corrected from. */

static void change_note(struct buf *b, const char *label, const char *was, const char *now, bool quote)
{
	if (!strcmp(was, now))
		return;
	const char *q = quote ? "\"" : "";
	buf_printf(b, "%s%s: %s%s%s → %s%s%s", b->len ? "; " : "", label, q, was, q, q, now, q);
}

static enum bw_err audit_changes(struct db *db, const struct actor *by, int64_t org, const char *action,
				 int64_t system_id, const char *what, const char *name, struct buf *changes,
				 struct bw_error *err)
{
	struct buf s;
	buf_init(&s);
	buf_printf(&s, "Changed a %s of \"%s\": %s", what, name, changes->len ? buf_cstr(changes) : "nothing changed");
	enum bw_err rc = audit(db, by, org, action, system_id, buf_cstr(&s), err);
	buf_free(&s);
	return rc;
}

static enum bw_err backup_update_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct del_args *d = arg;
	int64_t org;
	char name[LIM_NAME + 1];
	if (system_org(db, d->system_id, &org, name, sizeof name) != BW_OK)
		return bw_fail(err, BW_ENOTFOUND, NULL, "No such system");
	struct db_stmt *st = db_prep(db, "SELECT method, frequency, offline, immutable, location FROM system_backups"
					 " WHERE id = ?1 AND system_id = ?2");
	db_bind_i64(st, 1, d->item_id);
	db_bind_i64(st, 2, d->system_id);
	int rc = db_step(st);
	if (rc != DB_ROW)
		return rc == DB_DONE ? bw_fail(err, BW_ENOTFOUND, NULL, "This system has no such backup")
				     : db_fail(db, err, "reading the backup");
	/* values were limited to LIM_NAME characters when stored: 4 bytes each at most */
	char method[4 * LIM_NAME + 1], freq[32], location[4 * LIM_NAME + 1];
	snprintf(method, sizeof method, "%s", db_col_text(st, 0));
	snprintf(freq, sizeof freq, "%s", db_col_text(st, 1));
	bool offline = db_col_i64(st, 2) != 0, immutable = db_col_i64(st, 3) != 0;
	snprintf(location, sizeof location, "%s", db_col_text(st, 4));
	db_reset(st);

	st = db_prep(db, "UPDATE system_backups SET method = ?3, frequency = ?4, offline = ?5, immutable = ?6,"
			 " location = ?7 WHERE id = ?1 AND system_id = ?2");
	db_bind_i64(st, 1, d->item_id);
	db_bind_i64(st, 2, d->system_id);
	db_bind_text(st, 3, d->v[BF_METHOD]);
	db_bind_text(st, 4, d->v[BF_FREQUENCY]);
	db_bind_i64(st, 5, checked(d->v[BF_OFFLINE]));
	db_bind_i64(st, 6, checked(d->v[BF_IMMUTABLE]));
	db_bind_text(st, 7, d->v[BF_LOCATION]);
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "changing the backup");
	if (systems_refresh_facts(db, d->system_id, err) != BW_OK)
		return err->code;

	struct buf ch;
	buf_init(&ch);
	change_note(&ch, "how it is backed up", method, d->v[BF_METHOD], true);
	const char *fl = systems_frequency_label(freq);
	change_note(&ch, "how often", fl ? fl : freq, systems_frequency_label(d->v[BF_FREQUENCY]), false);
	change_note(&ch, "off-line copy", offline ? "yes" : "no", checked(d->v[BF_OFFLINE]) ? "yes" : "no", false);
	change_note(&ch, "immutable copy", immutable ? "yes" : "no", checked(d->v[BF_IMMUTABLE]) ? "yes" : "no", false);
	change_note(&ch, "where it is kept", location, d->v[BF_LOCATION], true);
	enum bw_err arc = audit_changes(db, d->by, org, "system.backup.update", d->system_id, "backup", name, &ch, err);
	buf_free(&ch);
	return arc;
}

enum bw_err systems_backup_update(struct db *db, const struct actor *by, int64_t system_id, int64_t backup_id,
				  const char *const v[BF_COUNT], struct bw_error *err)
{
	return run_item(db, by, system_id, backup_id, backup_fields, BF_COUNT, v, backup_update_tx, NULL, err);
}

/* The method of a backup, for a summary ("not recorded" for none). */
static void backup_method(struct db *db, int64_t id, char *out, size_t n)
{
	snprintf(out, n, "not recorded");
	if (id <= 0)
		return;
	struct db_stmt *st = db_prep(db, "SELECT method FROM system_backups WHERE id = ?1");
	db_bind_i64(st, 1, id);
	if (db_step(st) == DB_ROW) {
		snprintf(out, n, "\"%s\"", db_col_text(st, 0));
		db_reset(st);
	}
}

static void minutes_text(int64_t m, char out[32])
{
	if (m < 0)
		snprintf(out, 32, "not recorded");
	else
		snprintf(out, 32, "%lld minutes", (long long)m);
}

static enum bw_err restore_update_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct del_args *d = arg;
	int64_t org;
	char name[LIM_NAME + 1];
	if (system_org(db, d->system_id, &org, name, sizeof name) != BW_OK)
		return bw_fail(err, BW_ENOTFOUND, NULL, "No such system");
	/* notes run to thousands of characters: compared here, not copied */
	struct db_stmt *st = db_prep(db, "SELECT tested_on, result, minutes, backup_id,"
					 " CASE WHEN notes = ?3 THEN 1 ELSE 0 END FROM restore_tests"
					 " WHERE id = ?1 AND system_id = ?2");
	db_bind_i64(st, 1, d->item_id);
	db_bind_i64(st, 2, d->system_id);
	db_bind_text(st, 3, d->v[RF_NOTES]);
	int rc = db_step(st);
	if (rc != DB_ROW)
		return rc == DB_DONE ? bw_fail(err, BW_ENOTFOUND, NULL, "This system has no such restore test")
				     : db_fail(db, err, "reading the restore test");
	int64_t was_day = db_col_i64(st, 0);
	char was_result[16];
	snprintf(was_result, sizeof was_result, "%s", db_col_text(st, 1));
	int64_t was_minutes = db_col_isnull(st, 2) ? -1 : db_col_i64(st, 2);
	int64_t was_backup = db_col_isnull(st, 3) ? -1 : db_col_i64(st, 3);
	bool same_notes = db_col_i64(st, 4) != 0;
	db_reset(st);

	int64_t backup = opt_i64(d->v[RF_BACKUP]);
	if (backup > 0 && !backup_of(db, backup, d->system_id))
		return bw_fail(err, BW_EINVAL, "backup", "Select a backup of this system from the list");
	int64_t day, minutes = opt_i64(d->v[RF_MINUTES]);
	systems_date_parse(d->v[RF_DATE], &day);
	st = db_prep(db, "UPDATE restore_tests SET backup_id = ?3, tested_on = ?4, result = ?5, minutes = ?6,"
			 " notes = ?7 WHERE id = ?1 AND system_id = ?2");
	db_bind_i64(st, 1, d->item_id);
	db_bind_i64(st, 2, d->system_id);
	bind_opt(st, 3, backup > 0 ? backup : -1);
	db_bind_i64(st, 4, day);
	db_bind_text(st, 5, d->v[RF_RESULT]);
	bind_opt(st, 6, minutes);
	db_bind_text(st, 7, d->v[RF_NOTES]);
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "changing the restore test");
	if (systems_refresh_facts(db, d->system_id, err) != BW_OK)
		return err->code;

	struct buf ch;
	buf_init(&ch);
	char a[32], b[32];
	systems_date_format(was_day, a);
	systems_date_format(day, b);
	change_note(&ch, "date of the test", a, b, false);
	change_note(&ch, "result", was_result, d->v[RF_RESULT], false);
	minutes_text(was_minutes, a);
	minutes_text(minutes, b);
	change_note(&ch, "time taken", a, b, false);
	if (was_backup != (backup > 0 ? backup : -1)) {
		char wb[4 * LIM_NAME + 16], nb[4 * LIM_NAME + 16];
		backup_method(db, was_backup, wb, sizeof wb);
		backup_method(db, backup, nb, sizeof nb);
		buf_printf(&ch, "%sbackup restored: %s → %s", ch.len ? "; " : "", wb, nb);
	}
	if (!same_notes)
		buf_printf(&ch, "%snotes changed", ch.len ? "; " : "");
	enum bw_err arc = audit_changes(db, d->by, org, "system.restore_test.update", d->system_id, "restore test",
					name, &ch, err);
	buf_free(&ch);
	return arc;
}

enum bw_err systems_restore_update(struct db *db, const struct actor *by, int64_t system_id, int64_t test_id,
				   const char *const v[RF_COUNT], struct bw_error *err)
{
	return run_item(db, by, system_id, test_id, restore_fields, RF_COUNT, v, restore_update_tx, NULL, err);
}

static enum bw_err dep_add_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct del_args *d = arg;
	int64_t org;
	char name[LIM_NAME + 1], target[LIM_NAME + 1] = "";
	if (system_org(db, d->system_id, &org, name, sizeof name) != BW_OK)
		return bw_fail(err, BW_ENOTFOUND, NULL, "No such system");
	const char *kind = d->v[DF_KIND];
	int64_t on_system = -1, on_supplier = -1;
	const char *location = NULL;
	if (!strcmp(kind, "system")) {
		on_system = opt_i64(d->v[DF_SYSTEM]);
		int64_t o2;
		if (on_system <= 0 || system_org(db, on_system, &o2, target, sizeof target) != BW_OK || o2 != org)
			return bw_fail(err, BW_EINVAL, "on_system", "Select a system of this organisation from the list");
		if (on_system == d->system_id)
			return bw_fail(err, BW_EINVAL, "on_system", "A system cannot depend on itself");
	} else if (!strcmp(kind, "supplier")) {
		on_supplier = opt_i64(d->v[DF_SUPPLIER]);
		if (on_supplier <= 0 || !systems_supplier_name(db, org, on_supplier, target, sizeof target))
			return bw_fail(err, BW_EINVAL, "on_supplier", "Select a supplier from the list");
	} else {
		location = d->v[DF_LOCATION];
		if (!*location)
			return bw_fail(err, BW_EINVAL, "location", "Enter the hosting location or network");
		snprintf(target, sizeof target, "%s", location);
	}
	struct db_stmt *st = db_prep(db, "SELECT count(*), sum(CASE WHEN kind = ?2 AND (on_system_id = ?3"
					 " OR on_supplier_id = ?4 OR lower(location) = lower(?5)) THEN 1 ELSE 0 END)"
					 " FROM system_deps WHERE system_id = ?1");
	db_bind_i64(st, 1, d->system_id);
	db_bind_text(st, 2, kind);
	db_bind_i64(st, 3, on_system);
	db_bind_i64(st, 4, on_supplier);
	db_bind_text(st, 5, location ? location : "");
	if (db_step(st) != DB_ROW)
		return db_fail(db, err, "reading dependencies");
	int64_t n = db_col_i64(st, 0), dup = db_col_i64(st, 1);
	db_reset(st);
	const char *field = on_system > 0 ? "on_system" : on_supplier > 0 ? "on_supplier" : "location";
	if (dup)
		return bw_fail(err, BW_ECONFLICT, field, "This dependency is already recorded");
	if (n >= LIM_DEPS_PER_SYSTEM)
		return bw_fail(err, BW_ELIMIT, field, "A system can have at most %d dependencies", LIM_DEPS_PER_SYSTEM);
	st = db_prep(db, "INSERT INTO system_deps (system_id, kind, on_system_id, on_supplier_id, location, note, created_at)"
			 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id");
	db_bind_i64(st, 1, d->system_id);
	db_bind_text(st, 2, kind);
	bind_opt(st, 3, on_system);
	bind_opt(st, 4, on_supplier);
	db_bind_text(st, 5, location);
	db_bind_text(st, 6, d->v[DF_NOTE]);
	db_bind_i64(st, 7, bw_now());
	if (db_step(st) != DB_ROW)
		return db_fail(db, err, "adding the dependency");
	d->id_out = db_col_i64(st, 0);
	db_reset(st);
	char summary[2 * LIM_NAME + 64];
	snprintf(summary, sizeof summary, "\"%s\" now depends on %s \"%s\"", name, kind, target);
	return audit(db, d->by, org, "system.dependency.add", d->system_id, summary, err);
}

enum bw_err systems_dep_add(struct db *db, const struct actor *by, int64_t system_id,
			    const char *const v[DF_COUNT], int64_t *id_out, struct bw_error *err)
{
	return run_item(db, by, system_id, 0, dep_fields, DF_COUNT, v, dep_add_tx, id_out, err);
}

/* Deleting one backup, restore test or dependency of a system. */
struct item_del {
	const char *table, *what, *action;
};
static const struct item_del item_backup = { "system_backups", "backup", "system.backup.delete" };
static const struct item_del item_restore = { "restore_tests", "restore test", "system.restore_test.delete" };
static const struct item_del item_dep = { "system_deps", "dependency", "system.dependency.delete" };

struct item_args {
	const struct actor *by;
	int64_t system_id, item_id;
	const struct item_del *kind;
};

static enum bw_err item_delete_tx(struct db *db, void *arg, struct bw_error *err)
{
	struct item_args *d = arg;
	int64_t org;
	char name[LIM_NAME + 1];
	if (system_org(db, d->system_id, &org, name, sizeof name) != BW_OK)
		return bw_fail(err, BW_ENOTFOUND, NULL, "No such system");
	struct db_stmt *st;
	if (d->kind == &item_backup) {
		st = db_prep(db, "UPDATE restore_tests SET backup_id = NULL WHERE backup_id = ?1 AND system_id = ?2");
		db_bind_i64(st, 1, d->item_id);
		db_bind_i64(st, 2, d->system_id);
		if (db_step(st) != DB_DONE)
			return db_fail(db, err, "deleting the backup");
		st = db_prep(db, "DELETE FROM system_backups WHERE id = ?1 AND system_id = ?2");
	} else if (d->kind == &item_restore) {
		st = db_prep(db, "DELETE FROM restore_tests WHERE id = ?1 AND system_id = ?2");
	} else {
		st = db_prep(db, "DELETE FROM system_deps WHERE id = ?1 AND system_id = ?2");
	}
	db_bind_i64(st, 1, d->item_id);
	db_bind_i64(st, 2, d->system_id);
	if (db_step(st) != DB_DONE)
		return db_fail(db, err, "deleting");
	if (db_changes(db) != 1)
		return bw_fail(err, BW_ENOTFOUND, NULL, "This system has no such %s", d->kind->what);
	if (systems_refresh_facts(db, d->system_id, err) != BW_OK)
		return err->code;
	char summary[LIM_NAME + 64];
	snprintf(summary, sizeof summary, "Deleted a %s of \"%s\"", d->kind->what, name);
	return audit(db, d->by, org, d->kind->action, d->system_id, summary, err);
}

static enum bw_err item_delete(struct db *db, const struct actor *by, int64_t system_id, int64_t id,
			       const struct item_del *kind, struct bw_error *err)
{
	struct item_args d = { by, system_id, id, kind };
	return db_tx(db, true, item_delete_tx, &d, err);
}

enum bw_err systems_backup_delete(struct db *db, const struct actor *by, int64_t system_id,
				  int64_t backup_id, struct bw_error *err)
{
	return item_delete(db, by, system_id, backup_id, &item_backup, err);
}

enum bw_err systems_restore_delete(struct db *db, const struct actor *by, int64_t system_id,
				   int64_t test_id, struct bw_error *err)
{
	return item_delete(db, by, system_id, test_id, &item_restore, err);
}

enum bw_err systems_dep_delete(struct db *db, const struct actor *by, int64_t system_id,
			       int64_t dep_id, struct bw_error *err)
{
	return item_delete(db, by, system_id, dep_id, &item_dep, err);
}
