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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_diagnostics__one_line_per_problem_whatever_the_name),
	    cmocka_unit_test(test_diagnostics__shows_the_first_hundred),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
