#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/drift.h"
#include "../../diff/base/json_value.h"
#include "../../diff/report.h"

#include <string.h>

static struct json_object *J(const char *text)
{
	struct json_object *v = json_value_parse(text, strlen(text));

	if (!v)
		fail_msg("bad test JSON: %s", text);
	return v;
}

/* A report of one object: desired against live (NULL: missing). */
static void one(struct report *r, const char *desired_text, const char *live_text)
{
	struct json_object *desired = J(desired_text), *live = live_text ? J(live_text) : NULL;
	struct object_id id;
	struct drift d;

	assert_int_equal(object_id_read(&id, NULL, desired, "default"), 0);
	assert_int_equal(drift_compute(&d, desired, live), 0);
	report_add(r, &id, "app.yaml", 3, &d, live);
	drift_release(&d);
	object_id_release(&id);
	json_object_put(desired);
	json_object_put(live);
}

static const char sts[] = "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{"
                          "\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"replicas\":2,"
                          "\"serviceName\":\"web\"}}";
static const char sts_live[] =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":"
    "{\"name\":\"web\",\"namespace\":\"default\",\"uid\":\"u1\"},\"spec\":"
    "{\"replicas\":3,\"serviceName\":\"web\",\"podManagementPolicy\":"
    "\"OrderedReady\"},\"status\":{\"replicas\":3}}";
static const char secret[] = "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":"
                             "\"db\",\"namespace\":\"default\"},\"stringData\":{\"password\":"
                             "\"hunter2-new\",\"user\":\"admin\"}}";
static const char secret_live[] = "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{"
                                  "\"name\":\"db\",\"namespace\":\"default\"},\"type\":\"Opaque\","
                                  "\"data\":{\"password\":\"aHVudGVyMi1vbGQ=\",\"user\":"
                                  "\"YWRtaW4=\"}}";

static void test_report__text_is_a_unified_diff_of_live_and_predicted(void **state)
{
	struct report r = REPORT_INIT;
	struct buf out = BUF_INIT;

	(void)state;
	one(&r, sts, sts_live);
	assert_int_equal(report_text(&out, &r, false), 0);
	assert_non_null(strstr(out.ptr, "--- live/apps.v1.StatefulSet.default.web\n"
	                                "+++ predicted/apps.v1.StatefulSet.default.web\n"));
	assert_non_null(strstr(out.ptr, "\n-  replicas: 3\n+  replicas: 2\n"));
	assert_non_null(strstr(out.ptr, "@@ -"));
	/* Status and the last-applied annotation are not shown; no colour off a terminal. */
	assert_null(strstr(out.ptr, "status"));
	assert_null(strstr(out.ptr, LAST_APPLIED_ANNOTATION));
	assert_null(strstr(out.ptr, "\033["));
	buf_reset(&out);
	assert_int_equal(report_text(&out, &r, true), 0);
	assert_non_null(strstr(out.ptr, "\033[31m-  replicas: 3\033[0m"));
	buf_release(&out);
	report_release(&r);
}

static void test_report__never_shows_a_secret_value(void **state)
{
	struct report r = REPORT_INIT;
	struct buf text = BUF_INIT, json = BUF_INIT, md = BUF_INIT;
	const char *const leaks[] = {"hunter2", "aHVudGVy", "YWRtaW4", "admin\n"};
	size_t i;

	(void)state;
	one(&r, secret, secret_live);
	assert_int_equal(r.entries[0].state, DRIFT_DRIFTED);
	assert_int_equal(report_text(&text, &r, false), 0);
	assert_int_equal(report_json(&json, &r), 0);
	assert_int_equal(report_markdown(&md, &r), 0);
	for (i = 0; i < sizeof(leaks) / sizeof(leaks[0]); i++) {
		assert_null(strstr(text.ptr, leaks[i]));
		assert_null(strstr(json.ptr, leaks[i]));
		assert_null(strstr(md.ptr, leaks[i]));
	}
	/* A changed value shows as changed, an unchanged one as unchanged. */
	assert_non_null(strstr(text.ptr, "-  password: '*** (before)'"));
	assert_non_null(strstr(text.ptr, "+  password: '*** (after)'"));
	assert_non_null(strstr(text.ptr, " user: '***'"));
	assert_non_null(strstr(json.ptr, "{\"desired\":\"***\",\"live\":\"***\",\"path\":"
	                                 "\"data.password\"}"));
	buf_release(&text);
	buf_release(&json);
	buf_release(&md);
	report_release(&r);
}

