#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/kustomize_transform.h"

#include "../../diff/base/berth_error.h"
#include "../../diff/base/buf.h"
#include "../../diff/base/json_value.h"
#include "../../diff/yaml_doc.h"

#include <stdlib.h>
#include <string.h>

/* The golden corpus: what kubectl's kustomize v5.5.0 printed. */
#define CORPUS BERTH_KUSTOMIZE_CORPUS

/* The documents of YAML text; the caller owns them. */
static struct json_object *parse(const char *name, const char *text)
{
	struct json_object *docs = NULL;

	if (yaml_parse(&docs, name, text, strlen(text), NULL, NULL))
		fail_msg("%s: %s", name, berth_error_last());
	return docs;
}

static struct json_object *parse_file(const char *path)
{
	struct buf text = BUF_INIT;
	struct json_object *docs;

	if (buf_read_file(&text, path, 1 << 20))
		fail_msg("%s: %s", path, berth_error_last());
	docs = parse(path, text.ptr);
	buf_release(&text);
	return docs;
}

static void add_docs(struct kustomize_resources *rs, struct json_object *docs, const char *file)
{
	size_t i;

	for (i = 0; i < json_value_array_len(docs); i++)
		kustomize_resources_add(rs, json_object_get(json_object_array_get_idx(docs, i)),
		                        file, 0, 0);
}

/* A case of the corpus: its kustomization (returned) and the objects of its
 * resources into `rs`. */
static struct json_object *load_case(struct kustomize_resources *rs, const char *name)
{
	struct buf path = BUF_INIT;
	struct json_object *k, *resources;
	size_t i;

	buf_addf(&path, "%s/%s/kustomization.yaml", CORPUS, name);
	k = parse_file(path.ptr);
	resources = json_value_get(json_object_array_get_idx(k, 0), "resources");
	for (i = 0; i < json_value_array_len(resources); i++) {
		struct json_object *docs;

		buf_reset(&path);
		buf_addf(&path, "%s/%s/%s", CORPUS, name,
		         json_object_get_string(json_object_array_get_idx(resources, i)));
		docs = parse_file(path.ptr);
		add_docs(rs, docs, path.ptr);
		json_object_put(docs);
	}
	buf_release(&path);
	return k;
}

static struct kustomize_resource *find(struct kustomize_resources *rs, const char *kind,
                                       const char *name)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (!strcmp(kustomize_resource_kind(&rs->items[i]), kind) &&
		    !strcmp(kustomize_resource_name(&rs->items[i]), name))
			return &rs->items[i];
	return NULL;
}

/* Remove field `path` ("a.b") of `obj`, when there. */
static void drop(struct json_object *obj, const char *path)
{
	const char *dot = strchr(path, '.');
	struct buf key = BUF_INIT;

	buf_add(&key, path, dot ? (size_t)(dot - path) : strlen(path));
	if (dot)
		drop(json_value_get(obj, key.ptr), dot + 1);
	else if (json_object_is_type(obj, json_type_object))
		json_object_object_del(obj, key.ptr);
	buf_release(&key);
}

/*
 * Each object of the case's expected.yaml equals the one of that kind and
 * name in `rs`, but for `not_ours` ("Kind field.path" a line each): what
 * another transformer of the build (name references) changes.
 */
static void check_objects(struct kustomize_resources *rs, const char *name,
                           const char *const *not_ours)
{
	struct buf path = BUF_INIT, a = BUF_INIT, b = BUF_INIT;
	struct json_object *want;
	size_t i, j;

	buf_addf(&path, "%s/%s/expected.yaml", CORPUS, name);
	want = parse_file(path.ptr);
	assert_int_equal(json_value_array_len(want), rs->n);
	for (i = 0; i < json_value_array_len(want); i++) {
		struct json_object *w = json_object_array_get_idx(want, i);
		const char *kind = json_value_get_string(w, "kind");
		struct kustomize_resource *r =
		    find(rs, kind, json_value_get_string(json_value_get(w, "metadata"), "name"));

		assert_non_null(r);
		for (j = 0; not_ours && not_ours[j]; j += 2)
			if (!strcmp(not_ours[j], kind)) {
				drop(w, not_ours[j + 1]);
				drop(r->obj, not_ours[j + 1]);
			}
		if (!json_value_equal(w, r->obj)) {
			buf_reset(&a);
			buf_reset(&b);
			yaml_emit(&a, r->obj);
			yaml_emit(&b, w);
			fail_msg("%s: %s: got\n%swhere kustomize printed\n%s", name, kind, a.ptr,
			         b.ptr);
		}
	}
	json_object_put(want);
	buf_release(&path);
	buf_release(&a);
	buf_release(&b);
}

