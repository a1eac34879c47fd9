#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/base/json_value.h"
#include "../../agent/source/tree.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];

#include "problems.h"

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
	snprintf(root, sizeof(root), "/tmp/berth-test-trXXXXXX");
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
static char *load_with(struct manifest_set *set, const struct tree_options *opts)
{
	struct diagnostics diags = DIAGNOSTICS_INIT, warnings = DIAGNOSTICS_INIT;
	const char *paths[] = {root};

	tree_load(set, &diags, &warnings, paths, 1, opts);
	return problems_text(&diags, &warnings);
}

static char *load(struct manifest_set *set)
{
	return load_with(set, NULL);
}

static void test_tree__walks_directories_in_sorted_order(void **state)
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

/* A folder holding a kustomization is built, at the top or met in a walk
 * (as Flux does); each object keeps its origin and the patch that changed
 * it, and a problem in it names both. */
static void test_tree__builds_a_kustomization_folder(void **state)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	char path[128], *problems;
	size_t i;

	(void)state;
	snprintf(path, sizeof(path), "%s/app", root);
	mkdir(path, 0700);
	put("plain.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n");
	put("app/kustomization.yaml", "namePrefix: p-\nresources:\n  - cm.yaml\n"
	                              "patches:\n  - target: {kind: ConfigMap}\n"
	                              "    patch: '[{\"op\": \"add\", \"path\": \"/data\", "
	                              "\"value\": {\"a\": \"b\"}}]'\n");
	put("app/cm.yaml", "# a comment\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n");
	problems = load(&set);
	assert_string_equal(problems, "");
	assert_int_equal(set.n, 2);
	for (i = 0; i < set.n && strcmp(set.items[i].id.name, "p-cm"); i++)
		;
	assert_true(i < set.n);
	assert_non_null(strstr(set.items[i].file, "/app/cm.yaml"));
	assert_int_equal(set.items[i].line, 2);
	assert_non_null(set.items[i].patch);
	assert_non_null(strstr(set.items[i].patch, "app/kustomization.yaml:6"));
	assert_non_null(strstr(set.items[i].json, "\"a\":\"b\""));
	free(problems);
	manifest_set_release(&set);
}

/* A build records what it read, as the walk names it, whether built afresh
 * or taken from the cache: a later commit builds it again only when one
 * of those changed. */
static void test_tree__a_build_records_its_inputs(void **state)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	char path[128], *problems, *inputs[2] = {NULL, NULL};
	const char *old = getenv("XDG_CACHE_HOME");
	char *saved = old ? strdup(old) : NULL;
	size_t i, round, n;

	(void)state;
	snprintf(path, sizeof(path), "%s/.cache", root);
	setenv("XDG_CACHE_HOME", path, 1);
	snprintf(path, sizeof(path), "%s/app", root);
	mkdir(path, 0700);
	put("plain.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n");
	put("app/kustomization.yaml", "resources: [cm.yaml]\n");
	put("app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n");
	put("app/unread.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: unread}\n");
	for (round = 0; round < 2; round++) {
		struct buf all = BUF_INIT;

		problems = load(&set);
		assert_string_equal(problems, "");
		assert_int_equal(set.n, 2);
		assert_int_equal(set.nbuilds, 1);
		snprintf(path, sizeof(path), "%s/app", root);
		assert_string_equal(set.builds[0]->dir, path);
		for (i = n = 0; i < set.nfiles; i++)
			if (set.files[i]->build) {
				assert_ptr_equal(set.files[i]->build, set.builds[0]);
				assert_non_null(strstr(set.files[i]->name, "/app/cm.yaml"));
				n++;
			} else {
				assert_non_null(strstr(set.files[i]->name, "/plain.yaml"));
			}
		assert_int_equal(n, 1);
		for (i = 0; i < set.builds[0]->ninputs; i++) {
			assert_true(i == 0 || strcmp(set.builds[0]->inputs[i - 1],
			                             set.builds[0]->inputs[i]) < 0);
			buf_addf(&all, "%s\n", set.builds[0]->inputs[i] + strlen(root));
		}
		assert_non_null(strstr(all.ptr, "/app/kustomization.yaml\n"));
		assert_non_null(strstr(all.ptr, "/app/cm.yaml\n"));
		assert_null(strstr(all.ptr, "unread"));
		assert_null(strstr(all.ptr, "plain"));
		inputs[round] = buf_detach(&all, NULL);
		free(problems);
		manifest_set_release(&set);
	}
	/* The second from the cache, which the first wrote. */
	snprintf(path, sizeof(path), "%s/.cache/berth/kustomize", root);
	assert_int_equal(access(path, F_OK), 0);
	assert_string_equal(inputs[0], inputs[1]);
	free(inputs[0]);
	free(inputs[1]);
	if (saved)
		setenv("XDG_CACHE_HOME", saved, 1);
	else
		unsetenv("XDG_CACHE_HOME");
	free(saved);
}

