/*
 * reorg: ICB reorganisations as mappings (old ICB -> new ICB, and for a
 * split, member -> new ICB), read from the April 2026 data or from a user's
 * file, and planned against an estate without changing it.
 *
 * The 2026 data says which ICBs split but not where each member goes ("use
 * the ODS record of the child"). Trusts carry their new ICB in etr.csv. For
 * GP practices the boundary rules below decide: the two Hertfordshire
 * sub-ICB locations went to Central East and West Essex to Essex; Ipswich and
 * East Suffolk and West Suffolk to Norfolk and Suffolk and North East Essex
 * to Essex; Frimley (one sub-ICB location, D4U1Y) by town: East Berkshire to
 * Thames Valley, Surrey Heath, Farnham and Egham to Surrey and Sussex,
 * North East Hampshire to Hampshire and Isle of Wight. Each rule agrees with
 * every etr trust of those areas (tests/ods checks this). Pharmacies and
 * synthetic organisations then follow the real organisations of their
 * postcode district (then area) within the old ICB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "ods_data.h"

#define REORG_MAX_RULES 200000
#define REORG_README    "orgs/ods/2026/README.md"
#define REORG_LINE_MAX  2048

struct boundary {
	const char *old_code;
	char kind;            /* 'C' commissioner, 'D' postcode district, 'A' postcode area */
	const char *key;
	const char *new_code;
};

static const struct boundary boundaries_2026[] = {
	{ "QM7", 'C', "06K", "S1Y5D" }, /* East and North Hertfordshire */
	{ "QM7", 'C', "06N", "S1Y5D" }, /* Herts Valleys */
	{ "QM7", 'C', "07H", "D7T5G" }, /* West Essex */
	{ "QJG", 'C', "06L", "T6Y0W" }, /* Ipswich and East Suffolk */
	{ "QJG", 'C', "07K", "T6Y0W" }, /* West Suffolk */
	{ "QJG", 'C', "06T", "D7T5G" }, /* North East Essex */
	/* Frimley: East Berkshire (Slough, Windsor, Maidenhead, Bracknell). */
	{ "QNQ", 'A', "SL", "S0E4D" },
	{ "QNQ", 'D', "RG12", "S0E4D" },
	{ "QNQ", 'D', "RG42", "S0E4D" },
	{ "QNQ", 'D', "RG45", "S0E4D" },
	{ "QNQ", 'D', "GU47", "S0E4D" },
	{ "QNQ", 'D', "TW19", "S0E4D" },
	/* Frimley: Surrey Heath, Farnham, Egham. */
	{ "QNQ", 'D', "GU9", "S9B9J" },
	{ "QNQ", 'D', "GU10", "S9B9J" },
	{ "QNQ", 'D', "GU15", "S9B9J" },
	{ "QNQ", 'D', "GU16", "S9B9J" },
	{ "QNQ", 'D', "GU18", "S9B9J" },
	{ "QNQ", 'D', "GU19", "S9B9J" },
	{ "QNQ", 'D', "GU20", "S9B9J" },
	{ "QNQ", 'D', "GU24", "S9B9J" },
	{ "QNQ", 'D', "TW20", "S9B9J" },
	/* Frimley: North East Hampshire (Farnborough, Aldershot, Fleet, Yateley). */
	{ "QNQ", 'D', "GU11", "QRL" },
	{ "QNQ", 'D', "GU12", "QRL" },
	{ "QNQ", 'D', "GU14", "QRL" },
	{ "QNQ", 'D', "GU17", "QRL" },
	{ "QNQ", 'D', "GU46", "QRL" },
	{ "QNQ", 'D', "GU51", "QRL" },
	{ "QNQ", 'D', "GU52", "QRL" },
};

struct ods_reorg_loc {
	struct ods_votes district;  /* "OLD|DISTRICT" -> new ICB */
	struct ods_votes area;      /* "OLD|AREA" -> new ICB */
	struct ods_votes members;   /* "OLD" -> new ICB, one vote per member row */
};

