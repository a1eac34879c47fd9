#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/drift.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/json_value.h"
#include "../../diff/merge.h"

#include <stdbool.h>
#include <string.h>

static struct json_object *J(const char *text)
{
	struct json_object *v;

	if (!text)
		return NULL;
	v = json_value_parse(text, strlen(text));
	if (!v)
		fail_msg("bad test JSON: %s", text);
	return v;
}

/* merge3_patch(original, modified, current) must write `want` (as json_value_write). */
static void expect_patch(const char *group, const char *kind, const char *original,
                         const char *modified, const char *current, const char *want)
{
	struct json_object *o = J(original), *m = J(modified), *c = J(current), *patch = NULL;
	struct buf out = BUF_INIT;

	assert_int_equal(merge3_patch(&patch, o, m, c, schema_for_kind(group, kind)), 0);
	assert_int_equal(json_value_write(&out, patch), 0);
	if (strcmp(out.ptr, want))
		fail_msg("patch %s\n want %s", out.ptr, want);
	buf_release(&out);
	json_object_put(patch);
	json_object_put(o);
	json_object_put(m);
	json_object_put(c);
}

static void test_merge__removes_field_dropped_from_manifest(void **state)
{
	(void)state;
	expect_patch("", "ConfigMap", "{\"data\":{\"a\":\"1\",\"b\":\"2\"}}",
	             "{\"data\":{\"a\":\"1\"}}", "{\"data\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}}",
	             "{\"data\":{\"b\":null}}");
}

static void test_merge__never_touches_fields_it_never_applied(void **state)
{
	(void)state;
	expect_patch(
	    "", "Service", "{\"spec\":{\"ports\":[{\"port\":80}]}}",
	    "{\"spec\":{\"ports\":[{\"port\":80}]}}",
	    "{\"spec\":{\"type\":\"ClusterIP\",\"ports\":[{\"port\":80,\"protocol\":\"TCP\","
	    "\"targetPort\":80}]}}",
	    "{}");
}

static void test_merge__deletes_a_dropped_merge_list_element(void **state)
{
	(void)state;
	expect_patch("", "Service", "{\"spec\":{\"ports\":[{\"port\":80},{\"port\":443}]}}",
	             "{\"spec\":{\"ports\":[{\"port\":80}]}}",
	             "{\"spec\":{\"ports\":[{\"port\":80,\"protocol\":\"TCP\"},{\"port\":443,"
	             "\"protocol\":\"TCP\"}]}}",
	             "{\"spec\":{\"$setElementOrder/ports\":[{\"port\":80}],\"ports\":[{\"$patch\":"
	             "\"delete\",\"port\":443}]}}");
}

static void test_merge__sets_element_order_when_reordered(void **state)
{
	(void)state;
	expect_patch(
	    "", "Pod", NULL, "{\"spec\":{\"containers\":[{\"name\":\"b\"},{\"name\":\"a\"}]}}",
	    "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}",
	    "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"b\"},{\"name\":\"a\"}]}}");
}

static void test_merge__deletes_from_a_primitive_merge_list(void **state)
{
	(void)state;
	expect_patch("", "ConfigMap", "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}",
	             "{\"metadata\":{\"finalizers\":[\"a\"]}}",
	             "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}",
	             "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"b\"],"
	             "\"$setElementOrder/finalizers\":[\"a\"]}}");
}

static void test_merge__retains_keys_of_a_switched_volume_source(void **state)
{
	(void)state;
	expect_patch(
	    "", "Pod", "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"configMap\":{\"name\":\"c\"}}]}}",
	    "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"secret\":{\"secretName\":\"s\"}}]}}",
	    "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"configMap\":{\"name\":\"c\","
	    "\"defaultMode\":420}}]}}",
	    "{\"spec\":{\"$setElementOrder/volumes\":[{\"name\":\"v\"}],\"volumes\":[{"
	    "\"$retainKeys\":[\"name\",\"secret\"],\"configMap\":null,\"name\":\"v\","
	    "\"secret\":{\"secretName\":\"s\"}}]}}");
}

static void test_merge__replaces_an_atomic_list_whole(void **state)
{
	(void)state;
	expect_patch(
	    "", "Pod", "{\"spec\":{\"containers\":[{\"name\":\"a\",\"args\":[\"x\"]}]}}",
	    "{\"spec\":{\"containers\":[{\"name\":\"a\",\"args\":[\"y\",\"x\"]}]}}",
	    "{\"spec\":{\"containers\":[{\"name\":\"a\",\"args\":[\"x\"]}]}}",
	    "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"a\"}],\"containers\":[{"
	    "\"args\":[\"y\",\"x\"],\"name\":\"a\"}]}}");
}

static void test_merge__compares_quantities_by_value(void **state)
{
	(void)state;
	expect_patch("", "Pod", NULL,
	             "{\"spec\":{\"containers\":[{\"name\":\"a\",\"resources\":{\"limits\":{"
	             "\"memory\":\"1024Mi\",\"cpu\":\"0.5\"}}}]}}",
	             "{\"spec\":{\"containers\":[{\"name\":\"a\",\"resources\":{\"limits\":{"
	             "\"memory\":\"1Gi\",\"cpu\":\"500m\"}}}]}}",
	             "{}");
}

