#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../apply/order.h"
#include "../../apply/ready.h"
#include "../../diff/base/json_value.h"

#include <string.h>

/* The readiness of the object in `json`, and what it waits for. */
static enum readiness check(const char *json, bool wffc, const char *want_why)
{
	struct json_object *obj = json_value_parse(json, strlen(json));
	struct buf why = BUF_INIT;
	enum readiness r;

	assert_non_null(obj);
	r = ready_check(&why, obj, wffc);
	assert_string_equal(why.ptr, want_why);
	buf_release(&why);
	json_object_put(obj);
	return r;
}

#define STS(spec, status)                                                                          \
	"{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"generation\":2},"    \
	"\"spec\":" spec ",\"status\":" status "}"

static void test_ready__statefulset_follows_rollout_status(void **state)
{
	(void)state;
	assert_int_equal(check(STS("{\"replicas\":3}", "{\"observedGeneration\":1}"), false,
	                       "its controller has not seen the new spec yet"),
	                 READINESS_PROGRESSING);
	assert_int_equal(
	    check(STS("{\"replicas\":3}", "{\"observedGeneration\":2,\"readyReplicas\":1}"), false,
	          "1 of 3 pods ready"),
	    READINESS_PROGRESSING);
	/* Partitioned: done when the pods above the partition are updated. */
	assert_int_equal(
	    check(STS("{\"replicas\":3,\"updateStrategy\":{\"type\":\"RollingUpdate\","
	              "\"rollingUpdate\":{\"partition\":2}}}",
	              "{\"observedGeneration\":2,\"readyReplicas\":3,\"updatedReplicas\":1}"),
	          false, "1 of 1 pods updated, ordinals 2 and up (partition 2)"),
	    READINESS_READY);
	assert_int_equal(
	    check(STS("{\"replicas\":3,\"updateStrategy\":{\"type\":\"RollingUpdate\","
	              "\"rollingUpdate\":{\"partition\":1}}}",
	              "{\"observedGeneration\":2,\"readyReplicas\":3,\"updatedReplicas\":1}"),
	          false, "1 of 2 pods updated, ordinals 1 and up (partition 1)"),
	    READINESS_PROGRESSING);
	assert_int_equal(
	    check(STS("{\"replicas\":3,\"updateStrategy\":{\"type\":\"RollingUpdate\","
	              "\"rollingUpdate\":{\"partition\":0}}}",
	              "{\"observedGeneration\":2,\"readyReplicas\":3,\"updatedReplicas\":1}"),
	          false, "1 of 3 pods updated"),
	    READINESS_PROGRESSING);
	/* A partition past the last ordinal leaves every pod as it is. */
	assert_int_equal(
	    check(STS("{\"replicas\":3,\"updateStrategy\":{\"type\":\"RollingUpdate\","
	              "\"rollingUpdate\":{\"partition\":5}}}",
	              "{\"observedGeneration\":2,\"readyReplicas\":3,\"updatedReplicas\":0}"),
	          false, "0 of 0 pods updated, ordinals 5 and up (partition 5)"),
	    READINESS_READY);
	/* OnDelete: ready once the spec is seen, saying what is left on the
	 * old revision. */
	assert_int_equal(check(STS("{\"replicas\":2,\"updateStrategy\":{\"type\":\"OnDelete\"}}",
	                           "{\"observedGeneration\":2,\"readyReplicas\":2}"),
	                       false, ""),
	                 READINESS_READY);
	assert_int_equal(check(STS("{\"replicas\":3,\"updateStrategy\":{\"type\":\"OnDelete\"}}",
	                           "{\"observedGeneration\":2,\"readyReplicas\":1,"
	                           "\"updatedReplicas\":1,\"currentRevision\":\"a\","
	                           "\"updateRevision\":\"b\"}"),
	                       false, "2 of 3 pods on the old revision (OnDelete)"),
	                 READINESS_READY);
	assert_int_equal(
	    check(STS("{\"replicas\":2}", "{\"observedGeneration\":2,\"readyReplicas\":2,"
	                                  "\"currentRevision\":\"a\",\"updateRevision\":\"b\"}"),
	          false, "0 of 2 pods updated"),
	    READINESS_PROGRESSING);
}

static void test_ready__storage_by_phase(void **state)
{
	(void)state;
	assert_int_equal(check("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolume\","
	                       "\"status\":{\"phase\":\"Available\"}}",
	                       false, ""),
	                 READINESS_READY);
	assert_int_equal(check("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolume\","
	                       "\"status\":{\"phase\":\"Failed\"}}",
	                       false, "phase Failed"),
	                 READINESS_FAILED);
	assert_int_equal(check("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\","
	                       "\"status\":{\"phase\":\"Pending\"}}",
	                       false, "phase Pending"),
	                 READINESS_PROGRESSING);
	assert_int_equal(check("{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\","
	                       "\"status\":{\"phase\":\"Pending\"}}",
	                       true, ""),
	                 READINESS_READY);
	assert_int_equal(check("{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":"
	                       "\"CustomResourceDefinition\",\"status\":{\"conditions\":"
	                       "[{\"type\":\"Established\",\"status\":\"True\"}]}}",
	                       false, ""),
	                 READINESS_READY);
	assert_int_equal(check("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\"}", false, ""),
	                 READINESS_READY);
}

