/*
 * fuzz-csv: libFuzzer driver for the CSV reader (base/csv) and the mapping
 * file parser built on it (ods_reorg_parse_mem). Any input must give rows or
 * a clean error, never a crash, a leak or a read past the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/csv.h"
#include "ods/ods.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bw_error err;
	struct csv_reader *r;
	/* Small limits so the fuzzer reaches them. */
	const struct csv_limits lim = { 8, 64 };
	if (csv_open_mem(&r, data, size, "fuzz", &lim, &err) != BW_OK)
		return 0;
	int rc;
	size_t total = 0;
	struct buf b;
	buf_init(&b);
	while ((rc = csv_next(r, &err)) == CSV_ROW) {
		for (size_t i = 0; i < csv_nfields(r); i++) {
			struct str f = csv_field(r, i);
			/* Fields are NUL-terminated and hold no NUL. */
			if (strlen(csv_field_c(r, i)) != f.n || f.n > lim.max_field_len)
				__builtin_trap();
			total += f.n;
			buf_reset(&b);
			csv_field_utf8(r, i, &b);
			if (!bw_valid_utf8(b.p, b.len))
				__builtin_trap();
		}
		if (csv_nfields(r) == 0 || csv_nfields(r) > lim.max_fields || csv_line(r) < 1)
			__builtin_trap();
	}
	buf_free(&b);
	csv_close(r);
	if (total > size)
		__builtin_trap();

	struct ods_reorg m;
	if (ods_reorg_parse_mem((const char *)data, size, "fuzz", &m, &err) == BW_OK) {
		for (size_t i = 0; i < m.nrules; i++)
			if (!ods_code_valid(m.rules[i].old_code, strlen(m.rules[i].old_code)))
				__builtin_trap();
		ods_reorg_free(&m);
	}
	return 0;
}
