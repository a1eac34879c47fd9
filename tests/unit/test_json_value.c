#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/base/berth_error.h"
#include "../../diff/base/json_value.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* JSON in, what Go's encoding/json (and so kubectl's annotation) writes. */
static const struct {
	const char *in, *want;
} writes[] = {
    {"{\"b\":1,\"a\":{\"d\":[],\"c\":{}}}", "{\"a\":{\"c\":{},\"d\":[]},\"b\":1}"},
    {"[\"<a href=\\\"x\\\">&</a>\"]",
     "[\"\\u003ca href=\\\"x\\\"\\u003e\\u0026\\u003c/a\\u003e\"]"},
    {"[\"tab\\there\\nnl\\u0001\\u001f/\"]", "[\"tab\\there\\nnl\\u0001\\u001f/\"]"},
    {"[\"\\u2028\\u2029\"]", "[\"\\u2028\\u2029\"]"},
    {"[\"\\u0008\\u000c\"]", "[\"\\b\\f\"]"},
    {"[\"caf\\u00e9\"]", "[\"caf\xc3\xa9\"]"},
    {"[1.0, 2.5, -0.25, 100, 1e20, 1e21, 0.000001, 1.23e-7, 0.1]",
     "[1,2.5,-0.25,100,100000000000000000000,1e+21,0.000001,1.23e-7,0.1]"},
    {"[9223372036854775807, -9223372036854775808]", "[9223372036854775807,-9223372036854775808]"},
    {"[true, false, null]", "[true,false,null]"},
};

static void test_json__writes_what_go_encoding_json_writes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		struct json_object *v = json_value_parse(writes[i].in, strlen(writes[i].in));
		struct buf out = BUF_INIT;

		assert_non_null(v);
		assert_int_equal(json_value_write(&out, v), 0);
		if (strcmp(out.ptr, writes[i].want))
			fail_msg("%s -> %s, want %s", writes[i].in, out.ptr, writes[i].want);
		buf_release(&out);
		json_object_put(v);
	}
}

static void test_json__refuses_nan_and_infinity(void **state)
{
	struct json_object *v = json_object_new_double(NAN);
	struct buf out = BUF_INIT;

	(void)state;
	assert_true(json_value_write(&out, v) < 0);
	json_object_put(v);
	v = json_object_new_double(-INFINITY);
	assert_true(json_value_write(&out, v) < 0);
	json_object_put(v);
	buf_release(&out);
}

static void test_json__equal_compares_numbers_by_value_and_maps_unordered(void **state)
{
	struct json_object *a = json_value_parse("{\"x\":1,\"y\":[1,2]}", 17);
	struct json_object *b = json_value_parse("{\"y\":[1.0,2],\"x\":1.0}", 21);
	struct json_object *c = json_value_parse("{\"y\":[2,1],\"x\":1}", 17);

	(void)state;
	assert_true(json_value_equal(a, b));
	assert_false(json_value_equal(a, c));
	assert_true(json_value_equal(NULL, NULL));
	assert_false(json_value_equal(a, NULL));
	json_object_put(a);
	json_object_put(b);
	json_object_put(c);
}

static void test_json__parse_refuses_trailing_garbage(void **state)
{
	(void)state;
	assert_null(json_value_parse("{} x", 4));
	assert_string_equal(berth_error_last(), "unexpected character at byte 3");
	assert_null(json_value_parse("{", 1));
	/* json-c's reason, and never the text (it may hold a secret). */
	assert_null(json_value_parse("{\"token\": s3cret}", 17));
	assert_non_null(strstr(berth_error_last(), "at byte 10"));
	assert_null(strstr(berth_error_last(), "s3cret"));
	assert_null(json_value_parse("", 0));
}