static void test_ready__conditions_say_progress_and_failure(void **state)
{
	(void)state;
	/* Deployment: past its deadline it fails, but not for an old spec. */
	assert_int_equal(
	    check("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{"
	          "\"generation\":3},\"spec\":{\"replicas\":2},\"status\":{"
	          "\"observedGeneration\":3,\"conditions\":[{\"type\":\"Progressing\","
	          "\"status\":\"False\",\"reason\":\"ProgressDeadlineExceeded\","
	          "\"message\":\"ReplicaSet \\\"web-1\\\" has timed out progressing.\"}]}}",
	          false,
	          "progress deadline exceeded: ProgressDeadlineExceeded (ReplicaSet \"web-1\" has "
	          "timed out progressing.)"),
	    READINESS_FAILED);
	assert_int_equal(check("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{"
	                       "\"generation\":4},\"spec\":{\"replicas\":2},\"status\":{"
	                       "\"observedGeneration\":3,\"conditions\":[{\"type\":\"Progressing\","
	                       "\"status\":\"False\",\"reason\":\"ProgressDeadlineExceeded\"}]}}",
	                       false, "its controller has not seen the new spec yet"),
	                 READINESS_PROGRESSING);
	/* Job: complete, failed with its reason, or on its way. */
	assert_int_equal(check("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"status\":{"
	                       "\"conditions\":[{\"type\":\"Complete\",\"status\":\"True\"}]}}",
	                       false, ""),
	                 READINESS_READY);
	assert_int_equal(check("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"status\":{"
	                       "\"failed\":7,\"conditions\":[{\"type\":\"Failed\",\"status\":"
	                       "\"True\",\"reason\":\"BackoffLimitExceeded\",\"message\":"
	                       "\"Job has reached the specified backoff limit\"}]}}",
	                       false,
	                       "failed: BackoffLimitExceeded (Job has reached the specified "
	                       "backoff limit)"),
	                 READINESS_FAILED);
	assert_int_equal(check("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"spec\":{"
	                       "\"completions\":3},\"status\":{\"succeeded\":1,\"active\":1}}",
	                       false, "1 of 3 completions, 1 active, 0 failed"),
	                 READINESS_PROGRESSING);
	/* CRD names another CRD holds. */
	assert_int_equal(check("{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":"
	                       "\"CustomResourceDefinition\",\"status\":{\"conditions\":[{\"type\":"
	                       "\"NamesAccepted\",\"status\":\"False\",\"reason\":"
	                       "\"ListKindConflict\",\"message\":\"taken\"}]}}",
	                       false, "names not accepted: ListKindConflict (taken)"),
	                 READINESS_FAILED);
	/* A LoadBalancer waits for its address; other Services do not. */
	assert_int_equal(check("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"spec\":{\"type\":"
	                       "\"LoadBalancer\"},\"status\":{\"loadBalancer\":{}}}",
	                       false, "waiting for the load balancer's ingress"),
	                 READINESS_PROGRESSING);
	assert_int_equal(check("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"spec\":{\"type\":"
	                       "\"LoadBalancer\"},\"status\":{\"loadBalancer\":{\"ingress\":[{"
	                       "\"ip\":\"192.0.2.1\"}]}}}",
	                       false, ""),
	                 READINESS_READY);
	assert_int_equal(
	    check("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"spec\":{}}", false, ""),
	    READINESS_READY);
	/* kstatus custom resources; a built-in kind's conditions are not read. */
	assert_int_equal(check("{\"apiVersion\":\"db.example.com/v1\",\"kind\":\"Cluster\","
	                       "\"metadata\":{\"generation\":2},\"status\":{"
	                       "\"observedGeneration\":1}}",
	                       false, "its controller has not seen the new spec yet"),
	                 READINESS_PROGRESSING);
	assert_int_equal(check("{\"apiVersion\":\"db.example.com/v1\",\"kind\":\"Cluster\","
	                       "\"metadata\":{\"generation\":2},\"status\":{"
	                       "\"observedGeneration\":2,\"conditions\":[{\"type\":\"Ready\","
	                       "\"status\":\"False\",\"reason\":\"Provisioning\"}]}}",
	                       false, "not Ready: Provisioning"),
	                 READINESS_PROGRESSING);
	assert_int_equal(check("{\"apiVersion\":\"db.example.com/v1\",\"kind\":\"Cluster\","
	                       "\"status\":{\"conditions\":[{\"type\":\"Stalled\",\"status\":"
	                       "\"True\",\"message\":\"bad spec\"}]}}",
	                       false, "stalled: bad spec"),
	                 READINESS_FAILED);
	assert_int_equal(check("{\"apiVersion\":\"db.example.com/v1\",\"kind\":\"Cluster\","
	                       "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":"
	                       "\"True\"}]}}",
	                       false, ""),
	                 READINESS_READY);
	assert_int_equal(
	    check("{\"apiVersion\":\"autoscaling/v2\",\"kind\":\"HorizontalPodAutoscaler\","
	          "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":"
	          "\"False\"}]}}",
	          false, ""),
	    READINESS_READY);
	assert_string_equal(readiness_name(READINESS_DEGRADED), "Degraded");
}

