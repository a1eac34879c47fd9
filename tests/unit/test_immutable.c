/* The fields the API server never changes once set, by kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/base/json_value.h"
#include "../../diff/immutable.h"

#include <string.h>

struct case_ {
	const char *group, *kind, *path;
	bool fixed;
};

static void expect_cases(const struct case_ *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct object_id id = {.group = (char *)cases[i].group,
		                       .version = (char *)"v1",
		                       .kind = (char *)cases[i].kind};

		if (immutable_field(&id, cases[i].path) != cases[i].fixed)
			fail_msg("%s %s: %s should %sbe immutable", cases[i].group, cases[i].kind,
			         cases[i].path, cases[i].fixed ? "" : "not ");
	}
}

/* Each row: is this field of this kind immutable? */
static void test_immutable__fields_by_kind(void **state)
{
	static const struct case_ cases[] = {
	    /* A StatefulSet's spec is fixed, but for what rolls out and scales. */
	    {"apps", "StatefulSet", "spec.serviceName", true},
	    {"apps", "StatefulSet", "spec.selector.matchLabels.app", true},
	    {"apps", "StatefulSet", "spec.volumeClaimTemplates[0].spec", true},
	    {"apps", "StatefulSet", "spec.podManagementPolicy", true},
	    {"apps", "StatefulSet", "spec.replicas", false},
	    {"apps", "StatefulSet", "spec.template.spec.containers[0].image", false},
	    {"apps", "StatefulSet", "spec.updateStrategy.type", false},
	    {"apps", "StatefulSet", "spec.minReadySeconds", false},
	    {"apps", "StatefulSet", "spec.persistentVolumeClaimRetentionPolicy", false},
	    {"apps", "StatefulSet", "spec.ordinals.start", false},
	    {"apps", "StatefulSet", "spec.revisionHistoryLimit", false},
	    {"apps", "StatefulSet", "metadata.labels.app", false},
	    /* Another group's StatefulSet is not the one the server knows. */
	    {"example.com", "StatefulSet", "spec.serviceName", false},
	    /* A prefix ends at a field. */
	    {"", "Service", "spec.clusterIP", true},
	    /* clusterIPs is its own field, not clusterIP's child. */
	    {"", "Service", "spec.clusterIPs", false},
	    {"", "Service", "spec.ports[0].port", false},
	    {"storage.k8s.io", "StorageClass", "parameters.type", true},
	    {"storage.k8s.io", "StorageClass", "provisioner", true},
	    {"storage.k8s.io", "StorageClass", "provisionerName", false},
	    {"storage.k8s.io", "StorageClass", "allowVolumeExpansion", false},
	    /* spec.replicasX is no replicas: an exception ends at a field too. */
	    {"apps", "StatefulSet", "spec.replicasX", true},
	    /* A claim's spec is fixed, but for its storage request. */
	    {"", "PersistentVolumeClaim", "spec.storageClassName", true},
	    {"", "PersistentVolumeClaim", "spec.accessModes", true},
	    {"", "PersistentVolumeClaim", "spec.resources.requests.storage", false},
	    {"", "ConfigMap", "data.key", false},
	    {"", "Pod", "spec.containers[0].image", false},
	};

	(void)state;
	expect_cases(cases, sizeof(cases) / sizeof(*cases));
}

static bool removes(const char *patch, const char *path)
{
	struct json_object *p = json_value_parse(patch, strlen(patch));
	bool r;

	assert_non_null(p);
	r = immutable_patch_removes(p, path);
	json_object_put(p);
	return r;
}

static void test_immutable__only_a_null_removes(void **state)
{
	(void)state;
	assert_true(removes("{\"spec\":{\"clusterIP\":null}}", "spec.clusterIP"));
	assert_false(removes("{\"spec\":{\"clusterIP\":\"10.0.0.1\"}}", "spec.clusterIP"));
	/* Left out is a default the prediction lacks, not a change. */
	assert_false(removes("{\"spec\":{}}", "spec.clusterIP"));
	assert_false(removes("{}", "spec.clusterIP"));
	assert_true(removes("{\"spec\":{\"selector\":{\"matchLabels\":null}}}",
	                    "spec.selector.matchLabels"));
	assert_true(removes("{\"data\":{\"tls.key\":null}}", "data[\"tls.key\"]"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_immutable__fields_by_kind),
	    cmocka_unit_test(test_immutable__only_a_null_removes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
