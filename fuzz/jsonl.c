/* libFuzzer driver: JSON-lines / concatenated JSON through the event reader
 * and a few rules on both evaluation paths. */
#include <stdlib.h>
#include <string.h>

#include "detect/detect.h"

static const char rules[] =
	"title: A\nlogsource: {product: windows, service: security}\n"
	"detection:\n  sel:\n    TargetUserName|contains: 'adm'\n  condition: sel\n---\n"
	"title: B\nlogsource: {product: windows, category: process_creation}\n"
	"detection:\n  sel:\n    CommandLine|re: 'a.*b'\n  f:\n    Image|endswith: '\\x.exe'\n"
	"  condition: sel and not f\n---\n"
	"title: C\nlogsource: {product: linux}\n"
	"detection:\n  keywords: ['root']\n  condition: keywords\n";

static struct detect_engine *engine;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!engine) {
		struct bw_error err = { 0 };
		engine = detect_engine_new(NULL, &err);
		if (!engine || detect_engine_add_text(engine, rules, sizeof rules - 1, "r", &err) != 3 ||
		    detect_engine_compile(engine, &err))
			abort();
	}
	struct detect_stats st = { 0 }, st2 = { 0 };
	struct detect_scanner *s = detect_scanner_new(engine, DETECT_FAST);
	detect_scan_json(s, (const char *)data, size, "fuzz", NULL, NULL, &st);
	detect_scanner_free(s);
	s = detect_scanner_new(engine, DETECT_BASELINE);
	detect_scan_json(s, (const char *)data, size, "fuzz", NULL, NULL, &st2);
	detect_scanner_free(s);
	if (st.findings != st2.findings || st.events != st2.events)
		abort();  /* the fast path must agree with the baseline */
	return 0;
}
