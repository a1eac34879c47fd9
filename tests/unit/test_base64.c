#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/base/base64.h"
#include "../../diff/base/berth_error.h"

#include <string.h>

static const struct {
	const char *plain, *encoded;
} vectors[] = {
    /* RFC 4648 section 10 */
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

static void test_base64__encodes_rfc4648_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct buf b = BUF_INIT;
		base64_encode(&b, vectors[i].plain, strlen(vectors[i].plain));
		assert_string_equal(b.ptr, vectors[i].encoded);
		buf_release(&b);
	}
}

static void test_base64__decodes_rfc4648_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct buf b = BUF_INIT;
		assert_int_equal(base64_decode(&b, vectors[i].encoded, strlen(vectors[i].encoded)),
		                 0);
		assert_string_equal(b.ptr, vectors[i].plain);
		buf_release(&b);
	}
}

static void test_base64__ignores_line_breaks_and_missing_padding(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(base64_decode(&b, "Zm9v\nYmE", 8), 0);
	assert_string_equal(b.ptr, "fooba");
	buf_release(&b);
}

static void test_base64__refuses_bad_input_without_echoing_it(void **state)
{
	static const char *bad[] = {"Zm9v!", "Z", "Zm9vY", "Zg==Zg", "Zh=="};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf b = BUF_INIT;
		assert_true(base64_decode(&b, bad[i], strlen(bad[i])) < 0);
		assert_int_equal(b.len, 0);
		assert_string_equal(berth_error_last(), "invalid base64 data");
		buf_release(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_base64__encodes_rfc4648_vectors),
	    cmocka_unit_test(test_base64__decodes_rfc4648_vectors),
	    cmocka_unit_test(test_base64__ignores_line_breaks_and_missing_padding),
	    cmocka_unit_test(test_base64__refuses_bad_input_without_echoing_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