static void test_merge__ignores_volume_claim_template_defaults(void **state)
{
	(void)state;
	expect_patch(
	    "apps", "StatefulSet", NULL,
	    "{\"spec\":{\"volumeClaimTemplates\":[{\"metadata\":{\"name\":\"d\"},\"spec\":{"
	    "\"resources\":{\"requests\":{\"storage\":\"1Gi\"}}}}]}}",
	    "{\"spec\":{\"volumeClaimTemplates\":[{\"apiVersion\":\"v1\",\"kind\":"
	    "\"PersistentVolumeClaim\",\"metadata\":{\"name\":\"d\",\"creationTimestamp\":"
	    "null},\"spec\":{\"volumeMode\":\"Filesystem\",\"resources\":{\"requests\":{"
	    "\"storage\":\"1Gi\"}}},\"status\":{\"phase\":\"Pending\"}}]}}",
	    "{}");
}

static void test_merge__treats_an_empty_map_as_absent_only_for_go_maps(void **state)
{
	(void)state;
	/* labels: {} is omitted by the server; emptyDir: {} is kept. */
	expect_patch("", "Pod", NULL,
	             "{\"metadata\":{\"name\":\"p\",\"labels\":{}},\"spec\":{\"volumes\":[{"
	             "\"name\":\"v\",\"emptyDir\":{}}]}}",
	             "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"volumes\":[{\"name\":\"v\"}]}}",
	             "{\"spec\":{\"$setElementOrder/volumes\":[{\"name\":\"v\"}],\"volumes\":[{"
	             "\"$retainKeys\":[\"emptyDir\",\"name\"],\"emptyDir\":{},\"name\":\"v\"}]}}");
}

static void test_merge__uses_a_json_merge_patch_for_unknown_kinds(void **state)
{
	(void)state;
	expect_patch("example.com", "Widget", "{\"spec\":{\"a\":1,\"b\":[1,2]}}",
	             "{\"spec\":{\"b\":[2]}}", "{\"spec\":{\"a\":1,\"b\":[1,2],\"c\":3}}",
	             "{\"spec\":{\"a\":null,\"b\":[2]}}");
}

static void test_merge__refuses_a_merge_key_that_is_not_a_scalar(void **state)
{
	struct json_object *m = J("{\"spec\":{\"containers\":[{\"name\":{}}]}}");
	struct json_object *c = J("{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}"), *patch = NULL;

	(void)state;
	assert_true(merge3_patch(&patch, NULL, m, c, schema_for_kind("", "Pod")) < 0);
	assert_null(patch);
	assert_non_null(strstr(berth_error_last(), "merged by 'name' has an element without it"));
	json_object_put(m);
	json_object_put(c);
}

static void test_merge__apply_predicts_the_server_result(void **state)
{
	struct json_object *obj =
	    J("{\"spec\":{\"ports\":[{\"port\":80,\"protocol\":\"TCP\"},"
	      "{\"port\":443,\"protocol\":\"TCP\"}],\"type\":\"ClusterIP\"}}");
	struct json_object *patch = J("{\"spec\":{\"$setElementOrder/ports\":[{\"port\":8080},{"
	                              "\"port\":80}],\"ports\":[{\"port\":8080},{\"$patch\":"
	                              "\"delete\",\"port\":443}]}}");
	struct json_object *out = NULL;
	struct buf text = BUF_INIT;

	(void)state;
	assert_int_equal(merge_apply(&out, obj, patch, schema_for_kind("", "Service")), 0);
	json_value_write(&text, out);
	assert_string_equal(text.ptr, "{\"spec\":{\"ports\":[{\"port\":8080},{\"port\":80,"
	                              "\"protocol\":\"TCP\"}],\"type\":\"ClusterIP\"}}");
	buf_release(&text);
	json_object_put(out);
	json_object_put(obj);
	json_object_put(patch);
}

static void test_merge__annotation_is_what_kubectl_writes(void **state)
{
	struct json_object *desired =
	    J("{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":"
	      "{\"name\":\"x\",\"annotations\":{\"a\":\"<&>\"}},\"data\":{"
	      "\"n\":\"1\"}}");
	struct json_object *modified = NULL;
	const char *text;

	(void)state;
	assert_int_equal(drift_modified(&modified, desired), 0);
	text = json_value_get_string(
	    json_value_get(json_value_get(modified, "metadata"), "annotations"),
	    LAST_APPLIED_ANNOTATION);
	assert_string_equal(text, "{\"apiVersion\":\"v1\",\"data\":{\"n\":\"1\"},\"kind\":"
	                          "\"ConfigMap\",\"metadata\":{\"annotations\":{\"a\":"
	                          "\"\\u003c\\u0026\\u003e\"},\"name\":\"x\"}}\n");
	json_object_put(modified);
	json_object_put(desired);
}

