/*
 * pages: what analysts see of the feeds — /feeds (every source: last good
 * sync, records, refused records, time taken), /feeds/{feed} (one source:
 * its recent syncs and the refused records with their reasons, and a
 * "sync now" button that queues the job), and /api/v1/feeds.
 *
 * Feeds belong to the national team (the root organisation), so only
 * national administrators and analysts reach these pages; anyone else gets
 * "not found", as for any object outside their subtree. The routes carry no
 * target parameter for the pipeline: a feed is not inside any
 * organisation's subtree but the root's, so each handler checks access to
 * the root itself (feeds_access).
 */
#include <stdio.h>
#include <string.h>

#include "app/worker.h"
#include "feeds/feeds_int.h"

#define ERRORS_SHOWN 100

static bool feeds_access(struct ctx *c)
{
	struct org_ref root;
	if ((c->actor.role & (ROLE_ADMIN | ROLE_ANALYST)) && feeds_root_org(c->db, &root) &&
	    orgs_can(&c->actor, c->route->action, &root))
		return true;
	ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
	return false;
}

static void when(int64_t t, char out[48])
{
	if (t)
		bw_time_london(t, out);
	else
		snprintf(out, 48, "Never");
}

static void duration(int64_t ms, char out[32])
{
	if (ms < 1000)
		snprintf(out, 32, "%lld ms", (long long)ms);
	else if (ms < 120000)
		snprintf(out, 32, "%.1f s", (double)ms / 1000.0);
	else
		snprintf(out, 32, "%lld min", (long long)(ms / 60000));
}

static void status_tag(struct buf *b, const struct feeds_source *s)
{
	if (!s->last_finished)
		web_tag(b, s->last_started ? "Syncing" : "Not synced yet", WEB_TAG_GREY);
	else if (s->last_failed)
		web_tag(b, "Last sync failed", WEB_TAG_RED);
	else if (s->errors)
		web_tag(b, "Synced, some records refused", WEB_TAG_YELLOW);
	else
		web_tag(b, "Synced", WEB_TAG_GREEN);
}

static void get_feeds(struct ctx *c)
{
	if (!feeds_access(c))
		return;
	struct feeds_source *s;
	size_t n;
	struct bw_error e = { 0 };
	if (feeds_source_list(c->db, &s, &n, &e) != BW_OK)
		return ctx_error(c, 500, &e);
	struct web_link crumbs[] = { { "Home", "/" } };
	ctx_page_begin(c, "Vulnerability feeds", crumbs, 1, NULL, 0);
	struct buf *b = &c->resp->body;
	html_raw(b, "<h1>Vulnerability feeds</h1><p>The public feeds Bulwark imports and matches against every "
		    "organisation's software. A record a feed sends that cannot be read is refused and listed "
		    "with its reason on the feed's page; it never stops the rest of the feed.</p>");
	struct web_column cols[] = { { "Feed", false }, { "Status", false }, { "Last successful sync", false },
				     { "Records", true }, { "Refused", true }, { "Time taken", true } };
	struct web_table t;
	web_table_begin(&t, b, "Feed sources", cols, 6);
	for (size_t i = 0; i < n; i++) {
		char ok[48], dur[32];
		when(s[i].last_ok, ok);
		duration(s[i].duration_ms, dur);
		struct buf href;
		buf_init(&href);
		buf_puts(&href, "/feeds/");
		html_url_component(&href, s[i].name);
		web_table_row_begin(&t);
		web_table_cell_open(&t);
		html_printf(b, "<a href=\"%s\">%s</a><br><span class=\"nhsuk-u-secondary-text-color nhsuk-u-font-size-16\">%s</span>",
			    buf_cstr(&href), s[i].name, feeds_kind_name(s[i].kind));
		web_table_cell_close(&t);
		buf_free(&href);
		web_table_cell_open(&t);
		status_tag(b, &s[i]);
		web_table_cell_close(&t);
		web_table_cell(&t, ok);
		web_table_cell_num(&t, s[i].records);
		web_table_cell_num(&t, s[i].errors);
		web_table_cell(&t, s[i].last_finished ? dur : "");
		web_table_row_end(&t);
	}
	if (!n)
		web_table_empty(&t, 6, "No feed sources yet: add one with 'bulwark feeds add'");
	web_table_end(&t);
	free(s);
	ctx_page_end(c);
}

static bool load_feed(struct ctx *c, struct feeds_source *s)
{
	struct bw_error e = { 0 };
	if (feeds_source_get(c->db, ctx_param(c, "feed"), s, &e) != BW_OK) {
		ctx_fail(c, BW_ENOTFOUND, NULL, "Page not found");
		return false;
	}
	return true;
}

