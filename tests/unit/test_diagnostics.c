#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/base/diagnostics.h"

#include <string.h>

/* One line per problem, however its file is named: a line break, an
 * escape sequence, a carriage return in a name are escaped, never
 * written. */
static void test_diagnostics__one_line_per_problem_whatever_the_name(void **state)
{
	struct diagnostics d = DIAGNOSTICS_INIT;
	struct buf out = BUF_INIT;

	(void)state;
	diagnostics_add(&d, "app/x\n```\n# heading\x1b[2J\r/web.yaml", 5, 3, "bad %s",
	                "value\nhere");
	diagnostics_add(&d, "whole\x07.yaml", 0, 0, "too large");
	diagnostics_format(&out, &d);
	assert_string_equal(out.ptr, "app/x\\n```\\n# heading\\x1b[2J\\r/web.yaml:5:3: bad "
	                             "value\\nhere\n"
	                             "whole\\x07.yaml: too large\n");
	buf_release(&out);
	diagnostics_release(&d);
}

static void test_diagnostics__shows_the_first_hundred(void **state)
{
	struct diagnostics d = DIAGNOSTICS_INIT;
	struct buf out = BUF_INIT;
	size_t i, lines = 0;

	(void)state;
	for (i = 0; i < DIAGNOSTICS_SHOWN + 5; i++)
		diagnostics_add(&d, "a.yaml", i + 1, 1, "bad");
	diagnostics_format(&out, &d);
	for (i = 0; i < out.len; i++)
		lines += out.ptr[i] == '\n';
	assert_int_equal(lines, DIAGNOSTICS_SHOWN + 1);
	assert_non_null(strstr(out.ptr, "\n... and 5 more\n"));
	buf_release(&out);
	diagnostics_release(&d);
}

/* A copy of a range of problems, ended at the last when asked past it. */
static void test_diagnostics__copies_a_range(void **state)
{
	struct diagnostics from = DIAGNOSTICS_INIT, to = DIAGNOSTICS_INIT;
	struct buf out = BUF_INIT;

	(void)state;
	diagnostics_add(&from, "a.yaml", 1, 2, "first");
	diagnostics_add(&from, "b.yaml", 3, 4, "second %d", 2);
	diagnostics_add(&from, "c.yaml", 0, 0, "third");
	diagnostics_add(&to, "z.yaml", 9, 9, "kept");
	diagnostics_copy(&to, &from, 1, 99);
	diagnostics_copy(&to, &from, 0, 1);
	diagnostics_format(&out, &to);
	assert_string_equal(out.ptr, "z.yaml:9:9: kept\nb.yaml:3:4: second 2\nc.yaml: third\n"
	                             "a.yaml:1:2: first\n");
	assert_int_equal(from.n, 3);
	buf_release(&out);
	diagnostics_release(&from);
	diagnostics_release(&to);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_diagnostics__one_line_per_problem_whatever_the_name),
	    cmocka_unit_test(test_diagnostics__shows_the_first_hundred),
	    cmocka_unit_test(test_diagnostics__copies_a_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
