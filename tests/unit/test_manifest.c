#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/json.h"
#include "../../diff/manifest.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/berth-test-mfXXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

/* Load `root` with `opts` (NULL: the defaults) and return the diagnostics
 * as text (caller frees). */
static char *load_with(struct manifest_set *set, const struct manifest_options *opts)
{
	struct diagnostics diags = DIAGNOSTICS_INIT, warnings = DIAGNOSTICS_INIT;
	struct buf out = BUF_INIT;
	const char *paths[] = {root};

	manifest_set_load(set, &diags, &warnings, paths, 1, opts);
	diagnostics_format(&out, &diags);
	diagnostics_format(&out, &warnings);
	diagnostics_release(&diags);
	diagnostics_release(&warnings);
	return buf_detach(&out, NULL);
}

static char *load(struct manifest_set *set)
{
	return load_with(set, NULL);
}

static void expect_problem(const char *problems, const char *file, const char *rest)
{
	char want[512];

	snprintf(want, sizeof(want), "%s/%s%s", root, file, rest);
	if (!strstr(problems, want))
		fail_msg("'%s' not in:\n%s", want, problems);
}

static void test_manifest__walks_directories_in_sorted_order(void **state)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	char path[128], *problems;

	(void)state;
	snprintf(path, sizeof(path), "%s/sub", root);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/.hidden", root);
	mkdir(path, 0700);
	put("b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n");
	put("a.yml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
	put("sub/c.json", "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": "
	                  "{\"name\": \"c\"}}");
	put("notes.txt", "not a manifest");
	put(".hidden/d.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\n");
	problems = load(&set);
	assert_string_equal(problems, "");
	assert_int_equal(set.n, 3);
	assert_string_equal(set.items[0].id.name, "a");
	assert_string_equal(set.items[1].id.name, "b");
	assert_string_equal(set.items[2].id.name, "c");
	assert_int_equal(set.items[2].line, 1);
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
	assert_string_equal(json_get_string(json_get(obj, "metadata"), "namespace"), "default");
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
	snprintf(want, sizeof(want), "%s/all-in-one", root);
	assert_int_equal(mkdir(want, 0700), 0);
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

static void test_manifest__refuses_a_symlink_out_of_the_root(void **state)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	char link[128], *problems;

	(void)state;
	snprintf(link, sizeof(link), "%s/escape.yaml", root);
	assert_int_equal(symlink("/etc/hostname", link), 0);
	snprintf(link, sizeof(link), "%s/inside.yaml", root);
	put("real.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: r}\n");
	assert_int_equal(symlink("real.yaml", link), 0);
	problems = load(&set);
	expect_problem(problems, "escape.yaml", ": symlink to '/etc/hostname' leads outside");
	/* A symlink that stays inside is followed (and names the same object
	 * twice, which is applied once). */
	expect_problem(problems, "real.yaml",
	               ":1:1: warning: configmap default/r is defined twice, the same both times");
	assert_int_equal(set.n, 1);
	free(problems);
	manifest_set_release(&set);
}

/* Shaped like a hostile repository: a committed link as --path, or as a
 * part of it, and links below the path into the rest of the checkout
 * (fine) and out of it (refused), each named with where it points. */