static void test_tree__refuses_a_symlink_out_of_the_root(void **state)
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
static void test_tree__nothing_outside_the_root_is_read(void **state)
{
	struct tree_options opts = TREE_OPTIONS_INIT;
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
	assert_true(tree_load(&set, &diags, NULL, paths, 1, &opts) < 0);
	diagnostics_format(&out, &diags);
	assert_non_null(strstr(out.ptr, "/pathlink: symlink to '/tmp/berth-test-out"));
	assert_non_null(strstr(out.ptr, "' leads outside '"));
	assert_int_equal(set.n, 0);
	diagnostics_release(&diags);
	buf_reset(&out);
	buf_addf(&b, "/deeper");
	paths[0] = b.ptr;
	assert_true(tree_load(&set, &diags, NULL, paths, 1, &opts) < 0);
	diagnostics_format(&out, &diags);
	assert_non_null(strstr(out.ptr, "/pathlink: symlink to "));
	assert_int_equal(set.n, 0);
	diagnostics_release(&diags);
	buf_reset(&out);

	/* --path prod: a link back into the checkout is read, one out is not. */
	paths[0] = a.ptr;
	assert_true(tree_load(&set, &diags, NULL, paths, 1, &opts) < 0);
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
static void test_tree__a_symlink_loop_is_reported_once_and_ends(void **state)
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
static void test_tree__the_load_is_bounded(void **state)
{
	struct tree_options opts = TREE_OPTIONS_INIT;
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
	opts = (struct tree_options)TREE_OPTIONS_INIT;
	opts.max_total_size = 250;
	problems = load_with(&set, &opts);
	expect_problem(problems, "f2.yaml", ": the manifests come to more than 250 bytes");
	free(problems);
	manifest_set_release(&set);
	opts = (struct tree_options)TREE_OPTIONS_INIT;
	opts.manifest.max_objects = 5;
	opts.threads = 1;
	problems = load_with(&set, &opts);
	expect_problem(problems, "f2.yaml",
	               ": the manifests hold more than 5 objects with this "
	               "file; the rest is not read (the limit)");
	assert_true(set.n <= 6);
	free(problems);
	manifest_set_release(&set);
	opts = (struct tree_options)TREE_OPTIONS_INIT;
	opts.manifest.stop = stop_now;
	opts.manifest.stop_ctx = "stopped (SIGTERM)";
	problems = load_with(&set, &opts);
	expect_problem(problems, "f0.yaml", ": not read: stopped (SIGTERM)");
	assert_int_equal(set.n, 0);
	free(problems);
	manifest_set_release(&set);
}

static void test_tree__enforces_the_file_size_limit(void **state)
{
	struct tree_options opts = TREE_OPTIONS_INIT;
	struct manifest_set set = MANIFEST_SET_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT;
	const char *paths[] = {root};

	(void)state;
	opts.max_file_size = 10;
	put("big.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\n");
	assert_true(tree_load(&set, &diags, NULL, paths, 1, &opts) < 0);
	assert_int_equal(diags.n, 1);
	assert_string_equal(diags.items[0].message, "larger than the limit of 10 bytes");
	diagnostics_release(&diags);
	manifest_set_release(&set);
}

static void test_tree__an_empty_directory_holds_no_object(void **state)
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
static void test_tree__reads_the_same_with_any_number_of_threads(void **state)
{
	struct tree_options opts = TREE_OPTIONS_INIT;
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
	    cmocka_unit_test_setup_teardown(test_tree__walks_directories_in_sorted_order, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_tree__a_build_records_its_inputs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tree__builds_a_kustomization_folder, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_tree__refuses_a_symlink_out_of_the_root, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_tree__nothing_outside_the_root_is_read, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_tree__a_symlink_loop_is_reported_once_and_ends,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tree__the_load_is_bounded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tree__enforces_the_file_size_limit, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_tree__an_empty_directory_holds_no_object, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_tree__reads_the_same_with_any_number_of_threads,
	                                    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
