#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../apply/openapi_fetch.h"
#include "fake_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A schema of one kind, ConfigMap, whose data maps names to strings. */
static const char schema[] =
    "{\"definitions\": {\"io.k8s.api.core.v1.ConfigMap\": {\"type\": \"object\", "
    "\"properties\": {\"apiVersion\": {\"type\": \"string\"}, \"kind\": {\"type\": "
    "\"string\"}, \"metadata\": {\"type\": \"object\"}, \"data\": {\"type\": \"object\", "
    "\"additionalProperties\": {\"type\": \"string\"}}}, \"x-kubernetes-group-version-kind\": "
    "[{\"group\": \"\", \"kind\": \"ConfigMap\", \"version\": \"v1\"}]}}}";

static struct fake_api api;
static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/berth-test-openapiXXXXXX");
	if (!mkdtemp(dir) || setenv("XDG_CACHE_HOME", dir, 1) < 0 || fake_api_start(&api) < 0)
		return -1;
	fake_api_set(&api, "/version", "{\"gitVersion\": \"v1.20.2\"}");
	fake_api_set(&api, "/openapi/v2", schema);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	fake_api_stop(&api);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* Check `text` as the file m.yaml with `c`: exactly `asked` is requested,
 * and the problems are given as text (caller frees). */
static char *check(struct kube_client *c, const char *text, const char *asked)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT;
	struct buf out = BUF_INIT;
	char *got;

	assert_int_equal(manifest_set_add(&set, &diags, "m.yaml", text, strlen(text), NULL), 0);
	manifest_set_finish(&set, &diags, NULL);
	assert_int_equal(openapi_check(&diags, c, &set), 0);
	got = fake_api_asked(&api);
	assert_string_equal(got, asked);
	free(got);
	diagnostics_format(&out, &diags);
	diagnostics_release(&diags);
	manifest_set_release(&set);
	return buf_detach(&out, NULL);
}

static const char misspelt[] = "apiVersion: v1\n"
                               "kind: ConfigMap\n"
                               "metadata: {name: a, namespace: default}\n"
                               "datta: {a: b}\n";

/* Remove the cache files: what is read next comes from memory, or the server. */
static void empty_the_cache(void)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/berth'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_openapi_fetch__a_second_check_parses_nothing(void **state)
{
	struct kube_client *c = fake_api_client(&api, NULL), *copy = NULL;
	char *first, *second;

	(void)state;
	first = check(c, misspelt, "/version\n/openapi/v2\n");
	assert_non_null(strstr(first, "unknown field \"datta\""));
	empty_the_cache();
	/* The client knows the version: nothing is asked. */
	second = check(c, misspelt, "");
	assert_string_equal(second, first);
	free(second);
	/* Nor by a copy made after, for another thread. */
	assert_int_equal(kube_client_dup(&copy, c), 0);
	second = check(copy, misspelt, "");
	assert_string_equal(second, first);
	free(second);
	kube_client_free(copy);
	/* A new client asks the version again, and holds the schema still. */
	kube_client_free(c);
	c = fake_api_client(&api, NULL);
	second = check(c, misspelt, "/version\n");
	assert_string_equal(second, first);
	free(first);
	free(second);
	kube_client_free(c);
}

static void test_openapi_fetch__another_server_version_is_read_apart(void **state)
{
	struct kube_client *c = fake_api_client(&api, NULL);

	(void)state;
	free(check(c, misspelt, "/version\n/openapi/v2\n"));
	kube_client_free(c);
	/* The server upgraded: its schema is read anew by the next client,
	 * then held. */
	fake_api_set(&api, "/version", "{\"gitVersion\": \"v1.21.0\"}");
	c = fake_api_client(&api, NULL);
	free(check(c, misspelt, "/version\n/openapi/v2\n"));
	kube_client_free(c);
	c = fake_api_client(&api, NULL);
	free(check(c, misspelt, "/version\n"));
	kube_client_free(c);
}

static void test_openapi_fetch__a_kind_unknown_asks_the_server_again(void **state)
{
	static const char widget[] = "apiVersion: example.com/v1\n"
	                             "kind: Widget\n"
	                             "metadata: {name: a, namespace: default}\n";
	struct kube_client *c = fake_api_client(&api, NULL);

	(void)state;
	free(check(c, widget, "/version\n/openapi/v2\n"));
	/* What is held may be older than the Widget's definition. */
	free(check(c, widget, "/openapi/v2\n"));
	kube_client_free(c);
}

static int check_once(struct kube_client *c)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT;
	int error;

	manifest_set_add(&set, &diags, "m.yaml", misspelt, strlen(misspelt), NULL);
	manifest_set_finish(&set, &diags, NULL);
	error = openapi_check(&diags, c, &set) < 0 || diags.n != 1;
	diagnostics_release(&diags);
	manifest_set_release(&set);
	return error;
}

static void test_openapi_fetch__threads_parse_a_version_once(void **state)
{
	struct kube_client *c = fake_api_client(&api, NULL);
	char *asked, *at;
	size_t schemas = 0;

	(void)state;
	fake_api_race(c, check_once);
	asked = fake_api_asked(&api);
	for (at = asked; (at = strstr(at, "/openapi/v2\n")); at++)
		schemas++;
	assert_int_equal(schemas, 1);
	free(asked);
	kube_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_openapi_fetch__a_second_check_parses_nothing,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_openapi_fetch__another_server_version_is_read_apart, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_openapi_fetch__a_kind_unknown_asks_the_server_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_openapi_fetch__threads_parse_a_version_once, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
