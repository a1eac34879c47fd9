#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/base/buf.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/json_value.h"
#include "../../diff/json_patch.h"

#include <stdlib.h>
#include <string.h>

/* A document, a patch (JSON or YAML), and either the document it gives or a
 * piece of the error it fails with. */
struct patch_case {
	const char *name, *doc, *patch, *want, *error;
};

static struct json_object *parse_json(const char *text)
{
	struct json_object *v = json_value_parse(text, strlen(text));

	if (!v && strcmp(text, "null"))
		fail_msg("bad JSON in the test: %s", text);
	return v;
}

static char *to_text(struct json_object *v)
{
	struct buf b = BUF_INIT;

	assert_int_equal(json_value_write(&b, v), 0);
	return buf_detach(&b, NULL);
}

static void run_case(const struct patch_case *c)
{
	struct json_object *doc = parse_json(c->doc), *ops = NULL, *out = NULL;
	char *before = to_text(doc), *after;
	int error;

	if (json_patch_parse(&ops, "p.yaml", c->patch, strlen(c->patch)) < 0)
		fail_msg("%s: parse: %s", c->name, berth_error_last());
	error = json_patch_apply(&out, doc, ops);
	if (c->error) {
		if (error >= 0)
			fail_msg("%s: applied, want error '%s'", c->name, c->error);
		if (!strstr(berth_error_last(), c->error))
			fail_msg("%s: error '%s', want '%s'", c->name, berth_error_last(),
			         c->error);
		assert_null(out);
	} else {
		struct json_object *want = parse_json(c->want);

		if (error < 0)
			fail_msg("%s: %s", c->name, berth_error_last());
		if (!json_value_equal(out, want)) {
			char *got = to_text(out);

			fail_msg("%s: got %s, want %s", c->name, got, c->want);
		}
		json_object_put(want);
		json_object_put(out);
	}
	/* all or nothing, and never in place */
	after = to_text(doc);
	assert_string_equal(before, after);
	free(before);
	free(after);
	json_object_put(ops);
	json_object_put(doc);
}

static void run_cases(const struct patch_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		run_case(&cases[i]);
}

/* RFC 6902, appendix A (A.13, duplicate keys, is json-c's to read). */
static const struct patch_case rfc_cases[] = {
    {"A.1", "{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]",
     "{\"baz\":\"qux\",\"foo\":\"bar\"}", NULL},
    {"A.2", "{\"foo\":[\"bar\",\"baz\"]}",
     "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]",
     "{\"foo\":[\"bar\",\"qux\",\"baz\"]}", NULL},
    {"A.3", "{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"remove\",\"path\":\"/baz\"}]",
     "{\"foo\":\"bar\"}", NULL},
    {"A.4", "{\"foo\":[\"bar\",\"qux\",\"baz\"]}", "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]",
     "{\"foo\":[\"bar\",\"baz\"]}", NULL},
    {"A.5", "{\"baz\":\"qux\",\"foo\":\"bar\"}",
     "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]",
     "{\"baz\":\"boo\",\"foo\":\"bar\"}", NULL},
    {"A.6", "{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}",
     "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]",
     "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}", NULL},
    {"A.7", "{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}",
     "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]",
     "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}", NULL},
    {"A.8", "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}",
     "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},"
     "{\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]",
     "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}", NULL},
    {"A.9", "{\"baz\":\"qux\"}", "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]", NULL,
     "op 0 (test /baz): the value differs"},
    {"A.10", "{\"foo\":\"bar\"}",
     "[{\"op\":\"add\",\"path\":\"/child\",\"value\":{\"grandchild\":{}}}]",
     "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}", NULL},
    {"A.11", "{\"foo\":\"bar\"}",
     "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"xyz\":123}]",
     "{\"foo\":\"bar\",\"baz\":\"qux\"}", NULL},
    {"A.12", "{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]",
     NULL, "op 0 (add /baz/bat): no such member 'baz'"},
    {"A.14", "{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]",
     "{\"/\":9,\"~1\":10}", NULL},
    {"A.15", "{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":\"10\"}]", NULL,
     "the value differs"},
    {"A.16", "{\"foo\":[\"bar\"]}",
     "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\",\"def\"]}]",
     "{\"foo\":[\"bar\",[\"abc\",\"def\"]]}", NULL},
};

