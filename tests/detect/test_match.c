/*
 * Unit tests for detect: each value modifier and condition form on small
 * events, including the traps (escaped wildcards, |all with one value,
 * `not 1 of filter_*`, case-sensitive re, cidr with IPv6, base64offset at
 * all three alignments); every case is run on the fast path and the
 * baseline, which must agree. The fast path's prefilter tells fields apart
 * (a literal seen in one field proves nothing about another) and runs on
 * Hyperscan and on the portable matcher alike. Then the JSON reader: the
 * event shapes it flattens, long escaped strings, and the damage it counts
 * and skips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "detect/detect.h"

struct got {
	int n;
	char fields[1024];
	char computer[64];
};

static void count(void *ctx, const struct detect_finding *f)
{
	struct got *g = ctx;
	g->n++;
	snprintf(g->computer, sizeof g->computer, "%s", f->computer);
	size_t o = strlen(g->fields);
	for (size_t i = 0; i < f->nfields && o < sizeof g->fields; i++) {
		int w = snprintf(g->fields + o, sizeof g->fields - o, "%s=%.*s;", f->fields[i].name,
				 (int)f->fields[i].len, f->fields[i].value);
		if (w > 0)
			o += (size_t)w;
	}
}

/* Findings of one rule over JSON text; fast and baseline must agree. */
static int run_rule(const char *mapping, const char *rule, const char *json, struct got *out)
{
	struct bw_error err = { 0 };
	struct detect_engine *e = detect_engine_new(mapping, &err);
	assert_non_null(e);
	size_t n = detect_engine_add_text(e, rule, strlen(rule), "t.yml", &err);
	if (n == 0) {
		print_message("# rule refused: %s\n", err.msg);
		detect_engine_free(e);
		return -1;
	}
	assert_int_equal(detect_engine_compile(e, &err), BW_OK);
	struct got fast = { 0 }, base = { 0 };
	struct detect_stats st1 = { 0 }, st2 = { 0 };
	struct detect_scanner *s = detect_scanner_new(e, DETECT_FAST);
	detect_scan_json(s, json, strlen(json), "mem", count, &fast, &st1);
	detect_scanner_free(s);
	s = detect_scanner_new(e, DETECT_BASELINE);
	detect_scan_json(s, json, strlen(json), "mem", count, &base, &st2);
	detect_scanner_free(s);
	detect_engine_free(e);
	assert_int_equal(fast.n, base.n);
	assert_string_equal(fast.fields, base.fields);
	if (out)
		*out = fast;
	return fast.n;
}

static int fires(const char *detection, const char *fields)
{
	char rule[4096], ev[4096];
	snprintf(rule, sizeof rule,
		 "title: Test rule\nid: 5f0f7a4c-0000-4000-8000-000000000001\nlevel: high\n"
		 "author: Tester\nlogsource:\n  product: windows\n  category: process_creation\n"
		 "detection:\n%s", detection);
	snprintf(ev, sizeof ev,
		 "{\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"EventID\":1%s%s}\n",
		 fields[0] ? "," : "", fields);
	return run_rule(NULL, rule, ev, NULL);
}

#define YES(det, ev) assert_int_equal(fires(det, ev), 1)
#define NO(det, ev) assert_int_equal(fires(det, ev), 0)

static void string_modifiers(void **state)
{
	(void)state;
	const char *d = "  sel:\n    CommandLine|contains: 'whoami'\n  condition: sel\n";
	YES(d, "\"CommandLine\":\"C:\\\\x\\\\WHOAMI.exe /all\"");
	NO(d, "\"CommandLine\":\"who ami\"");
	d = "  sel:\n    Image|endswith: '\\cmd.exe'\n  condition: sel\n";
	YES(d, "\"Image\":\"C:\\\\Windows\\\\System32\\\\CMD.EXE\"");
	NO(d, "\"Image\":\"C:\\\\cmd.exe.bak\"");
	d = "  sel:\n    Image|startswith: 'C:\\Users\\'\n  condition: sel\n";
	YES(d, "\"Image\":\"c:\\\\users\\\\bob\\\\a.exe\"");
	NO(d, "\"Image\":\"D:\\\\users\\\\bob\\\\a.exe\"");
	/* plain values are whole-value matches, with * and ? wildcards */
	d = "  sel:\n    Image: 'C:\\Windows\\\\*\\c?d.exe'\n  condition: sel\n";
	YES(d, "\"Image\":\"C:\\\\Windows\\\\System32\\\\cmd.exe\"");
	NO(d, "\"Image\":\"C:\\\\Windows\\\\System32\\\\cmmd.exe\"");
	d = "  sel:\n    Image: 'cmd.exe'\n  condition: sel\n";
	NO(d, "\"Image\":\"C:\\\\cmd.exe\"");
	/* escaped wildcards are literal characters */
	d = "  sel:\n    CommandLine: 'a\\*b\\?'\n  condition: sel\n";
	YES(d, "\"CommandLine\":\"a*b?\"");
	NO(d, "\"CommandLine\":\"axbc\"");
	/* a doubled backslash before a wildcard is one backslash, and the * stays wild */
	d = "  sel:\n    CommandLine: 'x\\\\*'\n  condition: sel\n";
	YES(d, "\"CommandLine\":\"x\\\\anything\"");
	/* cased */
	d = "  sel:\n    CommandLine|cased: 'ABC'\n  condition: sel\n";
	YES(d, "\"CommandLine\":\"ABC\"");
	NO(d, "\"CommandLine\":\"abc\"");
	/* |all over a list, and |all with one value */
	d = "  sel:\n    CommandLine|contains|all:\n      - ' -a '\n      - ' -b '\n  condition: sel\n";
	YES(d, "\"CommandLine\":\"x -b -a y\"");
	NO(d, "\"CommandLine\":\"x -a y\"");
	d = "  sel:\n    CommandLine|contains|all: ' -a '\n  condition: sel\n";
	YES(d, "\"CommandLine\":\"x -a y\"");
	/* neq */
	d = "  sel:\n    User|neq: 'SYSTEM'\n  condition: sel\n";
	YES(d, "\"User\":\"bob\"");
	NO(d, "\"User\":\"system\"");
	/* windash: - / en dash, em dash, horizontal bar */
	d = "  sel:\n    CommandLine|contains|windash: ' -enc '\n  condition: sel\n";
	YES(d, "\"CommandLine\":\"powershell /enc AAA\"");
	YES(d, "\"CommandLine\":\"powershell \xe2\x80\x93" "enc AAA\"");
	YES(d, "\"CommandLine\":\"powershell -enc AAA\"");
	NO(d, "\"CommandLine\":\"powershell +enc AAA\"");
	d = "  sel:\n    CommandLine|contains|all|windash:\n      - '-a'\n      - '-b'\n  condition: sel\n";
	YES(d, "\"CommandLine\":\"x /b /a\"");
	NO(d, "\"CommandLine\":\"x /b\"");
}