static struct json_object *field(struct json_object *k, const char *key)
{
	return json_value_get(json_object_array_get_idx(k, 0), key);
}

static void test_kustomize_transform__corpus_namespace(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct json_object *k = load_case(&rs, "namespace");
	/* Subject db, a ServiceAccount of the build, follows it through the
	 * name references; the focused tests below check the subjects. */
	static const char *const not_ours[] = {"RoleBinding", "subjects", "ClusterRoleBinding",
	                                       "subjects", NULL};

	(void)state;
	assert_int_equal(kustomize_namespace(&rs, json_object_get_string(field(k, "namespace"))),
	                 0);
	check_objects(&rs, "namespace", not_ours);
	assert_string_equal(kustomize_resource_first_namespace(find(&rs, "Service", "db")), "");
	json_object_put(k);
	kustomize_resources_release(&rs);
}

/* A StatefulSet's serviceName follows the Service through the name
 * references, not the prefix or suffix. */
static const char *const service_name_not_ours[] = {"StatefulSet", "spec.serviceName", NULL};

static void test_kustomize_transform__corpus_name_prefix(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct json_object *k = load_case(&rs, "name-prefix");

	(void)state;
	assert_int_equal(
	    kustomize_prefix_suffix(&rs, json_object_get_string(field(k, "namePrefix")), NULL), 0);
	check_objects(&rs, "name-prefix", service_name_not_ours);
	assert_true(kustomize_resource_was(find(&rs, "Service", "orders-db"), "db", ""));
	json_object_put(k);
	kustomize_resources_release(&rs);
}

static void test_kustomize_transform__corpus_name_suffix(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct json_object *k = load_case(&rs, "name-suffix");

	(void)state;
	assert_int_equal(
	    kustomize_prefix_suffix(&rs, NULL, json_object_get_string(field(k, "nameSuffix"))), 0);
	check_objects(&rs, "name-suffix", service_name_not_ours);
	json_object_put(k);
	kustomize_resources_release(&rs);
}

static void test_kustomize_transform__corpus_common_labels(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct json_object *k = load_case(&rs, "common-labels");

	(void)state;
	assert_int_equal(kustomize_labels(&rs, field(k, "commonLabels"), true, true, "k.yaml:1"),
	                 0);
	check_objects(&rs, "common-labels", NULL);
	assert_string_equal(find(&rs, "StatefulSet", "db")->selector_labels, "k.yaml:1");
	json_object_put(k);
	kustomize_resources_release(&rs);
}

static void test_kustomize_transform__corpus_labels(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct json_object *k = load_case(&rs, "labels");
	struct json_object *labels = field(k, "labels");
	size_t i;

	(void)state;
	for (i = 0; i < json_value_array_len(labels); i++) {
		struct json_object *l = json_object_array_get_idx(labels, i);

		assert_int_equal(
		    kustomize_labels(&rs, json_value_get(l, "pairs"),
		                     json_object_get_boolean(json_value_get(l, "includeSelectors")),
		                     json_object_get_boolean(json_value_get(l, "includeTemplates")),
		                     NULL),
		    0);
	}
	check_objects(&rs, "labels", NULL);
	json_object_put(k);
	kustomize_resources_release(&rs);
}

static void test_kustomize_transform__corpus_common_annotations(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct json_object *k = load_case(&rs, "common-annotations");

	(void)state;
	assert_int_equal(kustomize_annotations(&rs, field(k, "commonAnnotations")), 0);
	check_objects(&rs, "common-annotations", NULL);
	json_object_put(k);
	kustomize_resources_release(&rs);
}

static void test_kustomize_transform__corpus_images(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct json_object *k = load_case(&rs, "images");

	(void)state;
	assert_int_equal(kustomize_images(&rs, field(k, "images")), 0);
	check_objects(&rs, "images", NULL);
	json_object_put(k);
	kustomize_resources_release(&rs);
}

static void test_kustomize_transform__corpus_replicas(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct json_object *k = load_case(&rs, "replicas");

	(void)state;
	assert_int_equal(kustomize_replicas(&rs, field(k, "replicas")), 0);
	check_objects(&rs, "replicas", NULL);
	json_object_put(k);
	kustomize_resources_release(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kustomize_transform__corpus_namespace),
	    cmocka_unit_test(test_kustomize_transform__corpus_name_prefix),
	    cmocka_unit_test(test_kustomize_transform__corpus_name_suffix),
	    cmocka_unit_test(test_kustomize_transform__corpus_common_labels),
	    cmocka_unit_test(test_kustomize_transform__corpus_labels),
	    cmocka_unit_test(test_kustomize_transform__corpus_common_annotations),
	    cmocka_unit_test(test_kustomize_transform__corpus_images),
	    cmocka_unit_test(test_kustomize_transform__corpus_replicas),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