static void test_json__path_step_follows_keys_and_indexes(void **state)
{
	const char *text = "{\"spec\":{\"c\":[{\"name\":\"a\"},{\"gone\":null}]}}";
	struct json_object *doc = json_value_parse(text, strlen(text)), *at;
	const char *path = "spec.c[1].gone";
	bool present;

	(void)state;
	at = json_value_path_step(doc, &path, &present);
	assert_true(present);
	assert_string_equal(path, "c[1].gone");
	at = json_value_path_step(at, &path, &present);
	assert_true(present);
	assert_string_equal(path, "gone");
	assert_true(json_object_is_type(at, json_type_object));
	/* A null is present; a missing key, a list indexed past its end, or a
	 * key asked of a list are not. */
	assert_null(json_value_path_step(at, &path, &present));
	assert_true(present);
	assert_string_equal(path, "");
	path = "spec.missing";
	json_value_path_step(json_value_path_step(doc, &path, NULL), &path, &present);
	assert_false(present);
	path = "spec.c[2]";
	json_value_path_step(json_value_path_step(doc, &path, NULL), &path, &present);
	assert_false(present);
	path = "spec.c.name";
	at = json_value_path_step(json_value_path_step(doc, &path, NULL), &path, NULL);
	assert_true(json_object_is_type(at, json_type_array));
	json_value_path_step(at, &path, &present);
	assert_false(present);
	json_object_put(doc);
}

/* Nesting deeper than the first, shallow tokener reads back too. */
static void test_json__parses_deep_nesting(void **state)
{
	struct buf text = BUF_INIT;
	struct json_object *v, *at;
	size_t i, depth = 300;

	(void)state;
	for (i = 0; i < depth; i++)
		buf_adds(&text, "{\"a\":[");
	buf_adds(&text, "1");
	for (i = 0; i < depth; i++)
		buf_adds(&text, "]}");
	v = json_value_parse(text.ptr, text.len);
	assert_non_null(v);
	for (at = v, i = 0; i < depth; i++)
		at = json_object_array_get_idx(json_value_get(at, "a"), 0);
	assert_int_equal(json_object_get_int(at), 1);
	json_object_put(v);
	buf_reset(&text);
	for (i = 0; i < 1100; i++)
		buf_addch(&text, '[');
	for (i = 0; i < 1100; i++)
		buf_addch(&text, ']');
	assert_null(json_value_parse(text.ptr, text.len));
	buf_release(&text);
}

/* Strip, keeping the Apply entries of manager `keep` (NULL: none), and
 * compare with what is expected. */
static void assert_kept(const char *in, const char *keep, const char *want)
{
	char *text = strdup(in);
	size_t n = json_value_strip_managed_fields(text, strlen(text), keep);

	text[n] = '\0';
	assert_string_equal(text, want);
	free(text);
}

static void assert_stripped(const char *in, const char *want)
{
	assert_kept(in, NULL, want);
}

static void test_json__strips_managed_fields_of_an_object_and_of_list_items(void **state)
{
	(void)state;
	/* An object: first, middle and last member of its metadata. */
	assert_stripped("{\"metadata\": {\"managedFields\": [{\"f:x\": {\"}\": \"]\"}}], \"name\": "
	                "\"a\"}, \"data\": {\"k\": \"v\"}}",
	                "{\"metadata\":{\"name\":\"a\"},\"data\":{\"k\":\"v\"}}");
	assert_stripped(
	    "{\"metadata\":{\"name\":\"a\",\"managedFields\":[{\"a\":\"\\\"\"}],\"uid\":1}}",
	    "{\"metadata\":{\"name\":\"a\",\"uid\":1}}");
	assert_stripped("{\"metadata\":{\"name\":\"a\" , \"managedFields\" : [ ] }}",
	                "{\"metadata\":{\"name\":\"a\"}}");
	assert_stripped("{\"metadata\":{\"managedFields\":[]}}", "{\"metadata\":{}}");
	/* A LIST: every item's, but not the list's own metadata's neighbours. */
	assert_stripped("{\"kind\":\"List\",\"metadata\":{\"continue\":\"x\"},\"items\":["
	                "{\"metadata\":{\"name\":\"a\",\"managedFields\":[1]}},"
	                "{\"metadata\":{\"managedFields\":[2],\"name\":\"b\"}}]}",
	                "{\"kind\":\"List\",\"metadata\":{\"continue\":\"x\"},\"items\":["
	                "{\"metadata\":{\"name\":\"a\"}},{\"metadata\":{\"name\":\"b\"}}]}");
	/* Elsewhere it is data and stays: in a spec, in a value, in a string. */
	assert_stripped(
	    "{\"spec\":{\"metadata\":{\"managedFields\":[1]}},\"data\":{\"managedFields\":"
	    "\"managedFields\"},\"metadata\":{\"labels\":{\"managedFields\":\"x\"}}}",
	    "{\"spec\":{\"metadata\":{\"managedFields\":[1]}},\"data\":{\"managedFields\":"
	    "\"managedFields\"},\"metadata\":{\"labels\":{\"managedFields\":\"x\"}}}");
	/* Whitespace inside strings is kept. */
	assert_stripped("{ \"a b\" : \" c d \" }", "{\"a b\":\" c d \"}");
}

