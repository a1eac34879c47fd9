#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/drift.h"
#include "../../diff/base/json_value.h"

#include <string.h>

static struct json_object *J(const char *text)
{
	struct json_object *v = json_value_parse(text, strlen(text));

	if (!v)
		fail_msg("bad test JSON: %s", text);
	return v;
}

static bool unchanged(const char *answer, const char *live)
{
	struct json_object *a = J(answer), *l = J(live);
	bool same = drift_answer_unchanged(a, l);

	json_object_put(a);
	json_object_put(l);
	return same;
}

#define LA "\"kubectl.kubernetes.io/last-applied-configuration\""

/* What every write changes, and the status, are not a change. */
static void test_drift__answer_with_only_write_bookkeeping_is_unchanged(void **state)
{
	(void)state;
	assert_true(
	    unchanged("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"resourceVersion\":\"9\","
	              "\"generation\":3,\"managedFields\":[{\"manager\":\"berth\"}]},"
	              "\"spec\":{\"a\":1},\"status\":{\"phase\":\"Running\"}}",
	              "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"resourceVersion\":\"8\","
	              "\"generation\":2},\"spec\":{\"a\":1},\"status\":{\"phase\":\"Pending\"}}"));
}

/* A field the server stores differently is a change, in either direction. */
static void test_drift__answer_that_changes_a_field_is_a_change(void **state)
{
	(void)state;
	assert_false(unchanged("{\"spec\":{\"hostPID\":true}}", "{\"spec\":{}}"));
	assert_false(unchanged("{\"spec\":{}}", "{\"spec\":{\"hostPID\":true}}"));
	assert_false(unchanged("{\"metadata\":{\"labels\":{\"a\":\"1\"}}}", "{\"metadata\":{}}"));
	assert_false(unchanged("{\"data\":{\"k\":\"v\"}}", "{}"));
}

/* The last-applied annotation is compared by what it means, not its text;
 * the other annotations as they are. */
static void test_drift__last_applied_is_compared_by_meaning(void **state)
{
	(void)state;
	assert_true(
	    unchanged("{\"metadata\":{\"annotations\":{" LA ":\"{\\\"b\\\":1,\\\"a\\\":2}\\n\"}}}",
	              "{\"metadata\":{\"annotations\":{" LA ":\"{\\\"a\\\":2, \\\"b\\\":1}\"}}}"));
	assert_false(unchanged("{\"metadata\":{\"annotations\":{" LA ":\"{\\\"a\\\":1}\"}}}",
	                       "{\"metadata\":{\"annotations\":{" LA ":\"{\\\"a\\\":2}\"}}}"));
	/* An object written without it (kubectl create) gets it: a change. */
	assert_false(
	    unchanged("{\"metadata\":{\"annotations\":{" LA ":\"{}\"}}}", "{\"metadata\":{}}"));
	assert_false(unchanged("{\"metadata\":{\"annotations\":{\"x\":\"1\"}}}",
	                       "{\"metadata\":{\"annotations\":{\"x\":\"2\"}}}"));
	assert_true(unchanged("{\"metadata\":{\"annotations\":{}}}", "{\"metadata\":{}}"));
}

/* The answer replaces the local prediction, and the paths are where it
 * differs from live; a value the server drops is no path at all. */
static void test_drift__take_answer_predicts_what_the_server_stores(void **state)
{
	struct json_object *live = J("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
	                             "\"resourceVersion\":\"8\",\"generation\":2},"
	                             "\"spec\":{\"hostPID\":true},\"status\":{\"x\":1}}");
	struct json_object *answer = J("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
	                               "\"resourceVersion\":\"9\",\"generation\":3},"
	                               "\"spec\":{},\"status\":{\"x\":2}}");
	struct drift d = {DRIFT_DRIFTED, NULL, NULL, NULL, NULL, NULL};

	(void)state;
	d.paths = J("[{\"path\":\"spec.readOnly\",\"live\":null,\"desired\":false}]");
	drift_take_answer(&d, live, answer);
	assert_string_equal(json_object_to_json_string_ext(d.paths, JSON_C_TO_STRING_PLAIN),
	                    "[{\"path\":\"spec.hostPID\",\"live\":true,\"desired\":null}]");
	assert_string_equal(
	    json_value_get_string(json_value_get(d.predicted, "metadata"), "resourceVersion"), "8");
	assert_true(json_value_equal(json_value_get(d.predicted, "status"),
	                             json_value_get(live, "status")));
	assert_int_equal(d.state, DRIFT_DRIFTED);
	drift_release(&d);
	json_object_put(live);
	json_object_put(answer);
}

/* Only the annotation's meaning differs: that is the one path, masked. */
static void test_drift__take_answer_names_a_changed_last_applied(void **state)
{
	struct json_object *live = J("{\"metadata\":{\"annotations\":{" LA ":\"{\\\"a\\\":1}\"}}}");
	struct json_object *answer = J("{\"metadata\":{\"annotations\":{" LA ":\"{}\"}}}");
	struct drift d = {DRIFT_DRIFTED, NULL, NULL, NULL, NULL, NULL};

	(void)state;
	drift_take_answer(&d, live, answer);
	assert_string_equal(
	    json_object_to_json_string_ext(d.paths, JSON_C_TO_STRING_PLAIN),
	    "[{\"path\":\"metadata.annotations[\\\"kubectl.kubernetes.io\\/"
	    "last-applied-configuration\\\"]\",\"live\":\"***\",\"desired\":\"***\"}]");
	drift_release(&d);
	json_object_put(live);
	json_object_put(answer);
}

