#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../apply/prune.h"
#include "fake_api.h"

#include <stdlib.h>
#include <string.h>

#define RESOURCE(name, kind)                                                                       \
	"{\"name\": \"" name "\", \"kind\": \"" kind "\", \"namespaced\": true, "                  \
	"\"verbs\": [\"get\", \"list\", \"delete\"]}"

static struct fake_api api;

static int setup(void **state)
{
	(void)state;
	discovery_cache_reset(NULL);
	if (fake_api_start(&api) < 0)
		return -1;
	fake_api_set(&api, "/api", "{\"versions\": [\"v1\"]}");
	fake_api_set(&api, "/api/v1", "{\"resources\": [" RESOURCE("configmaps", "ConfigMap") "]}");
	fake_api_set(&api, "/apis",
	             "{\"groups\": [{\"name\": \"example.com\", \"versions\": [{\"version\": "
	             "\"v1\"}], \"preferredVersion\": {\"version\": \"v1\"}}]}");
	fake_api_set(&api, "/apis/example.com/v1",
	             "{\"resources\": [" RESOURCE("widgets", "Widget") "]}");
	/* One ConfigMap of the source's, left Git. */
	fake_api_set(&api, "/api/v1/configmaps",
	             "{\"items\": [{\"metadata\": {\"name\": \"old\", \"namespace\": \"ns\", "
	             "\"uid\": \"u1\", \"annotations\": {\"" SOURCE_ANNOTATION "\": \"src\"}}}]}");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_api_stop(&api);
	discovery_cache_reset(NULL);
	return 0;
}

/* A kind whose definition was deleted between discovery and its LIST
 * (404) holds nothing to prune: the others are still found, and nothing
 * fails. */
static void test_prune__a_kind_gone_since_discovery_holds_nothing(void **state)
{
	struct kube_client *c = fake_api_client(&api, NULL);
	struct sync_options opts = SYNC_OPTIONS_INIT;
	struct sync_plan plan = SYNC_PLAN_INIT;
	struct prune_list list = PRUNE_LIST_INIT;
	struct discovery *d = NULL;
	char *asked;

	(void)state;
	assert_non_null(c);
	opts.source = "src";
	opts.allow_empty = true;
	assert_int_equal(discovery_fetch(&d, c, NULL, 0, true), 0);
	free(fake_api_asked(&api));
	/* /apis/example.com/v1/widgets answers 404: the kind is gone. */
	assert_int_equal(prune_find(&list, c, d, &plan, &opts), 0);
	asked = fake_api_asked(&api);
	assert_non_null(strstr(asked, "/apis/example.com/v1/widgets\n"));
	free(asked);
	assert_int_equal(list.n, 1);
	assert_string_equal(list.items[0].id.name, "old");
	/* ... and discovery is read again next time. */
	discovery_free(d);
	d = NULL;
	assert_int_equal(discovery_fetch(&d, c, NULL, 0, true), 0);
	asked = fake_api_asked(&api);
	assert_non_null(strstr(asked, "/apis\n"));
	free(asked);
	prune_list_release(&list);
	discovery_free(d);
	kube_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_prune__a_kind_gone_since_discovery_holds_nothing,
	                                    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
