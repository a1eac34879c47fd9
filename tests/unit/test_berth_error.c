#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/base/berth_error.h"

#include <string.h>

static void test_error__set_returns_the_generic_code(void **state)
{
	(void)state;
	assert_int_equal(berth_error_set("'%s': gone", "x"), BERTH_ERROR);
	assert_string_equal(berth_error_last(), "'x': gone");
}

static void test_error__prefix_adds_context_in_front(void **state)
{
	(void)state;
	berth_error_set("401 Unauthorized");
	berth_error_prefix(BERTH_ERROR, "GET %s", "/version");
	berth_error_prefix(BERTH_ERROR, "cluster-info");
	assert_string_equal(berth_error_last(), "cluster-info: GET /version: 401 Unauthorized");
}

static void test_error__prefix_keeps_the_code_it_is_given(void **state)
{
	(void)state;
	berth_error_set("configmaps \"x\" not found");
	assert_int_equal(berth_error_prefix(BERTH_ENOTFOUND, "state"), BERTH_ENOTFOUND);
	assert_int_equal(berth_error_prefix(BERTH_ETIMEOUT, "wait"), BERTH_ETIMEOUT);
	assert_string_equal(berth_error_last(), "wait: state: configmaps \"x\" not found");
}

static void test_error__clear_leaves_a_readable_default(void **state)
{
	(void)state;
	berth_error_clear();
	assert_string_equal(berth_error_last(), "unknown error");
}

static void test_error__long_messages_are_cut_not_overrun(void **state)
{
	char big[10000];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	berth_error_set("%s", big);
	berth_error_prefix(BERTH_ERROR, "%s", big);
	assert_true(strlen(berth_error_last()) < 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error__set_returns_the_generic_code),
	    cmocka_unit_test(test_error__prefix_adds_context_in_front),
	    cmocka_unit_test(test_error__prefix_keeps_the_code_it_is_given),
	    cmocka_unit_test(test_error__clear_leaves_a_readable_default),
	    cmocka_unit_test(test_error__long_messages_are_cut_not_overrun),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