const char *ods_reorg_how_name(enum ods_reorg_how how)
{
	switch (how) {
	case ODS_BY_MERGE: return "merge";
	case ODS_BY_MEMBER: return "member";
	case ODS_BY_RULE: return "rule";
	case ODS_BY_LOCATION: return "location";
	case ODS_BY_DEFAULT: return "default";
	}
	return "default";
}

void ods_reorg_free(struct ods_reorg *m)
{
	free(m->rules);
	free(m->created);
	if (m->loc) {
		ods_votes_free(&m->loc->district);
		ods_votes_free(&m->loc->area);
		ods_votes_free(&m->loc->members);
		free(m->loc);
	}
	arena_free(&m->arena);
	memset(m, 0, sizeof *m);
}

static void reorg_init(struct ods_reorg *m)
{
	memset(m, 0, sizeof *m);
	arena_init(&m->arena);
}

static struct ods_reorg_rule *rule_add(struct ods_reorg *m, size_t *cap, const char *old,
				       const char *new_code, const char *member, long line)
{
	if (m->nrules == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		m->rules = realloc(m->rules, *cap * sizeof *m->rules);
		if (!m->rules)
			abort();
	}
	struct ods_reorg_rule *r = &m->rules[m->nrules++];
	memset(r, 0, sizeof *r);
	snprintf(r->old_code, sizeof r->old_code, "%s", old);
	snprintf(r->new_code, sizeof r->new_code, "%s", new_code);
	snprintf(r->member_code, sizeof r->member_code, "%s", member);
	r->line = line;
	return r;
}

static int rule_cmp(const void *a, const void *b)
{
	const struct ods_reorg_rule *x = a, *y = b;
	bool xm = x->member_code[0], ym = y->member_code[0];
	if (xm != ym)
		return xm ? 1 : -1;
	int c = strcmp(x->member_code, y->member_code);
	if (c)
		return c;
	c = strcmp(x->old_code, y->old_code);
	return c ? c : strcmp(x->new_code, y->new_code);
}

/* Sorts whole-ICB rows first, member rows by member; sets nwhole. */
static void rules_sort(struct ods_reorg *m)
{
	if (m->nrules)
		qsort(m->rules, m->nrules, sizeof *m->rules, rule_cmp);
	m->nwhole = 0;
	while (m->nwhole < m->nrules && !m->rules[m->nwhole].member_code[0])
		m->nwhole++;
}

static const struct ods_reorg_rule *member_rule(const struct ods_reorg *m, const char *old,
						const char *member)
{
	size_t lo = m->nwhole, hi = m->nrules;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(m->rules[mid].member_code, member) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < m->nrules && strcmp(m->rules[lo].member_code, member) == 0; lo++)
		if (strcmp(m->rules[lo].old_code, old) == 0)
			return &m->rules[lo];
	return NULL;
}

/* The distinct new codes of old's whole-ICB rows (sorted), at most max. */
static size_t successors(const struct ods_reorg *m, const char *old, const char **out,
			 size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < m->nwhole && n < max; i++)
		if (strcmp(m->rules[i].old_code, old) == 0)
			out[n++] = m->rules[i].new_code;
	return n;
}

static const struct ods_reorg_icb *created_find(const struct ods_reorg *m, const char *code)
{
	for (size_t i = 0; i < m->ncreated; i++)
		if (strcmp(m->created[i].code, code) == 0)
			return &m->created[i];
	return NULL;
}

static void vote_key(char *out, size_t n, const char *old, const char *k)
{
	snprintf(out, n, "%s|%s", old, k);
}

/* Boundary rules, then location votes, then the majority: the split's
 * answer for a member with no member row. */
