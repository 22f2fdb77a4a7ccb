/* metrics: request counters by route and status, a latency histogram and the
 * database connection count, written as Prometheus text at /metrics. */
#ifndef BW_METRICS_H
#define BW_METRICS_H

#include "app/app.h"

void metrics_init(size_t nroutes);
/* route -1: not a routed request (assets, 404s) */
void metrics_observe(int route, int status, int64_t ms);
void metrics_db_opened(void);
void metrics_write(struct buf *b, const struct route *const *routes, size_t nroutes);

#endif
