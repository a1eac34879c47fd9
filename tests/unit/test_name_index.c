#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agent/daemon/name_index.h"

#include <stdio.h>
#include <string.h>

#define N 5000

static char names[N][16];

static const char *name_at(const void *array, size_t i)
{
	return ((const char(*)[16])array)[i];
}

/* Every name found at its place, and a name not there at n, over tables
 * that grow from 16 slots to thousands. */
static void test_name_index__finds_each_name_and_no_other(void **state)
{
	struct name_index x = NAME_INDEX_INIT;
	size_t n, i;

	(void)state;
	for (i = 0; i < N; i++)
		snprintf(names[i], sizeof(names[i]), "cm-%zu", i);
	assert_int_equal(name_index_find(&x, names, 0, name_at, "cm-0"), 0);
	for (n = 1; n <= N; n = n * 3 + 1) {
		name_index_build(&x, names, n, name_at);
		for (i = 0; i < n; i++)
			assert_int_equal(name_index_find(&x, names, n, name_at, names[i]), i);
		assert_int_equal(name_index_find(&x, names, n, name_at, "cm-missing"), n);
		assert_int_equal(name_index_find(&x, names, n, name_at, NULL), n);
	}
	name_index_release(&x);
}

/* Built again after the array changed, it finds each name at its new
 * place; a name dropped is gone. */
static void test_name_index__built_again_follows_the_array(void **state)
{
	struct name_index x = NAME_INDEX_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < 100; i++)
		snprintf(names[i], sizeof(names[i]), "obj-%zu", i);
	name_index_build(&x, names, 100, name_at);
	/* Drop obj-0: the rest move up one place. */
	memmove(names[0], names[1], 99 * sizeof(names[0]));
	name_index_build(&x, names, 99, name_at);
	assert_int_equal(name_index_find(&x, names, 99, name_at, "obj-0"), 99);
	assert_int_equal(name_index_find(&x, names, 99, name_at, "obj-1"), 0);
	assert_int_equal(name_index_find(&x, names, 99, name_at, "obj-99"), 98);
	name_index_release(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_name_index__finds_each_name_and_no_other),
	    cmocka_unit_test(test_name_index__built_again_follows_the_array),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
