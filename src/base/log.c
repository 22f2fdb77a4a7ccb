/* log: one line per event on stderr, "time level message". */
#include <stdio.h>

#include "base.h"

static enum log_level min_level = LOG_INFO;

void log_set_level(enum log_level lvl)
{
	min_level = lvl;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *names[] = { "debug", "info", "warn", "error" };
	if (lvl < min_level)
		return;
	char ts[32], line[2048];
	bw_time_iso(bw_now(), ts);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	/* one fprintf so concurrent threads do not interleave within a line */
	fprintf(stderr, "%s %s %s\n", ts, names[lvl], line);
}
