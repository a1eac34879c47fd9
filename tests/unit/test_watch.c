#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agent/daemon/watch.h"
#include "../../apply/sync.h"
#include "../../diff/base/clock.h"
#include "fake_api.h"

/* A collection of two ConfigMaps, x at version 7 and y at 8. The fake
 * server answers its watch with the same text, which holds no event: the
 * watch stays live on what its LIST read. */
#define PATH "/api/v1/namespaces/n/configmaps"
#define OBJECT(name, rv)                                                                           \
	"{\"metadata\":{\"name\":\"" name "\",\"namespace\":\"n\",\"resourceVersion\":\"" rv "\"}" \
	"}"

static struct fake_api api;

static int setup(void **state)
{
	(void)state;
	if (fake_api_start(&api) < 0)
		return -1;
	fake_api_set(&api, PATH,
	             "{\"metadata\":{\"resourceVersion\":\"10\"},\"items\":[" OBJECT(
	                 "x", "7") "," OBJECT("y", "8") "]}");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_api_stop(&api);
	return 0;
}

/* What the watcher told, a line each. */
static struct buf told = BUF_INIT;
static pthread_mutex_t told_lock = PTHREAD_MUTEX_INITIALIZER;

static void notify(const char *source, const char *what, void *ctx)
{
	(void)ctx;
	pthread_mutex_lock(&told_lock);
	buf_addf(&told, "%s %s\n", source, what);
	pthread_mutex_unlock(&told_lock);
}

static int nothing(struct json_object *page, void *arg)
{
	(void)page;
	(void)arg;
	return 0;
}

static struct api_resource configmaps = {"",   "v1", "configmaps", "ConfigMap", true, true, true,
                                         NULL, 0};

/* A plan item of ConfigMap `name` in n, compared at version `rv` (NULL:
 * found missing). */
static void item(struct sync_item *it, struct manifest *m, char *name, char *rv)
{
	memset(m, 0, sizeof(*m));
	m->id = (struct object_id){"", "v1", "ConfigMap", "n", name};
	memset(it, 0, sizeof(*it));
	it->m = m;
	it->res = &configmaps;
	it->read_rv = rv;
	it->drift.state = rv ? DRIFT_IN_SYNC : DRIFT_MISSING;
}

/* Follow y alone and wait for its watch to be live; then a reconcile
 * that compared x at `x_rv` as well: what it tells once settled. */
static void follow_x_at(char *x_rv, const char *want)
{
	struct kube_client *c = fake_api_client(&api, NULL);
	struct watcher *w;
	struct sync_item items[2];
	struct manifest ms[2];
	struct sync_plan plan = SYNC_PLAN_INIT;
	const char *names[] = {"y"};
	double start = clock_now_ms();
	char *asked, *said;

	assert_non_null(c);
	watcher_new(&w, c, notify, NULL);
	item(&items[0], &ms[0], "y", "8");
	plan.items = items;
	plan.n = 1;
	watcher_begin(w, "s");
	watcher_follow(w, "s", &plan);
	watcher_settle(w, "s", &plan);
	while (watcher_read(w, PATH, names, 1, nothing, NULL) != 0) {
		if (clock_now_ms() - start > 30000)
			fail_msg("the watch is not live after 30 s");
		clock_nap(10, NULL);
	}
	printf("the watch was live after %.0f ms\n", clock_now_ms() - start);
	asked = fake_api_asked(&api);
	assert_non_null(strstr(asked, PATH "\n"));
	free(asked);
	pthread_mutex_lock(&told_lock);
	buf_reset(&told);
	pthread_mutex_unlock(&told_lock);
	item(&items[1], &ms[1], "x", x_rv);
	plan.n = 2;
	watcher_begin(w, "s");
	watcher_follow(w, "s", &plan);
	watcher_settle(w, "s", &plan);
	watcher_free(w);
	kube_client_free(c);
	pthread_mutex_lock(&told_lock);
	said = buf_detach(&told, NULL);
	pthread_mutex_unlock(&told_lock);
	assert_string_equal(said, want);
	free(said);
}

/* An object a commit adds to a watched collection changed between the
 * reconcile's read of it and its following: the event found it
 * unfollowed, so the change is told when it is followed. */
static void test_watch__a_change_before_the_follow_is_told(void **state)
{
	(void)state;
	follow_x_at("5", "s configmaps/x changed\n");
	follow_x_at(NULL, "s configmaps/x changed\n");
}

/* Found in the store as it was compared: nothing to tell. */
static void test_watch__an_object_as_compared_is_not_told(void **state)
{
	(void)state;
	follow_x_at("7", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_watch__a_change_before_the_follow_is_told, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_watch__an_object_as_compared_is_not_told, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
