#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/base/buf.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/json_value.h"
#include "../../diff/yaml_doc.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* Parse one document and return it (a new reference). */
static struct json_object *parse_one(const char *text)
{
	struct json_object *docs = NULL, *doc;

	if (yaml_parse(&docs, "t.yaml", text, strlen(text), NULL, NULL) < 0)
		fail_msg("parse failed: %s", berth_error_last());
	assert_int_equal(json_object_array_length(docs), 1);
	doc = json_object_get(json_object_array_get_idx(docs, 0));
	json_object_put(docs);
	return doc;
}

/* `value: X` as compact JSON. */
static const struct {
	const char *yaml, *json;
} scalars[] = {
    {"true", "true"},
    {"True", "true"},
    {"yes", "true"},
    {"On", "true"},
    {"Y", "true"},
    {"FALSE", "false"},
    {"off", "false"},
    {"n", "false"},
    {"null", "null"},
    {"~", "null"},
    {"", "null"},
    {"NULL", "null"},
    {"42", "42"},
    {"-7", "-7"},
    {"0x1F", "31"},
    {"0o17", "15"},
    {"017", "15"},
    {"0b101", "5"},
    {"1_000", "1000"},
    {"1.5", "1.5"},
    {"1e3", "1000.0"},
    {"'true'", "\"true\""},
    {"\"42\"", "\"42\""},
    {"!!str 42", "\"42\""},
    {"!!str yes", "\"yes\""},
    {"1Gi", "\"1Gi\""},
    {"500m", "\"500m\""},
    {"0.5", "0.5"},
    {"09", "9.0"},
    {"abc", "\"abc\""},
    {"12:30", "\"12:30\""},
    {"_1", "\"_1\""},
    {"1_000.5", "1000.5"},
    {"!!float 3", "3.0"},
};

static void test_yaml__resolves_scalars_like_kubernetes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++) {
		char text[128];
		struct json_object *doc, *v;

		snprintf(text, sizeof(text), "value: %s\n", scalars[i].yaml);
		doc = parse_one(text);
		v = json_object_object_get(doc, "value");
		if (strcmp(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
		           scalars[i].json))
			fail_msg("%s -> %s, want %s", scalars[i].yaml,
			         json_object_to_json_string(v), scalars[i].json);
		json_object_put(doc);
	}
}

static void test_yaml__resolves_infinity_and_nan(void **state)
{
	struct json_object *doc = parse_one("a: .inf\nb: -.Inf\nc: .NaN\nd: +.INF\n");

	(void)state;
	assert_true(isinf(json_object_get_double(json_object_object_get(doc, "a"))));
	assert_true(json_object_get_double(json_object_object_get(doc, "b")) < 0);
	assert_true(isnan(json_object_get_double(json_object_object_get(doc, "c"))));
	assert_true(isinf(json_object_get_double(json_object_object_get(doc, "d"))));
	json_object_put(doc);
}

static void test_yaml__reads_json(void **state)
{
	struct json_object *doc = parse_one("{\"a\": [1, \"two\", {\"b\": null}]}");

	(void)state;
	assert_string_equal(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN),
	                    "{\"a\":[1,\"two\",{\"b\":null}]}");
	json_object_put(doc);
}

static void test_yaml__splits_documents_and_keeps_empty_ones(void **state)
{
	static const char text[] = "a: 1\n---\n---\nb: 2\n";
	struct json_object *docs = NULL;

	(void)state;
	assert_int_equal(yaml_parse(&docs, "t.yaml", text, strlen(text), NULL, NULL), 0);
	assert_int_equal(json_object_array_length(docs), 3);
	assert_null(json_object_array_get_idx(docs, 1));
	json_object_put(docs);
}

