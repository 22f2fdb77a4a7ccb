/*
 * vers: version range specifiers (package-url/vers-spec): parse (strict
 * canonical or lenient), write, and test containment with the scheme's
 * version keys, following the specification's containment algorithm
 * (except that a range of only '!=' holds every other version: see
 * match_vers_contains).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_int.h"

static enum bw_err vfail(struct bw_error *err, const char *fmt, ...) BW_PRINTF(2, 3);
static enum bw_err vfail(struct bw_error *err, const char *fmt, ...)
{
	if (err) {
		err->code = BW_EINVAL;
		snprintf(err->field, sizeof err->field, "vers");
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
	}
	return BW_EINVAL;
}

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static const char *const op_text[] = { "", "!=", "<", "<=", ">", ">=", "*" };

static int cmp_constraint(const void *x, const void *y)
{
	const struct match_vers_constraint *a = x, *b = y;
	if (a->key && b->key)
		return match_key_cmp(a->key, a->kn, b->key, b->kn);
	if (a->key || b->key)
		return a->key ? -1 : 1;
	return strcmp(a->version, b->version);
}

enum bw_err match_vers_parse(struct arena *a, struct str s, bool canonical,
			     struct match_vers *out, struct bw_error *err)
{
	memset(out, 0, sizeof *out);
	if (s.n > MATCH_LIM_VERS)
		return vfail(err, "vers longer than %d bytes", MATCH_LIM_VERS);
	for (size_t i = 0; i < s.n; i++)
		if (s.p[i] == ' ' || s.p[i] == '\t' || s.p[i] == '\n' || s.p[i] == '\r') {
			if (canonical)
				return vfail(err, "non-canonical VERS: whitespace is not permitted");
		}
	char *buf = arena_alloc(a, s.n + 1);
	size_t n = 0;
	for (size_t i = 0; i < s.n; i++)
		if (!(s.p[i] == ' ' || s.p[i] == '\t' || s.p[i] == '\n' || s.p[i] == '\r'))
			buf[n++] = s.p[i];
	buf[n] = 0;
	if (n < 5 || strncmp(buf, "vers:", 5) != 0)
		return vfail(err, "vers must start with \"vers:\"");
	char *slash = strchr(buf + 5, '/');
	if (!slash || slash == buf + 5)
		return vfail(err, "vers needs a scheme and '/'");
	*slash = 0;
	for (char *c = buf + 5; *c; c++) {
		if (canonical && *c >= 'A' && *c <= 'Z')
			return vfail(err, "non-canonical VERS: scheme must be lower case");
		*c = vkey_lower(*c);
	}
	out->scheme_name = buf + 5;
	out->scheme_ok = match_scheme_from_name(str_c(out->scheme_name), &out->scheme);
	bool datetime = strcmp(out->scheme_name, "datetime") == 0;
	char *p = slash + 1;
	size_t len = strlen(p);
	if (len == 0)
		return vfail(err, "vers has no constraints");
	if (p[0] == '|')
		return vfail(err, "non-canonical VERS: leading pipe is not permitted");
	if (p[len - 1] == '|')
		return vfail(err, "non-canonical VERS: trailing pipe is not permitted");
	size_t count = 1;
	for (size_t i = 0; i < len; i++)
		if (p[i] == '|') {
			count++;
			if (p[i + 1] == '|')
				return vfail(err, "non-canonical VERS: consecutive pipes are not permitted");
		}
	if (count > MATCH_LIM_CONSTRAINTS)
		return vfail(err, "vers has more than %d constraints", MATCH_LIM_CONSTRAINTS);
	out->c = arena_alloc(a, count * sizeof *out->c);
	char *save = NULL;
	for (char *t = strtok_r(p, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
		struct match_vers_constraint *c = &out->c[out->n];
		if (strcmp(t, "*") == 0) {
			c->op = MATCH_VERS_ANY;
			c->version = "*";
			out->n++;
			continue;
		}
		if (strncmp(t, "!=", 2) == 0) c->op = MATCH_VERS_NE, t += 2;
		else if (strncmp(t, "<=", 2) == 0) c->op = MATCH_VERS_LE, t += 2;
		else if (strncmp(t, ">=", 2) == 0) c->op = MATCH_VERS_GE, t += 2;
		else if (*t == '<') c->op = MATCH_VERS_LT, t++;
		else if (*t == '>') c->op = MATCH_VERS_GT, t++;
		else if (*t == '=') c->op = MATCH_VERS_EQ, t++;
		else c->op = MATCH_VERS_EQ;
		if (!*t)
			return vfail(err, "vers constraint has no version");
		if (datetime && canonical) {
			for (const char *q = t; *q; q++) {
				if (*q == 't' || *q == 'z')
					return vfail(err, "non-canonical VERS: datetime must use uppercase T and Z");
				if (q[0] == '%' && q[1] == '3' && (q[2] == 'A' || q[2] == 'a') &&
				    hexv(q[2]) >= 0)
					return vfail(err, "non-canonical VERS: datetime time colons must be unencoded");
			}
		}
		char *v = arena_alloc(a, strlen(t) + 1);
		size_t o = 0;
		for (const char *q = t; *q; q++) {
			if (*q == '%') {
				int hi = q[1] ? hexv(q[1]) : -1, lo = (hi >= 0 && q[2]) ? hexv(q[2]) : -1;
				if (hi < 0 || lo < 0)
					return vfail(err, "non-canonical VERS: invalid percent-encoding in version");
				if (canonical && ((q[1] >= 'a' && q[1] <= 'f') || (q[2] >= 'a' && q[2] <= 'f')))
					return vfail(err, "non-canonical VERS: percent-encoding in version is not canonical");
				v[o++] = (char)(hi * 16 + lo);
				q += 2;
			} else {
				v[o++] = *q;
			}
		}
		v[o] = 0;
		c->version = v;
		if (out->scheme_ok) {
			struct buf k;
			buf_init(&k);
			if (match_version_key(out->scheme, str_c(v), &k, NULL) == BW_OK) {
				uint8_t *key = arena_alloc(a, k.len ? k.len : 1);
				memcpy(key, k.p, k.len);
				c->key = key;
				c->kn = (uint32_t)k.len;
			}
			buf_free(&k);
		}
		out->n++;
	}
	for (size_t i = 0; i < out->n; i++)
		if (out->c[i].op == MATCH_VERS_ANY && out->n != 1)
			return vfail(err, "vers \"*\" must be the only constraint");
	if (canonical) {
		for (size_t i = 1; i < out->n; i++)
			if (cmp_constraint(&out->c[i - 1], &out->c[i]) > 0)
				return vfail(err, "non-canonical VERS: constraints are not sorted by version");
	} else if (out->n > 1) {
		/* insertion sort keeps equal versions in their order */
		for (size_t i = 1; i < out->n; i++) {
			struct match_vers_constraint x = out->c[i];
			size_t j = i;
			while (j > 0 && cmp_constraint(&out->c[j - 1], &x) > 0) {
				out->c[j] = out->c[j - 1];
				j--;
			}
			out->c[j] = x;
		}
	}
	return BW_OK;
}