static const char *split_locate(const struct ods_reorg *m, const char *old,
				const struct ods_org *o, const char *const *cands, size_t nc,
				enum ods_reorg_how *how)
{
	char dist[ODS_POSTCODE_MAX + 1], area[ODS_POSTCODE_MAX + 1];
	ods_postcode_district(o->postcode, dist);
	ods_postcode_area(o->postcode, area);
	const char *found = NULL;
	for (int pass = 0; pass < 3 && !found; pass++) {
		char kind = "CDA"[pass];
		const char *key = pass == 0 ? o->commissioner : pass == 1 ? dist : area;
		if (!key[0])
			continue;
		for (size_t i = 0; i < BW_NELEM(boundaries_2026); i++) {
			const struct boundary *b = &boundaries_2026[i];
			if (b->kind == kind && strcmp(b->old_code, old) == 0 &&
			    strcmp(b->key, key) == 0) {
				found = b->new_code;
				break;
			}
		}
	}
	if (found) {
		for (size_t c = 0; c < nc; c++)
			if (strcmp(cands[c], found) == 0) {
				*how = ODS_BY_RULE;
				return cands[c];
			}
	}
	if (!m->loc)
		return NULL;
	char key[2 * ODS_CODE_MAX + 2];
	vote_key(key, sizeof key, old, dist);
	const char *v = dist[0] ? ods_votes_best(&m->loc->district, key, cands, nc) : NULL;
	if (!v && area[0]) {
		vote_key(key, sizeof key, old, area);
		v = ods_votes_best(&m->loc->area, key, cands, nc);
	}
	if (v) {
		*how = ODS_BY_LOCATION;
		return v;
	}
	v = ods_votes_best(&m->loc->members, old, cands, nc);
	*how = ODS_BY_DEFAULT;
	return v ? v : cands[0];
}

enum bw_err ods_reorg_resolve(const struct ods_reorg *m, const char *old_code,
			      const struct ods_org *member, const char **new_code,
			      enum ods_reorg_how *how, struct bw_error *err)
{
	*new_code = NULL;
	const struct ods_reorg_rule *r = member_rule(m, old_code, member->code);
	if (r) {
		*new_code = r->new_code;
		*how = ODS_BY_MEMBER;
		return BW_OK;
	}
	const char *cands[16];
	size_t nc = successors(m, old_code, cands, BW_NELEM(cands));
	if (nc == 0)
		return BW_OK;
	if (nc == 1) {
		*new_code = cands[0];
		*how = ODS_BY_MERGE;
		return BW_OK;
	}
	if (m->from_data)
		*new_code = split_locate(m, old_code, member, cands, nc, how);
	if (!*new_code)
		return bw_fail(err, BW_EINVAL, "member_code",
			       "%s splits between %s and %s%s; give a member row for %s",
			       old_code, cands[0], cands[1], nc > 2 ? " and others" : "",
			       member->code);
	return BW_OK;
}

/* ---- the April 2026 reorganisation from the data ---- */

/* Splits a Markdown table row into trimmed cells; returns the count. */
static size_t md_cells(char *line, struct str *cells, size_t max)
{
	size_t n = 0;
	char *p = line;
	while (*p == ' ')
		p++;
	if (*p != '|')
		return 0;
	p++;
	while (*p && n < max) {
		char *bar = strchr(p, '|');
		if (!bar)
			break;
		cells[n++] = str_trim((struct str){ p, (size_t)(bar - p) });
		p = bar + 1;
	}
	return n;
}

static enum bw_err read_readme(struct ods_reorg *m, size_t *cap, const char *data_dir,
			       struct bw_error *err)
{
	char path[4096];
	enum bw_err e = ods_path(path, sizeof path, data_dir, REORG_README, err);
	if (e)
		return e;
	FILE *f = fopen(path, "r");
	if (!f)
		return bw_fail(err, BW_ENOTFOUND, "data_dir", "%s: cannot open", path);
	char line[REORG_LINE_MAX];
	long lineno = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		struct str c[8];
		size_t n = md_cells(line, c, BW_NELEM(c));
		char old[ODS_CODE_MAX + 1], nw[ODS_CODE_MAX + 1];
		/* Rows of the mapping table: code | name | code | name | type. */
		if (n != 5 || !ods_code_copy(old, c[0]) || !ods_code_copy(nw, c[2]))
			continue;
		if (!memmem(c[4].p, c[4].n, "merger", 6) && !memmem(c[4].p, c[4].n, "split", 5)) {
			fclose(f);
			return bw_fail(err, BW_EINVAL, "type", "%s line %ld: unknown change type",
				       path, lineno);
		}
		rule_add(m, cap, old, nw, "", lineno);
	}
	fclose(f);
	rules_sort(m);
	if (m->nrules == 0)
		return bw_fail(err, BW_EINVAL, "data_dir", "%s: no mapping table found", path);
	for (size_t i = 1; i < m->nrules; i++)
		if (rule_cmp(&m->rules[i - 1], &m->rules[i]) == 0)
			return bw_fail(err, BW_EINVAL, "old_code", "%s line %ld: %s -> %s given twice",
				       path, m->rules[i].line, m->rules[i].old_code,
				       m->rules[i].new_code);
	return BW_OK;
}

