/*
 * evtx: Windows EVTX files through libevtx. libevtx 20181227 gives event
 * data only as unnamed strings, so each record's XML rendering is parsed
 * with expat onto the same field names the JSON reader uses:
 *   <System><E A="v">t</E>   -> E = t, E_A = v  (Provider_Name, EventID, ...)
 *   <EventData><Data Name="X">v</Data> -> X = v; unnamed Data -> Data
 *   <UserData><Wrapper><X>v</X>        -> X = v
 * A record libevtx cannot read, or whose XML is damaged, is counted and
 * skipped; the next record is tried.
 */
#include <expat.h>
#include <libevtx.h>
#include <stdlib.h>
#include <string.h>

#include "scanner.h"

enum sect { S_NONE, S_SYSTEM, S_EVENTDATA, S_USERDATA, S_OTHER };

struct xp {
	XML_Parser p;
	struct det_event *ev;
	const struct detect_engine *e;
	int depth;
	enum sect sect;
	bool open;                /* a value element is collecting text */
	char name[256];           /* its field name */
	size_t start;             /* where its text starts in scratch */
	bool failed;
};

static void add_field(struct xp *x, const char *name, size_t nn, const char *v, size_t vn)
{
	/* false past DETECT_LIM_FIELDS: the event keeps the fields that fit */
	(void)det_event_add(x->ev, x->e, name, nn, v, vn, false);
}

static void close_value(struct xp *x)
{
	if (!x->open)
		return;
	x->open = false;
	struct buf *sc = &x->ev->scratch;
	size_t n = sc->len - x->start;
	sc->p[sc->len++] = 0;
	add_field(x, x->name, strlen(x->name), sc->p + x->start, n);
}

static void open_value(struct xp *x, const char *name)
{
	close_value(x);
	size_t n = strlen(name);
	if (n >= sizeof x->name)
		n = sizeof x->name - 1;
	memcpy(x->name, name, n);
	x->name[n] = 0;
	x->open = true;
	x->start = x->ev->scratch.len;
}

static const char *local(const char *name)
{
	/* expat without namespace processing: names come as written */
	const char *c = strrchr(name, ':');
	return c ? c + 1 : name;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct xp *x = ud;
	const char *nm = local(name);
	x->depth++;
	if (x->depth > DETECT_LIM_DEPTH) {
		x->failed = true;
		XML_StopParser(x->p, XML_FALSE);
		return;
	}
	if (x->depth == 2) {
		close_value(x);
		x->sect = !strcmp(nm, "System") ? S_SYSTEM : !strcmp(nm, "EventData") ? S_EVENTDATA
			: !strcmp(nm, "UserData") ? S_USERDATA : S_OTHER;
		return;
	}
	if (x->depth < 3)
		return;
	switch (x->sect) {
	case S_SYSTEM:
		if (x->depth != 3)
			return;
		for (int i = 0; attrs[i]; i += 2) {
			char f[256];
			size_t a = strlen(nm), b = strlen(attrs[i]);
			if (a + 1 + b >= sizeof f)
				continue;
			memcpy(f, nm, a);
			f[a] = '_';
			memcpy(f + a + 1, attrs[i], b + 1);
			size_t vn = strlen(attrs[i + 1]);
			const char *v = det_event_copy(x->ev, attrs[i + 1], vn);
			add_field(x, f, a + 1 + b, v, vn);
		}
		open_value(x, nm);
		break;
	case S_EVENTDATA: {
		if (x->depth != 3)
			return;
		const char *fname = nm;
		for (int i = 0; attrs[i]; i += 2)
			if (!strcmp(attrs[i], "Name"))
				fname = attrs[i + 1];
		open_value(x, fname);
		break;
	}
	case S_USERDATA:
		if (x->depth >= 4)
			open_value(x, nm);
		break;
	default:
		break;
	}
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct xp *x = ud;
	(void)name;
	close_value(x);
	x->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct xp *x = ud;
	if (!x->open || len <= 0)
		return;
	struct buf *sc = &x->ev->scratch;
	if (sc->len + (size_t)len + 1 > sc->cap) {
		x->failed = true;
		XML_StopParser(x->p, XML_FALSE);
		return;
	}
	memcpy(sc->p + sc->len, s, (size_t)len);
	sc->len += (size_t)len;
}