static void regex_modifiers(void **state)
{
	(void)state;
	/* re is case-sensitive unless |i */
	const char *d = "  sel:\n    CommandLine|re: '\\s-O\\s'\n  condition: sel\n";
	YES(d, "\"CommandLine\":\"wget -O out\"");
	NO(d, "\"CommandLine\":\"wget -o out\"");
	d = "  sel:\n    CommandLine|re|i: '\\s-O\\s'\n  condition: sel\n";
	YES(d, "\"CommandLine\":\"wget -o out\"");
	d = "  sel:\n    CommandLine|re: '^b.c$'\n  condition: sel\n";
	NO(d, "\"CommandLine\":\"a\\nb\\nc\"");
	d = "  sel:\n    CommandLine|re|m: '^b$'\n  condition: sel\n";
	YES(d, "\"CommandLine\":\"a\\nb\\nc\"");
	d = "  sel:\n    CommandLine|re|s: 'a.b'\n  condition: sel\n";
	YES(d, "\"CommandLine\":\"a\\nb\"");
	d = "  sel:\n    CommandLine|re: 'a.b'\n  condition: sel\n";
	NO(d, "\"CommandLine\":\"a\\nb\"");
}

static void encoding_modifiers(void **state)
{
	(void)state;
	/* base64offset finds the value at each of the three alignments */
	const char *d = "  sel:\n    CommandLine|base64offset|contains: 'Invoke-Mimikatz'\n"
			"  condition: sel\n";
	YES(d, "\"CommandLine\":\"powershell -e SW52b2tlLU1pbWlrYXR6IC1EdW1wQ3JlZHM=\"");
	YES(d, "\"CommandLine\":\"powershell -e eEludm9rZS1NaW1pa2F0eiAtRHVtcENyZWRz\"");
	YES(d, "\"CommandLine\":\"powershell -e eHlJbnZva2UtTWltaWthdHogLUR1bXBDcmVkcw==\"");
	NO(d, "\"CommandLine\":\"powershell -e SW52b2tlLUV4cHJlc3Npb24=\"");
	/* wide (UTF-16LE) then base64offset */
	d = "  sel:\n    CommandLine|wide|base64offset|contains: 'cmd.exe /c'\n  condition: sel\n";
	YES(d, "\"CommandLine\":\"-e cABvAHcAZQByAHMAaABlAGwAbAAgAGMAbQBkAC4AZQB4AGUAIAAvAGMAIAB3AGgAbwBhAG0AaQA=\"");
	YES(d, "\"CommandLine\":\"-e cABvAHcAZQByAHMAaABlAGwAbAAgAHgAYwBtAGQALgBlAHgAZQAgAC8AYwAgAHcAaABvAGEAbQBpAA==\"");
	YES(d, "\"CommandLine\":\"-e cABvAHcAZQByAHMAaABlAGwAbAAgAHgAeQBjAG0AZAAuAGUAeABlACAALwBjACAAdwBoAG8AYQBtAGkA\"");
	/* plain base64 of the whole value */
	d = "  sel:\n    CommandLine|base64: 'whoami'\n  condition: sel\n";
	YES(d, "\"CommandLine\":\"d2hvYW1p\"");
}

static void other_modifiers(void **state)
{
	(void)state;
	const char *d = "  sel:\n    DestinationIp|cidr:\n      - '10.0.0.0/8'\n      - 'fe80::/10'\n"
			"  condition: sel\n";
	YES(d, "\"DestinationIp\":\"10.20.30.40\"");
	NO(d, "\"DestinationIp\":\"11.0.0.1\"");
	YES(d, "\"DestinationIp\":\"fe80::1c2:3\"");
	NO(d, "\"DestinationIp\":\"2001:db8::1\"");
	YES(d, "\"DestinationIp\":\"::ffff:10.1.1.1\"");
	d = "  sel:\n    DestinationIp|cidr: '2001:db8::/32'\n  condition: sel\n";
	YES(d, "\"DestinationIp\":\"2001:0db8:ffff::1\"");
	NO(d, "\"DestinationIp\":\"2001:db9::1\"");
	d = "  sel:\n    CommandLine|exists: true\n  condition: sel\n";
	YES(d, "\"CommandLine\":\"\"");
	NO(d, "\"Image\":\"x\"");
	d = "  sel:\n    CommandLine|exists: false\n  condition: sel\n";
	YES(d, "\"Image\":\"x\"");
	d = "  sel:\n    ParentImage|fieldref: Image\n  condition: sel\n";
	YES(d, "\"Image\":\"C:\\\\a.exe\",\"ParentImage\":\"c:\\\\A.exe\"");
	NO(d, "\"Image\":\"C:\\\\a.exe\",\"ParentImage\":\"C:\\\\b.exe\"");
	d = "  sel:\n    ParentImage|fieldref|neq: Image\n  condition: sel\n";
	YES(d, "\"Image\":\"C:\\\\a.exe\",\"ParentImage\":\"C:\\\\b.exe\"");
	d = "  sel:\n    Count|gt: 10\n  condition: sel\n";
	YES(d, "\"Count\":15");
	NO(d, "\"Count\":\"10\"");
	d = "  sel:\n    Count|lte: 'ten'\n  condition: sel\n";
	assert_int_equal(fires(d, "\"Count\":1"), -1); /* not a number: refused */
	d = "  sel:\n    Count|lte: 16\n  condition: sel\n";
	YES(d, "\"Count\":\"0x10\"");
	d = "  sel:\n    CommandLine: null\n  condition: sel\n";
	YES(d, "\"Image\":\"x\"");
	YES(d, "\"CommandLine\":null");
	NO(d, "\"CommandLine\":\"x\"");
	d = "  sel:\n    UtcTime|hour|gte: 20\n  condition: sel\n";
	YES(d, "\"UtcTime\":\"2024-03-05 21:10:00.000\"");
	NO(d, "\"UtcTime\":\"2024-03-05 09:10:00.000\"");
	/* numbers compare as written */
	d = "  sel:\n    EventID: 1\n    ProcessId: 4\n  condition: sel\n";
	YES(d, "\"ProcessId\":4");
	/* keywords: anywhere in any value */
	d = "  keywords:\n    - 'mimikatz'\n  condition: keywords\n";
	YES(d, "\"Whatever\":\"run MimiKatz now\"");
	NO(d, "\"Whatever\":\"mimi katz\"");
}

