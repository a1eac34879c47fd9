#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/kustomize_nameref.h"

#include "../../diff/base/berth_error.h"
#include "../../diff/base/json_value.h"
#include "../../diff/yaml_doc.h"

#include <string.h>

static struct kustomize_resource *add(struct kustomize_resources *rs, const char *yaml)
{
	struct json_object *docs = NULL, *o;

	assert_int_equal(yaml_parse(&docs, "t", yaml, strlen(yaml), NULL, NULL), 0);
	o = json_object_get(json_object_array_get_idx(docs, 0));
	json_object_put(docs);
	return kustomize_resources_add(rs, o, "t.yaml", 1, 1);
}

static void test_kustomize_nameref__references_follow_renames(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct json_object *spec;

	(void)state;
	kustomize_resource_rename(
	    add(&rs, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: conf, namespace: b}\n"),
	    "p-conf-abc", NULL);
	kustomize_resource_rename(
	    add(&rs, "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa, namespace: a}\n"),
	    "p-sa", "b");
	add(&rs, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: "
	         "b}\nspec:\n  template:\n"
	         "    spec:\n      serviceAccountName: sa\n      volumes:\n"
	         "      - {name: v, configMap: {name: conf}}\n      - {name: w, configMap: {name: "
	         "other}}\n");
	add(&rs, "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: "
	         "{name: b}\nsubjects:\n- {kind: ServiceAccount, name: sa, namespace: a}\n");
	assert_int_equal(kustomize_name_references(&rs), 0);
	spec = json_value_get(json_value_get(json_value_get(rs.items[2].obj, "spec"), "template"),
	                      "spec");
	assert_string_equal(json_value_get_string(spec, "serviceAccountName"), "p-sa");
	assert_string_equal(
	    json_value_get_string(
	        json_value_get(json_object_array_get_idx(json_value_get(spec, "volumes"), 0),
	                       "configMap"),
	        "name"),
	    "p-conf-abc");
	assert_string_equal(
	    json_value_get_string(
	        json_value_get(json_object_array_get_idx(json_value_get(spec, "volumes"), 1),
	                       "configMap"),
	        "name"),
	    "other");
	spec = json_object_array_get_idx(json_value_get(rs.items[3].obj, "subjects"), 0);
	assert_string_equal(json_value_get_string(spec, "name"), "p-sa");
	assert_string_equal(json_value_get_string(spec, "namespace"), "b");
	kustomize_resources_release(&rs);
}

static void test_kustomize_nameref__ambiguous_reference_fails(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;

	(void)state;
	kustomize_resource_rename(add(&rs, "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"),
	                          "a-s", NULL);
	kustomize_resource_rename(add(&rs, "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"),
	                          "b-s", NULL);
	add(&rs,
	    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  imagePullSecrets: [{name: "
	    "s}]\n");
	assert_int_equal(kustomize_name_references(&rs), -1);
	assert_non_null(strstr(berth_error_last(), "could be Secret 'a-s' or 'b-s'"));
	kustomize_resources_release(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kustomize_nameref__references_follow_renames),
	    cmocka_unit_test(test_kustomize_nameref__ambiguous_reference_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