/* True if code appears in the ';'-separated list. */
static bool in_list(const char *list, const char *code)
{
	size_t n = strlen(code);
	for (const char *p = list; (p = strstr(p, code)) != NULL; p += n)
		if ((p == list || p[-1] == ';') && (p[n] == 0 || p[n] == ';'))
			return true;
	return false;
}

/* The README table and icbs.csv were written separately: they must agree. */
static enum bw_err check_against_icbs(struct ods_reorg *m, const struct ods_data *d,
				      struct bw_error *err)
{
	for (size_t i = 0; i < m->nwhole; i++) {
		const struct ods_reorg_rule *r = &m->rules[i];
		const struct ods_src_icb *icb = ods_data_icb(d, r->old_code);
		if (!icb || !icb->old || !in_list(icb->successors, r->new_code))
			return bw_fail(err, BW_EINVAL, "old_code",
				       "2026 README line %ld: %s -> %s is not in icbs.csv", r->line,
				       r->old_code, r->new_code);
		const struct ods_src_icb *to = ods_data_icb(d, r->new_code);
		if (!to || !(to->created || (to->old && !to->successors[0])))
			return bw_fail(err, BW_EINVAL, "new_code",
				       "2026 README line %ld: %s is not an ICB after the change",
				       r->line, r->new_code);
	}
	size_t cap = 0;
	for (size_t i = 0; i < d->nicbs; i++) {
		const struct ods_src_icb *icb = &d->icbs[i];
		if (icb->old && icb->successors[0]) {
			size_t k = 0;
			for (size_t j = 0; j < m->nwhole; j++)
				k += strcmp(m->rules[j].old_code, icb->code) == 0;
			size_t want = 1;
			for (const char *p = icb->successors; *p; p++)
				want += *p == ';';
			if (k != want)
				return bw_fail(err, BW_EINVAL, "old_code",
					       "icbs.csv gives %s %zu successors, the 2026 README %zu",
					       icb->code, want, k);
		}
		if (!icb->created)
			continue;
		if (m->ncreated == cap) {
			cap = cap ? 2 * cap : 8;
			m->created = realloc(m->created, cap * sizeof *m->created);
			if (!m->created)
				abort();
		}
		struct ods_reorg_icb *c = &m->created[m->ncreated++];
		memcpy(c->code, icb->code, sizeof c->code);
		memcpy(c->region, icb->region, sizeof c->region);
		c->name = arena_strdup(&m->arena, icb->name);
	}
	return BW_OK;
}

