#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/base/metrics.h"

#include <string.h>

static const double buckets[] = {0.5, 1};
static const struct metric_family duration = {"x_duration_seconds", "How long.", METRIC_HISTOGRAM,
                                              buckets, 2};
static const struct metric_family requests = {"x_requests_total", "Requests.", METRIC_COUNTER, NULL,
                                              0};
static const struct metric_family stamp = {"x_timestamp_seconds", "A back\\slash,\na line.",
                                           METRIC_GAUGE, NULL, 0};
static const struct metric_family *const families[] = {&duration, &requests, &stamp};

static void test_metrics__written_in_the_text_format(void **state)
{
	struct metrics *m;
	struct buf out = BUF_INIT;

	(void)state;
	metrics_new(&m, families, 3);
	metrics_record(m, &requests, 1, "verb", "GET", "code", "200", NULL);
	metrics_record(m, &requests, 2, "verb", "GET", "code", "200", NULL);
	metrics_record(m, &requests, 1, "verb", "PATCH", "code", "0", NULL);
	/* Bounds are inclusive; past the last is +Inf only. */
	metrics_record(m, &duration, 0.5, "source", "a", NULL);
	metrics_record(m, &duration, 0.75, "source", "a", NULL);
	metrics_record(m, &duration, 3, "source", "a", NULL);
	metrics_record(m, &stamp, 1763800000.5, "source", "q\"uo\\te\nd", NULL);
	metrics_record(m, &stamp, 1763800001, "source", "q\"uo\\te\nd", NULL);
	metrics_write(&out, m);
	assert_string_equal(out.ptr,
	                    "# HELP x_duration_seconds How long.\n"
	                    "# TYPE x_duration_seconds histogram\n"
	                    "x_duration_seconds_bucket{source=\"a\",le=\"0.5\"} 1\n"
	                    "x_duration_seconds_bucket{source=\"a\",le=\"1\"} 2\n"
	                    "x_duration_seconds_bucket{source=\"a\",le=\"+Inf\"} 3\n"
	                    "x_duration_seconds_sum{source=\"a\"} 4.25\n"
	                    "x_duration_seconds_count{source=\"a\"} 3\n"
	                    "# HELP x_requests_total Requests.\n"
	                    "# TYPE x_requests_total counter\n"
	                    "x_requests_total{verb=\"GET\",code=\"200\"} 3\n"
	                    "x_requests_total{verb=\"PATCH\",code=\"0\"} 1\n"
	                    "# HELP x_timestamp_seconds A back\\\\slash,\\na line.\n"
	                    "# TYPE x_timestamp_seconds gauge\n"
	                    "x_timestamp_seconds{source=\"q\\\"uo\\\\te\\nd\"} 1763800001\n");
	buf_release(&out);
	metrics_free(m);
}

static void test_metrics__a_source_forgotten_leaves_no_series(void **state)
{
	struct metrics *m;
	struct buf out = BUF_INIT;

	(void)state;
	metrics_new(&m, families, 3);
	metrics_record(m, &duration, 1, "source", "a", NULL);
	metrics_record(m, &stamp, 1, "source", "a", NULL);
	metrics_record(m, &stamp, 2, "source", "ab", NULL);
	metrics_record(m, &requests, 1, "verb", "GET", "source", "a", NULL);
	metrics_forget(m, "source", "a");
	metrics_write(&out, m);
	assert_null(strstr(out.ptr, "x_timestamp_seconds{source=\"a\"}"));
	assert_null(strstr(out.ptr, "x_duration_seconds_count{source=\"a\"}"));
	assert_null(strstr(out.ptr, "{source=\"a\",le="));
	assert_non_null(strstr(out.ptr, "x_timestamp_seconds{source=\"ab\"} 2\n"));
	/* Only a first label is matched. */
	assert_non_null(strstr(out.ptr, "x_requests_total{verb=\"GET\",source=\"a\"} 1\n"));
	buf_release(&out);
	metrics_free(m);
}

static void test_metrics__families_without_series_are_still_described(void **state)
{
	struct metrics *m;
	struct buf out = BUF_INIT;

	(void)state;
	metrics_new(&m, families + 1, 1);
	metrics_write(&out, m);
	assert_string_equal(out.ptr, "# HELP x_requests_total Requests.\n"
	                             "# TYPE x_requests_total counter\n");
	buf_release(&out);
	metrics_free(m);
	metrics_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_metrics__written_in_the_text_format),
	    cmocka_unit_test(test_metrics__a_source_forgotten_leaves_no_series),
	    cmocka_unit_test(test_metrics__families_without_series_are_still_described),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