/* The health of the pod in `json`, and why it is not ready. */
static enum readiness pod(const char *json, const char *want_why)
{
	struct json_object *obj = json_value_parse(json, strlen(json));
	struct buf why = BUF_INIT;
	enum readiness r;

	assert_non_null(obj);
	r = ready_pod(&why, obj);
	assert_string_equal(why.ptr, want_why);
	buf_release(&why);
	json_object_put(obj);
	return r;
}

#define POD(status) "{\"metadata\":{\"name\":\"web-2\"},\"status\":" status "}"
#define NOT_READY   "{\"type\":\"Ready\",\"status\":\"False\"}"

static void test_ready__pod_says_why_it_is_not_ready(void **state)
{
	(void)state;
	assert_int_equal(
	    pod(POD("{\"phase\":\"Running\",\"conditions\":[" NOT_READY "],"
	            "\"containerStatuses\":[{\"name\":\"app\",\"ready\":false,"
	            "\"restartCount\":5,\"state\":{\"waiting\":{\"reason\":"
	            "\"CrashLoopBackOff\",\"message\":\"back-off 2m40s\"}},\"lastState\":{"
	            "\"terminated\":{\"exitCode\":1,\"reason\":\"Error\"}}}]}"),
	        "CrashLoopBackOff (restarted 5 times, last exit 1: Error)"),
	    READINESS_DEGRADED);
	assert_int_equal(
	    pod(POD("{\"phase\":\"Pending\",\"containerStatuses\":[{\"name\":\"app\","
	            "\"ready\":false,\"state\":{\"waiting\":{\"reason\":\"ImagePullBackOff\","
	            "\"message\":\"Back-off pulling image \\\"nope:1\\\"\"}}}]}"),
	        "ImagePullBackOff: Back-off pulling image \"nope:1\""),
	    READINESS_FAILED);
	assert_int_equal(
	    pod(POD("{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"PodScheduled\","
	            "\"status\":\"False\",\"reason\":\"Unschedulable\",\"message\":"
	            "\"0/3 nodes are available: 3 Insufficient memory.\"}]}"),
	        "Pending: unschedulable: 0/3 nodes are available: 3 Insufficient memory."),
	    READINESS_DEGRADED);
	assert_int_equal(pod(POD("{\"phase\":\"Pending\"}"), "Pending"), READINESS_PROGRESSING);
	assert_int_equal(
	    pod(POD("{\"phase\":\"Pending\",\"initContainerStatuses\":[{\"name\":\"init\","
	            "\"ready\":false,\"restartCount\":2,\"state\":{\"waiting\":{\"reason\":"
	            "\"CrashLoopBackOff\"}},\"lastState\":{\"terminated\":{\"exitCode\":2}}}]}"),
	        "Init:CrashLoopBackOff (restarted 2 times, last exit 2)"),
	    READINESS_DEGRADED);
	assert_int_equal(
	    pod(POD("{\"phase\":\"Pending\",\"initContainerStatuses\":[{\"name\":\"init\","
	            "\"ready\":false,\"state\":{\"terminated\":{\"exitCode\":3,\"reason\":"
	            "\"Error\"}}}]}"),
	        "Init:Error (container init, exit 3)"),
	    READINESS_DEGRADED);
	assert_int_equal(
	    pod(POD("{\"phase\":\"Running\",\"conditions\":[" NOT_READY "],"
	            "\"containerStatuses\":[{\"name\":\"db\",\"ready\":false,\"state\":{"
	            "\"running\":{}}}]}"),
	        "container db not ready (its readiness probe fails)"),
	    READINESS_PROGRESSING);
	assert_int_equal(
	    pod(POD("{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":"
	            "\"True\"}]}"),
	        ""),
	    READINESS_READY);
}

static struct json_object *parsed(const char *json)
{
	struct json_object *obj = json_value_parse(json, strlen(json));

	assert_non_null(obj);
	return obj;
}