static void get_feed(struct ctx *c)
{
	struct feeds_source s;
	if (!feeds_access(c) || !load_feed(c, &s))
		return;
	struct web_link crumbs[] = { { "Home", "/" }, { "Vulnerability feeds", "/feeds" } };
	ctx_page_begin(c, s.name, crumbs, 2, NULL, 0);
	struct buf *b = &c->resp->body;
	html_printf(b, "<h1>%s</h1>", s.name);
	char t1[48], t2[48], dur[32], num[32];
	web_summary_begin(b);
	web_summary_row(b, "Kind", feeds_kind_name(s.kind), NULL);
	web_summary_row(b, "From", s.location, NULL);
	web_summary_row(b, "Signatures checked with key", s.key_fpr[0] ? s.key_fpr : "No key configured", NULL);
	when(s.last_ok, t1);
	web_summary_row(b, "Last successful sync", t1, NULL);
	when(s.last_finished, t2);
	web_summary_row(b, "Last sync finished", t2, NULL);
	duration(s.duration_ms, dur);
	web_summary_row(b, "Time taken", s.last_finished ? dur : "", NULL);
	snprintf(num, sizeof num, "%lld", (long long)s.records);
	web_summary_row(b, "Records", num, NULL);
	snprintf(num, sizeof num, "%lld", (long long)s.withdrawn);
	web_summary_row(b, "Withdrawn or rejected records", num, NULL);
	snprintf(num, sizeof num, "%lld", (long long)s.errors);
	web_summary_row(b, "Records refused in the last sync", num, NULL);
	if (s.last_failed)
		web_summary_row(b, "Last sync failed because", s.last_error, NULL);
	web_summary_end(b);

	struct buf action;
	buf_init(&action);
	buf_puts(&action, "/feeds/");
	html_url_component(&action, s.name);
	buf_puts(&action, "/sync");
	web_form_begin(b, buf_cstr(&action), "post", c->session.csrf);
	web_button(b, "Sync now", WEB_BUTTON_SECONDARY);
	web_form_end(b);
	buf_free(&action);

	html_raw(b, "<h2>Recent syncs</h2>");
	struct web_column sc[] = { { "Started", false }, { "Result", false }, { "Added", true }, { "Updated", true },
				   { "Withdrawn", true }, { "Unchanged", true }, { "Refused", true }, { "Time taken", true } };
	struct web_table t;
	web_table_begin(&t, b, "The last ten syncs", sc, 8);
	struct db_stmt *st = db_prep(c->db, "SELECT started, ok, not_modified, added, updated, withdrawn, unchanged, errors,"
					    " duration_ms, message FROM feed_syncs WHERE source_id = ?1 ORDER BY id DESC LIMIT 10");
	db_bind_i64(st, 1, s.id);
	size_t rows = 0;
	while (db_step(st) == DB_ROW) {
		rows++;
		char at[48];
		when(db_col_i64(st, 0), at);
		duration(db_col_i64(st, 8), dur);
		web_table_row_begin(&t);
		web_table_cell(&t, at);
		const char *res = db_col_isnull(st, 1) ? "Running" : !db_col_i64(st, 1) ? "Failed, previous state kept"
							  : db_col_i64(st, 2) ? "Not modified" : "Done";
		web_table_cell_open(&t);
		html_text(b, res);
		if (!db_col_isnull(st, 1) && !db_col_i64(st, 1) && db_col_text(st, 9))
			html_printf(b, "<br><span class=\"nhsuk-u-font-size-16\">%s</span>", db_col_text(st, 9));
		web_table_cell_close(&t);
		for (int k = 3; k <= 7; k++)
			web_table_cell_num(&t, db_col_i64(st, k));
		web_table_cell(&t, dur);
		web_table_row_end(&t);
	}
	if (!rows)
		web_table_empty(&t, 8, "This feed has not been synced yet");
	web_table_end(&t);

	html_raw(b, "<h2>Refused records</h2><p>Examples from the last sync (up to 100); each was skipped and the "
		    "rest of the feed imported.</p>");
	struct web_column ec[] = { { "Record or file", false }, { "Reason", false } };
	web_table_begin(&t, b, "Refused records", ec, 2);
	static struct feeds_error ex[ERRORS_SHOWN];
	size_t ne = feeds_errors_get(c->db, s.id, ex, ERRORS_SHOWN);
	for (size_t i = 0; i < ne; i++) {
		web_table_row_begin(&t);
		web_table_cell(&t, ex[i].entry);
		web_table_cell(&t, ex[i].reason);
		web_table_row_end(&t);
	}
	if (!ne)
		web_table_empty(&t, 2, "No record was refused");
	web_table_end(&t);
	ctx_page_end(c);
}