/* A member row for every real organisation of a split ICB. */
static enum bw_err add_member_rows(struct ods_reorg *m, size_t *cap, const struct ods_data *d,
				   struct bw_error *err)
{
	m->loc = calloc(1, sizeof *m->loc);
	if (!m->loc)
		abort();
	size_t nwhole = m->nrules;
	bool *done = calloc(d->norgs ? d->norgs : 1, sizeof *done);
	if (!done)
		abort();
	/* Pass 1: what the data or a boundary rule says; these are the
	 * location votes for pass 2. Pass 2: everything else. */
	for (int pass = 1; pass <= 2; pass++) {
		if (pass == 2) {
			ods_votes_finish(&m->loc->district);
			ods_votes_finish(&m->loc->area);
			ods_votes_finish(&m->loc->members);
		}
		for (size_t i = 0; i < d->norgs; i++) {
			const struct ods_src_org *s = &d->orgs[i];
			const char *cands[16];
			size_t nc = 0;
			for (size_t j = 0; j < nwhole && nc < BW_NELEM(cands); j++)
				if (strcmp(m->rules[j].old_code, s->icb) == 0)
					cands[nc++] = m->rules[j].new_code;
			if (nc < 2 || done[i])
				continue;
			const char *to = NULL;
			if (s->type == ODS_NHS_TRUST) {
				for (size_t c = 0; c < nc && !to; c++)
					if (strcmp(cands[c], s->file_icb) == 0)
						to = cands[c];
				if (!to) {
					free(done);
					return bw_fail(err, BW_EINVAL, "member_code",
						       "etr.csv: trust %s of %s is under %s, "
						       "not a successor", s->code, s->icb,
						       s->file_icb);
				}
			} else {
				struct ods_org o = { 0 };
				memcpy(o.postcode, s->postcode, sizeof o.postcode);
				memcpy(o.commissioner, s->commissioner, sizeof o.commissioner);
				enum ods_reorg_how how;
				struct ods_reorg_loc *loc = m->loc;
				if (pass == 1)
					m->loc = NULL;  /* rules only */
				to = split_locate(m, s->icb, &o, cands, nc, &how);
				m->loc = loc;
				if (pass == 1 && how != ODS_BY_RULE)
					to = NULL;
			}
			if (!to)
				continue;
			done[i] = true;
			/* rule_add may move m->rules: copy the code first. */
			char nw[ODS_CODE_MAX + 1];
			snprintf(nw, sizeof nw, "%s", to);
			rule_add(m, cap, s->icb, nw, s->code, 0);
			if (pass == 1) {
				char k[ODS_POSTCODE_MAX + 1], key[2 * ODS_CODE_MAX + 2];
				ods_postcode_district(s->postcode, k);
				vote_key(key, sizeof key, s->icb, k);
				if (k[0])
					ods_votes_add(&m->loc->district, key, nw);
				ods_postcode_area(s->postcode, k);
				vote_key(key, sizeof key, s->icb, k);
				if (k[0])
					ods_votes_add(&m->loc->area, key, nw);
				ods_votes_add(&m->loc->members, s->icb, nw);
			}
		}
	}
	free(done);
	rules_sort(m);
	return BW_OK;
}

enum bw_err ods_reorg_load(const char *data_dir, struct ods_reorg *out, struct bw_error *err)
{
	struct bw_error local;
	if (!err)
		err = &local;
	reorg_init(out);
	out->from_data = true;
	size_t cap = 0;
	enum bw_err e = read_readme(out, &cap, data_dir, err);
	if (e) {
		ods_reorg_free(out);
		return e;
	}
	struct ods_data d;
	e = ods_data_read(data_dir, &d, err);
	if (!e) {
		e = check_against_icbs(out, &d, err);
		if (!e)
			e = add_member_rows(out, &cap, &d, err);
		ods_data_free(&d);
	}
	if (e)
		ods_reorg_free(out);
	return e;
}

/* ---- a user's mapping file ---- */

static const char *const columns[] = { "old_code", "new_code", "member_code", "new_name",
				       "new_region" };

static enum bw_err col_fail(struct bw_error *err, const char *name, long line, size_t col,
			    const char *what)
{
	return bw_fail(err, BW_EINVAL, columns[col], "%s line %ld, column %zu (%s): %s", name,
		       line, col + 1, columns[col], what);
}

/* A code column, trimmed and upper-cased; empty allowed only if optional. */
static enum bw_err col_code(struct csv_reader *r, size_t col, bool optional, const char *name,
			    char out[ODS_CODE_MAX + 1], struct bw_error *err)
{
	struct str s = str_trim(csv_field(r, col));
	out[0] = 0;
	if (s.n == 0)
		return optional ? BW_OK : col_fail(err, name, csv_line(r), col, "is empty");
	if (s.n > ODS_CODE_MAX)
		return col_fail(err, name, csv_line(r), col, "is longer than 16 characters");
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return col_fail(err, name, csv_line(r), col,
					"is not an ODS code (letters and digits only)");
		out[i] = c;
	}
	out[s.n] = 0;
	return BW_OK;
}