static void test_ready__never_ready_is_told_by_the_ready_condition(void **state)
{
	struct json_object *never = parsed(
	    POD("{\"startTime\":\"2026-01-01T10:00:00Z\",\"conditions\":[{\"type\":\"Ready\","
	        "\"status\":\"False\",\"lastTransitionTime\":\"2026-01-01T10:00:01Z\"}]}"));
	struct json_object *once = parsed(
	    POD("{\"startTime\":\"2026-01-01T10:00:00Z\",\"conditions\":[{\"type\":\"Ready\","
	        "\"status\":\"False\",\"lastTransitionTime\":\"2026-01-01T10:05:00Z\"}]}"));
	struct json_object *ready = parsed(
	    POD("{\"startTime\":\"2026-01-01T10:00:00Z\",\"conditions\":[{\"type\":\"Ready\","
	        "\"status\":\"True\",\"lastTransitionTime\":\"2026-01-01T10:00:00Z\"}]}"));

	(void)state;
	assert_true(ready_pod_never_ready(never));
	assert_false(ready_pod_never_ready(once));
	assert_false(ready_pod_never_ready(ready));
	json_object_put(never);
	json_object_put(once);
	json_object_put(ready);
}

static void test_ready__phases_put_storage_before_workloads(void **state)
{
	(void)state;
	assert_true(phase_of("", "Namespace") <
	            phase_of("apiextensions.k8s.io", "CustomResourceDefinition"));
	assert_true(phase_of("storage.k8s.io", "StorageClass") < phase_of("", "PersistentVolume"));
	assert_true(phase_of("", "PersistentVolume") < phase_of("", "PersistentVolumeClaim"));
	assert_true(phase_of("", "PersistentVolumeClaim") < phase_of("", "ConfigMap"));
	assert_true(phase_of("", "Secret") < phase_of("", "Service"));
	assert_true(phase_of("", "Service") < phase_of("apps", "StatefulSet"));
	assert_int_equal(phase_of("networking.k8s.io", "Ingress"), PHASE_OTHER);
	assert_int_equal(phase_of("berth.dev", "Widget"), PHASE_UNKNOWN);
}

/* Why a claim is Pending, in `json`, with its class `cls`. */
static void pending(const char *json, const struct claim_class *cls, const char *want)
{
	struct json_object *claim = json_value_parse(json, strlen(json));
	struct buf why = BUF_INIT;

	assert_non_null(claim);
	ready_claim_pending(&why, claim, cls);
	assert_string_equal(why.ptr, want);
	buf_release(&why);
	json_object_put(claim);
}

#define CLAIM(spec, phase) "{\"spec\":" spec ",\"status\":{\"phase\":\"" phase "\"}}"

static void test_ready__claim_says_what_it_waits_for(void **state)
{
	struct claim_class dynamic = {.provisioner = "rancher.io/local-path"};
	struct claim_class local = {.provisioner = "kubernetes.io/no-provisioner"};
	struct claim_class wffc = {.provisioner = "x", .binds_on_first_consumer = true};
	struct claim_class missing = {0};

	(void)state;
	pending(CLAIM("{\"storageClassName\":\"fast\"}", "Pending"), &dynamic,
	        "waiting for provisioner 'rancher.io/local-path' to make a volume of class 'fast'");
	pending(CLAIM("{\"storageClassName\":\"local\"}", "Pending"), &local,
	        "no PersistentVolume of class 'local' is available");
	pending(CLAIM("{\"storageClassName\":\"gone\"}", "Pending"), &missing,
	        "StorageClass 'gone' does not exist");
	pending(CLAIM("{\"storageClassName\":\"\"}", "Pending"), NULL,
	        "no PersistentVolume without a class is available");
	pending(CLAIM("{\"storageClassName\":\"fast\",\"volumeName\":\"pv0\"}", "Pending"),
	        &dynamic, "waiting to bind PersistentVolume 'pv0'");
	/* Its pod waits, not the claim; and a Bound claim waits for nothing. */
	pending(CLAIM("{\"storageClassName\":\"slow\"}", "Pending"), &wffc, "");
	pending(CLAIM("{\"storageClassName\":\"fast\"}", "Bound"), &dynamic, "");
	/* No status yet is Pending. */
	pending("{\"spec\":{\"storageClassName\":\"fast\"}}", &missing,
	        "StorageClass 'fast' does not exist");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ready__statefulset_follows_rollout_status),
	    cmocka_unit_test(test_ready__storage_by_phase),
	    cmocka_unit_test(test_ready__conditions_say_progress_and_failure),
	    cmocka_unit_test(test_ready__pod_says_why_it_is_not_ready),
	    cmocka_unit_test(test_ready__never_ready_is_told_by_the_ready_condition),
	    cmocka_unit_test(test_ready__phases_put_storage_before_workloads),
	    cmocka_unit_test(test_ready__claim_says_what_it_waits_for),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