#define APPLY(manager)                                                                             \
	"{\"manager\":\"" manager "\",\"operation\":\"Apply\",\"fieldsV1\":{\"f:a\":{}}}"
#define UPDATE(manager) "{\"manager\":\"" manager "\",\"operation\":\"Update\",\"fieldsV1\":{}}"

static void test_json__keeps_the_apply_entry_of_one_manager(void **state)
{
	(void)state;
	/* Its Apply entry stays (what it applied server-side); its Update
	 * entries, and every other manager's, go. */
	assert_kept(
	    "{\"metadata\":{\"name\":\"a\",\"managedFields\":[" UPDATE("berth") ", " APPLY(
	        "kubectl") "," APPLY("berth") "," APPLY("berth-other") "],\"uid\":1}}",
	    "berth",
	    "{\"metadata\":{\"name\":\"a\",\"managedFields\":[" APPLY("berth") "],\"uid\":1}}");
	/* None of its own: the member goes, as without `keep`. */
	assert_kept("{\"metadata\":{\"managedFields\":[" APPLY("kubectl") "],\"name\":\"a\"}}",
	            "berth", "{\"metadata\":{\"name\":\"a\"}}");
	/* Each item of a LIST keeps its own. */
	assert_kept("{\"items\":[{\"metadata\":{\"managedFields\":[" APPLY(
	                "berth") "]}},{\"metadata\":{\"managedFields\":[" UPDATE("berth") "]}}]}",
	            "berth",
	            "{\"items\":[{\"metadata\":{\"managedFields\":[" APPLY(
	                "berth") "]}},{\"metadata\":{}}]}");
}

/* A watch event's object keeps berth's Apply entry alone, as a LIST's
 * items do; an object's own "object" member is data, and stays. */
static void test_json__strips_the_managed_fields_of_a_watch_events_object(void **state)
{
	static const char event[] =
	    "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\",\"managedFields\":"
	    "[" UPDATE("kubectl") "," APPLY("berth") "]},\"data\":{\"k\":\"v\"}}}";
	static const char object[] =
	    "{\"object\":{\"metadata\":{\"managedFields\":[" UPDATE("kubectl") "]}}}";
	char *text = strdup(event);
	size_t n = json_value_strip_event_managed_fields(text, strlen(text), "berth");

	(void)state;
	text[n] = '\0';
	assert_string_equal(text,
	                    "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\","
	                    "\"managedFields\":[" APPLY("berth") "]},\"data\":{\"k\":\"v\"}}}");
	free(text);
	assert_kept(object, "berth", object);
}