/* Settled: in sync, nothing to send or show. */
static void test_drift__settle_leaves_nothing_to_write(void **state)
{
	struct drift d = {DRIFT_DRIFTED, NULL, NULL, NULL, NULL, NULL};

	(void)state;
	d.patch = J("{\"spec\":{\"readOnly\":false}}");
	d.paths = J("[{\"path\":\"spec.readOnly\"}]");
	drift_settle(&d);
	assert_int_equal(d.state, DRIFT_IN_SYNC);
	assert_null(d.patch);
	assert_null(d.predicted);
	assert_int_equal(json_object_array_length(d.paths), 0);
	drift_release(&d);
}

/* The state and changed paths of `desired` against `live`, given what was
 * applied server-side (`applied`; live carries no last-applied annotation). */
static void expect_drift(struct json_object *d, struct json_object *l, struct json_object *a,
                         enum drift_state state, const char *paths)
{
	struct drift out;

	assert_int_equal(drift_compute_applied(&out, d, l, a), 0);
	assert_int_equal(out.state, state);
	assert_string_equal(json_object_to_json_string_ext(out.paths, JSON_C_TO_STRING_PLAIN),
	                    paths);
	drift_release(&out);
	json_object_put(d);
	json_object_put(l);
	json_object_put(a);
}

static void applied_drift(const char *desired, const char *live, const char *applied,
                          enum drift_state state, const char *paths)
{
	expect_drift(J(desired), J(live), J(applied), state, paths);
}

#define CM(labels, data)                                                                           \
	"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\","              \
	"\"namespace\":\"n\",\"labels\":" labels "},\"data\":" data "}"

/* With no last-applied annotation, what was applied server-side says what
 * Git had: a field it had and Git has no more is drift; a field another
 * writer (or the server) set is not. */
static void test_drift__applied_fields_removed_from_git_are_drift(void **state)
{
	(void)state;
	applied_drift(
	    CM("{\"x\":\"1\"}", "{\"a\":\"1\"}"),
	    CM("{\"x\":\"1\",\"tier\":\"db\",\"other\":\"o\"}", "{\"a\":\"1\",\"b\":\"2\"}"),
	    "{\"metadata\":{\"labels\":{\"x\":\"1\",\"tier\":\"db\"}},\"data\":{\"a\":\"1\"}}",
	    DRIFT_DRIFTED,
	    "[{\"path\":\"metadata.labels.tier\",\"live\":\"db\",\"desired\":null}]");
	applied_drift(CM("{\"x\":\"1\"}", "{\"a\":\"1\"}"),
	              CM("{\"x\":\"1\",\"other\":\"o\"}", "{\"a\":\"1\",\"b\":\"2\"}"),
	              "{\"metadata\":{\"labels\":{\"x\":\"1\"}},\"data\":{\"a\":\"1\"}}",
	              DRIFT_IN_SYNC, "[]");
}

/* The state and changed paths of `desired` against `live`, where live
 * carries the annotation berth writes for `was`, and `data` as its data. */
static void written_drift(const char *desired, const char *was, const char *data,
                          enum drift_state state, const char *paths)
{
	struct json_object *w = J(was), *live;

	assert_int_equal(drift_modified(&live, w), 0);
	json_object_put(w);
	json_object_object_add(live, "data", J(data));
	assert_non_null(
	    json_value_get(json_value_get(json_value_get(live, "metadata"), "annotations"),
	                   "kubectl.kubernetes.io/last-applied-configuration"));
	expect_drift(J(desired), live, NULL, state, paths);
}

/* The annotation berth would write, found as it is, stands for what was
 * applied without being parsed: a live edit is drift, another writer's
 * field is not. One of the same length that says otherwise is read. */
static void test_drift__annotation_as_written_is_what_was_applied(void **state)
{
	(void)state;
	written_drift(CM("{}", "{\"a\":\"1\"}"), CM("{}", "{\"a\":\"1\"}"),
	              "{\"a\":\"1\",\"other\":\"o\"}", DRIFT_IN_SYNC, "[]");
	written_drift(CM("{}", "{\"a\":\"1\"}"), CM("{}", "{\"a\":\"1\"}"), "{\"a\":\"9\"}",
	              DRIFT_DRIFTED, "[{\"path\":\"data.a\",\"live\":\"9\",\"desired\":\"1\"}]");
	written_drift(CM("{}", "{\"a\":\"1\"}"), CM("{}", "{\"b\":\"1\"}"),
	              "{\"a\":\"1\",\"b\":\"1\"}", DRIFT_DRIFTED,
	              "[{\"path\":\"data.b\",\"live\":\"1\",\"desired\":null}]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_drift__answer_with_only_write_bookkeeping_is_unchanged),
	    cmocka_unit_test(test_drift__answer_that_changes_a_field_is_a_change),
	    cmocka_unit_test(test_drift__last_applied_is_compared_by_meaning),
	    cmocka_unit_test(test_drift__take_answer_predicts_what_the_server_stores),
	    cmocka_unit_test(test_drift__take_answer_names_a_changed_last_applied),
	    cmocka_unit_test(test_drift__settle_leaves_nothing_to_write),
	    cmocka_unit_test(test_drift__applied_fields_removed_from_git_are_drift),
	    cmocka_unit_test(test_drift__annotation_as_written_is_what_was_applied),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
