#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../apply/ssa.h"
#include "../../diff/base/json_value.h"

#include <string.h>

/* The takeover patch for the object in `json`, as compact JSON ("" when
 * there is none). */
static void takeover(const char *json, const char *want)
{
	struct json_object *live = json_value_parse(json, strlen(json)), *patch;

	assert_non_null(live);
	ssa_takeover_patch(&patch, live);
	assert_string_equal(
	    patch ? json_object_to_json_string_ext(patch, JSON_C_TO_STRING_PLAIN) : "", want);
	json_object_put(patch);
	json_object_put(live);
}

#define ENTRY(manager, operation, fields)                                                          \
	"{\"manager\":\"" manager "\",\"operation\":\"" operation "\",\"apiVersion\":\"v1\","      \
	"\"time\":\"2026-11-22T10:00:00Z\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":" fields "}"
#define LIVE(entries)                                                                              \
	"{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"42\","                                \
	"\"managedFields\":[" entries "]}}"
#define RV "{\"op\":\"replace\",\"path\":\"\\/metadata\\/resourceVersion\",\"value\":\"42\"}"

static void test_ssa__kubectl_fields_become_berths_apply(void **state)
{
	(void)state;
	takeover(
	    LIVE(ENTRY("kubectl-client-side-apply", "Update",
	               "{\"f:data\":{\".\":{},\"f:a\":{}}}") "," ENTRY("kube-controller-manager",
	                                                               "Update",
	                                                               "{\"f:status\":{}}")),
	    "[" RV ",{\"op\":\"replace\",\"path\":\"\\/metadata\\/managedFields\",\"value\":["
	    "{\"manager\":\"kube-controller-manager\",\"operation\":\"Update\","
	    "\"apiVersion\":\"v1\",\"time\":\"2026-11-22T10:00:00Z\",\"fieldsType\":"
	    "\"FieldsV1\",\"fieldsV1\":{\"f:status\":{}}},"
	    "{\"manager\":\"berth\",\"operation\":\"Apply\",\"apiVersion\":\"v1\","
	    "\"time\":\"2026-11-22T10:00:00Z\",\"fieldsType\":\"FieldsV1\","
	    "\"fieldsV1\":{\"f:data\":{\".\":{},\"f:a\":{}}}}]}]");
}

static void test_ssa__fields_merge_into_an_existing_apply_entry(void **state)
{
	(void)state;
	/* berth's own three-way patches (Update) and kubectl's join berth's
	 * Apply entry, nested sets merged key by key. */
	takeover(LIVE(ENTRY("berth", "Apply", "{\"f:data\":{\"f:a\":{}}}") "," ENTRY(
	             "berth", "Update",
	             "{\"f:data\":{\"f:b\":{}}}") "," ENTRY("kubectl-client-side-apply", "Update",
	                                                    "{\"f:data\":{\"f:a\":{},"
	                                                    "\"f:c\":{}},\"f:x\":{}}")),
	         "[" RV ",{\"op\":\"replace\",\"path\":\"\\/metadata\\/managedFields\",\"value\":["
	         "{\"manager\":\"berth\",\"operation\":\"Apply\",\"apiVersion\":\"v1\","
	         "\"time\":\"2026-11-22T10:00:00Z\",\"fieldsType\":\"FieldsV1\","
	         "\"fieldsV1\":{\"f:data\":{\"f:a\":{},\"f:b\":{},\"f:c\":{}},\"f:x\":{}}}]}]");
}

static void test_ssa__nothing_to_hand_over(void **state)
{
	(void)state;
	/* Already applied server-side; another tool's apply is not ours to take. */
	takeover(LIVE(ENTRY("berth", "Apply", "{\"f:data\":{}}") "," ENTRY(
	             "kubectl", "Apply", "{\"f:data\":{\"f:z\":{}}}")),
	         "");
	takeover(LIVE(ENTRY("kubectl-edit", "Update", "{\"f:data\":{}}")), "");
	takeover("{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"42\"}}", "");
	/* No resourceVersion: no patch that could overwrite a newer write. */
	takeover("{\"metadata\":{\"managedFields\":[" ENTRY("kubectl-client-side-apply", "Update",
	                                                    "{}") "]}}",
	         "");
}

