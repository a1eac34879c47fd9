#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/kustomize_patch.h"

#include "../../diff/base/berth_error.h"
#include "../../diff/base/buf.h"
#include "../../diff/base/json_value.h"
#include "../../diff/yaml_doc.h"

#include <stdlib.h>
#include <string.h>

/* The golden corpus: what kubectl's kustomize v5.5.0 printed. */
#define CORPUS BERTH_KUSTOMIZE_CORPUS

static struct json_object *parse_file(const char *path)
{
	struct buf text = BUF_INIT;
	struct json_object *docs = NULL;

	if (buf_read_file(&text, path, 1 << 20) < 0 ||
	    yaml_parse(&docs, path, text.ptr, text.len, NULL, NULL) < 0)
		fail_msg("%s: %s", path, berth_error_last());
	buf_release(&text);
	return docs;
}

static void add_file(struct kustomize_resources *rs, const char *dir, const char *file)
{
	struct buf path = BUF_INIT;
	struct json_object *docs;
	size_t i;

	buf_addf(&path, "%s/%s", dir, file);
	docs = parse_file(path.ptr);
	for (i = 0; i < json_object_array_length(docs); i++)
		kustomize_resources_add(rs, json_object_get(json_object_array_get_idx(docs, i)),
		                        path.ptr, 0, 0);
	json_object_put(docs);
	buf_release(&path);
}

/* One patch: inline `text`, or else the file `path` of the case. */
static void patch(struct kustomize_resources *rs, const char *dir, const char *text,
                  const char *path, struct json_object *target)
{
	struct buf file = BUF_INIT, where = BUF_INIT;
	struct json_object *ops = NULL, *smp = NULL;

	if (!text) {
		buf_addf(&where, "%s/%s", dir, path);
		assert_int_equal(buf_read_file(&file, where.ptr, 1 << 20), 0);
	}
	if (kustomize_patch_parse(&ops, &smp, path ? path : "inline", text ? text : file.ptr,
	                          text ? strlen(text) : file.len) < 0 ||
	    kustomize_patch_apply(rs, ops, smp, target, path ? path : "inline") < 0)
		fail_msg("%s: %s", dir, berth_error_last());
	json_object_put(ops);
	json_object_put(smp);
	buf_release(&file);
	buf_release(&where);
}

/* Is `text` an inline patch (patchesStrategicMerge takes both)? */
static bool is_inline(const char *text)
{
	return strchr(text, '\n') != NULL;
}

/* Build case `name` with its resources and patches only, and compare to
 * expected.yaml object by object. */
static void check_case(const char *name)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct buf dir = BUF_INIT, file = BUF_INIT;
	struct json_object *k, *list, *expected;
	size_t i, j;

	buf_addf(&dir, "%s/%s", CORPUS, name);
	buf_addf(&file, "%s/kustomization.yaml", dir.ptr);
	k = parse_file(file.ptr);
	list = json_value_get(json_object_array_get_idx(k, 0), "resources");
	for (i = 0; i < json_value_array_len(list); i++)
		add_file(&rs, dir.ptr, json_object_get_string(json_object_array_get_idx(list, i)));
	list = json_value_get(json_object_array_get_idx(k, 0), "patchesStrategicMerge");
	for (i = 0; i < json_value_array_len(list); i++) {
		const char *p = json_object_get_string(json_object_array_get_idx(list, i));
		patch(&rs, dir.ptr, is_inline(p) ? p : NULL, is_inline(p) ? NULL : p, NULL);
	}
	list = json_value_get(json_object_array_get_idx(k, 0), "patches");
	for (i = 0; i < json_value_array_len(list); i++) {
		struct json_object *p = json_object_array_get_idx(list, i);
		patch(&rs, dir.ptr, json_value_get_string(p, "patch"),
		      json_value_get_string(p, "path"), json_value_get(p, "target"));
	}
	list = json_value_get(json_object_array_get_idx(k, 0), "patchesJson6902");
	for (i = 0; i < json_value_array_len(list); i++) {
		struct json_object *p = json_object_array_get_idx(list, i);
		patch(&rs, dir.ptr, json_value_get_string(p, "patch"),
		      json_value_get_string(p, "path"), json_value_get(p, "target"));
	}
	buf_reset(&file);
	buf_addf(&file, "%s/expected.yaml", dir.ptr);
	expected = parse_file(file.ptr);
	if (json_object_array_length(expected) != rs.n)
		fail_msg("%s: %zu objects, kustomize printed %zu", name, rs.n,
		         json_object_array_length(expected));
	for (i = 0; i < json_object_array_length(expected); i++) {
		struct json_object *want = json_object_array_get_idx(expected, i);
		struct kustomize_resource w = {.obj = want};
		bool found = false;

		for (j = 0; j < rs.n && !found; j++) {
			if (strcmp(kustomize_resource_kind(&w),
			           kustomize_resource_kind(&rs.items[j])) ||
			    strcmp(kustomize_resource_name(&w),
			           kustomize_resource_name(&rs.items[j])) ||
			    strcmp(kustomize_resource_namespace(&w),
			           kustomize_resource_namespace(&rs.items[j])))
				continue;
			found = true;
			if (!json_value_equal(want, rs.items[j].obj))
				fail_msg("%s: %s '%s' is\n%s\nwhere kustomize printed\n%s", name,
				         kustomize_resource_kind(&w), kustomize_resource_name(&w),
				         json_object_to_json_string(rs.items[j].obj),
				         json_object_to_json_string(want));
		}
		if (!found)
			fail_msg("%s: no %s '%s'", name, kustomize_resource_kind(&w),
			         kustomize_resource_name(&w));
	}
	json_object_put(expected);
	json_object_put(k);
	kustomize_resources_release(&rs);
	buf_release(&dir);
	buf_release(&file);
}

