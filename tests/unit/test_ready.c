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
	                 READINESS_WAITING);
	assert_int_equal(
	    check(STS("{\"replicas\":3}", "{\"observedGeneration\":2,\"readyReplicas\":1}"), false,
	          "1 of 3 pods ready"),
	    READINESS_WAITING);
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
	    READINESS_WAITING);
	assert_int_equal(
	    check(STS("{\"replicas\":3,\"updateStrategy\":{\"type\":\"RollingUpdate\","
	              "\"rollingUpdate\":{\"partition\":0}}}",
	              "{\"observedGeneration\":2,\"readyReplicas\":3,\"updatedReplicas\":1}"),
	          false, "1 of 3 pods updated"),
	    READINESS_WAITING);
	/* A partition past the last ordinal leaves every pod as it is. */
	assert_int_equal(
	    check(STS("{\"replicas\":3,\"updateStrategy\":{\"type\":\"RollingUpdate\","
	              "\"rollingUpdate\":{\"partition\":5}}}",
	              "{\"observedGeneration\":2,\"readyReplicas\":3,\"updatedReplicas\":0}"),
	          false, "0 of 0 pods updated, ordinals 5 and up (partition 5)"),
	    READINESS_READY);
	/* OnDelete: ready pods are all there is to wait for. */
	assert_int_equal(check(STS("{\"replicas\":2,\"updateStrategy\":{\"type\":\"OnDelete\"}}",
	                           "{\"observedGeneration\":2,\"readyReplicas\":2}"),
	                       false, ""),
	                 READINESS_READY);
	assert_int_equal(
	    check(STS("{\"replicas\":2}", "{\"observedGeneration\":2,\"readyReplicas\":2,"
	                                  "\"currentRevision\":\"a\",\"updateRevision\":\"b\"}"),
	          false, "0 of 2 pods updated"),
	    READINESS_WAITING);
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
	                 READINESS_WAITING);
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
	    cmocka_unit_test(test_ready__phases_put_storage_before_workloads),
	    cmocka_unit_test(test_ready__claim_says_what_it_waits_for),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
