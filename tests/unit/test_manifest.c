#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/base/json_value.h"
#include "../../diff/manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The texts of a test, by name, as if files in the directory `root`: parsed
 * in memory (the walk of real files is test_tree.c's). */
static const char root[] = "mem";
static struct {
	char name[128];
	const char *text;
} texts[16];
static size_t ntexts;

#include "problems.h"

static void put(const char *name, const char *text)
{
	assert_true(ntexts < sizeof(texts) / sizeof(*texts));
	snprintf(texts[ntexts].name, sizeof(texts[ntexts].name), "%s/%s", root, name);
	texts[ntexts++].text = text;
}

static int setup(void **state)
{
	(void)state;
	ntexts = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return 0;
}

static int cmp_texts(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Add the texts, in the order of their names (as a walk reads them), with
 * `opts` (NULL: the defaults), then finish the set; the problems, then the
 * warnings, as text (caller frees). */
static char *load_with(struct manifest_set *set, const struct manifest_options *opts)
{
	struct diagnostics diags = DIAGNOSTICS_INIT, warnings = DIAGNOSTICS_INIT;
	const char *order[16];
	size_t i, j;

	for (i = 0; i < ntexts; i++)
		order[i] = texts[i].name;
	qsort(order, ntexts, sizeof(*order), cmp_texts);
	for (i = 0; i < ntexts; i++)
		for (j = 0; j < ntexts; j++)
			if (order[i] == texts[j].name)
				manifest_set_add(set, &diags, texts[j].name, texts[j].text,
				                 strlen(texts[j].text), opts);
	manifest_set_finish(set, &diags, &warnings);
	return problems_text(&diags, &warnings);
}

static char *load(struct manifest_set *set)
{
	return load_with(set, NULL);
}

/* A field's place is found in the text the set holds. */
static void test_manifest__locates_a_field_in_the_text_it_holds(void **state)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	size_t line, column;
	char *problems;

	(void)state;
	put("a.yaml", "# a comment\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: web}\n"
	              "spec:\n  template:\n    spec:\n      containers:\n      - name: c\n"
	              "        image: nginx\n");
	problems = load(&set);
	assert_string_equal(problems, "");
	manifest_locate(&line, &column, &set.items[0], "spec.template.spec.containers[0].image");
	assert_int_equal(line, 10);
	assert_int_equal(column, 9);
	free(problems);
	manifest_set_release(&set);
}

static void test_manifest__splits_documents_and_expands_lists(void **state)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	char *problems;

	(void)state;
	put("all.yaml", "---\n"
	                "---\n"
	                "apiVersion: v1\n"
	                "kind: ConfigMap\n"
	                "metadata: {name: one, namespace: apps}\n"
	                "---\n"
	                "apiVersion: v1\n"
	                "kind: ConfigMapList\n"
	                "items:\n"
	                "- apiVersion: v1\n"
	                "  kind: ConfigMap\n"
	                "  metadata: {name: two}\n");
	problems = load(&set);
	assert_string_equal(problems, "");
	assert_int_equal(set.n, 2);
	assert_string_equal(set.items[0].id.namespace, "apps");
	assert_int_equal(set.items[0].line, 3);
	assert_string_equal(set.items[1].id.name, "two");
	assert_string_equal(set.items[1].id.namespace, "default");
	assert_int_equal(set.items[1].line, 10);
	assert_int_equal(set.items[1].column, 3);
	free(problems);
	manifest_set_release(&set);
}

static void test_manifest__fills_the_namespace_only_of_namespaced_kinds(void **state)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	struct json_object *obj;
	char *problems;

	(void)state;
	put("x.yaml", "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: fast}\n"
	              "provisioner: x\n---\n"
	              "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: web}\n");
	problems = load(&set);
	assert_string_equal(problems, "");
	assert_string_equal(set.items[0].id.namespace, "");
	assert_string_equal(set.items[1].id.namespace, "default");
	assert_string_equal(set.items[1].id.group, "apps");
	assert_string_equal(set.items[1].id.version, "v1");
	/* The stored object carries the namespace, as kubectl sends it. */
	assert_int_equal(manifest_object(&obj, &set.items[1]), 0);
	assert_string_equal(json_value_get_string(json_value_get(obj, "metadata"), "namespace"),
	                    "default");
	json_object_put(obj);
	free(problems);
	manifest_set_release(&set);
}

