/*
 * graph: one organisation's dependency graph — systems, the suppliers and
 * the hosting locations or networks they depend on — its single points of
 * failure (anything two or more tier-1 systems depend on, directly or
 * through other systems: the checklist's "do not have all systems
 * centralised"), and a drawing as inline SVG laid out here on the server,
 * so it needs no JavaScript. The page gives a table with the same facts
 * for people who cannot see the drawing.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "registers/systems_int.h"

#define NODE_W 210
#define NODE_H 52
#define GAP_X 70
#define GAP_Y 18
#define PAD 12
#define MAX_LAYERS 8
#define LABEL_CHARS 28

size_t graph_node_add(struct graph *g, struct arena *a, enum graph_kind kind, int64_t id, const char *label,
		      int tier)
{
	for (size_t i = 0; i < g->n; i++) {
		struct graph_node *n = &g->nodes[i];
		if (n->kind != kind)
			continue;
		if (kind == GRAPH_LOCATION ? !strcasecmp(n->label, label) : n->id == id)
			return i;
	}
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		struct graph_node *nn = arena_alloc(a, cap * sizeof *nn);
		if (g->n)
			memcpy(nn, g->nodes, g->n * sizeof *nn);
		g->nodes = nn;
		g->cap = cap;
	}
	g->nodes[g->n] = (struct graph_node){ .kind = kind, .id = id, .label = arena_strdup(a, label), .tier = tier };
	return g->n++;
}

void graph_edge_add(struct graph *g, struct arena *a, size_t from, size_t to)
{
	if (from == to || from >= g->n || to >= g->n)
		return;
	for (size_t i = 0; i < g->ne; i++)
		if (g->edges[i].from == from && g->edges[i].to == to)
			return;
	if (g->ne == g->ecap) {
		size_t cap = g->ecap ? g->ecap * 2 : 32;
		struct graph_edge *ne = arena_alloc(a, cap * sizeof *ne);
		if (g->ne)
			memcpy(ne, g->edges, g->ne * sizeof *ne);
		g->edges = ne;
		g->ecap = cap;
	}
	g->edges[g->ne++] = (struct graph_edge){ from, to };
}

bool graph_is_spof(const struct graph_node *n)
{
	return n->dependents_tier1 >= 2;
}

/* Marks everything start depends on, directly or through others. */
static void reach(const struct graph *g, size_t start, bool *seen, size_t *stack)
{
	size_t top = 0;
	stack[top++] = start;
	seen[start] = true;
	while (top) {
		size_t v = stack[--top];
		for (size_t i = 0; i < g->ne; i++) {
			size_t w = g->edges[i].to;
			if (g->edges[i].from == v && !seen[w]) {
				seen[w] = true;
				stack[top++] = w;
			}
		}
	}
}

void graph_analyse(struct graph *g, struct arena *a)
{
	if (!g->n)
		return;
	bool *seen = arena_alloc(a, g->n * sizeof *seen);
	size_t *stack = arena_alloc(a, g->n * sizeof *stack);
	for (size_t i = 0; i < g->n; i++)
		g->nodes[i].dependents_tier1 = 0;
	for (size_t t = 0; t < g->n; t++) {
		if (g->nodes[t].kind != GRAPH_SYSTEM || g->nodes[t].tier != 1)
			continue;
		memset(seen, 0, g->n * sizeof *seen);
		reach(g, t, seen, stack);
		for (size_t i = 0; i < g->n; i++)
			if (seen[i] && i != t)
				g->nodes[i].dependents_tier1++;
	}
	/* layers: a system sits one column right of anything that depends on
	 * it (bounded, so a cycle cannot run away); suppliers and locations
	 * take the last column */
	int maxl = 0;
	for (size_t i = 0; i < g->n; i++)
		g->nodes[i].layer = 0;
	for (int round = 0; round < MAX_LAYERS; round++) {
		bool moved = false;
		for (size_t e = 0; e < g->ne; e++) {
			struct graph_node *f = &g->nodes[g->edges[e].from], *t = &g->nodes[g->edges[e].to];
			if (t->kind == GRAPH_SYSTEM && f->kind == GRAPH_SYSTEM && t->layer < f->layer + 1 &&
			    f->layer + 1 < MAX_LAYERS - 1) {
				t->layer = f->layer + 1;
				moved = true;
			}
		}
		if (!moved)
			break;
	}
	for (size_t i = 0; i < g->n; i++)
		if (g->nodes[i].kind == GRAPH_SYSTEM && g->nodes[i].layer > maxl)
			maxl = g->nodes[i].layer;
	int rows[MAX_LAYERS] = { 0 };
	/* within a column: systems by tier, then suppliers, then locations, in
	 * the order they were added (the loader adds them sorted) */
	for (int pass = 0; pass < 6; pass++) {
		for (size_t i = 0; i < g->n; i++) {
			struct graph_node *n = &g->nodes[i];
			int order = n->kind == GRAPH_SYSTEM ? n->tier - 1 : n->kind == GRAPH_SUPPLIER ? 4 : 5;
			if (order != pass)
				continue;
			if (n->kind != GRAPH_SYSTEM)
				n->layer = maxl + 1 < MAX_LAYERS ? maxl + 1 : MAX_LAYERS - 1;
			n->row = rows[n->layer]++;
		}
	}
}

