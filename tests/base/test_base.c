/* Unit tests for base: buffers, slices, UTF-8, the London clock, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/base.h"

static void buf_grows_and_formats(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	assert_int_equal(b.len, 3890);
	assert_memory_equal(b.p + b.len - 4, "999,", 4);
	assert_int_equal(strlen(buf_cstr(&b)), b.len);
	/* a value longer than the room left is formatted whole */
	char long_text[700];
	memset(long_text, 'x', sizeof long_text - 1);
	long_text[sizeof long_text - 1] = 0;
	size_t before = b.len;
	buf_printf(&b, "[%s]", long_text);
	assert_int_equal(b.len, before + 701);
	assert_int_equal(b.p[b.len - 1], ']');
	assert_int_equal(strlen(buf_cstr(&b)), b.len);
	buf_reset(&b);
	int64_t v[] = { 0, -1, 42, INT64_MAX, INT64_MIN };
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		buf_put_i64(&b, v[i]);
		buf_putc(&b, ' ');
	}
	assert_string_equal(buf_cstr(&b), "0 -1 42 9223372036854775807 -9223372036854775808 ");
	buf_free(&b);
}

static void arena_strings(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	char *s = arena_printf(&a, "%s-%d", "org", 42);
	assert_string_equal(s, "org-42");
	char *big = arena_alloc(&a, 100000);
	assert_non_null(big);
	assert_int_equal(((uintptr_t)big) % 16, 0);
	arena_free(&a);
}

static void integers_parse_strictly(void **state)
{
	(void)state;
	int64_t v;
	assert_true(str_to_i64(str_c("42"), 0, 100, &v));
	assert_int_equal(v, 42);
	assert_false(str_to_i64(str_c("101"), 0, 100, &v));
	assert_false(str_to_i64(str_c("4x"), 0, 100, &v));
	assert_false(str_to_i64(str_c(""), 0, 100, &v));
	assert_false(str_to_i64(str_c("99999999999999999999"), INT64_MIN, INT64_MAX, &v));
	assert_true(str_to_i64(str_c("-9223372036854775808"), INT64_MIN, INT64_MAX, &v));
	assert_true(v == INT64_MIN);
}

static void utf8_validation(void **state)
{
	(void)state;
	assert_true(bw_valid_utf8("caf\xc3\xa9", 5));
	assert_false(bw_valid_utf8("\xc0\xaf", 2));          /* overlong */
	assert_false(bw_valid_utf8("\xed\xa0\x80", 3));      /* surrogate */
	assert_false(bw_valid_utf8("\xe2\x82", 2));          /* truncated */
}

static void london_summer_time(void **state)
{
	(void)state;
	/* 2026: BST from 29 March 01:00 UTC to 25 October 01:00 UTC */
	assert_int_equal(bw_london_offset(1774746000 - 1), 0);
	assert_int_equal(bw_london_offset(1774746000), 3600);
	assert_int_equal(bw_london_offset(1792890000 - 1), 3600);
	assert_int_equal(bw_london_offset(1792890000), 0);
	char s[48];
	bw_time_london(1792890000 - 1, s);
	assert_string_equal(s, "25 Oct 2026 01:59 BST");
	bw_time_london(1792890000, s);
	assert_string_equal(s, "25 Oct 2026 01:00 GMT");
}

static void errors_name_the_field(void **state)
{
	(void)state;
	struct bw_error e = { 0 };
	assert_int_equal(bw_fail(&e, BW_EINVAL, "email", "must contain %c", '@'), BW_EINVAL);
	assert_string_equal(e.field, "email");
	assert_string_equal(e.msg, "must contain @");
	assert_string_equal(bw_err_name(BW_ENOTFOUND), "not_found");
}

static void hex_round_trip(void **state)
{
	(void)state;
	uint8_t h[32], back[32];
	char hex[65];
	bw_sha256("abc", 3, h);
	bw_hex(h, 32, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_true(bw_unhex(hex, back, 32));
	assert_memory_equal(h, back, 32);
	assert_false(bw_unhex("zz", back, 1));
}

int main(void)
{
	bw_crypto_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_grows_and_formats),
		cmocka_unit_test(arena_strings),
		cmocka_unit_test(integers_parse_strictly),
		cmocka_unit_test(utf8_validation),
		cmocka_unit_test(london_summer_time),
		cmocka_unit_test(errors_name_the_field),
		cmocka_unit_test(hex_round_trip),
	};
	return cmocka_run_group_tests_name("base", tests, NULL, NULL);
}
