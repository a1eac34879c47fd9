#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/quantity.h"

#include <stdio.h>
#include <string.h>

/*
 * Expected values and strings come from apimachinery 1.20's
 * resource.ParseQuantity, Quantity.CanonicalizeBytes and Quantity.String().
 */

static void parse_ok(struct quantity *q, const char *s)
{
	if (quantity_parse(q, s) < 0)
		fail_msg("'%s' did not parse: %s", s, berth_error_last());
}

/* The value must be exactly mantissa * 10^scale. */
static void assert_value(const struct quantity *q, int64_t mantissa, int32_t scale)
{
	assert_int_equal((int64_t)q->mantissa, mantissa);
	assert_true(q->mantissa == (__int128)mantissa);
	assert_int_equal(q->scale, scale);
}

static void assert_canonical(const struct quantity *q, const char *expected)
{
	struct buf b = BUF_INIT;

	quantity_canonicalize(&b, q);
	assert_string_equal(b.ptr, expected);
	buf_release(&b);
}

static void assert_normalized(const char *s, const char *expected)
{
	struct buf b = BUF_INIT;

	if (quantity_normalize(&b, s) < 0)
		fail_msg("'%s' did not parse: %s", s, berth_error_last());
	assert_string_equal(b.ptr, expected);
	buf_release(&b);
}

static void test_quantity__reads_every_suffix(void **state)
{
	static const struct {
		const char *in;
		int64_t mantissa;
		int32_t scale;
		enum quantity_format format;
	} cases[] = {
	    {"1n", 1, -9, QUANTITY_DECIMAL_SI},
	    {"1u", 1, -6, QUANTITY_DECIMAL_SI},
	    {"1m", 1, -3, QUANTITY_DECIMAL_SI},
	    {"1", 1, 0, QUANTITY_DECIMAL_SI},
	    {"1k", 1, 3, QUANTITY_DECIMAL_SI},
	    {"1M", 1, 6, QUANTITY_DECIMAL_SI},
	    {"1G", 1, 9, QUANTITY_DECIMAL_SI},
	    {"1T", 1, 12, QUANTITY_DECIMAL_SI},
	    {"1P", 1, 15, QUANTITY_DECIMAL_SI},
	    {"1E", 1, 18, QUANTITY_DECIMAL_SI},
	    {"1Ki", 1024, 0, QUANTITY_BINARY_SI},
	    {"1Mi", 1048576, 0, QUANTITY_BINARY_SI},
	    {"1Gi", 1073741824, 0, QUANTITY_BINARY_SI},
	    {"1Ti", 1099511627776, 0, QUANTITY_BINARY_SI},
	    {"1Pi", 1125899906842624, 0, QUANTITY_BINARY_SI},
	    {"1Ei", 1152921504606846976, 0, QUANTITY_BINARY_SI},
	    {"1e3", 1, 3, QUANTITY_DECIMAL_EXPONENT},
	    {"1E3", 1, 3, QUANTITY_DECIMAL_EXPONENT},
	    {"1e+3", 1, 3, QUANTITY_DECIMAL_EXPONENT},
	    {"1E-3", 1, -3, QUANTITY_DECIMAL_EXPONENT},
	    {"1e0", 1, 0, QUANTITY_DECIMAL_EXPONENT},
	    {"1.5k", 15, 2, QUANTITY_DECIMAL_SI},
	    {"100M", 1, 8, QUANTITY_DECIMAL_SI},
	    {"0.1Ki", 1024, -1, QUANTITY_BINARY_SI},
	    /* a binary value below one is written as decimal */
	    {"0.0000000001Ki", 103, -9, QUANTITY_DECIMAL_SI},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct quantity q;

		parse_ok(&q, cases[i].in);
		assert_value(&q, cases[i].mantissa, cases[i].scale);
		assert_int_equal(q.format, cases[i].format);
	}
}

