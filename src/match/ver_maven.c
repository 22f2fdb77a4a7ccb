/*
 * ver_maven: Maven versions keyed in the order of Maven's ComparableVersion
 * (maven-artifact 3.8.7: "release" means a release, and a
 * qualifier after a dot reads as after a hyphen): the version is parsed into the same item tree
 * (numbers, qualifiers, and a sub-list after each '-' and at each
 * letter/digit change), trailing null items are dropped as Maven's
 * normalize() does, and the tree is written out as bytes.
 *
 * ComparableVersion is not a total order: a missing item compares as
 * "null", which is below "sp" and unknown qualifiers and above "alpha" and
 * below a sub-list starting with "alpha"... while any qualifier sorts
 * before any sub-list, so "1" < "1.sp" < "1-alpha" < "1". A byte key has to
 * pick one order; this one keeps every comparison against a missing item
 * (the common "1.0" vs "1.0-SNAPSHOT" / "1.0.0.RC1" / "1.0.1" / "1.0-sp1")
 * and every comparison against a number exactly, by giving each item a
 * class in this order:
 *   low qualifier (alpha, beta, milestone, rc, snapshot)
 *   < sub-list starting low < END < high qualifier (sp, unknown words)
 *   < other sub-list < number
 * and by dropping runs of zeros (which Maven treats as equal to a missing
 * item) when what follows them sorts below END. Only a sub-list starting
 * low against a high qualifier at the same place comes out reversed
 * ("1.sp" vs "1-alpha"), a comparison real artifacts do not make.
 */
#include <stdlib.h>
#include <string.h>

#include "match_int.h"

enum item_type { IT_NUM, IT_STR, IT_LIST };

struct item {
	enum item_type type;
	const char *p; /* number digits or qualifier text */
	size_t n;
	int first, next, prev, last; /* list children, siblings; -1 for none */
	bool removed;
};

struct tree {
	struct item it[2 * MATCH_LIM_VERSION + 4];
	int n;
	char low[MATCH_LIM_VERSION]; /* the lower-cased version */
};

enum {
	MV_SLOW = 0x10, MV_LLOW = 0x20, MV_END = 0x30,
	MV_SHIGH = 0x40, MV_LHIGH = 0x50, MV_NUM = 0x60,
};

static const char *const qualifiers[] = {
	"alpha", "beta", "milestone", "rc", "snapshot", "", "sp", NULL
};
#define QUAL_RELEASE 5
#define QUAL_UNKNOWN 7

static int new_item(struct tree *t, enum item_type type, const char *p, size_t n)
{
	struct item *x = &t->it[t->n];
	*x = (struct item){ type, p, n, -1, -1, -1, -1, false };
	return t->n++;
}

static void add(struct tree *t, int list, int child)
{
	struct item *l = &t->it[list];
	if (l->last < 0)
		l->first = child;
	else
		t->it[l->last].next = child;
	t->it[child].prev = l->last;
	l->last = child;
}

static const char *alias(const char *p, size_t n, bool followed_by_digit, size_t *on)
{
	if (followed_by_digit && n == 1) {
		if (p[0] == 'a') { *on = 5; return "alpha"; }
		if (p[0] == 'b') { *on = 4; return "beta"; }
		if (p[0] == 'm') { *on = 9; return "milestone"; }
	}
	if ((n == 2 && memcmp(p, "ga", 2) == 0) || (n == 5 && memcmp(p, "final", 5) == 0) ||
	    (n == 7 && memcmp(p, "release", 7) == 0)) {
		*on = 0;
		return "";
	}
	if (n == 2 && memcmp(p, "cr", 2) == 0) {
		*on = 2;
		return "rc";
	}
	*on = n;
	return p;
}

static int qual_rank(const struct item *x)
{
	for (int k = 0; qualifiers[k]; k++)
		if (strlen(qualifiers[k]) == x->n && memcmp(qualifiers[k], x->p, x->n) == 0)
			return k;
	return QUAL_UNKNOWN;
}

static bool is_zero_digits(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != '0')
			return false;
	return true;
}

static bool is_null(const struct tree *t, int i)
{
	const struct item *x = &t->it[i];
	switch (x->type) {
	case IT_NUM: return is_zero_digits(x->p, x->n);
	case IT_STR: return qual_rank(x) == QUAL_RELEASE;
	case IT_LIST: {
		for (int c = x->first; c >= 0; c = t->it[c].next)
			if (!t->it[c].removed)
				return false;
		return true;
	}
	}
	return false;
}

static int add_parsed(struct tree *t, int list, bool digit, const char *p, size_t n)
{
	int c;
	if (digit) {
		c = new_item(t, IT_NUM, p, n);
	} else {
		size_t an;
		const char *a = alias(p, n, false, &an);
		c = new_item(t, IT_STR, a, an);
	}
	add(t, list, c);
	return c;
}

static int push_list(struct tree *t, int list)
{
	int l = new_item(t, IT_LIST, NULL, 0);
	add(t, list, l);
	return l;
}