static void fill(const char *json, const char *want)
{
	struct json_object *obj = json_value_parse(json, strlen(json));

	assert_non_null(obj);
	ssa_fill_keys(obj);
	assert_string_equal(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN), want);
	json_object_put(obj);
}

static void test_ssa__service_ports_get_their_protocol(void **state)
{
	(void)state;
	fill("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"spec\":{\"ports\":[{\"port\":53},"
	     "{\"port\":53,\"protocol\":\"UDP\"}]}}",
	     "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"spec\":{\"ports\":[{\"port\":53,"
	     "\"protocol\":\"TCP\"},{\"port\":53,\"protocol\":\"UDP\"}]}}");
	/* Other kinds are left alone. */
	fill("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{\"ports\":[{\"port\":53}]}}",
	     "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{\"ports\":[{\"port\":53}]}}");
}

#define LA      "kubectl.kubernetes.io/last-applied-configuration"
#define LA_PATH "\\/metadata\\/annotations\\/kubectl.kubernetes.io~1last-applied-configuration"

static void test_ssa__the_takeover_removes_the_last_applied_annotation(void **state)
{
	(void)state;
	/* Field ownership is the server's: client-side apply's annotation goes
	 * in the same patch, guarded by the resourceVersion. */
	takeover("{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"42\",\"annotations\":"
	         "{\"" LA "\":\"{}\",\"team\":\"db\"},\"managedFields\":[" ENTRY(
	             "kubectl-client-side-apply", "Update", "{\"f:data\":{\"f:a\":{}}}") "]}}",
	         "[" RV ",{\"op\":\"replace\",\"path\":\"\\/metadata\\/managedFields\",\"value\":["
	         "{\"manager\":\"berth\",\"operation\":\"Apply\",\"apiVersion\":\"v1\","
	         "\"time\":\"2026-11-22T10:00:00Z\",\"fieldsType\":\"FieldsV1\","
	         "\"fieldsV1\":{\"f:data\":{\"f:a\":{}}}}]},"
	         "{\"op\":\"remove\",\"path\":\"" LA_PATH "\"}]");
	/* An object berth applied server-side before, annotation and all:
	 * nothing to hand over, the annotation to remove. */
	takeover("{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"42\",\"annotations\":"
	         "{\"" LA
	         "\":\"{}\"},\"managedFields\":[" ENTRY("berth", "Apply", "{\"f:data\":{}}") "]}}",
	         "[" RV ",{\"op\":\"remove\",\"path\":\"" LA_PATH "\"}]");
}

/* What berth applied to the object in `json`, as compact JSON ("" when
 * nothing). */
static void applied(const char *json, const char *want)
{
	struct json_object *live = json_value_parse(json, strlen(json)), *out;

	assert_non_null(live);
	ssa_applied(&out, live);
	assert_string_equal(out ? json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN) : "",
	                    want);
	json_object_put(out);
	json_object_put(live);
}

#define OBJECT(entries, rest)                                                                      \
	"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\","              \
	"\"labels\":{\"x\":\"1\",\"y\":\"2\"},\"managedFields\":[" entries "]}" rest "}"

