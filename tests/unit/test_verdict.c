#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/base/json_value.h"
#include "../../diff/verdict.h"

#include <string.h>

static struct json_object *J(const char *text)
{
	struct json_object *v = json_value_parse(text, strlen(text));

	if (!v)
		fail_msg("bad test JSON: %s", text);
	return v;
}

static void key_of(uint8_t key[SHA256_SIZE], const char *desired, const char *live)
{
	struct json_object *d = J(desired), *l = J(live);

	assert_int_equal(verdict_key(key, d, l), 0);
	json_object_put(d);
	json_object_put(l);
}

/* A new resourceVersion (or managedFields) alone asks nothing again; any
 * other change to Git or to the live object does. */
static void test_verdict__key_ignores_only_what_every_write_changes(void **state)
{
	uint8_t a[SHA256_SIZE], b[SHA256_SIZE];

	(void)state;
	key_of(a, "{\"spec\":{\"x\":false}}",
	       "{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{}}");
	key_of(b, "{\"spec\":{\"x\":false}}",
	       "{\"metadata\":{\"resourceVersion\":\"2\",\"managedFields\":[]},\"spec\":{}}");
	assert_memory_equal(a, b, sizeof(a));
	key_of(b, "{\"spec\":{\"x\":true}}",
	       "{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{}}");
	assert_memory_not_equal(a, b, sizeof(a));
	key_of(
	    b, "{\"spec\":{\"x\":false}}",
	    "{\"metadata\":{\"resourceVersion\":\"1\",\"annotations\":{\"a\":\"b\"}},\"spec\":{}}");
	assert_memory_not_equal(a, b, sizeof(a));
	/* Key order does not matter: the key is of the data. */
	key_of(a, "{\"a\":1,\"b\":2}", "{\"c\":3,\"d\":4}");
	key_of(b, "{\"b\":2,\"a\":1}", "{\"d\":4,\"c\":3}");
	assert_memory_equal(a, b, sizeof(a));
}

static void test_verdict__remembers_each_verdict_until_full(void **state)
{
	struct verdicts *v;
	uint8_t key[SHA256_SIZE];
	bool drifted = false;
	unsigned i;

	(void)state;
	verdicts_new(&v, 1000);
	memset(key, 0, sizeof(key));
	assert_int_equal(verdicts_find(&drifted, v, key), 0);
	for (i = 0; i < 1000; i++) {
		memcpy(key, &i, sizeof(i));
		verdicts_remember(v, key, i % 2);
	}
	for (i = 0; i < 1000; i++) {
		memcpy(key, &i, sizeof(i));
		assert_int_equal(verdicts_find(&drifted, v, key), 1);
		assert_int_equal(drifted, i % 2);
	}
	/* Remembered again: the newest word wins. */
	memcpy(key, &(unsigned){7}, sizeof(unsigned));
	verdicts_remember(v, key, false);
	assert_int_equal(verdicts_find(&drifted, v, key), 1);
	assert_false(drifted);
	memcpy(key, &(unsigned){3}, sizeof(unsigned));
	assert_int_equal(verdicts_find(&drifted, v, key), 1);
	/* One more than it holds: it starts over. */
	i = 5000;
	memcpy(key, &i, sizeof(i));
	verdicts_remember(v, key, true);
	assert_int_equal(verdicts_find(&drifted, v, key), 1);
	memcpy(key, &(unsigned){3}, sizeof(unsigned));
	assert_int_equal(verdicts_find(&drifted, v, key), 0);
	verdicts_free(v);
	verdicts_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verdict__key_ignores_only_what_every_write_changes),
	    cmocka_unit_test(test_verdict__remembers_each_verdict_until_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