/* Maven's normalize(): drop null items from the end, passing over
 * non-null sub-lists. Children first, as Maven's stack order does. */
static void normalize(struct tree *t, int list)
{
	for (int c = t->it[list].first; c >= 0; c = t->it[c].next)
		if (t->it[c].type == IT_LIST)
			normalize(t, c);
	for (int c = t->it[list].last; c >= 0; c = t->it[c].prev) {
		if (t->it[c].removed)
			continue;
		if (is_null(t, c))
			t->it[c].removed = true;
		else if (t->it[c].type != IT_LIST)
			break;
	}
}

static int first_live(const struct tree *t, int list)
{
	int c = t->it[list].first;
	while (c >= 0 && t->it[c].removed)
		c = t->it[c].next;
	return c;
}

static int next_live(const struct tree *t, int c)
{
	c = t->it[c].next;
	while (c >= 0 && t->it[c].removed)
		c = t->it[c].next;
	return c;
}

static int item_class(const struct tree *t, int i)
{
	const struct item *x = &t->it[i];
	if (x->type == IT_NUM)
		return MV_NUM;
	if (x->type == IT_STR)
		return qual_rank(x) < QUAL_RELEASE ? MV_SLOW : MV_SHIGH;
	int f = first_live(t, i);
	if (f < 0)
		return MV_END;
	int fc = item_class(t, f);
	return (fc == MV_SLOW || fc == MV_LLOW) ? MV_LLOW : MV_LHIGH;
}

static bool encode(const struct tree *t, int list, struct buf *out)
{
	for (int c = first_live(t, list); c >= 0; c = next_live(t, c)) {
		if (is_null(t, c)) {
			int x = c;
			while (x >= 0 && is_null(t, x))
				x = next_live(t, x);
			int xc = x < 0 ? MV_END : item_class(t, x);
			if (xc == MV_END || xc == MV_SLOW || xc == MV_LLOW) {
				if (x < 0)
					break;
				c = x;
			} else {
				/* kept: each null item as its own kind, which
				 * is how it compares with what sits opposite */
				for (; c != x; c = next_live(t, c)) {
					const struct item *z = &t->it[c];
					if (z->type == IT_NUM) {
						buf_putc(out, MV_NUM);
						buf_putc(out, 0);
					} else if (z->type == IT_STR) {
						buf_putc(out, MV_SHIGH);
						buf_putc(out, QUAL_RELEASE);
					} else {
						buf_putc(out, MV_LHIGH);
						buf_putc(out, MV_END);
					}
				}
			}
		}
		const struct item *it = &t->it[c];
		int cls = item_class(t, c);
		buf_putc(out, (char)cls);
		if (it->type == IT_NUM) {
			if (!vkey_num(out, it->p, it->n))
				return false;
		} else if (it->type == IT_STR) {
			int r = qual_rank(it);
			buf_putc(out, (char)r);
			if (r == QUAL_UNKNOWN) {
				buf_add(out, it->p, it->n);
				buf_putc(out, 0);
			}
		} else if (!encode(t, c, out)) {
			return false;
		}
	}
	buf_putc(out, MV_END);
	return true;
}

enum bw_err vkey_maven(struct str v, int side, struct buf *out, struct bw_error *err)
{
	(void)side;
	size_t len = out->len;
	struct tree *t = calloc(1, sizeof *t);
	if (!t)
		abort();
	for (size_t i = 0; i < v.n; i++)
		t->low[i] = vkey_lower(v.p[i]);
	const char *s = t->low;
	int root = new_item(t, IT_LIST, NULL, 0);
	int list = root;
	bool digit = false;
	size_t start = 0;
	for (size_t i = 0; i < v.n; i++) {
		char c = s[i];
		if (c == '.' || c == '-') {
			if (i == start)
				add(t, list, new_item(t, IT_NUM, "0", 1));
			else
				add_parsed(t, list, digit, s + start, i - start);
			start = i + 1;
			if (c == '-')
				list = push_list(t, list);
		} else if (vkey_isdigit(c)) {
			if (!digit && i > start) {
				/* 3.8: "1.0.0.X1" is read as "1.0.0-X1" */
				if (t->it[list].first >= 0)
					list = push_list(t, list);
				size_t an;
				const char *a = alias(s + start, i - start, true, &an);
				add(t, list, new_item(t, IT_STR, a, an));
				start = i;
				list = push_list(t, list);
			}
			digit = true;
		} else {
			if (digit && i > start) {
				add_parsed(t, list, true, s + start, i - start);
				start = i;
				list = push_list(t, list);
			}
			digit = false;
		}
	}
	if (v.n > start) {
		if (!digit && t->it[list].first >= 0)
			list = push_list(t, list);
		add_parsed(t, list, digit, s + start, v.n - start);
	}
	normalize(t, root);
	bool ok = encode(t, root, out);
	free(t);
	if (!ok)
		return vkey_reject(out, len, err, "number in version has too many digits");
	return BW_OK;
}