static void test_quantity__equal_by_value_across_suffixes(void **state)
{
	static const char *pairs[][2] = {
	    {"1Gi", "1024Mi"},  {"0.5", "500m"},     {"1k", "1000"},  {"1e3", "1k"},
	    {"1Ki", "1024"},    {"0.5Gi", "512Mi"},  {"100m", "0.1"}, {"1.5Gi", "1536Mi"},
	    {"1Mi", "1048576"}, {"1E", "1000P"},     {"1e-3", "1m"},  {"1000n", "1u"},
	    {"12e5", "1200k"},  {"-1Gi", "-1024Mi"}, {"+3", "3"},     {"01", "1."},
	    {"0", "-0"},        {"0Gi", "0m"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(pairs); i++) {
		if (!quantity_equal_strings(pairs[i][0], pairs[i][1]))
			fail_msg("'%s' != '%s'", pairs[i][0], pairs[i][1]);
		assert_true(quantity_equal_strings(pairs[i][1], pairs[i][0]));
	}
}

static void test_quantity__orders_unequal_values(void **state)
{
	static const struct {
		const char *a, *b;
		int sign; /* of quantity_cmp(a, b) */
	} cases[] = {
	    {"1Gi", "1G", 1},
	    {"1Ki", "1k", 1},
	    {"1m", "1M", -1},
	    {"1", "-1", 1},
	    {"0.5", "0.05", 1},
	    {"1001m", "1", 1},
	    {"999m", "1", -1},
	    {"1Ei", "1E", 1},
	    {"1n", "2n", -1},
	    {"1.5", "1.500000001", -1},
	    {"1E", "999P", 1},
	    {"0", "-1n", 1},
	    {"0", "1n", -1},
	    {"-1Gi", "-1G", -1},
	    {"99999999999999999999999999999E", "9223372036854775807", 1},
	    {"1e-9", "1e9", -1},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct quantity a, b;
		int c;

		parse_ok(&a, cases[i].a);
		parse_ok(&b, cases[i].b);
		c = quantity_cmp(&a, &b);
		assert_int_equal((c > 0) - (c < 0), cases[i].sign);
		c = quantity_cmp(&b, &a);
		assert_int_equal((c > 0) - (c < 0), -cases[i].sign);
		assert_false(quantity_equal_strings(cases[i].a, cases[i].b));
	}
}

static void test_quantity__refuses_invalid_strings(void **state)
{
	static const char *bad[] = {
	    "",
	    "1.2.3",
	    "1 Gi",
	    "1gi",
	    "--1",
	    "1e",
	    "0x10",
	    " 1",
	    "1 ",
	    "1Ki5",
	    "1e3.5",
	    ".5i",
	    "1i",
	    "-3.01i",
	    "-3.01e-",
	    "1.1.M",
	    "1+1.0M",
	    "0.1mi",
	    "0.1am",
	    "aoeu",
	    "1KI",
	    "1e3e3",
	    "1k+3",
	    "1e99999999999999999999",
	    /* no digit is only an error on upstream's slow path */
	    "Pi",
	    "Ei",
	    "e-10",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct quantity q = {0};
		char want[128];

		q.scale = 7;
		assert_int_equal(quantity_parse(&q, bad[i]), BERTH_ERROR);
		snprintf(want, sizeof(want), "'%s': not a quantity", bad[i]);
		assert_string_equal(berth_error_last(), want);
		/* *out is left alone on failure */
		assert_int_equal(q.scale, 7);
		assert_false(quantity_equal_strings(bad[i], bad[i]));
		assert_false(quantity_equal_strings(bad[i], "0"));
	}
}

/* Upstream reads a missing number as 0 whenever its fast path applies. */
static void test_quantity__reads_missing_number_as_zero_like_upstream(void **state)
{
	static const char *zero[] = {"Gi", "Ki", "Ti", "k", "m", "E", "-", "+", ".", "-.", "e5"};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(zero); i++) {
		struct quantity q;

		parse_ok(&q, zero[i]);
		assert_value(&q, 0, 0);
		assert_canonical(&q, "0");
		assert_true(quantity_equal_strings(zero[i], "0"));
	}
}