static enum bw_err parse_row(struct ods_reorg *m, size_t *cap, size_t *ccap,
			     struct csv_reader *r, const char *name, struct bw_error *err)
{
	long line = csv_line(r);
	size_t nf = csv_nfields(r);
	if (nf < 2 || nf > 5)
		return bw_fail(err, BW_EINVAL, "line", "%s line %ld: %zu columns, expected "
			       "old_code,new_code[,member_code[,new_name[,new_region]]]",
			       name, line, nf);
	char old[ODS_CODE_MAX + 1], nw[ODS_CODE_MAX + 1], member[ODS_CODE_MAX + 1],
		region[ODS_CODE_MAX + 1];
	enum bw_err e = col_code(r, 0, false, name, old, err);
	if (!e)
		e = col_code(r, 1, false, name, nw, err);
	if (!e)
		e = col_code(r, 2, true, name, member, err);
	if (!e)
		e = col_code(r, 4, true, name, region, err);
	if (e)
		return e;
	if (strcmp(old, nw) == 0)
		return col_fail(err, name, line, 1, "is the same as old_code");
	if (strcmp(member, old) == 0 || strcmp(member, nw) == 0)
		return col_fail(err, name, line, 2, "names an ICB, not a member");
	struct str nm = str_trim(csv_field(r, 3));
	if (nm.n > LIM_NAME)
		return col_fail(err, name, line, 3, "is longer than 200 bytes");
	if (!bw_valid_utf8(nm.p, nm.n))
		return col_fail(err, name, line, 3, "is not UTF-8 text");
	if ((nm.n == 0) != (region[0] == 0))
		return col_fail(err, name, line, nm.n ? 4 : 3,
				"new_name and new_region go together");
	if (m->nrules == REORG_MAX_RULES)
		return bw_fail(err, BW_ELIMIT, "line", "%s line %ld: more than %d rows", name,
			       line, REORG_MAX_RULES);
	rule_add(m, cap, old, nw, member, line);
	if (!nm.n)
		return BW_OK;
	const struct ods_reorg_icb *have = created_find(m, nw);
	if (have) {
		if (strcmp(have->region, region) != 0 || strlen(have->name) != nm.n ||
		    memcmp(have->name, nm.p, nm.n) != 0)
			return col_fail(err, name, line, 3,
					"differs from an earlier row for the same new_code");
		return BW_OK;
	}
	if (m->ncreated == *ccap) {
		*ccap = *ccap ? 2 * *ccap : 8;
		m->created = realloc(m->created, *ccap * sizeof *m->created);
		if (!m->created)
			abort();
	}
	struct ods_reorg_icb *c = &m->created[m->ncreated++];
	memcpy(c->code, nw, sizeof c->code);
	memcpy(c->region, region, sizeof c->region);
	c->name = arena_strndup(&m->arena, nm.p, nm.n);
	return BW_OK;
}

/* Whole-mapping checks once every row is in. */
static enum bw_err check_rules(struct ods_reorg *m, const char *name, struct bw_error *err)
{
	if (m->nrules == 0)
		return bw_fail(err, BW_EINVAL, "line", "%s: the mapping has no rows", name);
	rules_sort(m);
	for (size_t i = 1; i < m->nrules; i++) {
		const struct ods_reorg_rule *a = &m->rules[i - 1], *b = &m->rules[i];
		bool same = a->member_code[0]
			? strcmp(a->member_code, b->member_code) == 0 &&
			  strcmp(a->old_code, b->old_code) == 0
			: rule_cmp(a, b) == 0;
		if (same)
			return bw_fail(err, BW_EINVAL, "line", "%s line %ld: repeats line %ld", name,
				       a->line > b->line ? a->line : b->line,
				       a->line > b->line ? b->line : a->line);
	}
	for (size_t i = 0; i < m->nrules; i++) {
		const char *to = m->rules[i].new_code;
		for (size_t j = 0; j < m->nwhole; j++)
			if (strcmp(m->rules[j].old_code, to) == 0)
				return bw_fail(err, BW_EINVAL, "new_code",
					       "%s line %ld, column 2 (new_code): %s is itself "
					       "dissolved by line %ld", name, m->rules[i].line, to,
					       m->rules[j].line);
	}
	return BW_OK;
}