static void test_report__json_has_a_summary_and_one_entry_per_object(void **state)
{
	struct report r = REPORT_INIT;
	struct buf out = BUF_INIT;
	struct json_object *doc;

	(void)state;
	one(&r, sts, sts_live);
	one(&r, sts, NULL);
	assert_int_equal(report_json(&out, &r), 0);
	doc = J(out.ptr);
	assert_string_equal(
	    json_object_to_json_string_ext(json_value_get(doc, "summary"), JSON_C_TO_STRING_PLAIN),
	    "{\"drifted\":1,\"extraneous\":0,\"in-sync\":0,\"missing\":1}");
	assert_int_equal(json_object_array_length(json_value_get(doc, "objects")), 2);
	assert_string_equal(
	    json_object_to_json_string_ext(
	        json_object_array_get_idx(json_value_get(doc, "objects"), 0),
	        JSON_C_TO_STRING_PLAIN),
	    "{\"file\":\"app.yaml\",\"group\":\"apps\",\"kind\":\"StatefulSet\",\"line\":3,"
	    "\"name\":\"web\",\"namespace\":\"default\",\"paths\":[{\"desired\":2,\"live\":3,"
	    "\"path\":\"spec.replicas\"}],\"state\":\"drifted\",\"version\":\"v1\"}");
	json_object_put(doc);
	buf_release(&out);
	report_release(&r);
}

static void test_report__markdown_has_a_table_per_kind(void **state)
{
	struct report r = REPORT_INIT;
	struct buf out = BUF_INIT;

	(void)state;
	one(&r, sts, sts_live);
	one(&r, secret, secret_live);
	assert_int_equal(report_markdown(&out, &r), 0);
	assert_non_null(strstr(out.ptr, "0 in sync, 2 drifted, 0 missing, 0 extraneous"));
	assert_non_null(strstr(out.ptr, "#### Secret\n\n| Namespace | Name | State | Changed |\n"
	                                "|---|---|---|---|\n| default | db | drifted | "
	                                "`data.password` |\n"));
	assert_non_null(strstr(out.ptr, "#### StatefulSet\n"));
	assert_non_null(strstr(out.ptr, "| default | web | drifted | `spec.replicas` |"));
	assert_true(strstr(out.ptr, "#### Secret") < strstr(out.ptr, "#### StatefulSet"));
	buf_release(&out);
	report_release(&r);
}

/* A preview: worded as what applying would do, each change folded in a
 * <details> whose fence outlasts the backticks inside, and no HTML from Git
 * in the summary, the tables or the warnings. */
static void test_report__markdown_preview_folds_each_change(void **state)
{
	struct report r = REPORT_INIT;
	struct buf out = BUF_INIT;

	(void)state;
	r.preview = true;
	one(&r, sts, sts_live);
	one(&r,
	    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\","
	    "\"namespace\":\"default\"},\"data\":{\"a\":\"```<script>\"}}",
	    NULL);
	report_warn(&r, "claim template <b>x</b> grows 1Gi \u2192 5Gi");
	assert_int_equal(report_markdown(&out, &r), 0);
	assert_non_null(strstr(out.ptr, "### berth preview\n\n**would create 1, change 1, prune 0, "
	                                "unchanged 0**\n\n> **Warning:** claim template "
	                                "&lt;b&gt;x&lt;/b&gt; grows 1Gi \u2192 5Gi\n"));
	assert_non_null(strstr(out.ptr, "| default | c | create |  |\n"));
	assert_non_null(strstr(out.ptr, "| default | web | change | `spec.replicas` |\n"));
	assert_non_null(strstr(out.ptr,
	                       "<details><summary>StatefulSet default/web: change</summary>"
	                       "\n\n```diff\n"));
	/* The value's three backticks cannot close a fence of four. */
	assert_non_null(strstr(out.ptr, "<details><summary>ConfigMap default/c: create</summary>"
	                                "\n\n````diff\n"));
	assert_non_null(strstr(out.ptr, "\n````\n\n</details>\n"));
	buf_release(&out);
	report_release(&r);
}

static void test_report__in_sync_objects_have_no_diff(void **state)
{
	struct report r = REPORT_INIT;
	struct buf out = BUF_INIT;
	size_t counts[4];

	(void)state;
	one(&r,
	    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"},"
	    "\"data\":{\"a\":\"1\"}}",
	    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\","
	    "\"namespace\":\"default\",\"uid\":\"x\"},\"data\":{\"a\":\"1\",\"b\":\"2\"}}");
	assert_int_equal(report_count(&r, counts), 0);
	assert_int_equal(counts[DRIFT_IN_SYNC], 1);
	assert_int_equal(report_text(&out, &r, false), 0);
	assert_string_equal(out.ptr, "");
	buf_release(&out);
	report_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report__text_is_a_unified_diff_of_live_and_predicted),
	    cmocka_unit_test(test_report__never_shows_a_secret_value),
	    cmocka_unit_test(test_report__json_has_a_summary_and_one_entry_per_object),
	    cmocka_unit_test(test_report__markdown_has_a_table_per_kind),
	    cmocka_unit_test(test_report__markdown_preview_folds_each_change),
	    cmocka_unit_test(test_report__in_sync_objects_have_no_diff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