/* The prefilter's bit for a literal belongs to one field: seen elsewhere it
 * must neither fire a plain `contains` nor hide one. */
static void prefilter_fields(void **state)
{
	(void)state;
	const char *d = "  sel:\n    CommandLine|contains: 'mimikatz'\n  condition: sel\n";
	NO(d, "\"Image\":\"C:\\\\mimikatz.exe\",\"CommandLine\":\"run it\"");
	YES(d, "\"Image\":\"C:\\\\m.exe\",\"CommandLine\":\"run MIMIKATZ\"");
	/* the same literal for two fields in one rule */
	d = "  a:\n    Image|contains: 'evilthing'\n  b:\n    CommandLine|contains: 'evilthing'\n"
	    "  condition: a and b\n";
	NO(d, "\"Image\":\"x\",\"CommandLine\":\"an evilthing\"");
	NO(d, "\"Image\":\"an evilthing\",\"CommandLine\":\"x\"");
	YES(d, "\"Image\":\"evilthing\",\"CommandLine\":\"evilthing too\"");
	/* the literal in the second value of a field given twice (an array) */
	d = "  sel:\n    CommandLine|contains: 'secretdump'\n  condition: sel\n";
	YES(d, "\"CommandLine\":[\"nothing\",\"a secretdump b\"]");
	/* a literal that is only part of the test (endswith, a glob) */
	d = "  sel:\n    Image|endswith: '\\procdump64.exe'\n  condition: sel\n";
	NO(d, "\"Image\":\"C:\\\\procdump64.exe.txt\"");
	YES(d, "\"Image\":\"C:\\\\x\\\\ProcDump64.exe\"");
	d = "  sel:\n    CommandLine: '*vssadmin*delete*shadows*'\n  condition: sel\n";
	YES(d, "\"CommandLine\":\"vssadmin.exe Delete Shadows /all\"");
	NO(d, "\"CommandLine\":\"vssadmin.exe list shadows\"");
	/* a keyword in a field no rule names, and in one a rule does name */
	d = "  keywords:\n    - 'sekurlsa'\n  sel:\n    CommandLine|contains: 'whoami'\n"
	    "  condition: keywords or sel\n";
	YES(d, "\"Unnamed\":\"x SekurLSA::logonpasswords\"");
	YES(d, "\"CommandLine\":\"sekurlsa\"");
	NO(d, "\"Unnamed\":\"sekur lsa\",\"CommandLine\":\"who am i\"");
}

/* Keyword literals in the values no rule names are found by the gate's
 * anchor scan (src/detect/gate.c): at every offset of a long value (the
 * SIMD blocks and the tail), in any case, and never across two values. */
static void keyword_gate(void **state)
{
	(void)state;
	const char *d = "  keywords:\n    - 'sekurlsa::'\n    - 'gentilkiwi.com'\n"
			"    - 'mimidrv.sys'\n    - '\\mimilib.dll'\n    - 'kerberos::golden'\n"
			"  condition: keywords\n";
	static const char *const lits[] = { "SekurLSA::", "gentilkiwi.COM", "mimidrv.sys",
					    "\\\\MimiLib.dll", "kerberos::golden" };
	char ev[512], pad[128];
	for (size_t l = 0; l < sizeof lits / sizeof *lits; l++) {
		for (int off = 0; off <= 80; off += (l == 0 ? 1 : 7)) {
			memset(pad, 'x', (size_t)off);
			pad[off] = 0;
			snprintf(ev, sizeof ev, "\"Other\":\"abc\",\"Unnamed\":\"%s%s%s\",\"Last\":\"z\"",
				 pad, lits[l], off % 2 ? "" : " tail text of some length");
			YES(d, ev);
		}
	}
	/* a literal cut across two values, or only nearly there, is not a hit */
	NO(d, "\"A\":\"x sekur\",\"B\":\"lsa:: y\"");
	NO(d, "\"A\":\"sekurlsa: mimidrv.sy gentilkiwi.co kerberos:golden\"");
	NO(d, "\"A\":\"mimilib.dll\"");   /* the backslash is part of the keyword */
}

/* Everything above once more with the portable prefilter (no Hyperscan). */
static void portable_prefilter(void **state)
{
	setenv("BULWARK_DETECT_PORTABLE", "1", 1);
	string_modifiers(state);
	encoding_modifiers(state);
	prefilter_fields(state);
	keyword_gate(state);
	unsetenv("BULWARK_DETECT_PORTABLE");
}

static void conditions(void **state)
{
	(void)state;
	const char *d = "  selection:\n    Image|endswith: '\\a.exe'\n"
			"  filter_main_1:\n    User: 'SYSTEM'\n"
			"  filter_main_2:\n    CommandLine|contains: 'safe'\n"
			"  condition: selection and not 1 of filter_main_*\n";
	YES(d, "\"Image\":\"x\\\\a.exe\",\"User\":\"bob\",\"CommandLine\":\"evil\"");
	NO(d, "\"Image\":\"x\\\\a.exe\",\"User\":\"bob\",\"CommandLine\":\"safe\"");
	NO(d, "\"Image\":\"x\\\\a.exe\",\"User\":\"SYSTEM\",\"CommandLine\":\"evil\"");
	d = "  sel_a:\n    Image: 'a'\n  sel_b:\n    User: 'b'\n  condition: all of sel_*\n";
	YES(d, "\"Image\":\"a\",\"User\":\"b\"");
	NO(d, "\"Image\":\"a\",\"User\":\"c\"");
	d = "  sel_a:\n    Image: 'a'\n  sel_b:\n    User: 'b'\n  condition: 1 of them\n";
	YES(d, "\"Image\":\"z\",\"User\":\"b\"");
	NO(d, "\"Image\":\"z\",\"User\":\"z\"");
	d = "  a:\n    Image: 'a'\n  b:\n    User: 'b'\n  c:\n    CommandLine: 'c'\n"
	    "  condition: a and (b or c) and not (b and c)\n";
	YES(d, "\"Image\":\"a\",\"User\":\"b\",\"CommandLine\":\"x\"");
	YES(d, "\"Image\":\"a\",\"User\":\"x\",\"CommandLine\":\"c\"");
	NO(d, "\"Image\":\"a\",\"User\":\"b\",\"CommandLine\":\"c\"");
	NO(d, "\"Image\":\"x\",\"User\":\"b\",\"CommandLine\":\"x\"");
	/* a condition that holds with no literal at all: always evaluated */
	d = "  filter:\n    Image: 'a'\n  condition: not filter\n";
	YES(d, "\"Image\":\"b\"");
	NO(d, "\"Image\":\"a\"");
	/* a list of maps is OR; one map is AND */
	d = "  sel:\n    - Image: 'a'\n      User: 'u'\n    - CommandLine: 'c'\n  condition: sel\n";
	YES(d, "\"CommandLine\":\"c\"");
	YES(d, "\"Image\":\"a\",\"User\":\"u\"");
	NO(d, "\"Image\":\"a\",\"User\":\"x\"");
	/* a list of conditions: any of them */
	d = "  a:\n    Image: 'a'\n  b:\n    User: 'b'\n  condition:\n    - a\n    - b\n";
	YES(d, "\"User\":\"b\"");
}