static void test_quantity__canonical_forms(void **state)
{
	static const struct {
		const char *in, *canonical;
	} cases[] = {
	    {"1.5", "1500m"},
	    {"1.5Gi", "1536Mi"},
	    {"1536Mi", "1536Mi"},
	    {"1024Mi", "1Gi"},
	    {"1000Mi", "1000Mi"},
	    {"0.5Gi", "512Mi"},
	    {"1048576Ki", "1Gi"},
	    {"1023Ki", "1023Ki"},
	    {"0.5Ki", "512"},
	    {"1.1Ki", "1126400m"},
	    {"0.1Ki", "102400m"},
	    {"7.5Ei", "7680Pi"},
	    {"15000", "15k"},
	    {"1500", "1500"},
	    {"0.1", "100m"},
	    {"100m", "100m"},
	    {"0.1m", "100u"},
	    {"1.5k", "1500"},
	    {"0.001E", "1P"},
	    {"1.5E", "1500P"},
	    {"12e6", "12e6"},
	    {"12e5", "1200e3"},
	    {"1.5e-3", "1500e-6"},
	    {"3000e-3", "3"},
	    {"1E3", "1e3"},
	    {"1e-10", "1e-9"},
	    {"0", "0"},
	    {"-0.0Ki", "0"},
	    /* apimachinery has no suffix beyond E and leaves it out */
	    {"1000E", "1"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct quantity q;

		parse_ok(&q, cases[i].in);
		assert_canonical(&q, cases[i].canonical);
	}
}

static void test_quantity__normalize_keeps_text_upstream_keeps(void **state)
{
	static const struct {
		const char *in, *stored;
	} cases[] = {
	    /* upstream's fast path keeps text already close to canonical */
	    {"1Gi", "1Gi"},
	    {"+1Gi", "+1Gi"},
	    {"01", "01"},
	    {"1.G", "1.G"},
	    {"1.500", "1.500"},
	    {"1E3", "1E3"},
	    {"+3", "+3"},
	    {"1e4294967296", "1e4294967296"},
	    /* and writes everything else in canonical form */
	    {"1024Mi", "1Gi"},
	    {"8Gi", "8Gi"},
	    {"1.5", "1500m"},
	    {"0.5", "500m"},
	    {"15000", "15k"},
	    {"-1.5Gi", "-1536Mi"},
	    {"10Ei", "9223372036854775807"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		assert_normalized(cases[i].in, cases[i].stored);
}

static void test_quantity__normalize_appends_nothing_on_failure(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_adds(&b, "memory=");
	assert_int_equal(quantity_normalize(&b, "1gi"), BERTH_ERROR);
	assert_string_equal(b.ptr, "memory=");
	assert_int_equal(quantity_normalize(&b, "1024Mi"), 0);
	assert_string_equal(b.ptr, "memory=1Gi");
	buf_release(&b);
}

static void test_quantity__reads_negative_numbers(void **state)
{
	static const struct {
		const char *in;
		int64_t mantissa;
		int32_t scale;
		const char *canonical;
	} cases[] = {
	    {"-2", -2, 0, "-2"},
	    {"-1.5Gi", -1610612736, 0, "-1536Mi"},
	    {"-1023Ki", -1047552, 0, "-1023Ki"},
	    {"-0.5Ki", -512, 0, "-512"},
	    {"-1.5e-3", -15, -4, "-1500e-6"},
	    {"-100m", -1, -1, "-100m"},
	    /* rounding goes away from zero */
	    {"-0.1n", -1, -9, "-1n"},
	    {"-8Ei", -INT64_MAX, 0, "-9223372036854775807"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct quantity q;

		parse_ok(&q, cases[i].in);
		assert_value(&q, cases[i].mantissa, cases[i].scale);
		assert_canonical(&q, cases[i].canonical);
	}
}

static void test_quantity__rounds_up_to_nano_units(void **state)
{
	static const struct {
		const char *in, *canonical;
	} cases[] = {
	    {"0.1n", "1n"},
	    {"0.0000000001", "1n"},
	    {"1.0000000001", "1000000001n"},
	    {"1.234567891e-9", "2e-9"},
	    {"0.9999999999", "1"},
	    {"2047.000000001Ki", "2096128000001024n"},
	    /* a tail far past nano-units still rounds up */
	    {"1."
	     "0000000000000000000000000000000000000000000000000000000000000000000000000000000000001"
	     "Gi",
	     "1073741824000000001n"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct quantity q;

		parse_ok(&q, cases[i].in);
		assert_canonical(&q, cases[i].canonical);
	}
}

static void test_quantity__caps_binary_values_at_int64_max(void **state)
{
	static const char *capped[] = {"8Ei", "10Ei", "8192Pi", "9223372036854775807Ki",
	                               "99999999999999999999999999999Ei"};
	struct quantity q;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(capped); i++) {
		parse_ok(&q, capped[i]);
		assert_value(&q, INT64_MAX, 0);
		assert_canonical(&q, "9223372036854775807");
	}
	parse_ok(&q, "8191Pi");
	assert_canonical(&q, "8191Pi");
	/* decimal values are not capped */
	parse_ok(&q, "9223372036854775808");
	assert_canonical(&q, "9223372036854775808");
	assert_false(quantity_equal_strings("8Ei", "8E"));
}

static void test_quantity__huge_inputs_do_not_overflow(void **state)
{
	static const char *too_big[] = {
	    "123456789012345678901234567890123456789",
	    "99999999999999999999999999999999999999.5",
	    "1e2000000000",
	};
	struct quantity q, r;
	char zeros[1100];
	size_t i;

	(void)state;
	parse_ok(&q, "99999999999999999999999999999E");
	assert_int_equal(q.scale, 18);
	assert_canonical(&q, "99999999999999999999999999999E");
	assert_normalized("99999999999999999999999999999E", "99999999999999999999999999999E");
	parse_ok(&r, "99999999999999999999999999999000P");
	assert_int_equal(quantity_cmp(&q, &r), 0);

	parse_ok(&q, "99999999999999999999999999999999999999");
	assert_canonical(&q, "99999999999999999999999999999999999999");
	parse_ok(&q, "1e1000000");
	assert_canonical(&q, "10e999999");

	for (i = 0; i < ARRAY_SIZE(too_big); i++) {
		char want[128];

		assert_int_equal(quantity_parse(&q, too_big[i]), BERTH_ERROR);
		snprintf(want, sizeof(want), "'%s': quantity out of range", too_big[i]);
		assert_string_equal(berth_error_last(), want);
	}

	/* a thousand zeros before and after a digit */
	memset(zeros, '0', sizeof(zeros));
	memcpy(zeros, "0.", 2);
	memcpy(zeros + sizeof(zeros) - 2, "1", 2);
	parse_ok(&q, zeros);
	assert_canonical(&q, "1n");
	memcpy(zeros, "10", 2);
	memcpy(zeros + sizeof(zeros) - 2, "0", 2);
	parse_ok(&q, zeros);
	assert_value(&q, 1, (int32_t)(sizeof(zeros) - 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_quantity__reads_every_suffix),
	    cmocka_unit_test(test_quantity__equal_by_value_across_suffixes),
	    cmocka_unit_test(test_quantity__orders_unequal_values),
	    cmocka_unit_test(test_quantity__refuses_invalid_strings),
	    cmocka_unit_test(test_quantity__reads_missing_number_as_zero_like_upstream),
	    cmocka_unit_test(test_quantity__canonical_forms),
	    cmocka_unit_test(test_quantity__normalize_keeps_text_upstream_keeps),
	    cmocka_unit_test(test_quantity__normalize_appends_nothing_on_failure),
	    cmocka_unit_test(test_quantity__reads_negative_numbers),
	    cmocka_unit_test(test_quantity__rounds_up_to_nano_units),
	    cmocka_unit_test(test_quantity__caps_binary_values_at_int64_max),
	    cmocka_unit_test(test_quantity__huge_inputs_do_not_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
