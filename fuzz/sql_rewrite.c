/*
 * fuzz-sql_rewrite: libFuzzer driver for the PostgreSQL placeholder rewrite
 * (?N -> $N outside literals, quoted names, comments and dollar quotes).
 * Any text must give a rewrite or a clean refusal, never a read past its
 * end; text without '?' must come back unchanged.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *sql = malloc(size + 1);
	if (!sql)
		return 0;
	memcpy(sql, data, size);
	sql[size] = '\0';    /* SQL text is a C string: stop at the first NUL */
	struct buf out;
	buf_init(&out);
	int n = -1;
	char msg[128];
	if (db_pg_rewrite(sql, &out, &n, msg, sizeof msg)) {
		if (n < 0 || n > DB_PARAMS_MAX)
			abort();
		if (!strchr(sql, '?') && strcmp(buf_cstr(&out), sql) != 0)
			abort();
	}
	buf_free(&out);
	free(sql);
	return 0;
}
