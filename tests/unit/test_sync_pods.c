#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../apply/sync_pods.h"
#include "../../diff/base/json_value.h"
#include "fake_api.h"

#include <stdlib.h>
#include <string.h>

/* StatefulSet db of 3 in ns, uid u1, selected by app=db and tier in
 * (a,b): its pods LIST, as the selector's text percent-encoded. */
#define PODS "/api/v1/namespaces/ns/pods?labelSelector=app%3Ddb%2Ctier%20in%20%28a%2Cb%29&limit=500"
#define STS(status)                                                                                \
	"{\"metadata\":{\"name\":\"db\",\"namespace\":\"ns\",\"uid\":\"u1\",\"generation\":4},"    \
	"\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"db\"},"                 \
	"\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"In\",\"values\":[\"a\",\"b\"]}]}}" \
	","                                                                                        \
	"\"status\":" status "}"
#define OWNED(name, uid, rev)                                                                      \
	"\"metadata\":{\"name\":\"" name "\",\"uid\":\"" uid "\",\"labels\":{"                     \
	"\"controller-revision-hash\":\"" rev "\"},\"ownerReferences\":[{\"uid\":\"u1\","          \
	"\"controller\":true}]}"
#define READY "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}"
/* Not Ready since it started (never), or since long after (once). */
#define CRASHING(changed)                                                                          \
	"\"status\":{\"phase\":\"Running\",\"startTime\":\"2026-01-01T10:00:00Z\","                \
	"\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\",\"lastTransitionTime\":"         \
	"\"" changed                                                                               \
	"\"}],\"containerStatuses\":[{\"name\":\"db\",\"ready\":false,\"restartCount\":2,"         \
	"\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}},\"lastState\":{"                \
	"\"terminated\":{\"exitCode\":1,\"reason\":\"Error\"}}}]}"
#define PULLING                                                                                    \
	"\"status\":{\"phase\":\"Pending\",\"containerStatuses\":[{\"name\":\"db\",\"ready\":"     \
	"false,"                                                                                   \
	"\"state\":{\"waiting\":{\"reason\":\"ImagePullBackOff\",\"message\":\"Back-off pulling "  \
	"image \\\"x\\\"\"}}}]}"
#define ROLLING "{\"observedGeneration\":4,\"updateRevision\":\"r2\"}"
#define NEVER   "2026-01-01T10:00:01Z"
#define ONCE    "2026-01-01T11:00:00Z"

static struct fake_api api;

static int setup(void **state)
{
	(void)state;
	return fake_api_start(&api);
}

static int teardown(void **state)
{
	(void)state;
	fake_api_stop(&api);
	return 0;
}

/* sync_pods_explain() of `sts` with the pods `list`: the health, and why
 * in `why` (caller releases). */
static enum readiness explain(struct buf *why, const char *sts, const char *list,
                              struct pod_recovery *r)
{
	struct sync_options opts = SYNC_OPTIONS_INIT;
	struct kube_client *c = fake_api_client(&api, NULL);
	struct json_object *obj = json_value_parse(sts, strlen(sts));
	enum readiness h;

	assert_non_null(c);
	assert_non_null(obj);
	fake_api_set(&api, PODS, list);
	buf_init(why);
	h = sync_pods_explain(why, c, obj, r, &opts);
	json_object_put(obj);
	kube_client_free(c);
	return h;
}