void match_vers_format(const struct match_vers *v, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	buf_puts(out, "vers:");
	buf_puts(out, v->scheme_name);
	buf_putc(out, '/');
	for (size_t i = 0; i < v->n; i++) {
		if (i)
			buf_putc(out, '|');
		buf_puts(out, op_text[v->c[i].op]);
		if (v->c[i].op == MATCH_VERS_ANY)
			continue;
		for (const char *q = v->c[i].version; *q; q++) {
			unsigned char ch = (unsigned char)*q;
			if (ch == '%' || ch == '|' || ch <= 0x20 || ch >= 0x7f) {
				buf_putc(out, '%');
				buf_putc(out, hex[ch >> 4]);
				buf_putc(out, hex[ch & 15]);
			} else {
				buf_putc(out, (char)ch);
			}
		}
	}
}

static bool holds(enum match_vers_op op, int c)
{
	switch (op) {
	case MATCH_VERS_LT: return c < 0;
	case MATCH_VERS_LE: return c <= 0;
	case MATCH_VERS_GT: return c > 0;
	case MATCH_VERS_GE: return c >= 0;
	default: return false;
	}
}

enum match_answer match_vers_contains(const struct match_vers *v, const char *version,
				      struct match_result *res)
{
	struct match_result local;
	if (!res)
		res = &local;
	res->evidence[0] = 0;
	res->weak = false;
	if (v->n == 1 && v->c[0].op == MATCH_VERS_ANY) {
		snprintf(res->evidence, sizeof res->evidence, "vers \"*\": every version");
		return res->answer = MATCH_AFFECTED;
	}
	if (!v->scheme_ok) {
		snprintf(res->evidence, sizeof res->evidence,
			 "the %s version scheme is not supported", v->scheme_name);
		return res->answer = MATCH_UNKNOWN;
	}
	struct buf k;
	buf_init(&k);
	struct bw_error kerr = { 0 };
	if (match_version_key(v->scheme, str_c(version), &k, &kerr) != BW_OK) {
		snprintf(res->evidence, sizeof res->evidence, "%s is not orderable as %s: %s", version,
			 v->scheme_name, kerr.msg);
		buf_free(&k);
		return res->answer = MATCH_UNKNOWN;
	}
	for (size_t i = 0; i < v->n; i++)
		if (!v->c[i].key) {
			snprintf(res->evidence, sizeof res->evidence,
				 "bound %s is not orderable as %s", v->c[i].version, v->scheme_name);
			buf_free(&k);
			return res->answer = MATCH_UNKNOWN;
		}
	enum match_answer ans = MATCH_NOT_AFFECTED;
	/* equalities first: '=', '<=' and '>=' include, then '!=' excludes */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < v->n; i++) {
			const struct match_vers_constraint *c = &v->c[i];
			bool incl = c->op == MATCH_VERS_EQ || c->op == MATCH_VERS_LE ||
				    c->op == MATCH_VERS_GE;
			if (pass == 0 ? !incl : c->op != MATCH_VERS_NE)
				continue;
			if (match_key_cmp(k.p, k.len, c->key, c->kn) == 0) {
				ans = pass == 0 ? MATCH_AFFECTED : MATCH_NOT_AFFECTED;
				snprintf(res->evidence, sizeof res->evidence, "%s %s %s", version,
					 pass == 0 ? "==" : "is excluded by !=", c->version);
				goto out;
			}
		}
	/* Only '!=' constraints ("vers:gem/!=1.2.1"): the specification's
	 * algorithm, read literally, finds no interval and contains nothing,
	 * which would turn "every version but 1.2.1 is affected" into "not
	 * affected". The comparator's own definition ("shall be excluded from
	 * the range") reads it as every other version, and so does the CSAF
	 * reader (match_csaf_range_rules): a wrong "not affected" is the worst
	 * mistake this engine can make. */
	bool only_ne = v->n > 0;
	for (size_t i = 0; i < v->n; i++)
		only_ne &= v->c[i].op == MATCH_VERS_NE;
	if (only_ne) {
		ans = MATCH_AFFECTED;
		snprintf(res->evidence, sizeof res->evidence,
			 "%s is excluded by no != (a range of only != holds every other version)",
			 version);
		goto out;
	}
	const struct match_vers_constraint *r[MATCH_LIM_CONSTRAINTS];
	size_t nr = 0;
	for (size_t i = 0; i < v->n; i++)
		if (v->c[i].op != MATCH_VERS_EQ && v->c[i].op != MATCH_VERS_NE)
			r[nr++] = &v->c[i];
	snprintf(res->evidence, sizeof res->evidence, "%s is outside every interval", version);
	for (size_t i = 0; i < nr; i++) {
		const struct match_vers_constraint *c = r[i];
		int cmp = match_key_cmp(k.p, k.len, c->key, c->kn);
		bool lower_op = c->op == MATCH_VERS_LT || c->op == MATCH_VERS_LE;
		if (i == 0 && lower_op && holds(c->op, cmp)) {
			ans = MATCH_AFFECTED;
			snprintf(res->evidence, sizeof res->evidence, "%s %s %s", version,
				 op_text[c->op], c->version);
			goto out;
		}
		if (i == nr - 1 && !lower_op && holds(c->op, cmp)) {
			ans = MATCH_AFFECTED;
			snprintf(res->evidence, sizeof res->evidence, "%s %s %s", version,
				 op_text[c->op], c->version);
			goto out;
		}
		if (i + 1 < nr && !lower_op) {
			const struct match_vers_constraint *d = r[i + 1];
			bool next_upper = d->op == MATCH_VERS_LT || d->op == MATCH_VERS_LE;
			int cmp2 = match_key_cmp(k.p, k.len, d->key, d->kn);
			if (next_upper && holds(c->op, cmp) && holds(d->op, cmp2)) {
				ans = MATCH_AFFECTED;
				snprintf(res->evidence, sizeof res->evidence, "%s %s %s and %s %s",
					 version, op_text[c->op], c->version, op_text[d->op], d->version);
				goto out;
			}
		}
	}
out:
	buf_free(&k);
	return res->answer = ans;
}