static void test_json_patch__applies_rfc6902_appendix_a(void **state)
{
	(void)state;
	run_cases(rfc_cases, sizeof(rfc_cases) / sizeof(rfc_cases[0]));
}

/* What evanphx/json-patch does at the edges, kustomize with it. */
static const struct patch_case edge_cases[] = {
    {"add replaces a member", "{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/a\",\"value\":2}]",
     "{\"a\":2}", NULL},
    {"add at length appends", "{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/1\",\"value\":2}]",
     "{\"a\":[1,2]}", NULL},
    {"add at 0 inserts", "{\"a\":[1,2]}", "[{\"op\":\"add\",\"path\":\"/a/0\",\"value\":0}]",
     "{\"a\":[0,1,2]}", NULL},
    {"add past length", "{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/2\",\"value\":2}]", NULL,
     "op 0 (add /a/2): index 2 is out of range (length 1)"},
    /* kubectl kustomize v5.5.0 reads a leading zero, and counts a
     * negative index from the end (-1: the last; for an add, the end). */
    {"leading zero", "{\"a\":[1,2]}", "[{\"op\":\"replace\",\"path\":\"/a/01\",\"value\":0}]",
     "{\"a\":[1,0]}", NULL},
    {"negative index", "{\"a\":[1,2,3]}", "[{\"op\":\"remove\",\"path\":\"/a/-1\"}]",
     "{\"a\":[1,2]}", NULL},
    {"negative index from the end", "{\"a\":[1,2]}", "[{\"op\":\"remove\",\"path\":\"/a/-2\"}]",
     "{\"a\":[2]}", NULL},
    {"negative index past the start", "{\"a\":[1,2]}", "[{\"op\":\"remove\",\"path\":\"/a/-3\"}]",
     NULL, "index -3 is out of range (length 2)"},
    {"add at -1 appends", "{\"a\":[1,2]}", "[{\"op\":\"add\",\"path\":\"/a/-1\",\"value\":3}]",
     "{\"a\":[1,2,3]}", NULL},
    {"not a number", "{\"a\":[1]}", "[{\"op\":\"remove\",\"path\":\"/a/x1\"}]", NULL,
     "'x1' is not an array index"},
    {"huge index", "{\"a\":[1]}", "[{\"op\":\"remove\",\"path\":\"/a/99999999999999999999999\"}]",
     NULL, "is out of range (length 1)"},
    {"dash is no element", "{\"a\":[1]}", "[{\"op\":\"replace\",\"path\":\"/a/-\",\"value\":0}]",
     NULL, "'-' names no element"},
    {"escapes", "{\"a/b\":1,\"m~n\":2}",
     "[{\"op\":\"replace\",\"path\":\"/a~1b\",\"value\":3},"
     "{\"op\":\"remove\",\"path\":\"/m~0n\"}]",
     "{\"a/b\":3}", NULL},
    {"empty key", "{\"\":1}", "[{\"op\":\"replace\",\"path\":\"/\",\"value\":2}]", "{\"\":2}",
     NULL},
    {"remove missing", "{\"spec\":{}}", "[{\"op\":\"remove\",\"path\":\"/spec/x\"}]", NULL,
     "op 0 (remove /spec/x): no such member 'x'"},
    {"replace missing", "{}", "[{\"op\":\"replace\",\"path\":\"/x\",\"value\":1}]", NULL,
     "op 0 (replace /x): no such member 'x'"},
    {"replace index out of range", "{\"a\":[]}",
     "[{\"op\":\"replace\",\"path\":\"/a/0\",\"value\":1}]", NULL,
     "index 0 is out of range (length 0)"},
    {"into a scalar", "{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/a/b\",\"value\":1}]", NULL,
     "cannot find 'b' in a number"},
    {"move into its child", "{\"a\":{\"b\":1}}",
     "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/c\"}]", NULL,
     "op 0 (move /a to /a/c): cannot move a value into itself"},
    {"move onto itself", "{\"a\":{\"b\":1}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a\"}]",
     "{\"a\":{\"b\":1}}", NULL},
    {"move from missing", "{}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/b\"}]", NULL,
     "op 0 (move /a to /b): no such member 'a'"},
    {"copy is deep", "{\"a\":{\"b\":1}}",
     "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c\"},"
     "{\"op\":\"replace\",\"path\":\"/c/b\",\"value\":2}]",
     "{\"a\":{\"b\":1},\"c\":{\"b\":2}}", NULL},
    {"copy the root into itself", "{\"a\":1}", "[{\"op\":\"copy\",\"from\":\"\",\"path\":\"/b\"}]",
     "{\"a\":1,\"b\":{\"a\":1}}", NULL},
    {"replace the root", "{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":{\"b\":2}}]",
     "{\"b\":2}", NULL},
    {"add the root", "{\"a\":1}", "[{\"op\":\"add\",\"path\":\"\",\"value\":[1]}]", "[1]", NULL},
    {"move to the root", "{\"a\":{\"b\":1}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"\"}]",
     "{\"b\":1}", NULL},
    {"remove the root", "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"\"}]", NULL,
     "op 0 (remove \"\"): cannot remove the whole document"},
    {"test the root", "{\"a\":[1,{\"b\":null}]}",
     "[{\"op\":\"test\",\"path\":\"\",\"value\":{\"a\":[1.0,{\"b\":null}]}}]",
     "{\"a\":[1,{\"b\":null}]}", NULL},
    {"test ignores key order", "{\"a\":{\"x\":1,\"y\":2}}",
     "[{\"op\":\"test\",\"path\":\"/a\",\"value\":{\"y\":2,\"x\":1}}]", "{\"a\":{\"x\":1,\"y\":2}}",
     NULL},
    {"test a missing member against null", "{}",
     "[{\"op\":\"test\",\"path\":\"/x\",\"value\":null}]", "{}", NULL},
    {"test a missing member", "{}", "[{\"op\":\"test\",\"path\":\"/x\",\"value\":1}]", NULL,
     "op 0 (test /x): no such member 'x'"},
    {"all or nothing", "{\"a\":1,\"b\":[1]}",
     "[{\"op\":\"remove\",\"path\":\"/a\"},{\"op\":\"add\",\"path\":\"/b/0\",\"value\":0},"
     "{\"op\":\"remove\",\"path\":\"/nope\"}]",
     NULL, "op 2 (remove /nope): no such member 'nope'"},
};

static void test_json_patch__follows_evanphx_at_the_edges(void **state)
{
	(void)state;
	run_cases(edge_cases, sizeof(edge_cases) / sizeof(edge_cases[0]));
}

static void test_json_patch__reads_yaml_ops(void **state)
{
	static const struct patch_case cases[] = {
	    {"yaml", "{\"spec\":{\"replicas\":1,\"template\":{}}}",
	     "- op: replace\n  path: /spec/replicas\n  value: 3\n"
	     "- op: add\n  path: /spec/template/labels\n  value: {app: web}\n",
	     "{\"spec\":{\"replicas\":3,\"template\":{\"labels\":{\"app\":\"web\"}}}}", NULL},
	    {"json after blanks", "{}", "\n  [{\"op\":\"add\",\"path\":\"/a\",\"value\":\"yes\"}]",
	     "{\"a\":\"yes\"}", NULL},
	};
	(void)state;
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Each refused op list, and a piece of the error naming why. */
static const struct {
	const char *patch, *error;
} invalid[] = {
    {"{\"op\":\"add\"}", "p.yaml: a JSON patch is a list of ops, not an object"},
    {"[1]", "p.yaml: op 0: a number, not an object"},
    {"[{\"path\":\"/a\"}]", "op 0: 'op' is missing"},
    {"[{\"op\":7,\"path\":\"/a\"}]", "op 0: 'op' is a number, not a string"},
    {"[{\"op\":\"merge\",\"path\":\"/a\"}]", "op 0: unknown op 'merge'"},
    {"[{\"op\":\"remove\"}]", "op 0 (remove): 'path' is missing"},
    {"[{\"op\":\"remove\",\"path\":\"/a\"},{\"op\":\"add\",\"path\":\"/a\"}]",
     "op 1 (add /a): 'value' is missing"},
    {"[{\"op\":\"test\",\"path\":\"/a\"}]", "op 0 (test /a): 'value' is missing"},
    {"[{\"op\":\"move\",\"path\":\"/a\"}]", "op 0 (move /a): 'from' is missing"},
    {"[{\"op\":\"copy\",\"from\":\"a\",\"path\":\"/b\"}]",
     "op 0 (copy a to /b): from 'a' does not start with '/'"},
    {"[{\"op\":\"remove\",\"path\":\"a/b\"}]", "path 'a/b' does not start with '/'"},
    {"[{\"op\":\"remove\",\"path\":\"/a~2\"}]", "path '/a~2': '~' is not followed by 0 or 1"},
    {"[{\"op\":\"remove\",\"path\":\"/a~\"}]", "'~' is not followed by 0 or 1"},
    {"[{\"op\":\"remove\",\"path\":\"/a\\u0000b\"}]", "'path' holds a NUL byte"},
    {"[{\"op\":\"remove\",\"path\":\"/a\"", "p.yaml"},
    {"- op: remove\n  path: /a\n---\n- op: remove\n  path: /b\n",
     "p.yaml: a JSON patch is one document, not 2"},
};

static void test_json_patch__refuses_invalid_ops_naming_the_op(void **state)
{
	struct json_object *ops = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		if (json_patch_parse(&ops, "p.yaml", invalid[i].patch, strlen(invalid[i].patch)) >=
		    0)
			fail_msg("parsed %s", invalid[i].patch);
		if (!strstr(berth_error_last(), invalid[i].error))
			fail_msg("%s: error '%s', want '%s'", invalid[i].patch, berth_error_last(),
			         invalid[i].error);
		assert_null(ops);
	}
}

static void test_json_patch__bounds_ops_depth_and_copies(void **state)
{
	struct json_object *ops = json_object_new_array(), *doc = json_object_new_object();
	struct json_object *op, *out = NULL;
	struct buf path = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i <= JSON_PATCH_MAX_DEPTH; i++)
		buf_adds(&path, "/a");
	op = json_object_new_object();
	json_object_object_add(op, "op", json_object_new_string("remove"));
	json_object_object_add(op, "path", json_object_new_string(path.ptr));
	json_object_array_add(ops, op);
	assert_true(json_patch_apply(&out, doc, ops) < 0);
	assert_non_null(strstr(berth_error_last(), "is deeper than 128"));

	/* each copy of the root doubles the document */
	json_object_array_del_idx(ops, 0, 1);
	for (i = 0; i < 40; i++) {
		op = json_object_new_object();
		json_object_object_add(op, "op", json_object_new_string("copy"));
		json_object_object_add(op, "from", json_object_new_string(""));
		json_object_object_add(op, "path", json_object_new_string(i % 2 ? "/a" : "/b"));
		json_object_array_add(ops, op);
	}
	assert_true(json_patch_apply(&out, doc, ops) < 0);
	assert_non_null(strstr(berth_error_last(), "the patch copies more than 1000000 values"));

	for (i = 40; i <= JSON_PATCH_MAX_OPS; i++)
		json_object_array_add(ops, json_object_get(json_object_array_get_idx(ops, 0)));
	assert_true(json_patch_check(ops) < 0);
	assert_non_null(strstr(berth_error_last(), "at most 10000 ops, not 10001"));
	assert_null(out);
	buf_release(&path);
	json_object_put(ops);
	json_object_put(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_patch__applies_rfc6902_appendix_a),
	    cmocka_unit_test(test_json_patch__follows_evanphx_at_the_edges),
	    cmocka_unit_test(test_json_patch__reads_yaml_ops),
	    cmocka_unit_test(test_json_patch__refuses_invalid_ops_naming_the_op),
	    cmocka_unit_test(test_json_patch__bounds_ops_depth_and_copies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