static void post_feed_sync(struct ctx *c)
{
	struct feeds_source s;
	if (!feeds_access(c) || !load_feed(c, &s))
		return;
	struct bw_error e = { 0 };
	if (db_job_enqueue(c->db, "feeds.sync", s.name, 0, &e) != BW_OK)
		return ctx_error(c, 500, &e);
	char obj[96], sum[160];
	snprintf(obj, sizeof obj, "feed:%s", s.name);
	snprintf(sum, sizeof sum, "Asked for a sync of %s now", s.name);
	ctx_audit(c, "feeds.sync_requested", obj, sum);
	struct buf loc;
	buf_init(&loc);
	buf_puts(&loc, "/feeds/");
	html_url_component(&loc, s.name);
	ctx_redirect(c, buf_cstr(&loc), "The sync has been queued. This page shows its result when it finishes.");
	buf_free(&loc);
}

static void api_row(struct web_json *j, struct db_stmt *st)
{
	char t[32];
	web_json_object(j);
	web_json_key(j, "name");
	web_json_str(j, db_col_text(st, 0));
	web_json_key(j, "kind");
	web_json_str(j, db_col_text(st, 1));
	web_json_key(j, "location");
	web_json_str(j, db_col_text(st, 2));
	web_json_key(j, "enabled");
	web_json_bool(j, db_col_i64(st, 3) != 0);
	web_json_key(j, "last_ok");
	if (db_col_i64(st, 4)) {
		bw_time_iso(db_col_i64(st, 4), t);
		web_json_str(j, t);
	} else {
		web_json_null(j);
	}
	web_json_key(j, "last_failed");
	web_json_bool(j, db_col_i64(st, 5) != 0);
	web_json_key(j, "last_error");
	web_json_str(j, db_col_text(st, 6));
	web_json_key(j, "records");
	web_json_int(j, db_col_i64(st, 7));
	web_json_key(j, "withdrawn");
	web_json_int(j, db_col_i64(st, 8));
	web_json_key(j, "errors");
	web_json_int(j, db_col_i64(st, 9));
	web_json_key(j, "duration_ms");
	web_json_int(j, db_col_i64(st, 10));
	web_json_key(j, "signing_key");
	web_json_str(j, db_col_text(st, 11));
	web_json_end(j);
}

static void api_feeds(struct ctx *c)
{
	if (!feeds_access(c))
		return;
	struct db_stmt *st = db_prep(c->db, "SELECT name, kind, location, enabled, last_ok, last_failed, last_error, records,"
					    " withdrawn, errors, duration_ms, key_fpr FROM feed_sources ORDER BY name LIMIT ?1 OFFSET ?2");
	ctx_api_list(c, st, 1, api_row);
}

/* {feed}: a source name; every feed belongs to the root organisation. */
static enum bw_err feed_owner(struct db *db, const char *v, struct org_ref *out)
{
	struct feeds_source s;
	if (!v || feeds_source_get(db, v, &s, NULL) != BW_OK || !feeds_root_org(db, out))
		return BW_ENOTFOUND;
	return BW_OK;
}

/* The isolation walk probes every route with a feed name: a real one when
 * there is one (any subtree's users must be refused it but the national
 * team's), else the name the demo registers. */
static bool feed_example(struct db *db, const char *path, char *out, size_t n)
{
	(void)path;
	struct db_stmt *st = db_prep(db, "SELECT name FROM feed_sources ORDER BY name LIMIT 1");
	if (db_step(st) == DB_ROW) {
		snprintf(out, n, "%s", db_col_text(st, 0));
		db_reset(st);
	} else {
		snprintf(out, n, "kev");
	}
	return true;
}

static const struct route_param feeds_params[] = {
	{ "feed", feed_owner, feed_example },
	{ NULL, NULL, NULL },
};

static const struct route feeds_routes[] = {
	{ "GET", "/feeds", get_feeds, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, NULL },
	{ "GET", "/feeds/{feed}", get_feed, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, NULL },
	{ "POST", "/feeds/{feed}/sync", post_feed_sync, ROUTE_PAGE, AUTH_SIGNED_IN, ACT_EDIT, NULL },
	{ "GET", "/api/v1/feeds", api_feeds, ROUTE_API, AUTH_SIGNED_IN, ACT_EDIT, NULL },
	{ NULL },
};

static const struct web_nav_entry feeds_nav[] = {
	{ "Feeds", "/feeds", ROLE_ADMIN | ROLE_ANALYST },
	{ NULL, NULL, 0 },
};

static const struct worker_kind feeds_kinds[] = {
	{ "feeds.sync", feeds_job_run, 4 * 3600, FEEDS_SYNC_EVERY_S },
	{ NULL, NULL, 0, 0 },
};

void feeds_register(void)
{
	app_add_params(feeds_params);
	app_add_nav(feeds_nav);
	app_add_routes(feeds_routes);
	worker_add_kinds(feeds_kinds);
}
