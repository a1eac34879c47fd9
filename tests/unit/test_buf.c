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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