static void test_manifest__names_file_line_column_of_each_problem(void **state)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	char *problems;

	(void)state;
	put("bad.yaml", "apiVersion: v1\n"
	                "kind: ConfigMap\n"
	                "metadata:\n"
	                "  name: 42\n"
	                "---\n"
	                "kind: ConfigMap\n"
	                "metadata: {name: x}\n"
	                "---\n"
	                "apiVersion: v1\n"
	                "metadata: {name: y}\n");
	put("dup-key.yaml", "apiVersion: v1\nkind: ConfigMap\nkind: Secret\n");
	put("syntax.yaml", "a: [1, 2\nb: 3\n");
	problems = load(&set);
	expect_problem(problems, "bad.yaml", ":4:9: metadata.name must be a string, not int");
	expect_problem(problems, "bad.yaml", ":6:1: apiVersion is missing");
	expect_problem(problems, "bad.yaml", ":9:1: kind is missing");
	expect_problem(problems, "dup-key.yaml", ":3:1: duplicate key 'kind'");
	expect_problem(problems, "syntax.yaml", ":2:");
	assert_int_equal(set.n, 0);
	free(problems);
	manifest_set_release(&set);
}

static void test_manifest__an_object_defined_twice_names_both_places(void **state)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	char *problems, want[256];

	(void)state;
	put("a.yaml", "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: web}\n");
	put("b.yaml", "# again\napiVersion: apps/v1beta2\nkind: StatefulSet\n"
	              "metadata: {name: web, namespace: default}\n");
	problems = load(&set);
	snprintf(want, sizeof(want),
	         "%s/b.yaml:2:1: statefulset default/web is defined twice: here "
	         "and at %s/a.yaml:1:1\n",
	         root, root);
	assert_string_equal(problems, want);
	free(problems);
	manifest_set_release(&set);
}

/* Shaped like minio's standalone and distributed Service files, and
 * guestbook's all-in-one/ beside its single files: the same object, once in
 * block style and once in flow style with its keys in another order, is
 * applied once, with a warning naming both places. */
static void test_manifest__the_same_object_twice_is_a_warning_and_applied_once(void **state)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	char *problems, want[512];

	(void)state;
	put("all-in-one/guestbook-all-in-one.yaml",
	    "apiVersion: v1\nkind: Service\nmetadata:\n  name: redis-leader\n  labels:\n"
	    "    app: redis\n    role: leader\nspec:\n  ports:\n  - port: 6379\n"
	    "    targetPort: 6379\n  selector:\n    app: redis\n    role: leader\n---\n"
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n");
	put("redis-leader-service.yaml",
	    "kind: Service\napiVersion: v1\nmetadata: {labels: {role: leader, app: redis}, "
	    "name: redis-leader, namespace: default}\n"
	    "spec: {selector: {role: leader, app: redis}, ports: [{targetPort: 6379, port: "
	    "6379}]}\n");
	problems = load(&set);
	snprintf(want, sizeof(want),
	         "%s/redis-leader-service.yaml:1:1: warning: service default/redis-leader is "
	         "defined twice, the same both times: here and at "
	         "%s/all-in-one/guestbook-all-in-one.yaml:1:1; it is applied once\n",
	         root, root);
	assert_string_equal(problems, want);
	assert_int_equal(set.n, 2);
	assert_string_equal(set.items[0].id.name, "redis-leader");
	assert_string_equal(set.items[1].id.name, "other");
	free(problems);
	manifest_set_release(&set);
}

/* A copy that differs (here, only the image a user was meant to fill in)
 * stays an error: which one kubectl deploys depends on the file order. */
static void test_manifest__two_different_definitions_stay_an_error(void **state)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	char *problems;

	(void)state;
	put("nginx.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: nginx}\n"
	                  "spec: {containers: [{name: nginx, image: nginx}]}\n");
	put("nginx-lvm.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: nginx}\n"
	                      "spec: {containers: [{name: nginx, image: <YOUR-CONTAINER>}]}\n");
	problems = load(&set);
	expect_problem(problems, "nginx.yaml",
	               ":1:1: pod default/nginx is defined twice: here and at ");
	assert_null(strstr(problems, "warning"));
	free(problems);
	manifest_set_release(&set);
}

/* A hundred problems are shown, then how many more there are. */
static void test_manifest__problems_shown_are_capped(void **state)
{
	struct diagnostics d = DIAGNOSTICS_INIT;
	struct buf out = BUF_INIT;
	size_t i, lines = 0;

	(void)state;
	for (i = 0; i < 150; i++)
		diagnostics_add(&d, "f.yaml", i + 1, 1, "problem %zu", i);
	diagnostics_format(&out, &d);
	for (i = 0; i < out.len; i++)
		lines += out.ptr[i] == '\n';
	assert_int_equal(lines, 101);
	assert_non_null(strstr(out.ptr, "f.yaml:100:1: problem 99\n... and 50 more\n"));
	buf_release(&out);
	diagnostics_release(&d);
}

/* What a hostile manifest may put in a name or a namespace never reaches
 * a URL: each is checked as the API checks it, at its field. */