/* merge_unchanged() says "no patch" only where merge3_patch() writes `{}`,
 * with `modified` as the original too. */
static void expect_unchanged(const char *group, const char *kind, const char *modified,
                             const char *current, bool unchanged, const char *patch)
{
	struct json_object *m = J(modified), *c = J(current);

	assert_int_equal(merge_unchanged(c, m, schema_for_kind(group, kind)), unchanged);
	json_object_put(m);
	json_object_put(c);
	expect_patch(group, kind, modified, modified, current, patch);
}

static void test_merge__unchanged_only_when_the_patch_is_empty(void **state)
{
	(void)state;
	/* Live holds more: the server's fields, a key Git never set. */
	expect_unchanged("", "ConfigMap", "{\"metadata\":{\"name\":\"x\"},\"data\":{\"a\":\"1\"}}",
	                 "{\"metadata\":{\"name\":\"x\",\"uid\":\"u\"},\"data\":{\"a\":\"1\","
	                 "\"b\":\"2\"}}",
	                 true, "{}");
	expect_unchanged("example.com", "Widget", "{\"spec\":{\"n\":1,\"l\":[1,2]}}",
	                 "{\"spec\":{\"n\":1,\"l\":[1,2],\"m\":3},\"status\":{}}", true, "{}");
	expect_unchanged("", "ConfigMap", "{\"data\":{\"a\":\"1\"}}", "{\"data\":{\"a\":\"2\"}}",
	                 false, "{\"data\":{\"a\":\"1\"}}");
	expect_unchanged("", "ConfigMap", "{\"data\":{\"a\":\"1\"}}", "{\"data\":{}}", false,
	                 "{\"data\":{\"a\":\"1\"}}");
	/* A retainKeys field with a key live alone holds: the directive. */
	expect_unchanged("apps", "Deployment", "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}",
	                 "{\"spec\":{\"strategy\":{\"type\":\"Recreate\",\"rollingUpdate\":{}}}}",
	                 false, "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"]}}}");
	/* Lists are compared whole: defaults inside an element leave it to
	 * the patch, which finds nothing. */
	expect_unchanged("", "Pod",
	                 "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"i\"}]}}",
	                 "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"i\","
	                 "\"terminationMessagePath\":\"/dev/termination-log\"}]}}",
	                 false, "{}");
}

static void test_merge__drift_is_the_patch_less_the_annotation(void **state)
{
	struct json_object *desired =
	    J("{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":"
	      "{\"name\":\"x\"},\"data\":{\"n\":\"1\"}}");
	struct json_object *live = J("{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{"
	                             "\"name\":\"x\",\"uid\":\"u\"},\"data\":{\"n\":\"2\"}}");
	struct drift d;

	(void)state;
	assert_int_equal(drift_compute(&d, desired, live), 0);
	assert_int_equal(d.state, DRIFT_DRIFTED);
	assert_int_equal(json_object_array_length(d.paths), 1);
	assert_string_equal(json_value_get_string(json_object_array_get_idx(d.paths, 0), "path"),
	                    "data.n");
	drift_release(&d);
	/* Live already holds it; only the annotation would change. */
	json_object_object_add(json_value_get(live, "data"), "n", json_object_new_string("1"));
	assert_int_equal(drift_compute(&d, desired, live), 0);
	assert_int_equal(d.state, DRIFT_IN_SYNC);
	drift_release(&d);
	assert_int_equal(drift_compute(&d, desired, NULL), 0);
	assert_int_equal(d.state, DRIFT_MISSING);
	drift_release(&d);
	json_object_put(desired);
	json_object_put(live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_merge__removes_field_dropped_from_manifest),
	    cmocka_unit_test(test_merge__never_touches_fields_it_never_applied),
	    cmocka_unit_test(test_merge__deletes_a_dropped_merge_list_element),
	    cmocka_unit_test(test_merge__sets_element_order_when_reordered),
	    cmocka_unit_test(test_merge__deletes_from_a_primitive_merge_list),
	    cmocka_unit_test(test_merge__retains_keys_of_a_switched_volume_source),
	    cmocka_unit_test(test_merge__replaces_an_atomic_list_whole),
	    cmocka_unit_test(test_merge__compares_quantities_by_value),
	    cmocka_unit_test(test_merge__ignores_volume_claim_template_defaults),
	    cmocka_unit_test(test_merge__treats_an_empty_map_as_absent_only_for_go_maps),
	    cmocka_unit_test(test_merge__uses_a_json_merge_patch_for_unknown_kinds),
	    cmocka_unit_test(test_merge__refuses_a_merge_key_that_is_not_a_scalar),
	    cmocka_unit_test(test_merge__apply_predicts_the_server_result),
	    cmocka_unit_test(test_merge__annotation_is_what_kubectl_writes),
	    cmocka_unit_test(test_merge__unchanged_only_when_the_patch_is_empty),
	    cmocka_unit_test(test_merge__drift_is_the_patch_less_the_annotation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