void *det_xml_parser_new(void)
{
	struct xp *x = calloc(1, sizeof *x);
	if (!x)
		abort();
	x->p = XML_ParserCreate("UTF-8");
	if (!x->p)
		abort();
	return x;
}

void det_xml_parser_free(void *p)
{
	struct xp *x = p;
	XML_ParserFree(x->p);
	free(x);
}

enum det_parse det_xml_event(struct det_event *ev, const struct detect_engine *e,
			     const char *xml, size_t n, void *parser)
{
	struct xp *x = parser;
	det_event_reset(ev, n);
	if (n > DETECT_LIM_RECORD)
		return PARSE_OVERSIZE;
	XML_ParserReset(x->p, "UTF-8");
	XML_SetUserData(x->p, x);
	XML_SetElementHandler(x->p, on_start, on_end);
	XML_SetCharacterDataHandler(x->p, on_text);
	x->ev = ev;
	x->e = e;
	x->depth = 0;
	x->sect = S_NONE;
	x->open = false;
	x->failed = false;
	enum XML_Status st = XML_Parse(x->p, xml, (int)n, XML_TRUE);
	if (ev->oversize)
		return PARSE_OVERSIZE;
	if (st != XML_STATUS_OK || x->failed)
		return PARSE_BAD;
	det_event_finish(ev, e);
	return PARSE_OK;
}

enum bw_err det_evtx_scan(struct detect_scanner *s, const char *path,
			  struct det_reader_sink *k, struct bw_error *err)
{
	libevtx_file_t *file = NULL;
	libevtx_error_t *le = NULL;
	if (libevtx_file_initialize(&file, &le) != 1) {
		libevtx_error_free(&le);
		return bw_fail(err, BW_EINTERNAL, path, "libevtx: cannot initialise");
	}
	if (libevtx_file_open(file, path, LIBEVTX_OPEN_READ, &le) != 1) {
		char msg[256] = "";
		libevtx_error_sprint(le, msg, sizeof msg);
		libevtx_error_free(&le);
		libevtx_file_free(&file, NULL);
		return bw_fail(err, BW_EIO, path, "%s: not a readable EVTX file (%s)", path, msg);
	}
	int nrec = 0;
	if (libevtx_file_get_number_of_records(file, &nrec, &le) != 1) {
		libevtx_error_free(&le);
		nrec = 0;
		k->stats->bad_records++;
	}
	struct buf xml;
	buf_init(&xml);
	void *parser = det_scanner_xml(s);
	for (int i = 0; i < nrec; i++) {
		libevtx_record_t *rec = NULL;
		size_t sz = 0;
		enum det_parse st = PARSE_BAD;
		if (libevtx_file_get_record_by_index(file, i, &rec, &le) == 1 &&
		    libevtx_record_get_utf8_xml_string_size(rec, &sz, &le) == 1) {
			if (sz == 0 || sz > DETECT_LIM_RECORD) {
				st = sz ? PARSE_OVERSIZE : PARSE_BAD;
			} else {
				buf_reset(&xml);
				buf_reserve(&xml, sz + 1);
				if (libevtx_record_get_utf8_xml_string(rec, (uint8_t *)xml.p, sz, &le) == 1) {
					size_t len = strnlen(xml.p, sz);
					st = det_xml_event(&s->ev, s->e, xml.p, len, parser);
				}
			}
		}
		if (le)
			libevtx_error_free(&le);
		if (rec)
			libevtx_record_free(&rec, NULL);
		det_scanner_event(k, st);
	}
	buf_free(&xml);
	libevtx_file_close(file, NULL);
	libevtx_file_free(&file, NULL);
	return BW_OK;
}