static void test_manifest__names_are_checked_as_the_api_checks_them(void **state)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	char *problems;

	(void)state;
	put("m.yaml",
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: \"../kube-system\"}\n"
	    "---\napiVersion: apps/v1/../../api\nkind: Deployment\nmetadata: {name: c}\n"
	    "---\napiVersion: v1\nkind: Service\nmetadata: {name: 1svc}\n"
	    "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"a/b\"}\n"
	    "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
	    "metadata: {name: \"system:controller:x\"}\n"
	    "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: \"..\"}\n"
	    "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a.b}\n");
	problems = load(&set);
	expect_problem(problems, "m.yaml",
	               ":3:32: ConfigMap b: metadata.namespace '../kube-system' is "
	               "not a namespace name");
	expect_problem(problems, "m.yaml",
	               ":5:13: Deployment c: apiVersion 'apps/v1/../../api': the "
	               "version must be lowercase letters and digits");
	expect_problem(problems, "m.yaml",
	               ":11:18: Service 1svc: metadata.name '1svc' is not a valid "
	               "name for a Service");
	expect_problem(problems, "m.yaml",
	               ":15:18: ConfigMap a/b: metadata.name 'a/b' is not a valid "
	               "name for a ConfigMap (a DNS subdomain");
	expect_problem(problems, "m.yaml",
	               ":23:18: Role ..: metadata.name '..' is not a valid name");
	expect_problem(problems, "m.yaml",
	               ":27:18: Namespace a.b: metadata.name 'a.b' is not a valid");
	/* RBAC names are path segments: "system:controller:x" is one. */
	assert_int_equal(set.n, 1);
	assert_string_equal(set.items[0].id.name, "system:controller:x");
	free(problems);
	manifest_set_release(&set);
}

/* With -n, an object in another namespace is refused, as kubectl refuses
 * it; a target namespace moves every namespaced object; an allowed list
 * confines them. */
static void test_manifest__namespaces_are_confined(void **state)
{
	static const char *const allowed[] = {"app", "app-canary", NULL};
	struct manifest_options opts = MANIFEST_OPTIONS_INIT;
	struct manifest_set set = MANIFEST_SET_INIT;
	char *problems;

	(void)state;
	put("m.yaml",
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: kube-system}\n"
	    "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n"
	    "---\napiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv, namespace: x}\n");
	opts.default_namespace = "app";
	opts.explicit_namespace = true;
	problems = load_with(&set, &opts);
	expect_problem(problems, "m.yaml",
	               ":3:32: configmap kube-system/a: the namespace of the "
	               "object, 'kube-system', is not the namespace 'app' given "
	               "with -n (kubectl refuses it too: pass -n kube-system)");
	assert_int_equal(set.n, 2);
	free(problems);
	manifest_set_release(&set);

	opts.explicit_namespace = false;
	opts.target_namespace = "app";
	problems = load_with(&set, &opts);
	assert_string_equal(problems, "");
	assert_string_equal(set.items[0].id.namespace, "app");
	assert_non_null(strstr(set.items[0].json, "\"namespace\":\"app\""));
	assert_string_equal(set.items[2].id.namespace, "");
	free(problems);
	manifest_set_release(&set);

	opts.target_namespace = NULL;
	opts.allowed_namespaces = allowed;
	problems = load_with(&set, &opts);
	expect_problem(problems, "m.yaml",
	               ":3:32: configmap kube-system/a: namespace 'kube-system' "
	               "is not among the namespaces this source may write to "
	               "('app', 'app-canary')");
	assert_int_equal(set.n, 2);
	free(problems);
	manifest_set_release(&set);
}

static void test_manifest__stops_an_alias_bomb_with_its_position(void **state)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	char *problems;

	(void)state;
	put("bomb.yaml", "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	                 "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	                 "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	                 "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	                 "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	                 "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n");
	problems = load(&set);
	expect_problem(problems, "bomb.yaml", ":5:");
	assert_non_null(strstr(problems, "expands past the limit"));
	free(problems);
	manifest_set_release(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_manifest__splits_documents_and_expands_lists,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_manifest__fills_the_namespace_only_of_namespaced_kinds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_manifest__names_file_line_column_of_each_problem,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_manifest__an_object_defined_twice_names_both_places, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_manifest__the_same_object_twice_is_a_warning_and_applied_once, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(test_manifest__two_different_definitions_stay_an_error,
	                                    setup, teardown),
	    cmocka_unit_test(test_manifest__problems_shown_are_capped),
	    cmocka_unit_test_setup_teardown(test_manifest__names_are_checked_as_the_api_checks_them,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_manifest__namespaces_are_confined, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_manifest__stops_an_alias_bomb_with_its_position,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_manifest__locates_a_field_in_the_text_it_holds,
	                                    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