static void test_kustomize_patch__corpus(void **state)
{
	static const char *cases[] = {
	    "patches-file-smp",
	    "patches-inline-smp",
	    "patches-inline-json6902",
	    "patches-file-json6902",
	    "patches-target-name-regex",
	    "patches-target-label-selector",
	    "patches-target-annotation-selector",
	    "patches-target-gvk-namespace",
	    "patches-delete",
	    "patches-strategic-merge",
	    "patches-json6902",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		check_case(cases[i]);
}

static struct json_object *obj(const char *yaml)
{
	struct json_object *docs = NULL, *o;

	assert_int_equal(yaml_parse(&docs, "t", yaml, strlen(yaml), NULL, NULL), 0);
	o = json_object_get(json_object_array_get_idx(docs, 0));
	json_object_put(docs);
	return o;
}

static void test_kustomize_patch__parse_tells_ops_from_smp(void **state)
{
	struct json_object *ops = NULL, *smp = NULL;
	const char *list = "- op: add\n  path: /a\n  value: 1\n";
	const char *json = "  [{\"op\": \"remove\", \"path\": \"/a\"}]\n";
	const char *docs = "kind: A\n---\nkind: B\n";

	(void)state;
	assert_int_equal(kustomize_patch_parse(&ops, &smp, "p", list, strlen(list)), 0);
	assert_non_null(ops);
	assert_null(smp);
	json_object_put(ops);
	ops = NULL;
	assert_int_equal(kustomize_patch_parse(&ops, &smp, "p", json, strlen(json)), 0);
	assert_int_equal(json_object_array_length(ops), 1);
	json_object_put(ops);
	ops = NULL;
	assert_int_equal(kustomize_patch_parse(&ops, &smp, "p", docs, strlen(docs)), 0);
	assert_null(ops);
	assert_int_equal(json_object_array_length(smp), 2);
	json_object_put(smp);
	smp = NULL;
	assert_int_equal(kustomize_patch_parse(&ops, &smp, "p", " \n ", 3), -1);
	assert_string_equal(berth_error_last(), "p: the patch is empty");
	assert_int_equal(kustomize_patch_parse(&ops, &smp, "p", "- op: nope\n", 11), -1);
	assert_int_equal(kustomize_patch_parse(&ops, &smp, "p", "a: 1\n---\n- 2\n", 13), -1);
	assert_null(ops);
	assert_null(smp);
}

/* A patch is read as it is: its last block scalar keeps its line break
 * (kustomize trims an inline `patch` only, and the build does that). */
static void test_kustomize_patch__parse_keeps_the_last_line_break(void **state)
{
	struct json_object *ops = NULL, *smp = NULL;
	const char *doc = "kind: ConfigMap\ndata:\n  a.conf: |\n    x=1\n";

	(void)state;
	assert_int_equal(kustomize_patch_parse(&ops, &smp, "p", doc, strlen(doc)), 0);
	assert_string_equal(
	    json_value_get_string(json_value_get(json_object_array_get_idx(smp, 0), "data"),
	                          "a.conf"),
	    "x=1\n");
	json_object_put(smp);
}

/* Does target `t` (YAML) select the object `o` (YAML)? -1 on error. */
static int selects(const char *t, const char *o)
{
	struct json_object *target = obj(t);
	struct kustomize_resource r = {.obj = obj(o)};
	bool out = false;
	int error = kustomize_target_match(&out, target, &r);

	json_object_put(target);
	json_object_put(r.obj);
	return error < 0 ? -1 : out;
}

#define POD                                                                                        \
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-1\n  labels: {tier: web, app: "         \
	"shop}\n  annotations: {a.b/c: 'yes'}\n"
#define DEPLOY "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: prod}\n"

static void test_kustomize_patch__target_regexes_are_anchored(void **state)
{
	(void)state;
	assert_int_equal(selects("name: web", POD), 0);
	assert_int_equal(selects("name: web-.*", POD), 1);
	assert_int_equal(selects("name: 'eb-1'", POD), 0);
	assert_int_equal(selects("name: 'web|api'", DEPLOY), 1);
	assert_int_equal(selects("kind: Po", POD), 0);
	assert_int_equal(selects("{group: apps, version: v1, kind: Deployment}", DEPLOY), 1);
	assert_int_equal(selects("group: apps", POD), 0);
	assert_int_equal(selects("version: v1", POD), 1);
	/* No namespace is the "default" one. */
	assert_int_equal(selects("namespace: default", POD), 1);
	assert_int_equal(selects("namespace: default", DEPLOY), 0);
	assert_int_equal(selects("namespace: pro.", DEPLOY), 1);
	assert_int_equal(selects("name: '(web'", POD), -1);
}

static void test_kustomize_patch__target_selectors(void **state)
{
	(void)state;
	assert_int_equal(selects("labelSelector: tier=web", POD), 1);
	assert_int_equal(selects("labelSelector: tier==web", POD), 1);
	assert_int_equal(selects("labelSelector: tier=db", POD), 0);
	assert_int_equal(selects("labelSelector: tier!=db", POD), 1);
	assert_int_equal(selects("labelSelector: nope!=db", POD), 1);
	assert_int_equal(selects("labelSelector: 'tier in (db, web)'", POD), 1);
	assert_int_equal(selects("labelSelector: 'tier notin (db,web)'", POD), 0);
	assert_int_equal(selects("labelSelector: 'nope notin (db)'", POD), 1);
	assert_int_equal(selects("labelSelector: 'tier, app=shop'", POD), 1);
	assert_int_equal(selects("labelSelector: 'tier,!app'", POD), 0);
	assert_int_equal(selects("labelSelector: '!nope'", POD), 1);
	assert_int_equal(selects("labelSelector: tier=web", DEPLOY), 0);
	assert_int_equal(selects("annotationSelector: a.b/c=yes", POD), 1);
	assert_int_equal(selects("annotationSelector: a.b/c=no", POD), 0);
	assert_int_equal(selects("labelSelector: 'tier in (web'", POD), -1);
	assert_int_equal(selects("labelSelector: 'tier > 1'", POD), -1);
	assert_int_equal(selects("labelSelector: 'tier=web app=shop'", POD), -1);
	assert_int_equal(selects("labelSelector: '!tier=web'", POD), -1);
}

static void test_kustomize_patch__smp_without_target_names_one_object(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct json_object *smp = json_object_new_array();
	struct kustomize_resource *r;

	(void)state;
	r = kustomize_resources_add(&rs, obj(DEPLOY), "d.yaml", 1, 1);
	kustomize_resource_rename(r, "p-web", NULL);
	/* A former name reaches it; the namespace must be its own. */
	json_object_array_add(smp, obj("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: "
	                               "web}\nspec: {replicas: 2}\n"));
	assert_int_equal(kustomize_patch_apply(&rs, NULL, smp, NULL, "k.yaml:3"), -1);
	assert_string_equal(berth_error_last(), "k.yaml:3: no object matches Deployment 'web'");
	json_object_object_add(json_value_get(json_object_array_get_idx(smp, 0), "metadata"),
	                       "namespace", json_object_new_string("prod"));
	assert_int_equal(kustomize_patch_apply(&rs, NULL, smp, NULL, "k.yaml:3"), 0);
	assert_int_equal(json_object_get_int(
	                     json_value_get(json_value_get(rs.items[0].obj, "spec"), "replicas")),
	                 2);
	assert_string_equal(kustomize_resource_name(&rs.items[0]), "p-web");
	assert_string_equal(rs.items[0].patch, "k.yaml:3");
	json_object_put(smp);
	kustomize_resources_release(&rs);
}

static void test_kustomize_patch__json6902_rename_keeps_former_name(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct json_object *ops = NULL, *smp = NULL, *target = obj("kind: Deployment");
	const char *text = "- {op: replace, path: /metadata/name, value: api}\n";

	(void)state;
	kustomize_resources_add(&rs, obj(DEPLOY), "d.yaml", 1, 1);
	kustomize_resources_add(&rs, obj(POD), "p.yaml", 1, 1);
	assert_int_equal(kustomize_patch_parse(&ops, &smp, "p", text, strlen(text)), 0);
	assert_int_equal(kustomize_patch_apply(&rs, ops, NULL, NULL, "k:1"), -1);
	assert_int_equal(kustomize_patch_apply(&rs, ops, NULL, target, "k:1"), 0);
	assert_string_equal(kustomize_resource_name(&rs.items[0]), "api");
	assert_true(kustomize_resource_was(&rs.items[0], "web", "prod"));
	assert_string_equal(rs.items[0].patch, "k:1");
	assert_null(rs.items[1].patch);
	json_object_put(ops);
	json_object_put(target);
	kustomize_resources_release(&rs);
}

/* kustomize refuses an object a patch leaves with no kind or no name; a
 * name that is another scalar it takes. */
static void test_kustomize_patch__a_patch_leaving_no_name_is_refused(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct json_object *target = obj("kind: Deployment"), *smp = json_object_new_array();
	const char *texts[] = {"- {op: remove, path: /metadata/name}\n",
	                       "- {op: replace, path: /kind, value: ''}\n"};
	const char *number = "- {op: replace, path: /metadata/name, value: 7}\n";
	struct json_object *ops = NULL, *none = NULL;
	size_t i;

	(void)state;
	kustomize_resources_add(&rs, obj(DEPLOY), "d.yaml", 1, 1);
	for (i = 0; i < 2; i++) {
		assert_int_equal(
		    kustomize_patch_parse(&ops, &none, "p", texts[i], strlen(texts[i])), 0);
		assert_int_equal(kustomize_patch_apply(&rs, ops, NULL, target, "k:1"), -1);
		assert_non_null(strstr(berth_error_last(),
		                       "k:1: Deployment 'web': the patch leaves "
		                       "it with no kind or no metadata.name"));
		json_object_put(ops);
	}
	json_object_array_add(smp, obj("apiVersion: apps/v1\nkind: Deployment\nmetadata: null\n"));
	assert_int_equal(kustomize_patch_apply(&rs, NULL, smp, target, "k:2"), -1);
	assert_string_equal(kustomize_resource_name(&rs.items[0]), "web");
	assert_null(rs.items[0].patch);
	assert_int_equal(kustomize_patch_parse(&ops, &none, "p", number, strlen(number)), 0);
	assert_int_equal(kustomize_patch_apply(&rs, ops, NULL, target, "k:3"), 0);
	json_object_put(ops);
	json_object_put(smp);
	json_object_put(target);
	kustomize_resources_release(&rs);
}

/* Without a schema merge_apply is a JSON merge patch: the directive to
 * delete a custom resource is kustomize's own. */
static void test_kustomize_patch__delete_removes_a_custom_resource(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct json_object *smp = json_object_new_array();

	(void)state;
	kustomize_resources_add(&rs, obj("apiVersion: x.io/v1\nkind: Db\nmetadata: {name: d}\n"),
	                        "d.yaml", 1, 1);
	kustomize_resources_add(&rs, obj(POD), "p.yaml", 1, 1);
	json_object_array_add(smp, obj("apiVersion: x.io/v1\nkind: Db\nmetadata: {name: "
	                               "d}\n$patch: delete\n"));
	assert_int_equal(kustomize_patch_apply(&rs, NULL, smp, NULL, "k:1"), 0);
	assert_int_equal(rs.n, 1);
	assert_string_equal(kustomize_resource_kind(&rs.items[0]), "Pod");
	json_object_put(smp);
	kustomize_resources_release(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kustomize_patch__corpus),
	    cmocka_unit_test(test_kustomize_patch__parse_tells_ops_from_smp),
	    cmocka_unit_test(test_kustomize_patch__parse_keeps_the_last_line_break),
	    cmocka_unit_test(test_kustomize_patch__target_regexes_are_anchored),
	    cmocka_unit_test(test_kustomize_patch__target_selectors),
	    cmocka_unit_test(test_kustomize_patch__smp_without_target_names_one_object),
	    cmocka_unit_test(test_kustomize_patch__json6902_rename_keeps_former_name),
	    cmocka_unit_test(test_kustomize_patch__delete_removes_a_custom_resource),
	    cmocka_unit_test(test_kustomize_patch__a_patch_leaving_no_name_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