/* Sigma meta filters (filters specification 2.x): a filter document
 * narrows the rules it names, by id or by name, to `their condition and not
 * the filter's`, where its logsource covers theirs; it never fires itself. */
static void meta_filters(void **state)
{
	(void)state;
	const char *rule = "title: A\nid: 6f3e2987-db24-4c78-a860-b4f4095a7095\nname: rule_a\n"
			   "logsource:\n  product: windows\n  category: process_creation\n"
			   "detection:\n  sel:\n    Image|endswith: '\\a.exe'\n  condition: sel\n";
	const char *filter = "title: Admins\nlogsource:\n  product: windows\n"
			     "  category: process_creation\nfilter:\n  rules:\n"
			     "    - 6f3e2987-db24-4c78-a860-b4f4095a7095\n"
			     "  selection:\n    User|startswith: 'adm_'\n  condition: selection\n";
	const char *bob = "{\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"EventID\":1,"
			  "\"Image\":\"C:\\\\a.exe\",\"User\":\"bob\"}\n";
	const char *adm = "{\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"EventID\":1,"
			  "\"Image\":\"C:\\\\a.exe\",\"User\":\"ADM_bob\"}\n";
	char text[4096];
	/* the filter after the rule, and before it */
	snprintf(text, sizeof text, "%s---\n%s", rule, filter);
	assert_int_equal(run_rule(NULL, text, bob, NULL), 1);
	assert_int_equal(run_rule(NULL, text, adm, NULL), 0);
	snprintf(text, sizeof text, "%s---\n%s", filter, rule);
	assert_int_equal(run_rule(NULL, text, adm, NULL), 0);
	/* by the rule's name; a filter with a keyword list */
	const char *by_name = "title: F\nlogsource:\n  product: windows\nfilter:\n  rules: rule_a\n"
			      "  noise:\n    - 'adm_'\n  condition: noise\n";
	snprintf(text, sizeof text, "%s---\n%s", rule, by_name);
	assert_int_equal(run_rule(NULL, text, adm, NULL), 0);
	assert_int_equal(run_rule(NULL, text, bob, NULL), 1);
	/* a filter whose logsource does not cover the rule's leaves it alone */
	const char *other = "title: F\nlogsource:\n  product: windows\n  category: dns_query\n"
			    "filter:\n  rules: [rule_a]\n  selection:\n    User: 'ADM_bob'\n"
			    "  condition: selection\n";
	snprintf(text, sizeof text, "%s---\n%s", rule, other);
	assert_int_equal(run_rule(NULL, text, adm, NULL), 1);
	/* a filter naming no rule, or without a condition, is refused */
	const char *bad = "title: F\nlogsource:\n  product: windows\nfilter:\n"
			  "  selection:\n    User: x\n  condition: selection\n";
	assert_int_equal(run_rule(NULL, bad, bob, NULL), -1);
	bad = "title: F\nlogsource:\n  product: windows\nfilter:\n  rules: [rule_a]\n"
	      "  selection:\n    User: x\n";
	assert_int_equal(run_rule(NULL, bad, bob, NULL), -1);
	/* the filter is listed as a filter, not as a rule that can fire */
	struct bw_error err = { 0 };
	struct detect_engine *e = detect_engine_new(NULL, &err);
	snprintf(text, sizeof text, "%s---\n%s", rule, filter);
	assert_int_equal(detect_engine_add_text(e, text, strlen(text), "t.yml", &err), 2);
	assert_int_equal(detect_engine_compile(e, &err), BW_OK);
	assert_false(detect_engine_rule(e, 0)->filter);
	assert_true(detect_engine_rule(e, 1)->filter);
	detect_engine_free(e);
}

static void logsource_routing(void **state)
{
	(void)state;
	const char *rule = "title: Logon\nlogsource:\n  product: windows\n  service: security\n"
			   "detection:\n  sel:\n    EventID: 4625\n  condition: sel\n";
	/* channel names compare without case */
	assert_int_equal(run_rule(NULL, rule, "{\"Channel\":\"security\",\"EventID\":4625}", NULL), 1);
	assert_int_equal(run_rule(NULL, rule, "{\"Channel\":\"System\",\"EventID\":4625}", NULL), 0);
	/* Security 4688 answers to the Sysmon process_creation field names */
	const char *pc = "title: PC\nlogsource:\n  product: windows\n  category: process_creation\n"
			 "detection:\n  sel:\n    Image|endswith: '\\evil.exe'\n  condition: sel\n";
	assert_int_equal(run_rule(NULL, pc, "{\"Channel\":\"Security\",\"EventID\":4688,"
					    "\"NewProcessName\":\"C:\\\\evil.exe\"}", NULL), 1);
	assert_int_equal(run_rule(NULL, pc, "{\"Channel\":\"Security\",\"EventID\":4624,"
					    "\"NewProcessName\":\"C:\\\\evil.exe\"}", NULL), 0);
	/* a linux rule runs on events without a channel, not on Windows events */
	const char *lx = "title: L\nlogsource:\n  product: linux\n  category: process_creation\n"
			 "detection:\n  sel:\n    Image|endswith: '/nc'\n  condition: sel\n";
	assert_int_equal(run_rule(NULL, lx, "{\"Image\":\"/usr/bin/nc\"}", NULL), 1);
	assert_int_equal(run_rule(NULL, lx, "{\"Channel\":\"Security\",\"Image\":\"/usr/bin/nc\"}",
				  NULL), 0);
}