static void test_ssa__what_berth_applied_is_what_it_owns(void **state)
{
	(void)state;
	/* Fields, nested: what another manager owns is not berth's. */
	applied(
	    OBJECT(ENTRY("berth", "Apply",
	                 "{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:x\":{}}},"
	                 "\"f:data\":{\".\":{},\"f:a\":{}}}") "," ENTRY("kubectl-edit", "Update",
	                                                                "{\"f:data\":{\"f:b\":{}"
	                                                                "}}"),
	           ",\"data\":{\"a\":\"1\",\"b\":\"2\"}"),
	    "{\"metadata\":{\"labels\":{\"x\":\"1\"}},\"data\":{\"a\":\"1\"}}");
	/* List items by their keys, with the keys; set members by value; in
	 * the order live has them. */
	applied(
	    OBJECT(
	        ENTRY("berth", "Apply",
	              "{\"f:spec\":{\"f:containers\":{"
	              "\"k:{\\\"name\\\":\\\"web\\\"}\":{\".\":{},\"f:image\":{},\"f:name\":{},"
	              "\"f:ports\":{\"k:{\\\"containerPort\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":"
	              "{\".\":{},\"f:containerPort\":{}}}},"
	              "\"k:{\\\"name\\\":\\\"log\\\"}\":{\".\":{},\"f:name\":{}}},"
	              "\"f:finalizers\":{\"v:\\\"b\\\"\":{}}}}"),
	        ",\"spec\":{\"containers\":[{\"name\":\"log\",\"image\":\"busybox\"},"
	        "{\"name\":\"sidecar\",\"image\":\"envoy\"},"
	        "{\"name\":\"web\",\"image\":\"nginx\",\"imagePullPolicy\":\"Always\","
	        "\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}]}],"
	        "\"finalizers\":[\"a\",\"b\"]}"),
	    "{\"spec\":{\"containers\":[{\"name\":\"log\"},{\"image\":\"nginx\",\"name\":\"web\","
	    "\"ports\":[{\"containerPort\":80}]}],"
	    "\"finalizers\":[\"b\"]}}");
	/* A leaf: a scalar or a list whole; a map owned whole comes out empty
	 * (the server may have filled it in). */
	applied(OBJECT(ENTRY("berth", "Apply",
	                     "{\"f:spec\":{\"f:args\":{},\"f:replicas\":{},\"f:emptyDir\":{}}}"),
	               ",\"spec\":{\"args\":[\"-v\",\"2\"],\"replicas\":3,"
	               "\"emptyDir\":{\"medium\":\"\"}}"),
	        "{\"spec\":{\"args\":[\"-v\",\"2\"],\"replicas\":3,\"emptyDir\":{}}}");
}

static void test_ssa__nothing_applied(void **state)
{
	(void)state;
	/* Not berth's, not by apply, or of another version: nothing known. */
	applied(OBJECT(ENTRY("kubectl", "Apply", "{\"f:data\":{}}"), ""), "");
	applied(OBJECT(ENTRY("berth", "Update", "{\"f:data\":{}}"), ""), "");
	applied("{\"apiVersion\":\"v1beta1\",\"metadata\":{\"managedFields\":[" ENTRY(
	            "berth", "Apply", "{\"f:data\":{}}") "]}}",
	        "");
	applied("{\"apiVersion\":\"v1\",\"metadata\":{}}", "");
}

static void body(const char *json, const char *want)
{
	struct json_object *desired = json_value_parse(json, strlen(json)), *out;

	assert_non_null(desired);
	ssa_body(&out, desired);
	assert_string_equal(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN), want);
	json_object_put(out);
	json_object_put(desired);
}

static void test_ssa__the_body_holds_no_last_applied_annotation(void **state)
{
	(void)state;
	body("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"annotations\":"
	     "{\"" LA "\":\"{}\",\"a\":\"b\"}},\"spec\":{\"ports\":[{\"port\":53}]}}",
	     "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"annotations\":"
	     "{\"a\":\"b\"}},\"spec\":{\"ports\":[{\"port\":53,\"protocol\":\"TCP\"}]}}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ssa__kubectl_fields_become_berths_apply),
	    cmocka_unit_test(test_ssa__fields_merge_into_an_existing_apply_entry),
	    cmocka_unit_test(test_ssa__nothing_to_hand_over),
	    cmocka_unit_test(test_ssa__service_ports_get_their_protocol),
	    cmocka_unit_test(test_ssa__the_takeover_removes_the_last_applied_annotation),
	    cmocka_unit_test(test_ssa__what_berth_applied_is_what_it_owns),
	    cmocka_unit_test(test_ssa__nothing_applied),
	    cmocka_unit_test(test_ssa__the_body_holds_no_last_applied_annotation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
