#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../apply/discovery.h"
#include "fake_api.h"

#include <stdlib.h>
#include <string.h>

#define APIS(more)                                                                                 \
	"{\"groups\": [{\"name\": \"apps\", \"versions\": [{\"version\": \"v1\"}], "               \
	"\"preferredVersion\": {\"version\": \"v1\"}}, {\"name\": \"example.com\", "               \
	"\"versions\": [{\"version\": \"v1\"}], \"preferredVersion\": {\"version\": \"v1\"}}" more \
	"]}"
#define RESOURCE(name, kind)                                                                       \
	"{\"name\": \"" name "\", \"kind\": \"" kind "\", \"namespaced\": true, "                  \
	"\"verbs\": [\"get\", \"list\", \"delete\"]}"
#define RESOURCES(...) "{\"resources\": [" __VA_ARGS__ "]}"

/* What each test reads: the core group and two groups of /apis. */
static struct fake_api api;
static double now;

static double fake_now(void)
{
	return now;
}

static int setup(void **state)
{
	(void)state;
	now = 1000;
	discovery_cache_reset(fake_now);
	if (fake_api_start(&api) < 0)
		return -1;
	fake_api_set(&api, "/api", "{\"versions\": [\"v1\"]}");
	fake_api_set(
	    &api, "/api/v1",
	    RESOURCES(RESOURCE("configmaps", "ConfigMap") ", " RESOURCE("pods/status", "Pod")));
	fake_api_set(&api, "/apis", APIS(""));
	fake_api_set(&api, "/apis/apps/v1", RESOURCES(RESOURCE("deployments", "Deployment")));
	fake_api_set(&api, "/apis/example.com/v1", RESOURCES(RESOURCE("widgets", "Widget")));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_api_stop(&api);
	discovery_cache_reset(NULL);
	return 0;
}

/* Fetch what `want` names (n of them; all with `all`) with `c`, check that
 * exactly `asked` was requested, and give the discovery (caller frees). */
static struct discovery *fetch(struct kube_client *c, const struct discovery_want *want, size_t n,
                               bool all, const char *asked)
{
	struct discovery *d = NULL;
	char *got;

	assert_int_equal(discovery_fetch(&d, c, want, n, all), 0);
	got = fake_api_asked(&api);
	assert_string_equal(got, asked);
	free(got);
	return d;
}

static const struct discovery_want apps_and_core[] = {{"apps/v1", "Deployment"},
                                                      {"v1", "ConfigMap"}};

static void test_discovery__paths_and_query_values_are_escaped(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	api_core_path(&out, "db", "pods", "web-0");
	assert_string_equal(out.ptr, "/api/v1/namespaces/db/pods/web-0");
	buf_reset(&out);
	api_core_path(&out, "..", "events", NULL);
	assert_string_equal(out.ptr, "/api/v1/namespaces/%2E%2E/events");
	buf_reset(&out);
	api_query_value(&out, "app=web,tier in (a,b)");
	assert_string_equal(out.ptr, "app%3Dweb%2Ctier%20in%20%28a%2Cb%29");
	buf_release(&out);
}

static void test_discovery__a_second_fetch_sends_no_request(void **state)
{
	struct kube_client *c = fake_api_client(&api, NULL);
	struct discovery *d;

	(void)state;
	d = fetch(c, apps_and_core, 2, false, "/api\n/apis\n/api/v1\n/apis/apps/v1\n");
	discovery_free(d);
	d = fetch(c, apps_and_core, 2, false, "");
	assert_non_null(discovery_find_kind(d, "apps", "Deployment"));
	assert_non_null(discovery_find_kind(d, "", "ConfigMap"));
	assert_null(discovery_find_kind(d, "example.com", "Widget"));
	assert_int_equal(d->nresources, 2);
	assert_int_equal(d->ngroups, 3);
	discovery_free(d);
	kube_client_free(c);
}

/* The names and versions of d's resources, one a line (caller frees). */
static char *resources_text(const struct discovery *d)
{
	struct buf out = BUF_INIT;
	size_t i, j;

	buf_addf(&out, "%zu groups\n", d->ngroups);
	for (i = 0; i < d->nresources; i++) {
		buf_addf(&out, "%s %s %s %s", d->resources[i].group, d->resources[i].version,
		         d->resources[i].name, d->resources[i].kind);
		for (j = 0; j < d->resources[i].nversions; j++)
			buf_addf(&out, " %s", d->resources[i].versions[j]);
		buf_addch(&out, '\n');
	}
	return buf_detach(&out, NULL);
}

static void test_discovery__a_filtered_fetch_after_a_whole_one_gives_what_it_read(void **state)
{
	struct kube_client *c = fake_api_client(&api, NULL);
	struct discovery *d;
	char *alone, *after;

	(void)state;
	d = fetch(c, apps_and_core, 2, false, "/api\n/apis\n/api/v1\n/apis/apps/v1\n");
	alone = resources_text(d);
	discovery_free(d);
	discovery_cache_reset(fake_now);
	d = fetch(c, NULL, 0, true, "/api\n/apis\n/api/v1\n/apis/apps/v1\n/apis/example.com/v1\n");
	assert_int_equal(d->nresources, 3);
	discovery_free(d);
	d = fetch(c, apps_and_core, 2, false, "");
	after = resources_text(d);
	assert_string_equal(after, alone);
	free(alone);
	free(after);
	discovery_free(d);
	kube_client_free(c);
}

