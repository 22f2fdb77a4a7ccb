/*
 * time: the one clock. Everything that asks "what time is it" calls bw_now(),
 * so test builds can move time forward (BULWARK_TEST_CLOCK names a file holding
 * an offset in seconds) to test lock-outs, time-outs and deadlines without
 * waiting. Display time is Europe/London, computed here rather than through
 * the process-wide TZ so it is thread-safe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base.h"

#ifdef BW_TEST_BUILD
static int64_t test_offset(void)
{
	const char *path = getenv("BULWARK_TEST_CLOCK");
	if (!path || !*path)
		return 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	long long off = 0;
	if (fscanf(f, "%lld", &off) != 1)
		off = 0;
	fclose(f);
	return (int64_t)off;
}
#endif

int64_t bw_now(void)
{
	int64_t t = (int64_t)time(NULL);
#ifdef BW_TEST_BUILD
	t += test_offset();
#endif
	return t;
}

int64_t bw_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void bw_time_iso(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Unix time of the last Sunday of a month at 01:00 UTC. */
static int64_t last_sunday_0100(int year, int mon)
{
	struct tm tm = { .tm_year = year - 1900, .tm_mon = mon + 1, .tm_mday = 1 };
	int64_t first_next = (int64_t)timegm(&tm);     /* 1st of following month */
	tm = (struct tm){ 0 };
	time_t tt = (time_t)(first_next - 86400);
	gmtime_r(&tt, &tm);                             /* last day of month */
	int64_t day = first_next - 86400 - (int64_t)tm.tm_wday * 86400;
	return day + 3600;
}

int bw_london_offset(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	int year = tm.tm_year + 1900;
	int64_t start = last_sunday_0100(year, 2);     /* March */
	int64_t end = last_sunday_0100(year, 9);       /* October */
	return (t >= start && t < end) ? 3600 : 0;
}

void bw_time_london(int64_t t, char out[48])
{
	int off = bw_london_offset(t);
	time_t tt = (time_t)(t + off);
	struct tm tm;
	gmtime_r(&tt, &tm);
	char d[40];
	strftime(d, sizeof d, "%d %b %Y %H:%M", &tm);
	snprintf(out, 48, "%s %s", d, off ? "BST" : "GMT");
}