/* A key with a dot in it reads one way only, there and back. */
static void test_json__a_dotted_key_is_quoted_in_a_path(void **state)
{
	static const char text[] = "{\"data\":{\"tls.key\":\"k\",\"a\\\"b\":\"q\",\"plain\":\"p\"},"
	                           "\"spec\":{\"ports\":[{\"name\":\"x.y\"}]}}";
	struct json_object *doc = json_value_parse(text, strlen(text)), *at;
	struct buf p = BUF_INIT;
	const char *path;

	(void)state;
	buf_adds(&p, "data");
	json_value_path_add_key(&p, "tls.key");
	assert_string_equal(p.ptr, "data[\"tls.key\"]");
	path = p.ptr;
	at = json_value_path_step(doc, &path, NULL);
	at = json_value_path_step(at, &path, NULL);
	assert_string_equal(json_object_get_string(at), "k");
	buf_reset(&p);
	json_value_path_add_key(&p, "data");
	json_value_path_add_key(&p, "a\"b");
	assert_string_equal(p.ptr, "data[\"a\\\"b\"]");
	path = p.ptr;
	at = json_value_path_step(json_value_path_step(doc, &path, NULL), &path, NULL);
	assert_string_equal(json_object_get_string(at), "q");
	buf_reset(&p);
	json_value_path_add_key(&p, "data");
	json_value_path_add_key(&p, "plain");
	assert_string_equal(p.ptr, "data.plain");
	path = "spec.ports[0][\"name\"]";
	at = json_value_path_step(json_value_path_step(doc, &path, NULL), &path, NULL);
	assert_string_equal(json_object_get_string(at), "x.y");
	buf_release(&p);
	json_object_put(doc);
}

/* The text of member `name` of `text`, or "-" when it is not found. */
static const char *member(const char *text, const char *name)
{
	static char out[256];
	size_t start, end;

	if (!json_value_member_span(text, strlen(text), name, &start, &end))
		return "-";
	snprintf(out, sizeof(out), "%.*s", (int)(end - start), text + start);
	return out;
}

/* A LIST's metadata is found without parsing its items, before or after
 * them, its strings' escapes and nesting skipped whole. */
static void test_json__finds_a_member_without_parsing_the_rest(void **state)
{
	(void)state;
	assert_string_equal(
	    member("{\"kind\":\"ConfigMapList\",\"metadata\":{\"continue\":\"a\\\"}b\"},"
	           "\"items\":[{\"metadata\":{}}]}",
	           "metadata"),
	    "{\"continue\":\"a\\\"}b\"}");
	assert_string_equal(
	    member(" { \"items\" : [ {\"x\":\"]}\"} , 1 ] ,\n \"metadata\" : {} } ", "metadata"),
	    "{} ");
	assert_string_equal(member("{\"a\":1,\"metadata\":2}", "metadata"), "2");
	assert_string_equal(member("{\"a\":{\"metadata\":1}}", "metadata"), "-");
	assert_string_equal(member("[{\"metadata\":1}]", "metadata"), "-");
	assert_string_equal(member("{\"a\" 1,\"metadata\":2}", "metadata"), "-");
	assert_string_equal(member("{\"a\":1 \"metadata\":2}", "metadata"), "-");
	assert_string_equal(member("{\"metadata\":", "metadata"), "-");
	assert_string_equal(member("", "metadata"), "-");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json__a_dotted_key_is_quoted_in_a_path),
	    cmocka_unit_test(test_json__writes_what_go_encoding_json_writes),
	    cmocka_unit_test(test_json__refuses_nan_and_infinity),
	    cmocka_unit_test(test_json__equal_compares_numbers_by_value_and_maps_unordered),
	    cmocka_unit_test(test_json__parse_refuses_trailing_garbage),
	    cmocka_unit_test(test_json__parses_deep_nesting),
	    cmocka_unit_test(test_json__path_step_follows_keys_and_indexes),
	    cmocka_unit_test(test_json__strips_managed_fields_of_an_object_and_of_list_items),
	    cmocka_unit_test(test_json__keeps_the_apply_entry_of_one_manager),
	    cmocka_unit_test(test_json__strips_the_managed_fields_of_a_watch_events_object),
	    cmocka_unit_test(test_json__finds_a_member_without_parsing_the_rest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