static void test_yaml__expands_aliases_and_merge_keys(void **state)
{
	struct json_object *doc = parse_one("base: &b {p: 1, q: 2}\n"
	                                    "copy: *b\n"
	                                    "merged:\n  <<: *b\n  q: 3\n");

	(void)state;
	assert_string_equal(json_object_to_json_string_ext(json_object_object_get(doc, "copy"),
	                                                   JSON_C_TO_STRING_PLAIN),
	                    "{\"p\":1,\"q\":2}");
	assert_string_equal(json_object_to_json_string_ext(json_object_object_get(doc, "merged"),
	                                                   JSON_C_TO_STRING_PLAIN),
	                    "{\"q\":3,\"p\":1}");
	json_object_put(doc);
}

static void test_yaml__turns_keys_into_strings_as_kubernetes_does(void **state)
{
	/* go-yaml v2 resolves plain keys like values; sigs.k8s.io/yaml then
	 * writes booleans and numbers back as strings. "y" is a boolean there. */
	struct json_object *doc = parse_one("y: 1\nno: 2\n0x10: 3\n'on': 4\n1.5: 5\nname: 6\n");

	(void)state;
	assert_string_equal(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN),
	                    "{\"true\":1,\"false\":2,\"16\":3,\"on\":4,\"1.5\":5,\"name\":6}");
	json_object_put(doc);
}

static void expect_error(const char *text, const char *message)
{
	struct json_object *docs = NULL;

	assert_true(yaml_parse(&docs, "bad.yaml", text, strlen(text), NULL, NULL) < 0);
	assert_null(docs);
	if (!strstr(berth_error_last(), message))
		fail_msg("error '%s' does not contain '%s'", berth_error_last(), message);
}

static void test_yaml__refuses_a_duplicate_key_with_its_position(void **state)
{
	(void)state;
	expect_error("a: 1\nb: 2\na: 3\n", "bad.yaml:3:1: duplicate key 'a'");
}

static void test_yaml__reports_syntax_errors_with_file_line_column(void **state)
{
	(void)state;
	expect_error("a: [1, 2\nb: 3\n", "bad.yaml:2:");
	expect_error("a:\n  - 1\n b: 2\n", "bad.yaml:3:");
}

static void test_yaml__stops_a_billion_laughs_early(void **state)
{
	(void)state;
	expect_error("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	             "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	             "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	             "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	             "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	             "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
	             "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
	             "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n",
	             "expands past the limit of 100000 nodes");
}

static void test_yaml__refuses_nesting_past_the_limit(void **state)
{
	char text[1200];

	(void)state;
	memset(text, '[', 600);
	text[600] = '\0';
	expect_error(text, "nested deeper than the limit of 256");
}

/* Each fixture in tests/fixtures/yaml_doc (a Widget) and the spec the API server
 * stores for it (NAME.spec.json, pinned by tests/e2e/yaml_fixtures.sh). */
static void test_yaml__reads_fixtures_as_the_api_server_stores_them(void **state)
{
	DIR *d = opendir(BERTH_FIXTURES);
	struct dirent *e;
	int checked = 0;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[512], want_path[512];
		struct buf text = BUF_INIT, want_text = BUF_INIT;
		struct json_object *docs = NULL, *want;
		const char *dot = strrchr(e->d_name, '.');

		if (!dot || strstr(e->d_name, ".spec.json") ||
		    (strcmp(dot, ".yaml") && strcmp(dot, ".json")))
			continue;
		snprintf(path, sizeof(path), "%s/%s", BERTH_FIXTURES, e->d_name);
		snprintf(want_path, sizeof(want_path), "%s/%.*s.spec.json", BERTH_FIXTURES,
		         (int)(dot - e->d_name), e->d_name);
		assert_int_equal(buf_read_file(&text, path, 1u << 20), 0);
		assert_int_equal(buf_read_file(&want_text, want_path, 1u << 20), 0);
		if (yaml_parse(&docs, path, text.ptr, text.len, NULL, NULL) < 0)
			fail_msg("%s", berth_error_last());
		want = json_value_parse(want_text.ptr, want_text.len);
		assert_non_null(want);
		if (!json_value_equal(json_value_get(json_object_array_get_idx(docs, 0), "spec"),
		                      want)) {
			struct buf got = BUF_INIT;
			json_value_write(
			    &got, json_value_get(json_object_array_get_idx(docs, 0), "spec"));
			fail_msg("%s:\n berth:  %s\n server: %s", e->d_name, got.ptr,
			         want_text.ptr);
		}
		checked++;
		json_object_put(want);
		json_object_put(docs);
		buf_release(&text);
		buf_release(&want_text);
	}
	closedir(d);
	assert_true(checked >= 10);
}