static void test_sync_pods__first_pod_not_ready_by_ordinal(void **state)
{
	struct buf why;

	(void)state;
	/* db-2 crashes but db-1 is first; dbx-1 and another owner's db-0
	 * are not db's. */
	assert_int_equal(
	    explain(&why, STS("{}"),
	            "{\"items\":[{" OWNED("db-2", "p2", "r1") "," CRASHING(
	                NEVER) "},{\"metadata\":{\"name\":\"db-0\",\"uid\":\"x\"}},"
	                       "{" OWNED("dbx-1", "p9", "r1") "," CRASHING(
	                           NEVER) "},"
	                                  "{" OWNED("db-0", "p0",
	                                            "r1") "," READY "},"
	                                                  "{" OWNED("db-1", "p1",
	                                                            "r1") ",\"status\":{\"phase\":"
	                                                                  "\"Pending\"}}]}",
	            NULL),
	    READINESS_PROGRESSING);
	assert_string_equal(why.ptr, "db-1 Pending");
	buf_release(&why);
	assert_int_equal(explain(&why, STS("{}"),
	                         "{\"items\":[{" OWNED("db-0", "p0", "r1") "," READY "},{" OWNED(
	                             "db-1", "p1", "r1") "," CRASHING(NEVER) "}]}",
	                         NULL),
	                 READINESS_DEGRADED);
	assert_string_equal(why.ptr,
	                    "db-1 CrashLoopBackOff (restarted 2 times, last exit 1: Error)");
	buf_release(&why);
	/* An image that cannot be pulled fails the rollout; on the revision
	 * before, the new one may yet replace it. */
	assert_int_equal(explain(&why, STS(ROLLING),
	                         "{\"items\":[{" OWNED("db-0", "p0", "r2") "," PULLING "}]}", NULL),
	                 READINESS_FAILED);
	assert_string_equal(why.ptr, "db-0 ImagePullBackOff: Back-off pulling image \"x\"");
	buf_release(&why);
	assert_int_equal(explain(&why, STS(ROLLING),
	                         "{\"items\":[{" OWNED("db-0", "p0", "r1") "," PULLING "}]}", NULL),
	                 READINESS_DEGRADED);
	assert_string_equal(why.ptr, "db-0 ImagePullBackOff: Back-off pulling image \"x\", on the "
	                             "revision before");
	buf_release(&why);
	/* An ordinal not made yet. */
	assert_int_equal(explain(&why, STS("{}"),
	                         "{\"items\":[{" OWNED("db-0", "p0", "r1") "," READY "}]}", NULL),
	                 READINESS_PROGRESSING);
	assert_string_equal(why.ptr, "db-1 not made yet");
	buf_release(&why);
	/* Pods that cannot be read say nothing. */
	assert_int_equal(explain(&why, STS("{}"), NULL, NULL), READINESS_PROGRESSING);
	assert_string_equal(why.ptr, "");
	buf_release(&why);
}

#define DELETE "/api/v1/namespaces/ns/pods/db-2"

static void test_sync_pods__recovery_deletes_a_broken_pod_once(void **state)
{
	struct pod_recovery r = {.on = true};
	const char *pods = "{\"items\":[{" OWNED("db-0", "p0", "r1") "," READY "},{" OWNED(
	    "db-1", "p1", "r1") "," READY "},{" OWNED("db-2", "p2", "r1") "," CRASHING(NEVER) "}]}";
	struct buf why;
	char *asked;

	(void)state;
	buf_init(&r.said);
	fake_api_set(&api, DELETE, "{}");
	free(fake_api_asked(&api));
	assert_int_equal(explain(&why, STS(ROLLING), pods, &r), READINESS_DEGRADED);
	buf_release(&why);
	asked = fake_api_asked(&api);
	assert_non_null(strstr(asked, DELETE "\n"));
	free(asked);
	assert_string_equal(r.said.ptr, "db-2 (CrashLoopBackOff (restarted 2 times, last exit 1: "
	                                "Error), never Ready on revision r1)");
	/* db-2 is not made again yet (the same uid): nothing more. */
	explain(&why, STS(ROLLING), pods, &r);
	buf_release(&why);
	asked = fake_api_asked(&api);
	assert_null(strstr(asked, DELETE));
	free(asked);
	pod_recovery_release(&r);
}

static void test_sync_pods__recovery_leaves_what_is_not_its_to_delete(void **state)
{
	struct pod_recovery r = {.on = true};
	struct buf why;
	char *asked;

	(void)state;
	buf_init(&r.said);
	free(fake_api_asked(&api));
	/* Once Ready on its revision; on the new revision already; and a
	 * spec the controller has not seen. */
	explain(&why, STS(ROLLING),
	        "{\"items\":[{" OWNED("db-2", "p2", "r1") "," CRASHING(ONCE) "}]}", &r);
	buf_release(&why);
	explain(&why, STS(ROLLING),
	        "{\"items\":[{" OWNED("db-2", "p2", "r2") "," CRASHING(NEVER) "}]}", &r);
	buf_release(&why);
	explain(&why, STS("{\"observedGeneration\":3,\"updateRevision\":\"r2\"}"),
	        "{\"items\":[{" OWNED("db-2", "p2", "r1") "," CRASHING(NEVER) "}]}", &r);
	buf_release(&why);
	asked = fake_api_asked(&api);
	assert_null(strstr(asked, "/pods/"));
	free(asked);
	assert_int_equal(r.said.len, 0);
	pod_recovery_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sync_pods__first_pod_not_ready_by_ordinal),
	    cmocka_unit_test(test_sync_pods__recovery_deletes_a_broken_pod_once),
	    cmocka_unit_test(test_sync_pods__recovery_leaves_what_is_not_its_to_delete),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