static void test_manifest__nothing_outside_the_root_is_read(void **state)
{
	struct manifest_options opts = MANIFEST_OPTIONS_INIT;
	struct manifest_set set = MANIFEST_SET_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT;
	struct buf out = BUF_INIT, a = BUF_INIT, b = BUF_INIT, c = BUF_INIT;
	char real[PATH_MAX], outside[] = "/tmp/berth-test-outXXXXXX";
	const char *paths[1];

	(void)state;
	assert_non_null(mkdtemp(outside));
	buf_addf(&a, "%s/x.yaml", outside);
	FILE *f = fopen(a.ptr, "w");
	assert_non_null(f);
	fputs("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: host}\n", f);
	fclose(f);
	buf_reset(&a);
	buf_addf(&a, "%s/prod", root);
	assert_int_equal(mkdir(a.ptr, 0700), 0);
	put("prod/app.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n");
	put("shared.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared}\n");
	buf_addf(&b, "%s/pathlink", root);
	assert_int_equal(symlink(outside, b.ptr), 0);
	buf_addf(&c, "%s/prod/up.yaml", root);
	assert_int_equal(symlink("../shared.yaml", c.ptr), 0);
	buf_reset(&c);
	buf_addf(&c, "%s/prod/out", root);
	assert_int_equal(symlink(outside, c.ptr), 0);
	assert_non_null(realpath(root, real));
	opts.root = real;

	/* --path pathlink, and --path pathlink/sub. */
	paths[0] = b.ptr;
	assert_true(manifest_set_load(&set, &diags, NULL, paths, 1, &opts) < 0);
	diagnostics_format(&out, &diags);
	assert_non_null(strstr(out.ptr, "/pathlink: symlink to '/tmp/berth-test-out"));
	assert_non_null(strstr(out.ptr, "' leads outside '"));
	assert_int_equal(set.n, 0);
	diagnostics_release(&diags);
	buf_reset(&out);
	buf_addf(&b, "/deeper");
	paths[0] = b.ptr;
	assert_true(manifest_set_load(&set, &diags, NULL, paths, 1, &opts) < 0);
	diagnostics_format(&out, &diags);
	assert_non_null(strstr(out.ptr, "/pathlink: symlink to "));
	assert_int_equal(set.n, 0);
	diagnostics_release(&diags);
	buf_reset(&out);

	/* --path prod: a link back into the checkout is read, one out is not. */
	paths[0] = a.ptr;
	assert_true(manifest_set_load(&set, &diags, NULL, paths, 1, &opts) < 0);
	diagnostics_format(&out, &diags);
	assert_non_null(strstr(out.ptr, "/prod/out: symlink to '/tmp/berth-test-out"));
	assert_int_equal(diags.n, 1);
	assert_int_equal(set.n, 2);
	assert_string_equal(set.items[0].id.name, "app");
	assert_string_equal(set.items[1].id.name, "shared");
	diagnostics_release(&diags);
	manifest_set_release(&set);
	buf_release(&out);
	buf_release(&a);
	buf_release(&b);
	buf_release(&c);
	snprintf(real, sizeof(real), "rm -rf '%s'", outside);
	assert_int_equal(system(real), 0);
}

/* Links back to a directory being walked: each loop is reported once, at
 * the link, and the walk ends at once, however many links there are. */
static void test_manifest__a_symlink_loop_is_reported_once_and_ends(void **state)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	char link[128], *problems;
	int i;

	(void)state;
	put("app.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n");
	for (i = 0; i < 40; i++) {
		snprintf(link, sizeof(link), "%s/l%02d", root, i);
		assert_int_equal(symlink(".", link), 0);
	}
	snprintf(link, sizeof(link), "%s/sub", root);
	assert_int_equal(mkdir(link, 0700), 0);
	snprintf(link, sizeof(link), "%s/sub/up", root);
	assert_int_equal(symlink("..", link), 0);
	problems = load(&set);
	expect_problem(problems, "l00", ": symlink loop: it leads back to '");
	expect_problem(problems, "l39", ": symlink loop: it leads back to '");
	expect_problem(problems, "sub/up", ": symlink loop: it leads back to '");
	assert_int_equal(set.n, 1);
	free(problems);
	manifest_set_release(&set);
}

static const char *stop_now(void *ctx)
{
	return ctx;
}

/* Past a limit, or told to stop, the load reads no more, and says why. */
static void test_manifest__the_load_is_bounded(void **state)
{
	struct manifest_options opts = MANIFEST_OPTIONS_INIT;
	struct manifest_set set = MANIFEST_SET_INIT;
	char name[32], *problems;
	int i;

	(void)state;
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "f%d.yaml", i);
		put(name, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
		          "apiVersion: v1\nkind: Secret\nmetadata: {name: b}\n");
	}
	opts.max_files = 3;
	problems = load_with(&set, &opts);
	expect_problem(problems, "f3.yaml", ": more than 3 manifest files; not read (the limit)");
	free(problems);
	manifest_set_release(&set);
	opts = (struct manifest_options)MANIFEST_OPTIONS_INIT;
	opts.max_total_size = 250;
	problems = load_with(&set, &opts);
	expect_problem(problems, "f2.yaml", ": the manifests come to more than 250 bytes");
	free(problems);
	manifest_set_release(&set);
	opts = (struct manifest_options)MANIFEST_OPTIONS_INIT;
	opts.max_objects = 5;
	opts.threads = 1;
	problems = load_with(&set, &opts);
	expect_problem(problems, "f2.yaml",
	               ": the manifests hold more than 5 objects with this "
	               "file; the rest is not read (the limit)");
	assert_true(set.n <= 6);
	free(problems);
	manifest_set_release(&set);
	opts = (struct manifest_options)MANIFEST_OPTIONS_INIT;
	opts.stop = stop_now;
	opts.stop_ctx = "stopped (SIGTERM)";
	problems = load_with(&set, &opts);
	expect_problem(problems, "f0.yaml", ": not read: stopped (SIGTERM)");
	assert_int_equal(set.n, 0);
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