static void test_yaml__keys_that_become_the_same_string_are_duplicates(void **state)
{
	(void)state;
	/* Kubernetes keeps one of them at random (Go map order); berth refuses. */
	expect_error("yes: 1\n'true': 2\n", "bad.yaml:2:1: duplicate key 'true'");
	expect_error("0x10: 1\n16: 2\n", "bad.yaml:2:1: duplicate key '16'");
}

static void test_yaml__an_alias_never_reaches_another_document(void **state)
{
	(void)state;
	/* kubectl decodes each document on its own, so it refuses this too. */
	expect_error("a: &x 1\n---\nb: *x\n", "bad.yaml:3:4: unknown anchor '*x'");
}

static void test_yaml__refuses_a_null_key(void **state)
{
	(void)state;
	expect_error("? ~\n: 1\n", "bad.yaml:1:3: a mapping key may not be null");
}

static void test_yaml__refuses_an_unknown_alias(void **state)
{
	(void)state;
	expect_error("a: *nope\n", "bad.yaml:1:4: unknown anchor '*nope'");
}

static void test_yaml__emits_what_reads_back_the_same(void **state)
{
	static const char text[] = "s: [\"true\", \"42\", \"\", \"null\", plain, \"a: b\"]\n"
	                           "n: [1, -2, 1.5, true, null]\n"
	                           "m: {z: 1, a: {}}\n"
	                           "l: \"line1\\nline2\\n\"\n";
	struct json_object *doc = parse_one(text), *again;
	struct buf out = BUF_INIT;

	(void)state;
	assert_int_equal(yaml_emit(&out, doc), 0);
	again = parse_one(out.ptr);
	assert_true(json_object_equal(doc, again));
	/* Keys come out sorted, as kubectl prints them. */
	assert_true(strstr(out.ptr, "l: ") < strstr(out.ptr, "m:"));
	assert_true(strstr(out.ptr, "a: {}") < strstr(out.ptr, "z: 1"));
	assert_non_null(strstr(out.ptr, "- \"true\""));
	json_object_put(again);
	json_object_put(doc);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_yaml__resolves_scalars_like_kubernetes),
	    cmocka_unit_test(test_yaml__resolves_infinity_and_nan),
	    cmocka_unit_test(test_yaml__reads_json),
	    cmocka_unit_test(test_yaml__splits_documents_and_keeps_empty_ones),
	    cmocka_unit_test(test_yaml__expands_aliases_and_merge_keys),
	    cmocka_unit_test(test_yaml__turns_keys_into_strings_as_kubernetes_does),
	    cmocka_unit_test(test_yaml__refuses_a_duplicate_key_with_its_position),
	    cmocka_unit_test(test_yaml__reports_syntax_errors_with_file_line_column),
	    cmocka_unit_test(test_yaml__stops_a_billion_laughs_early),
	    cmocka_unit_test(test_yaml__refuses_nesting_past_the_limit),
	    cmocka_unit_test(test_yaml__reads_fixtures_as_the_api_server_stores_them),
	    cmocka_unit_test(test_yaml__keys_that_become_the_same_string_are_duplicates),
	    cmocka_unit_test(test_yaml__an_alias_never_reaches_another_document),
	    cmocka_unit_test(test_yaml__refuses_a_null_key),
	    cmocka_unit_test(test_yaml__refuses_an_unknown_alias),
	    cmocka_unit_test(test_yaml__emits_what_reads_back_the_same),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