static void placeholders_from_mapping(void **state)
{
	(void)state;
	char path[] = "/tmp/bw-detect-map-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *map = "placeholders:\n  admins: ['alice', 'bob*']\nlogsources:\n"
			  "  - product: windows\n    category: process_creation\n    sources:\n"
			  "      - channel: Microsoft-Windows-Sysmon/Operational\n        eventid: [1]\n";
	assert_int_equal(write(fd, map, strlen(map)), (ssize_t)strlen(map));
	close(fd);
	const char *rule = "title: P\nlogsource:\n  product: windows\n  category: process_creation\n"
			   "detection:\n  sel:\n    User|expand: '%admins%'\n  condition: sel\n";
	const char *ev = "{\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"EventID\":1,"
			 "\"User\":\"BOBBY\"}";
	assert_int_equal(run_rule(path, rule, ev, NULL), 1);
	ev = "{\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"EventID\":1,\"User\":\"carol\"}";
	assert_int_equal(run_rule(path, rule, ev, NULL), 0);
	unlink(path);
}

static void correlations(void **state)
{
	(void)state;
	const char *rules =
		"title: Failed logon\nid: base-1\nname: failed_logon\n"
		"logsource: {product: windows, service: security}\n"
		"detection:\n  sel:\n    EventID: 4625\n  condition: sel\n---\n"
		"title: Many failed logons\nid: corr-1\nauthor: C\ncorrelation:\n  type: event_count\n"
		"  rules: [failed_logon]\n  group-by: [TargetUserName]\n  timespan: 5m\n"
		"  condition:\n    gte: 3\n";
	struct got g = { 0 };
	const char *ev =
		"{\"Channel\":\"Security\",\"EventID\":4625,\"TargetUserName\":\"a\",\"UtcTime\":\"2024-01-01 10:00:00\"}\n"
		"{\"Channel\":\"Security\",\"EventID\":4625,\"TargetUserName\":\"b\",\"UtcTime\":\"2024-01-01 10:00:30\"}\n"
		"{\"Channel\":\"Security\",\"EventID\":4625,\"TargetUserName\":\"a\",\"UtcTime\":\"2024-01-01 10:01:00\"}\n"
		"{\"Channel\":\"Security\",\"EventID\":4625,\"TargetUserName\":\"b\",\"UtcTime\":\"2024-01-01 10:09:00\"}\n"
		"{\"Channel\":\"Security\",\"EventID\":4625,\"TargetUserName\":\"a\",\"UtcTime\":\"2024-01-01 10:04:00\"}\n"
		"{\"Channel\":\"Security\",\"EventID\":4625,\"TargetUserName\":\"b\",\"UtcTime\":\"2024-01-01 10:20:00\"}\n";
	/* a: three within 5 minutes -> one finding; b: three, but spread out -> none;
	 * the base rule does not report on its own (generate is false) */
	assert_int_equal(run_rule(NULL, rules, ev, &g), 1);
	assert_string_equal(g.fields, "TargetUserName=a;");
	const char *temporal =
		"title: A\nname: ra\nlogsource: {product: windows, service: security}\n"
		"detection:\n  sel:\n    EventID: 1\n  condition: sel\n---\n"
		"title: B\nname: rb\nlogsource: {product: windows, service: security}\n"
		"detection:\n  sel:\n    EventID: 2\n  condition: sel\n---\n"
		"title: A then B\ncorrelation:\n  type: temporal_ordered\n  rules: [ra, rb]\n"
		"  group-by: [Computer]\n  timespan: 1m\n  generate: true\n";
	const char *ab = "{\"Channel\":\"Security\",\"EventID\":2,\"Computer\":\"x\",\"UtcTime\":\"2024-01-01 10:00:00\"}\n"
			 "{\"Channel\":\"Security\",\"EventID\":1,\"Computer\":\"x\",\"UtcTime\":\"2024-01-01 10:00:10\"}\n"
			 "{\"Channel\":\"Security\",\"EventID\":2,\"Computer\":\"x\",\"UtcTime\":\"2024-01-01 10:00:20\"}\n";
	/* B, A, B: the base rules report (generate: true) 3 times, the sequence once */
	memset(&g, 0, sizeof g);
	assert_int_equal(run_rule(NULL, temporal, ab, &g), 4);
	const char *bad = "title: X\ncorrelation:\n  type: event_count\n  rules: [nope]\n"
			  "  timespan: 1x\n  condition: {gte: 2}\n";
	assert_int_equal(run_rule(NULL, bad, "{}", NULL), -1);
}