enum bw_err ods_reorg_parse_mem(const char *data, size_t n, const char *name,
				struct ods_reorg *out, struct bw_error *err)
{
	struct bw_error local;
	if (!err)
		err = &local;
	reorg_init(out);
	struct csv_reader *r;
	const struct csv_limits lim = { 8, 1024 };
	enum bw_err e = csv_open_mem(&r, data, n, name, &lim, err);
	if (e)
		return e;
	size_t cap = 0, ccap = 0;
	int rc;
	bool first = true;
	while ((rc = csv_next(r, err)) == CSV_ROW) {
		bool header = first && str_case_eq_c(str_trim(csv_field(r, 0)), "old_code");
		first = false;
		if (header)
			continue;
		e = parse_row(out, &cap, &ccap, r, name, err);
		if (e)
			break;
	}
	if (!e && rc == CSV_ERR)
		e = err->code;
	csv_close(r);
	if (!e)
		e = check_rules(out, name, err);
	if (e)
		ods_reorg_free(out);
	return e;
}

enum bw_err ods_reorg_parse_file(const char *path, struct ods_reorg *out, struct bw_error *err)
{
	struct bw_error local;
	if (!err)
		err = &local;
	reorg_init(out);
	FILE *f = fopen(path, "rb");
	if (!f)
		return bw_fail(err, BW_ENOTFOUND, "mapping", "%s: cannot open", path);
	/* Mapping files are small: a whole national reorganisation is a few
	 * thousand rows. Read whole, then parse from memory. */
	struct buf b;
	buf_init(&b);
	char chunk[8192];
	size_t k;
	enum bw_err e = BW_OK;
	while ((k = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (b.len + k > (size_t)LIM_UPLOAD) {
			e = bw_fail(err, BW_ELIMIT, "mapping", "%s: larger than %d bytes", path,
				    LIM_UPLOAD);
			break;
		}
		buf_add(&b, chunk, k);
	}
	if (!e && ferror(f))
		e = bw_fail(err, BW_EIO, "mapping", "%s: read error", path);
	fclose(f);
	if (!e)
		e = ods_reorg_parse_mem(b.p ? b.p : "", b.len, path, out, err);
	buf_free(&b);
	return e;
}

/* ---- planning against an estate ---- */

void ods_reorg_plan_free(struct ods_reorg_plan *p)
{
	free(p->create);
	free(p->moves);
	free(p->dissolve);
	memset(p, 0, sizeof *p);
}

static int code_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The distinct old codes, sorted, for a bsearch per organisation. */
static char (*old_codes(const struct ods_reorg *m, size_t *n))[ODS_CODE_MAX + 1]
{
	char (*v)[ODS_CODE_MAX + 1] = malloc((m->nrules ? m->nrules : 1) * sizeof *v);
	if (!v)
		abort();
	for (size_t i = 0; i < m->nrules; i++)
		memcpy(v[i], m->rules[i].old_code, sizeof v[i]);
	if (m->nrules)
		qsort(v, m->nrules, sizeof *v, code_cmp);
	size_t w = 0;
	for (size_t i = 0; i < m->nrules; i++)
		if (w == 0 || strcmp(v[w - 1], v[i]) != 0)
			memmove(v[w++], v[i], sizeof v[i]);
	*n = w;
	return v;
}

static enum bw_err plan_members(const struct ods_reorg *m, const struct ods_estate *e,
				struct bw_error *err)
{
	for (size_t i = 0; i < m->nrules; i++) {
		const struct ods_reorg_rule *r = &m->rules[i];
		const struct ods_org *old = ods_estate_find(e, r->old_code);
		if (!old) {
			if (m->from_data)
				continue;
			return bw_fail(err, BW_ENOTFOUND, "old_code",
				       "line %ld: old_code %s is not in the estate", r->line,
				       r->old_code);
		}
		if (old->type != ODS_ICB)
			return bw_fail(err, BW_EINVAL, "old_code", "line %ld: %s is not an ICB",
				       r->line, r->old_code);
		if (!r->member_code[0] || m->from_data)
			continue;
		const struct ods_org *mem = ods_estate_find(e, r->member_code);
		if (!mem || strcmp(mem->parent_code, r->old_code) != 0)
			return bw_fail(err, BW_EINVAL, "member_code",
				       "line %ld: %s is not a member of %s", r->line,
				       r->member_code, r->old_code);
	}
	return BW_OK;
}

static bool code_in(char (*list)[ODS_CODE_MAX + 1], size_t n, const char *code)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], code) == 0)
			return true;
	return false;
}

