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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ssa__kubectl_fields_become_berths_apply),
	    cmocka_unit_test(test_ssa__fields_merge_into_an_existing_apply_entry),
	    cmocka_unit_test(test_ssa__nothing_to_hand_over),
	    cmocka_unit_test(test_ssa__service_ports_get_their_protocol),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