static void test_manifest__enforces_the_file_size_limit(void **state)
{
	struct manifest_options opts = MANIFEST_OPTIONS_INIT;
	struct manifest_set set = MANIFEST_SET_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT;
	const char *paths[] = {root};

	(void)state;
	opts.max_file_size = 10;
	put("big.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\n");
	assert_true(manifest_set_load(&set, &diags, NULL, paths, 1, &opts) < 0);
	assert_int_equal(diags.n, 1);
	assert_string_equal(diags.items[0].message, "larger than the limit of 10 bytes");
	diagnostics_release(&diags);
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

static void test_manifest__an_empty_directory_holds_no_object(void **state)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	char *problems;

	(void)state;
	problems = load(&set);
	assert_string_equal(problems, "");
	assert_int_equal(set.n, 0);
	free(problems);
	manifest_set_release(&set);
}

/* Files are read in parallel; what comes out, and in which order, does
 * not depend on how many threads read them. */
static void test_manifest__reads_the_same_with_any_number_of_threads(void **state)
{
	struct manifest_options opts = MANIFEST_OPTIONS_INIT;
	struct manifest_set one = MANIFEST_SET_INIT, many = MANIFEST_SET_INIT;
	char name[64], text[256], *problems_one, *problems_many;
	size_t i;

	(void)state;
	for (i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "f%02zu.yaml", i);
		if (i % 10 == 3)
			snprintf(text, sizeof(text), "apiVersion: v1\nkind: ConfigMap\n");
		else
			snprintf(text, sizeof(text),
			         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-%zu}\n---\n"
			         "apiVersion: v1\nkind: Secret\nmetadata: {name: s-%zu}\n",
			         i % 25, i);
		put(name, text);
	}
	opts.threads = 1;
	problems_one = load_with(&one, &opts);
	opts.threads = 7;
	problems_many = load_with(&many, &opts);
	assert_string_equal(problems_one, problems_many);
	assert_non_null(strstr(problems_one, "f03.yaml:1:1: "));
	assert_non_null(strstr(problems_one, "is defined twice"));
	assert_int_equal(one.n, many.n);
	/* 54 files of two objects; the 29 repeated ConfigMaps are the same
	 * each time, and kept once. */
	assert_int_equal(one.n, 108 - 29);
	for (i = 0; i < one.n; i++) {
		assert_string_equal(one.items[i].file, many.items[i].file);
		assert_int_equal(one.items[i].line, many.items[i].line);
		assert_string_equal(one.items[i].json, many.items[i].json);
	}
	free(problems_one);
	free(problems_many);
	manifest_set_release(&one);
	manifest_set_release(&many);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_manifest__walks_directories_in_sorted_order, setup,
	                                    teardown),
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
	    cmocka_unit_test_setup_teardown(test_manifest__nothing_outside_the_root_is_read, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_manifest__a_symlink_loop_is_reported_once_and_ends,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_manifest__the_load_is_bounded, setup, teardown),
	    cmocka_unit_test(test_manifest__problems_shown_are_capped),
	    cmocka_unit_test_setup_teardown(test_manifest__names_are_checked_as_the_api_checks_them,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_manifest__namespaces_are_confined, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_manifest__refuses_a_symlink_out_of_the_root, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_manifest__enforces_the_file_size_limit, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_manifest__stops_an_alias_bomb_with_its_position,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_manifest__reads_the_same_with_any_number_of_threads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_manifest__an_empty_directory_holds_no_object,
	                                    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
