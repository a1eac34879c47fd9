#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/base/buf.h"
#include "../../diff/base/berth_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_buf__starts_empty_and_terminated(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_non_null(b.ptr);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.ptr, "");
	buf_release(&b);
}

static void test_buf__addf_grows_past_the_first_allocation(void **state)
{
	struct buf b = BUF_INIT;
	int i;

	(void)state;
	for (i = 0; i < 1000; i++)
		buf_addf(&b, "%d,", i % 10);
	assert_int_equal(b.len, 2000);
	assert_int_equal(strlen(b.ptr), 2000);
	assert_memory_equal(b.ptr, "0,1,2,", 6);
	buf_release(&b);
}

static void test_buf__detach_hands_over_and_leaves_empty(void **state)
{
	struct buf b = BUF_INIT;
	size_t len;
	char *s;

	(void)state;
	buf_adds(&b, "hello");
	s = buf_detach(&b, &len);
	assert_string_equal(s, "hello");
	assert_int_equal(len, 5);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.ptr, "");
	free(s);
	s = buf_detach(&b, NULL);
	assert_string_equal(s, "");
	free(s);
}

static void test_buf__rtrim_drops_trailing_whitespace(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_adds(&b, "token \n\t\r\n");
	buf_rtrim(&b);
	assert_string_equal(b.ptr, "token");
	buf_release(&b);
}

static void test_buf__rstrip_drops_only_the_bytes_named(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_rstrip(&b, "\r\n");
	assert_string_equal(b.ptr, "");
	buf_adds(&b, "s3cret \t\r\n\n");
	buf_rstrip(&b, "\r\n");
	assert_string_equal(b.ptr, "s3cret \t");
	assert_int_equal(b.len, 8);
	buf_release(&b);
}

/* Make a temporary file holding `data`; its name goes into path. */
static void temp_file(char path[32], const void *data, size_t len)
{
	FILE *f;
	int fd;

	snprintf(path, 32, "/tmp/berth-test-bufXXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void test_buf__read_file_reads_all_of_it(void **state)
{
	char path[32];
	struct buf b = BUF_INIT;

	(void)state;
	temp_file(path, "a\0b", 3);
	assert_int_equal(buf_read_file(&b, path, 3), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.ptr, "a\0b", 3);
	unlink(path);
	buf_release(&b);
}

static void test_buf__read_file_refuses_a_file_over_the_cap(void **state)
{
	char path[32];
	struct buf b = BUF_INIT;

	(void)state;
	temp_file(path, "0123456789", 10);
	assert_true(buf_read_file(&b, path, 9) < 0);
	assert_non_null(strstr(berth_error_last(), path));
	assert_non_null(strstr(berth_error_last(), "larger than the limit of 9 bytes"));
	unlink(path);
	buf_release(&b);
}

static void test_buf__read_file_names_a_missing_file(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_true(buf_read_file(&b, "/nonexistent/berth", 10) < 0);
	assert_string_equal(berth_error_last(), "'/nonexistent/berth': No such file or directory");
	buf_release(&b);
}

/* A name as it may be shown: every control character escaped (C0, DEL,
 * C1), and bytes that are not UTF-8; UTF-8 kept. */
static void test_buf__printable_escapes_every_control_character(void **state)
{
	static const struct {
		const char *in, *also, *want;
	} cases[] = {
	    {"app/web.yaml", NULL, "app/web.yaml"},
	    {"a\nb\rc\td", NULL, "a\\nb\\rc\\td"},
	    {"\x1b[31mred\x07\x7f", NULL, "\\x1b[31mred\\x07\\x7f"},
	    /* C1 as UTF-8 (U+009B, CSI), a byte of Latin-1, a lone
	     * continuation byte, an overlong '/', a surrogate, a cut sequence */
	    {"\xc2\x9b"
	     "2J",
	     NULL, "\\xc2\\x9b2J"},
	    {"caf\xe9", NULL, "caf\\xe9"},
	    {"\x80\xc0\xaf\xed\xa0\x80\xe2\x82", NULL, "\\x80\\xc0\\xaf\\xed\\xa0\\x80\\xe2\\x82"},
	    {"caf\u00e9 \u20ac \U0001F600 \u00a0", NULL, "caf\u00e9 \u20ac \U0001F600 \u00a0"},
	    {"say \"hi\" \\ \n", "\"\\", "say \\\"hi\\\" \\\\ \\n"},
	};
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		buf_add_printable(&b, cases[i].in, cases[i].also);
		assert_string_equal(b.ptr, cases[i].want);
	}
	buf_release(&b);
}

/* A cut to at most `max` bytes ends between two characters. */
static void test_buf__utf8_fit_never_cuts_a_character(void **state)
{
	/* 1, 2, 3 and 4 bytes */
	static const char s[] = "a\u00e9\u20ac\U0001F600";
	static const size_t want[] = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 10};
	size_t max;

	(void)state;
	for (max = 0; max < sizeof(want) / sizeof(want[0]); max++)
		assert_int_equal(utf8_fit(s, strlen(s), max), want[max]);
	/* No UTF-8: cut where asked. */
	assert_int_equal(utf8_fit("\x80\x80\x80\x80\x80\x80", 6, 4), 4);
	assert_int_equal(utf8_fit("abc", 3, 2), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_buf__starts_empty_and_terminated),
	    cmocka_unit_test(test_buf__addf_grows_past_the_first_allocation),
	    cmocka_unit_test(test_buf__detach_hands_over_and_leaves_empty),
	    cmocka_unit_test(test_buf__rtrim_drops_trailing_whitespace),
	    cmocka_unit_test(test_buf__rstrip_drops_only_the_bytes_named),
	    cmocka_unit_test(test_buf__read_file_reads_all_of_it),
	    cmocka_unit_test(test_buf__read_file_refuses_a_file_over_the_cap),
	    cmocka_unit_test(test_buf__read_file_names_a_missing_file),
	    cmocka_unit_test(test_buf__printable_escapes_every_control_character),
	    cmocka_unit_test(test_buf__utf8_fit_never_cuts_a_character),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
