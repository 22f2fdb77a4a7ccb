/* metrics: lock-free counters (atomic adds) read by /metrics. */
#include <stdio.h>
#include <stdlib.h>

#include "app/metrics.h"

#define STATUS_CLASSES 5     /* 1xx..5xx */
static const int64_t bounds_ms[] = { 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500 };
#define NBUCKETS (sizeof bounds_ms / sizeof bounds_ms[0])

struct counters {
	uint64_t by_class[STATUS_CLASSES];
};

static struct counters *per_route;   /* [nroutes + 1]; the last is "other" */
static size_t nslots;
static uint64_t buckets[NBUCKETS + 1];
static uint64_t sum_ms, count;
static uint64_t db_conns;

void metrics_init(size_t nroutes)
{
	nslots = nroutes + 1;
	per_route = calloc(nslots, sizeof *per_route);
	if (!per_route)
		abort();
}

void metrics_observe(int route, int status, int64_t ms)
{
	if (!per_route)
		return;
	size_t slot = route < 0 || (size_t)route >= nslots - 1 ? nslots - 1 : (size_t)route;
	int cls = status / 100 - 1;
	if (cls < 0 || cls >= STATUS_CLASSES)
		cls = 4;
	__atomic_add_fetch(&per_route[slot].by_class[cls], 1, __ATOMIC_RELAXED);
	size_t b = 0;
	while (b < NBUCKETS && ms > bounds_ms[b])
		b++;
	__atomic_add_fetch(&buckets[b], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sum_ms, (uint64_t)(ms < 0 ? 0 : ms), __ATOMIC_RELAXED);
	__atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
}

void metrics_db_opened(void)
{
	__atomic_add_fetch(&db_conns, 1, __ATOMIC_RELAXED);
}

void metrics_write(struct buf *b, const struct route *const *routes, size_t nroutes)
{
	buf_puts(b, "# HELP bulwark_http_requests_total Requests by route and status class.\n"
		    "# TYPE bulwark_http_requests_total counter\n");
	for (size_t i = 0; per_route && i < nslots; i++) {
		for (int k = 0; k < STATUS_CLASSES; k++) {
			uint64_t v = __atomic_load_n(&per_route[i].by_class[k], __ATOMIC_RELAXED);
			if (!v)
				continue;
			if (i < nroutes)
				buf_printf(b, "bulwark_http_requests_total{method=\"%s\",route=\"%s\",status=\"%dxx\"} %llu\n",
					   routes[i]->method, routes[i]->pattern, k + 1, (unsigned long long)v);
			else
				buf_printf(b, "bulwark_http_requests_total{route=\"other\",status=\"%dxx\"} %llu\n",
					   k + 1, (unsigned long long)v);
		}
	}
	buf_puts(b, "# HELP bulwark_http_request_duration_seconds Request latency.\n"
		    "# TYPE bulwark_http_request_duration_seconds histogram\n");
	uint64_t cum = 0;
	for (size_t i = 0; i < NBUCKETS; i++) {
		cum += __atomic_load_n(&buckets[i], __ATOMIC_RELAXED);
		buf_printf(b, "bulwark_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
			   (double)bounds_ms[i] / 1000.0, (unsigned long long)cum);
	}
	cum += __atomic_load_n(&buckets[NBUCKETS], __ATOMIC_RELAXED);
	buf_printf(b, "bulwark_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
	buf_printf(b, "bulwark_http_request_duration_seconds_sum %g\n",
		   (double)__atomic_load_n(&sum_ms, __ATOMIC_RELAXED) / 1000.0);
	buf_printf(b, "bulwark_http_request_duration_seconds_count %llu\n",
		   (unsigned long long)__atomic_load_n(&count, __ATOMIC_RELAXED));
	buf_printf(b, "# HELP bulwark_db_connections Database connections opened by this process.\n"
		      "# TYPE bulwark_db_connections gauge\nbulwark_db_connections %llu\n",
		   (unsigned long long)__atomic_load_n(&db_conns, __ATOMIC_RELAXED));
}