static void test_discovery__a_kind_missing_rereads_its_group_version(void **state)
{
	static const struct discovery_want widget[] = {{"example.com/v1", "Widget"}},
	                                   gadget[] = {{"example.com/v1", "Gadget"}};
	struct kube_client *c = fake_api_client(&api, NULL);
	struct discovery *d;

	(void)state;
	discovery_free(fetch(c, widget, 1, false, "/api\n/apis\n/apis/example.com/v1\n"));
	/* A CustomResourceDefinition of a second ago adds a kind. */
	fake_api_set(&api, "/apis/example.com/v1",
	             RESOURCES(RESOURCE("widgets", "Widget") ", " RESOURCE("gadgets", "Gadget")));
	d = fetch(c, gadget, 1, false, "/apis/example.com/v1\n");
	assert_non_null(discovery_find_kind(d, "example.com", "Gadget"));
	discovery_free(d);
	discovery_free(fetch(c, gadget, 1, false, ""));
	kube_client_free(c);
}

static void test_discovery__a_group_not_advertised_rereads_the_groups(void **state)
{
	static const struct discovery_want thing[] = {{"other.io/v1", "Thing"}};
	struct kube_client *c = fake_api_client(&api, NULL);
	struct discovery *d;

	(void)state;
	discovery_free(fetch(c, apps_and_core, 2, false, "/api\n/apis\n/api/v1\n/apis/apps/v1\n"));
	fake_api_set(&api, "/apis",
	             APIS(", {\"name\": \"other.io\", \"versions\": [{\"version\": \"v1\"}]}"));
	fake_api_set(&api, "/apis/other.io/v1", RESOURCES(RESOURCE("things", "Thing")));
	d = fetch(c, thing, 1, false, "/apis\n/apis/other.io/v1\n");
	assert_non_null(discovery_find_kind(d, "other.io", "Thing"));
	discovery_free(d);
	kube_client_free(c);
}

static void test_discovery__a_group_version_gone_rereads_the_index(void **state)
{
	struct kube_client *c = fake_api_client(&api, NULL);
	struct discovery *d;

	(void)state;
	discovery_free(fetch(c, apps_and_core, 2, false, "/api\n/apis\n/api/v1\n/apis/apps/v1\n"));
	/* example.com's definition is deleted before it was read. */
	fake_api_set(&api, "/apis",
	             "{\"groups\": [{\"name\": \"apps\", \"versions\": [{\"version\": \"v1\"}]}]}");
	fake_api_set(&api, "/apis/example.com/v1", NULL);
	d = fetch(c, NULL, 0, true, "/apis/example.com/v1\n/api\n/apis\n");
	assert_int_equal(d->nresources, 2);
	assert_int_equal(d->ngroups, 2);
	discovery_free(d);
	kube_client_free(c);
}

static void test_discovery__rereads_after_ten_minutes(void **state)
{
	static const char all[] = "/api\n/apis\n/api/v1\n/apis/apps/v1\n";
	struct kube_client *c = fake_api_client(&api, NULL);

	(void)state;
	discovery_free(fetch(c, apps_and_core, 2, false, all));
	now += DISCOVERY_MAX_AGE_MS - 1;
	discovery_free(fetch(c, apps_and_core, 2, false, ""));
	now += 1;
	discovery_free(fetch(c, apps_and_core, 2, false, all));
	discovery_free(fetch(c, apps_and_core, 2, false, ""));
	kube_client_free(c);
}

static void test_discovery__forget_rereads_for_every_identity(void **state)
{
	static const char all[] = "/api\n/apis\n/api/v1\n/apis/apps/v1\n";
	struct kube_client *c = fake_api_client(&api, NULL);
	struct kube_client *other = fake_api_client(&api, "a-token");

	(void)state;
	discovery_free(fetch(c, apps_and_core, 2, false, all));
	/* Another identity reads for itself. */
	discovery_free(fetch(other, apps_and_core, 2, false, all));
	discovery_free(fetch(other, apps_and_core, 2, false, ""));
	discovery_cache_forget(c);
	discovery_free(fetch(c, apps_and_core, 2, false, all));
	discovery_free(fetch(other, apps_and_core, 2, false, all));
	kube_client_free(c);
	kube_client_free(other);
}

static int fetch_once(struct kube_client *c)
{
	struct discovery *d = NULL;
	int error = discovery_fetch(&d, c, apps_and_core, 2, false);

	discovery_free(d);
	return error;
}

static void test_discovery__threads_read_a_server_once(void **state)
{
	struct kube_client *c = fake_api_client(&api, NULL);
	char *asked;

	(void)state;
	fake_api_race(c, fetch_once);
	asked = fake_api_asked(&api);
	assert_string_equal(asked, "/api\n/apis\n/api/v1\n/apis/apps/v1\n");
	free(asked);
	kube_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_discovery__paths_and_query_values_are_escaped),
	    cmocka_unit_test_setup_teardown(test_discovery__a_second_fetch_sends_no_request, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(
	        test_discovery__a_filtered_fetch_after_a_whole_one_gives_what_it_read, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        test_discovery__a_kind_missing_rereads_its_group_version, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_discovery__a_group_not_advertised_rereads_the_groups, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_discovery__a_group_version_gone_rereads_the_index,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_discovery__rereads_after_ten_minutes, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_discovery__forget_rereads_for_every_identity,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_discovery__threads_read_a_server_once, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
