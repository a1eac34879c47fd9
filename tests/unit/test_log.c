#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/base/log.h"
#include "../../diff/base/buf.h"
#include "../../diff/base/json_value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A file name as an attacker writes it: a carriage return that rewrites
 * the line, an escape sequence that clears the screen, a bell, DEL, a C1
 * CSI (U+009B), a byte that is no UTF-8, a line break. */
#define HOSTILE                                                                                    \
	"app/x\r\x1b[2J\x07\x7f\xc2\x9b"                                                           \
	"2J\xff\n.yaml"

/* What log_line() writes on stderr, caught in a file. */
static void logged(struct buf *out, const char *value)
{
	char path[] = "/tmp/berth-test-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	assert_true(dup2(fd, 2) == 2);
	log_line("warn", "warning", "file", value, "problem", "say \"hi\" \\ there", NULL);
	fflush(stderr);
	assert_true(dup2(saved, 2) == 2);
	close(saved);
	close(fd);
	buf_reset(out);
	assert_int_equal(buf_read_file(out, path, 1 << 16), 0);
	unlink(path);
}

/* Nothing but printable ASCII, UTF-8 and the line's end. */
static void assert_printable(const char *line)
{
	const char *p;

	assert_non_null(strchr(line, '\n'));
	for (p = line; *p; p++)
		if ((((unsigned char)*p < 0x20 || *p == 0x7f) && p[1]) ||
		    ((unsigned char)p[0] == 0xc2 && (unsigned char)p[1] < 0xa0) ||
		    (unsigned char)*p == 0xff)
			fail_msg("a raw byte 0x%02x at %zu of the line", (unsigned char)*p,
			         (size_t)(p - line));
}

static void test_log__logfmt_escapes_every_control_character(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	log_set_json(false);
	logged(&out, HOSTILE);
	assert_printable(out.ptr);
	assert_non_null(
	    strstr(out.ptr, " file=\"app/x\\r\\x1b[2J\\x07\\x7f\\xc2\\x9b2J\\xff\\n.yaml\""));
	assert_non_null(strstr(out.ptr, " problem=\"say \\\"hi\\\" \\\\ there\"\n"));
	/* A plain value goes bare. */
	logged(&out, "app/web.yaml");
	assert_non_null(strstr(out.ptr, " file=app/web.yaml "));
	buf_release(&out);
}

static void test_log__json_escapes_every_control_character(void **state)
{
	struct buf out = BUF_INIT;
	struct json_object *o;

	(void)state;
	log_set_json(true);
	logged(&out, HOSTILE);
	log_set_json(false);
	assert_printable(out.ptr);
	o = json_value_parse(out.ptr, out.len);
	assert_non_null(o);
	/* The same name, but the byte that is no UTF-8. */
	assert_string_equal(json_value_get_string(o, "file"), "app/x\r\x1b[2J\x07\x7f\xc2\x9b"
	                                                      "2J\xef\xbf\xbd\n.yaml");
	assert_string_equal(json_value_get_string(o, "problem"), "say \"hi\" \\ there");
	json_object_put(o);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_log__logfmt_escapes_every_control_character),
	    cmocka_unit_test(test_log__json_escapes_every_control_character),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