enum bw_err ods_reorg_plan(const struct ods_reorg *m, const struct ods_estate *e,
			   struct ods_reorg_plan *out, struct bw_error *err)
{
	struct bw_error local;
	if (!err)
		err = &local;
	memset(out, 0, sizeof *out);
	enum bw_err rc = plan_members(m, e, err);
	if (rc)
		return rc;
	size_t cap = 0, ccap = 0, dcap = 0, nold;
	char (*olds)[ODS_CODE_MAX + 1] = old_codes(m, &nold);
	for (size_t i = 0; i < e->n; i++) {
		const struct ods_org *o = &e->orgs[i];
		if (!o->parent_code[0] ||
		    !bsearch(o->parent_code, olds, nold, sizeof *olds, code_cmp))
			continue;
		const char *to;
		enum ods_reorg_how how;
		rc = ods_reorg_resolve(m, o->parent_code, o, &to, &how, err);
		if (rc)
			goto fail;
		if (!to)
			continue;
		const struct ods_org *dest = ods_estate_find(e, to);
		if (dest && dest->type != ODS_ICB) {
			rc = bw_fail(err, BW_EINVAL, "new_code", "%s is not an ICB", to);
			goto fail;
		}
		if (!dest) {
			bool have = false;
			for (size_t c = 0; c < out->ncreate && !have; c++)
				have = strcmp(out->create[c].code, to) == 0;
			if (!have) {
				const struct ods_reorg_icb *def = created_find(m, to);
				if (!def) {
					rc = bw_fail(err, BW_EINVAL, "new_name",
						     "new ICB %s is not in the estate and the mapping "
						     "gives no new_name and new_region for it", to);
					goto fail;
				}
				const struct ods_org *reg = ods_estate_find(e, def->region);
				if (!reg || reg->type != ODS_REGION) {
					rc = bw_fail(err, BW_EINVAL, "new_region",
						     "new ICB %s: region %s is not in the estate", to,
						     def->region);
					goto fail;
				}
				if (out->ncreate == ccap) {
					ccap = ccap ? 2 * ccap : 8;
					out->create = realloc(out->create, ccap * sizeof *out->create);
					if (!out->create)
						abort();
				}
				out->create[out->ncreate++] = *def;
			}
		}
		if (out->nmoves == cap) {
			cap = cap ? 2 * cap : 256;
			out->moves = realloc(out->moves, cap * sizeof *out->moves);
			if (!out->moves)
				abort();
		}
		struct ods_move *mv = &out->moves[out->nmoves++];
		mv->org = i;
		memcpy(mv->old_parent, o->parent_code, sizeof mv->old_parent);
		snprintf(mv->new_parent, sizeof mv->new_parent, "%s", to);
		mv->how = how;
	}
	/* An old ICB with a whole-ICB row keeps no members: it is dissolved. */
	for (size_t i = 0; i < m->nwhole; i++) {
		const char *old = m->rules[i].old_code;
		if (!ods_estate_find(e, old) || code_in(out->dissolve, out->ndissolve, old))
			continue;
		if (out->ndissolve == dcap) {
			dcap = dcap ? 2 * dcap : 16;
			out->dissolve = realloc(out->dissolve, dcap * sizeof *out->dissolve);
			if (!out->dissolve)
				abort();
		}
		snprintf(out->dissolve[out->ndissolve++], ODS_CODE_MAX + 1, "%s", old);
	}
	free(olds);
	return BW_OK;
fail:
	free(olds);
	ods_reorg_plan_free(out);
	return rc;
}