/* At most LABEL_CHARS code points, with an ellipsis when cut. */
static void short_label(struct buf *b, const char *s)
{
	size_t chars = 0, i = 0;
	while (s[i] && chars < LABEL_CHARS) {
		i++;
		while (((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
		chars++;
	}
	html_text_n(b, s, i);
	if (s[i])
		html_raw(b, "\xE2\x80\xA6");
}

static int node_x(const struct graph_node *n)
{
	return PAD + n->layer * (NODE_W + GAP_X);
}

static int node_y(const struct graph_node *n)
{
	return PAD + n->row * (NODE_H + GAP_Y);
}

static const char *kind_word(const struct graph_node *n)
{
	return n->kind == GRAPH_SUPPLIER ? "Supplier" : n->kind == GRAPH_LOCATION ? "Location or network" : NULL;
}

void graph_svg(struct buf *b, const struct graph *g, const char *title)
{
	int w = 0, h = 0;
	for (size_t i = 0; i < g->n; i++) {
		int x = node_x(&g->nodes[i]) + NODE_W + PAD, y = node_y(&g->nodes[i]) + NODE_H + PAD;
		w = x > w ? x : w;
		h = y > h ? y : h;
	}
	size_t nsys = 0, nspof = 0;
	for (size_t i = 0; i < g->n; i++) {
		nsys += g->nodes[i].kind == GRAPH_SYSTEM;
		nspof += graph_is_spof(&g->nodes[i]);
	}
	html_printf(b, "<svg class=\"bw-graph\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
		       "aria-labelledby=\"graph-title graph-desc\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		       "font-family=\"Frutiger W01, Arial, sans-serif\" font-size=\"14\">\n"
		       "<title id=\"graph-title\">%s</title>\n<desc id=\"graph-desc\">",
		    w, h, w, h, title);
	html_printf(b, "%zu systems and %zu suppliers, locations or networks, with %zu dependencies. ",
		    nsys, g->n - nsys, g->ne);
	if (nspof) {
		html_raw(b, "Single points of failure: ");
		size_t k = 0;
		for (size_t i = 0; i < g->n; i++)
			if (graph_is_spof(&g->nodes[i]))
				html_printf(b, "%s%s", k++ ? ", " : "", g->nodes[i].label);
		html_raw(b, ".");
	} else {
		html_raw(b, "No single points of failure.");
	}
	html_raw(b, " The table below lists the same dependencies.</desc>\n"
		    "<defs><marker id=\"bw-arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" "
		    "markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" "
		    "fill=\"#4c6272\"/></marker></defs>\n");
	for (size_t e = 0; e < g->ne; e++) {
		const struct graph_node *f = &g->nodes[g->edges[e].from], *t = &g->nodes[g->edges[e].to];
		int x1 = node_x(f) + NODE_W, y1 = node_y(f) + NODE_H / 2;
		int x2 = node_x(t), y2 = node_y(t) + NODE_H / 2;
		if (t->layer <= f->layer) {
			/* back or sideways (a cycle, or same column): loop under the boxes */
			x1 = node_x(f) + NODE_W / 2, y1 = node_y(f) + NODE_H;
			x2 = node_x(t) + NODE_W / 2, y2 = node_y(t) + NODE_H;
			html_printf(b, "<path d=\"M %d %d C %d %d %d %d %d %d\" fill=\"none\" stroke=\"#4c6272\" "
				       "stroke-width=\"1.5\" marker-end=\"url(#bw-arrow)\"/>\n",
				    x1, y1, x1, y1 + 40, x2, y2 + 40, x2, y2);
		} else {
			int mx = (x1 + x2) / 2;
			html_printf(b, "<path d=\"M %d %d C %d %d %d %d %d %d\" fill=\"none\" stroke=\"#4c6272\" "
				       "stroke-width=\"1.5\" marker-end=\"url(#bw-arrow)\"/>\n",
				    x1, y1, mx, y1, mx, y2, x2, y2);
		}
	}
	for (size_t i = 0; i < g->n; i++) {
		const struct graph_node *n = &g->nodes[i];
		int x = node_x(n), y = node_y(n);
		bool spof = graph_is_spof(n);
		const char *fill = n->kind == GRAPH_SUPPLIER ? "#e8edee" : n->kind == GRAPH_LOCATION ? "#fff9c4" : "#ffffff";
		const char *stroke = spof ? "#d5281b" : n->kind == GRAPH_SYSTEM ? "#005eb8" : "#4c6272";
		html_raw(b, "<g>");
		html_printf(b, "<title>%s</title>", n->label);
		html_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"4\" fill=\"%s\" stroke=\"%s\" "
			       "stroke-width=\"%d\"/>",
			    x, y, NODE_W, NODE_H, fill, stroke, spof ? 4 : 2);
		html_printf(b, "<text x=\"%d\" y=\"%d\" fill=\"#212b32\" font-weight=\"600\">", x + 10, y + 21);
		short_label(b, n->label);
		html_raw(b, "</text>");
		char sub[64];
		if (n->kind == GRAPH_SYSTEM)
			snprintf(sub, sizeof sub, "Tier %d%s", n->tier, spof ? " \xC2\xB7 single point of failure" : "");
		else
			snprintf(sub, sizeof sub, "%s%s", kind_word(n), spof ? " \xC2\xB7 single point of failure" : "");
		html_printf(b, "<text x=\"%d\" y=\"%d\" fill=\"%s\" font-size=\"12\">%s</text>", x + 10, y + 40,
			    spof ? "#b3200f" : "#4c6272", sub);
		html_raw(b, "</g>\n");
	}
	html_raw(b, "</svg>\n");
}

enum bw_err graph_load(struct db *db, struct arena *a, int64_t org_id, struct graph *g, struct bw_error *err)
{
	memset(g, 0, sizeof *g);
	struct db_stmt *st = db_prep(db, "SELECT id, name, tier, supplier_id FROM systems WHERE org_id = ?1"
					 " ORDER BY tier, name, id LIMIT ?2");
	db_bind_i64(st, 1, org_id);
	db_bind_i64(st, 2, LIM_SYSTEMS_GRAPH + 1);
	int64_t *suppliers = arena_alloc(a, (LIM_SYSTEMS_GRAPH + 1) * sizeof *suppliers);
	int rc;
	while ((rc = db_step(st)) == DB_ROW) {
		if (g->n >= LIM_SYSTEMS_GRAPH) {
			g->truncated = true;
			db_reset(st);
			break;
		}
		suppliers[g->n] = db_col_isnull(st, 3) ? 0 : db_col_i64(st, 3);
		graph_node_add(g, a, GRAPH_SYSTEM, db_col_i64(st, 0), db_col_text(st, 1), (int)db_col_i64(st, 2));
	}
	if (rc == DB_ERR)
		return db_fail(db, err, "reading the systems");
	size_t nsys = g->n;
	/* a system's own supplier is something it depends on too */
	for (size_t i = 0; i < nsys; i++) {
		if (!suppliers[i])
			continue;
		char name[LIM_NAME + 1];
		if (!systems_supplier_name(db, org_id, suppliers[i], name, sizeof name))
			continue;
		graph_edge_add(g, a, i, graph_node_add(g, a, GRAPH_SUPPLIER, suppliers[i], name, 0));
	}
	st = db_prep(db, "SELECT d.system_id, d.kind, d.on_system_id, d.on_supplier_id, d.location FROM system_deps d"
			 " JOIN systems s ON s.id = d.system_id WHERE s.org_id = ?1 ORDER BY d.kind, d.location, d.id LIMIT ?2");
	db_bind_i64(st, 1, org_id);
	db_bind_i64(st, 2, LIM_DEPS_GRAPH + 1);
	size_t nd = 0;
	while ((rc = db_step(st)) == DB_ROW) {
		if (++nd > LIM_DEPS_GRAPH) {
			g->truncated = true;
			db_reset(st);
			break;
		}
		int64_t from_id = db_col_i64(st, 0);
		size_t from = SIZE_MAX;
		for (size_t i = 0; i < nsys; i++)
			if (g->nodes[i].id == from_id)
				from = i;
		if (from == SIZE_MAX)
			continue;
		const char *kind = db_col_text(st, 1);
		if (!strcmp(kind, "system")) {
			int64_t to_id = db_col_i64(st, 2);
			for (size_t i = 0; i < nsys; i++)
				if (g->nodes[i].id == to_id)
					graph_edge_add(g, a, from, i);
		} else if (!strcmp(kind, "supplier")) {
			/* the name is looked up after this loop: one statement at a time */
			size_t to = graph_node_add(g, a, GRAPH_SUPPLIER, db_col_i64(st, 3), "", 0);
			graph_edge_add(g, a, from, to);
		} else if (db_col_text(st, 4)) {
			graph_edge_add(g, a, from, graph_node_add(g, a, GRAPH_LOCATION, 0, db_col_text(st, 4), 0));
		}
	}
	if (rc == DB_ERR)
		return db_fail(db, err, "reading the dependencies");
	for (size_t i = nsys; i < g->n; i++) {
		struct graph_node *n = &g->nodes[i];
		char name[LIM_NAME + 1];
		if (n->kind == GRAPH_SUPPLIER && !*n->label)
			n->label = arena_strdup(a, systems_supplier_name(db, org_id, n->id, name, sizeof name)
						       ? name : "A supplier no longer listed");
	}
	graph_analyse(g, a);
	return BW_OK;
}