/* ---- the command line ---- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Runs detect_cli with stdout into out (NUL-terminated); returns its exit code. */
static int run_cli(int argc, char **argv, char *out, size_t cap)
{
	char tmp[] = "/tmp/bw-detect-out-XXXXXX";
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	fflush(stdout);
	int saved = dup(1);
	dup2(fd, 1);
	int rc = detect_cli(argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	ssize_t n = read(fd, out, cap - 1);
	out[n > 0 ? n : 0] = 0;
	close(fd);
	unlink(tmp);
	return rc;
}

/* A correlation whose events are split over two input files fires once,
 * after the files' own findings, and -j 1 and -j 2 print the same. */
static void cli_correlations_span_inputs(void **state)
{
	(void)state;
	char dir[] = "/tmp/bw-detect-cli-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char rules[256], a[256], b[256];
	snprintf(rules, sizeof rules, "%s/rules.yml", dir);
	snprintf(a, sizeof a, "%s/a.jsonl", dir);
	snprintf(b, sizeof b, "%s/b.jsonl", dir);
	write_file(rules,
		   "title: Failed logon\nid: base-1\nname: failed_logon\nlevel: low\n"
		   "logsource: {product: windows, service: security}\n"
		   "detection:\n  sel:\n    EventID: 4625\n  condition: sel\n---\n"
		   "title: Many failed logons\nid: corr-1\nlevel: high\ncorrelation:\n"
		   "  type: event_count\n  rules: [failed_logon]\n  group-by: [TargetUserName]\n"
		   "  timespan: 5m\n  condition:\n    gte: 3\n  generate: true\n");
	write_file(a, "{\"Channel\":\"Security\",\"EventID\":4625,\"TargetUserName\":\"a\","
		      "\"UtcTime\":\"2024-01-01 10:00:00\"}\n"
		      "{\"Channel\":\"Security\",\"EventID\":4625,\"TargetUserName\":\"a\","
		      "\"UtcTime\":\"2024-01-01 10:01:00\"}\n");
	write_file(b, "{\"Channel\":\"Security\",\"EventID\":4625,\"TargetUserName\":\"a\","
		      "\"UtcTime\":\"2024-01-01 10:02:00\"}\n");
	static char out1[8192], out2[8192];
	char *argv1[] = { "detect", "--rules", rules, "--format", "jsonl", "-j", "1", a, b, NULL };
	assert_int_equal(run_cli(9, argv1, out1, sizeof out1), 1);
	char *argv2[] = { "detect", "--rules", rules, "--format", "jsonl", "-j", "2", a, b, NULL };
	assert_int_equal(run_cli(9, argv2, out2, sizeof out2), 1);
	assert_string_equal(out1, out2);
	/* three base findings, then the correlation's, naming the third event */
	const char *corr = strstr(out1, "\"Many failed logons\"");
	assert_non_null(corr);
	assert_null(strstr(corr + 1, "\"Many failed logons\""));
	assert_null(strstr(corr, "\"Failed logon\""));
	int base = 0;
	for (const char *p = out1; (p = strstr(p, "\"Failed logon\"")); p++)
		base++;
	assert_int_equal(base, 3);
	assert_non_null(strstr(corr, "b.jsonl"));
	/* one file alone holds only two: no correlation */
	char *argv3[] = { "detect", "--rules", rules, "--format", "jsonl", a, NULL };
	assert_int_equal(run_cli(6, argv3, out1, sizeof out1), 1);
	assert_null(strstr(out1, "Many failed logons"));
	unlink(rules);
	unlink(a);
	unlink(b);
	rmdir(dir);
}

/* `rules check` reads --config, before or after the words */
static void cli_rules_check_reads_config(void **state)
{
	(void)state;
	char dir[] = "/tmp/bw-detect-chk-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char rule[256], map[256], missing[256];
	snprintf(rule, sizeof rule, "%s/r.yml", dir);
	snprintf(map, sizeof map, "%s/map.yaml", dir);
	snprintf(missing, sizeof missing, "%s/none.yaml", dir);
	write_file(rule, "title: R\nlogsource: {product: windows, service: security}\n"
			 "detection:\n  sel:\n    EventID: 1\n  condition: sel\n");
	/* a mapping with no security service: the rule cannot be routed */
	write_file(map, "logsources: []\n");
	static char out[8192];
	char *ok[] = { "detect", "rules", "check", rule, NULL };
	assert_int_equal(run_cli(4, ok, out, sizeof out), 0);
	char *none[] = { "detect", "rules", "check", "--config", missing, rule, NULL };
	assert_int_equal(run_cli(6, none, out, sizeof out), 3);
	char *before[] = { "detect", "--config", missing, "rules", "check", rule, NULL };
	assert_int_equal(run_cli(6, before, out, sizeof out), 3);
	char *other[] = { "detect", "rules", "check", rule, "--config", map, NULL };
	int rc = run_cli(6, other, out, sizeof out);
	assert_true(rc == 1 || rc == 3);
	unlink(rule);
	unlink(map);
	rmdir(dir);
}

/* ---- the JSON reader ---- */

static const char *any_rule =
	"title: Any\nid: r1\nauthor: A. Author\nlogsource:\n  product: windows\n  service: security\n"
	"detection:\n  sel:\n    TargetUserName: 'admin'\n  condition: sel\n";

static void json_shapes(void **state)
{
	(void)state;
	struct got g = { 0 };
	/* evtx_dump: pretty-printed, back to back, with #attributes */
	const char *pretty =
		"{\n  \"Event\": {\n    \"#attributes\": {\"xmlns\": \"x\"},\n    \"System\": {\n"
		"      \"Provider\": {\"#attributes\": {\"Name\": \"Microsoft-Windows-Security-Auditing\"}},\n"
		"      \"EventID\": {\"#attributes\": {\"Qualifiers\": 0}, \"#text\": 4625},\n"
		"      \"Channel\": \"Security\",\n      \"Computer\": \"pc1\"\n    },\n"
		"    \"EventData\": {\"TargetUserName\": \"admin\"}\n  }\n}\n"
		"{\n  \"Event\": {\"System\": {\"Channel\": \"Security\", \"Computer\": \"pc1\"},"
		" \"EventData\": {\"TargetUserName\": \"ADMIN\"}}\n}";
	assert_int_equal(run_rule(NULL, any_rule, pretty, &g), 2);
	assert_string_equal(g.computer, "pc1");
	assert_non_null(strstr(g.fields, "TargetUserName=ADMIN"));
	/* Winlogbeat: log_name / winlog.channel and event_data */
	const char *wlb = "{\"log_name\":\"Security\",\"event_data\":{\"TargetUserName\":\"admin\"}}\n"
			  "{\"winlog\":{\"channel\":\"Security\",\"event_data\":{\"TargetUserName\":\"admin\"}}}\n";
	assert_int_equal(run_rule(NULL, any_rule, wlb, NULL), 2);
	/* Azure: EventData as an XML string, Channel in lower case */
	const char *az = "{\"Channel\":\"security\",\"Computer\":\"dc1\",\"EventData\":\"<EventData xmlns=\\\"x\\\">\\r\\n"
			 "  <Data Name=\\\"TargetUserName\\\">admin</Data>\\r\\n  <Data Name=\\\"Other\\\">a &amp; b</Data>\\r\\n</EventData>\"}\n";
	memset(&g, 0, sizeof g);
	assert_int_equal(run_rule(NULL, any_rule, az, &g), 1);
	assert_string_equal(g.computer, "dc1");
	/* NXLog flat, with \u escapes */
	const char *nx = "{\"Channel\":\"Security\",\"Hostname\":\"ws2\",\"TargetUserName\":\"\\u0061dmin\"}";
	memset(&g, 0, sizeof g);
	assert_int_equal(run_rule(NULL, any_rule, nx, &g), 1);
	assert_string_equal(g.computer, "ws2");
	/* long strings with escapes across 16-byte blocks unescape whole */
	const char *rule = "title: Long\nlogsource:\n  product: windows\n  service: security\n"
			   "detection:\n  sel:\n    TargetUserName: 'C:\\Program Files\\Some Vendor"
			   "\\Long Directory Name\\tool.exe --flag \"quoted value\" end'\n"
			   "  condition: sel\n";
	const char *lng = "{\"Channel\":\"Security\",\"TargetUserName\":\"C:\\\\Program Files"
			  "\\\\Some Vendor\\\\Long Directory Name\\\\tool.exe --flag "
			  "\\\"quoted value\\\" end\"}\n";
	memset(&g, 0, sizeof g);
	assert_int_equal(run_rule(NULL, rule, lng, &g), 1);
	assert_non_null(strstr(g.fields, "Long Directory Name\\tool.exe --flag \"quoted value\" end"));
}

/* Names are looked up through a guess (the name that followed the previous
 * one last time), and the reader takes the guessed key without searching
 * for its end: a key that only starts like the guess, or spells it with
 * escapes, must still be read as itself. */
static void json_keys_in_repeated_shapes(void **state)
{
	(void)state;
	const char *recs =
		"{\"Channel\":\"Security\",\"TargetUserName\":\"admin\"}\n"          /* fires */
		"{\"Channel\":\"Security\",\"TargetUser\\u004eame\":\"admin\"}\n"   /* fires */
		"{\"Channel\":\"Security\",\"TargetUserNameX\":\"admin\"}\n"
		"{\"Channel\":\"Security\",\"TargetUserNam\":\"admin\"}\n"
		"{\"Channel\":\"Security\",\"Target\\\\UserName\":\"admin\"}\n"
		"{\"Channel\":\"Security\",\"a\\\\b\":1,\"TargetUserName\":\"admin\"}\n"  /* fires */
		"{\"Channel\":\"Security\",\"a\\\\b\":1,\"TargetUserName\":\"admin\"}\n"  /* fires */
		"{\"Channel\":\"Security\",\"a\\\\b\":1,\"TargetUserName\\\"\":\"admin\"}\n"
		"{\"Channel\":\"Security\",\"TargetUserName\":\"admin\"}\n";         /* fires */
	assert_int_equal(run_rule(NULL, any_rule, recs, NULL), 5);
}

static void json_damage_is_counted(void **state)
{
	(void)state;
	struct bw_error err = { 0 };
	struct detect_engine *e = detect_engine_new(NULL, &err);
	assert_int_equal(detect_engine_add_text(e, any_rule, strlen(any_rule), "t.yml", &err), 1);
	assert_int_equal(detect_engine_compile(e, &err), BW_OK);
	const char *good = "{\"Channel\":\"Security\",\"TargetUserName\":\"admin\"}\n";
	struct buf in;
	buf_init(&in);
	buf_puts(&in, good);
	buf_puts(&in, "{\"Channel\":\"Security\",\"TargetUserName\":\"adm\n");   /* broken line */
	buf_puts(&in, "this is not json\n");
	buf_puts(&in, good);
	buf_puts(&in, "{\"Channel\":\"Security\",\"TargetUserName\":\"\xff\xfe\"}\n"); /* bad UTF-8 */
	buf_puts(&in, "{\"Channel\":\"Security\",\"Big\":\"");
	for (int i = 0; i < 1024 * 1024; i++)
		buf_putc(&in, 'a');
	buf_puts(&in, "\"}\n");
	buf_puts(&in, "{\"Channel\":\"Security\",\"TargetUserName\":[1,{\"a\":}]}\n");  /* invalid */
	/* a raw control character after an escape, far into a long string */
	buf_puts(&in, "{\"Channel\":\"Security\",\"X\":\"a\\\\bcdefghijklmnopqrstuvwxyz\x01\"}\n");
	buf_puts(&in, good);
	struct detect_stats st = { 0 };
	struct got g = { 0 };
	struct detect_scanner *s = detect_scanner_new(e, DETECT_FAST);
	detect_scan_json(s, in.p, in.len, "mem", count, &g, &st);
	detect_scanner_free(s);
	assert_int_equal(g.n, 3);
	/* the record with a 1 MiB value is evaluated (cut at the value limit) */
	assert_int_equal(st.events, 4);
	assert_int_equal(st.truncated, 1);
	assert_int_equal(st.bad_records, 4);
	assert_int_equal(st.bad_utf8, 1);
	assert_int_equal(st.oversize, 0);
	buf_free(&in);
	detect_engine_free(e);
}

/* Padding one field past DETECT_LIM_VALUE must not hide the event: it is
 * evaluated with that value cut at the limit (and counted), on the fast path
 * and the baseline alike; a match inside the kept part still counts. */
static void padded_value_still_evaluated(void **state)
{
	(void)state;
	const char *rule = "title: Mimikatz\nlogsource:\n  product: windows\n"
			   "  category: process_creation\ndetection:\n  sel:\n"
			   "    CommandLine|contains: 'sekurlsa::'\n  condition: sel\n";
	struct buf in;
	for (int where = 0; where < 2; where++) {
		buf_init(&in);
		buf_puts(&in, "{\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"EventID\":1,");
		if (where == 0) /* the padding in another field */
			buf_puts(&in, "\"CommandLine\":\"mimikatz sekurlsa::logonpasswords\",\"Pad\":\"");
		else            /* the padding after the match in the same field */
			buf_puts(&in, "\"CommandLine\":\"mimikatz sekurlsa::logonpasswords ");
		for (int i = 0; i < DETECT_LIM_VALUE + 4096; i++)
			buf_putc(&in, i % 3 ? 'x' : ' ');
		buf_puts(&in, "\"}\n");
		buf_cstr(&in);
		struct got g = { 0 };
		assert_int_equal(run_rule(NULL, rule, in.p, &g), 1);
		buf_free(&in);
	}
	/* counted as truncated, not as skipped */
	struct bw_error err = { 0 };
	struct detect_engine *e = detect_engine_new(NULL, &err);
	assert_int_equal(detect_engine_add_text(e, rule, strlen(rule), "t.yml", &err), 1);
	assert_int_equal(detect_engine_compile(e, &err), BW_OK);
	buf_init(&in);
	buf_puts(&in, "{\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"EventID\":1,"
		      "\"CommandLine\":\"sekurlsa::x\",\"Pad\":\"");
	for (int i = 0; i < DETECT_LIM_VALUE + 1; i++)
		buf_putc(&in, 'y');
	buf_puts(&in, "\"}\n");
	struct detect_stats st = { 0 };
	struct detect_scanner *s = detect_scanner_new(e, DETECT_FAST);
	detect_scan_json(s, in.p, in.len, "mem", NULL, NULL, &st);
	detect_scanner_free(s);
	assert_int_equal(st.events, 1);
	assert_int_equal(st.findings, 1);
	assert_int_equal(st.truncated, 1);
	assert_int_equal(st.oversize, 0);
	buf_free(&in);
	detect_engine_free(e);
}

/* A record with more than DETECT_LIM_FIELDS fields is evaluated on the
 * fields that fit (counted as truncated, not skipped); a field past the
 * limit is not seen. */
static void many_fields_still_evaluated(void **state)
{
	(void)state;
	const char *rule = "title: Mimikatz\nlogsource:\n  product: windows\n"
			   "  category: process_creation\ndetection:\n  sel:\n"
			   "    CommandLine|contains: 'sekurlsa::'\n  condition: sel\n";
	struct buf in;
	for (int late = 0; late < 2; late++) {
		buf_init(&in);
		/* an array: each element is one more value of the field */
		buf_puts(&in, "{\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"EventID\":1,"
			      "\"CommandLine\":[");
		if (!late)
			buf_puts(&in, "\"mimikatz sekurlsa::logonpasswords\",");
		for (int i = 0; i < 2 * DETECT_LIM_FIELDS; i++)
			buf_printf(&in, "\"v%d\",", i);
		if (late)
			buf_puts(&in, "\"mimikatz sekurlsa::logonpasswords\",");
		buf_puts(&in, "\"end\"]}\n");
		buf_cstr(&in);
		assert_int_equal(run_rule(NULL, rule, in.p, NULL), late ? 0 : 1);
		struct bw_error err = { 0 };
		struct detect_engine *e = detect_engine_new(NULL, &err);
		assert_int_equal(detect_engine_add_text(e, rule, strlen(rule), "t.yml", &err), 1);
		assert_int_equal(detect_engine_compile(e, &err), BW_OK);
		struct detect_stats st = { 0 };
		struct detect_scanner *s = detect_scanner_new(e, DETECT_FAST);
		detect_scan_json(s, in.p, in.len, "mem", NULL, NULL, &st);
		detect_scanner_free(s);
		assert_int_equal(st.events, 1);
		assert_int_equal(st.truncated, 1);
		assert_int_equal(st.oversize, 0);
		assert_int_equal(st.findings, late ? 0 : 1);
		detect_engine_free(e);
		buf_free(&in);
	}
}

/* A record past DETECT_LIM_RECORD is evaluated on its first
 * DETECT_LIM_RECORD bytes (counted as truncated, not skipped): in memory
 * and streamed from a file, as JSON lines and as a multi-line object; a
 * match past the cut is not seen, and the next record is read as usual. */
static void huge_record_still_evaluated(void **state)
{
	(void)state;
	const char *rule = "title: Mimikatz\nlogsource:\n  product: windows\n"
			   "  category: process_creation\ndetection:\n  sel:\n"
			   "    CommandLine|contains: 'sekurlsa::'\n  condition: sel\n";
	struct bw_error err = { 0 };
	struct detect_engine *e = detect_engine_new(NULL, &err);
	assert_int_equal(detect_engine_add_text(e, rule, strlen(rule), "t.yml", &err), 1);
	assert_int_equal(detect_engine_compile(e, &err), BW_OK);
	const char *good = "{\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"EventID\":1,"
			   "\"CommandLine\":\"x sekurlsa::y\"}\n";
	for (int form = 0; form < 3; form++) {       /* in memory, file, multi-line */
		for (int late = 0; late < 2; late++) {
			struct buf in;
			buf_init(&in);
			buf_puts(&in, "{\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",");
			buf_puts(&in, form == 2 ? "\n" : "");
			buf_puts(&in, "\"EventID\":1,");
			if (!late)
				buf_puts(&in, "\"CommandLine\":\"mimikatz sekurlsa::logonpasswords\",");
			buf_puts(&in, "\"Pad\":[");
			for (int i = 0; i < DETECT_LIM_RECORD / 8 + 1000; i++)
				buf_puts(&in, "\"abcdef\",");   /* 9 bytes: past the limit */
			buf_puts(&in, "\"e\"]");
			if (late)
				buf_puts(&in, ",\"CommandLine\":\"mimikatz sekurlsa::logonpasswords\"");
			buf_puts(&in, "}\n");
			buf_puts(&in, good);
			struct detect_stats st = { 0 };
			struct detect_scanner *s = detect_scanner_new(e, DETECT_FAST);
			if (form == 1) {
				char path[] = "/tmp/bw-detect-huge-XXXXXX";
				int fd = mkstemp(path);
				assert_true(fd >= 0);
				assert_int_equal(write(fd, in.p, in.len), (ssize_t)in.len);
				close(fd);
				assert_int_equal(detect_scan_file(s, path, DETECT_FORMAT_JSON, NULL, NULL,
								  &st, &err), BW_OK);
				unlink(path);
			} else {
				detect_scan_json(s, in.p, in.len, "mem", NULL, NULL, &st);
			}
			detect_scanner_free(s);
			print_message("# form %d late %d: events %llu findings %llu\n", form, late,
				      (unsigned long long)st.events, (unsigned long long)st.findings);
			assert_int_equal(st.events, 2);
			assert_int_equal(st.truncated, 1);
			assert_int_equal(st.oversize, 0);
			assert_int_equal(st.bad_records, 0);
			assert_int_equal(st.findings, late ? 1 : 2);
			buf_free(&in);
		}
	}
	detect_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(string_modifiers),
		cmocka_unit_test(regex_modifiers),
		cmocka_unit_test(encoding_modifiers),
		cmocka_unit_test(other_modifiers),
		cmocka_unit_test(prefilter_fields),
		cmocka_unit_test(keyword_gate),
		cmocka_unit_test(portable_prefilter),
		cmocka_unit_test(conditions),
		cmocka_unit_test(meta_filters),
		cmocka_unit_test(logsource_routing),
		cmocka_unit_test(placeholders_from_mapping),
		cmocka_unit_test(correlations),
		cmocka_unit_test(cli_correlations_span_inputs),
		cmocka_unit_test(cli_rules_check_reads_config),
		cmocka_unit_test(json_shapes),
		cmocka_unit_test(json_keys_in_repeated_shapes),
		cmocka_unit_test(json_damage_is_counted),
		cmocka_unit_test(padded_value_still_evaluated),
		cmocka_unit_test(many_fields_still_evaluated),
		cmocka_unit_test(huge_record_still_evaluated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
