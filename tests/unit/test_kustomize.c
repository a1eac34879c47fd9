#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agent/source/kustomize_load.h"
#include "../../diff/kustomize.h"
#include "../../diff/kustomize_order.h"

#include "../../diff/base/berth_error.h"
#include "../../diff/base/buf.h"
#include "../../diff/base/json_value.h"
#include "../../diff/yaml_doc.h"

#include <dirent.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The golden corpus: what kubectl's kustomize v5.5.0 printed. */
#define CORPUS BERTH_KUSTOMIZE_CORPUS

/* "Kind ns/name" of an object. */
static void name_of(struct buf *out, struct json_object *obj)
{
	struct json_object *meta = json_value_get(obj, "metadata");

	buf_reset(out);
	buf_addf(out, "%s %s/%s", json_value_get_string(obj, "kind"),
	         json_value_get_string(meta, "namespace") ?: "",
	         json_value_get_string(meta, "name") ?: "");
}

/* Build `dir` within the corpus, as `berth build` does. */
static int build(struct kustomize_resources *rs, struct diagnostics *diags, const char *dir,
                 const struct tree_options *opts)
{
	char root[PATH_MAX];

	assert_non_null(realpath(CORPUS, root));
	return kustomize_load_build(rs, diags, NULL, dir, root, opts);
}

/* The build of case `dir` equals its expected.yaml, object for object, in
 * kustomize's order. Returns the objects compared. */
static size_t check_case(const char *dir)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT;
	struct json_object *docs = NULL, **objects;
	struct buf text = BUF_INIT, path = BUF_INIT, want = BUF_INIT, got = BUF_INIT;
	size_t i, n;

	buf_addf(&path, "%s/expected.yaml", dir);
	assert_int_equal(buf_read_file(&text, path.ptr, 1 << 20), 0);
	assert_int_equal(yaml_parse(&docs, path.ptr, text.ptr, text.len, NULL, NULL), 0);
	if (build(&rs, &diags, dir, NULL) < 0) {
		buf_reset(&text);
		diagnostics_format(&text, &diags);
		fail_msg("%s: not built:\n%s", dir, text.ptr);
	}
	n = rs.n;
	objects = calloc(n + 1, sizeof(*objects));
	for (i = 0; i < n; i++)
		objects[i] = rs.items[i].obj;
	kustomize_order_sort(objects, n);
	if (n != json_object_array_length(docs))
		fail_msg("%s: %zu objects built, kustomize made %zu", dir, n,
		         json_object_array_length(docs));
	for (i = 0; i < n; i++) {
		struct json_object *expected = json_object_array_get_idx(docs, i);

		name_of(&want, expected);
		name_of(&got, objects[i]);
		if (strcmp(want.ptr, got.ptr))
			fail_msg("%s: object %zu is %s, kustomize's is %s", dir, i, got.ptr,
			         want.ptr);
		if (!json_value_equal(objects[i], expected))
			fail_msg("%s: %s differs:\nbuilt    %s\nexpected %s", dir, got.ptr,
			         json_object_to_json_string(objects[i]),
			         json_object_to_json_string(expected));
	}
	free(objects);
	json_object_put(docs);
	kustomize_resources_release(&rs);
	diagnostics_release(&diags);
	buf_release(&text);
	buf_release(&path);
	buf_release(&want);
	buf_release(&got);
	return n;
}

/* Every case under `dir` (a folder holding expected.yaml), at any depth,
 * refused/ aside. */
static size_t check_dir(const char *dir, size_t *cases)
{
	struct buf path = BUF_INIT;
	struct dirent **names;
	struct stat st;
	size_t n = 0;
	int i, count = scandir(dir, &names, NULL, alphasort);

	assert_true(count >= 0);
	for (i = 0; i < count; i++) {
		const char *name = names[i]->d_name;

		buf_reset(&path);
		buf_addf(&path, "%s/%s", dir, name);
		if (name[0] != '.' && strcmp(name, "refused") && stat(path.ptr, &st) == 0 &&
		    S_ISDIR(st.st_mode)) {
			struct buf expected = BUF_INIT;
			buf_addf(&expected, "%s/expected.yaml", path.ptr);
			/* A case's folder may hold cases of its own (a base
			 * and its overlays). */
			if (access(expected.ptr, F_OK) == 0) {
				n += check_case(path.ptr);
				(*cases)++;
			}
			n += check_dir(path.ptr, cases);
			buf_release(&expected);
		}
		free(names[i]);
	}
	free(names);
	buf_release(&path);
	return n;
}

static void test_kustomize__builds_equal_kubectl_kustomize(void **state)
{
	size_t cases = 0, objects;

	(void)state;
	objects = check_dir(CORPUS, &cases);
	assert_true(cases >= 32);
	assert_true(objects >= 100);
	print_message("%zu cases, %zu objects equal to kubectl kustomize's\n", cases, objects);
}

/* Each refused case fails with its problem at the kustomization's line. */
static void test_kustomize__refusals_name_their_line(void **state)
{
	static const struct {
		const char *dir, *where, *says;
	} cases[] = {
	    {"cycle", "cycle/b/kustomization.yaml:2:5:", "a cycle of kustomizations: "},
	    {"empty-component",
	     "empty-component/metrics/kustomization.yaml:1:1:", "the kustomization is empty"},
	    {"generators-plugin",
	     "generators-plugin/kustomization.yaml:3:1:", "runs no kustomize plugin"},
	    {"transformers-plugin",
	     "transformers-plugin/kustomization.yaml:3:1:", "runs no kustomize plugin"},
	    {"helm-charts", "helm-charts/kustomization.yaml:1:1:", "builds no Helm chart"},
	    {"path-escape-dotdot",
	     "path-escape-dotdot/kustomization.yaml:2:5:", "is not in or below"},
	    {"path-escape-symlink", "path-escape-symlink/kustomization.yaml:2:5:", "a symlink out"},
	    {"remote-resource", "remote-resource/kustomization.yaml:2:5:", "a remote resource"},
	    {"resources-plain-folder",
	     "resources-plain-folder/kustomization.yaml:2:5:", "holds no kustomization file"},
	    {"unknown-field", "unknown-field/kustomization.yaml:1:1:", "unknown field 'namePrefx'"},
	    {"real-world-argocd-pre-post-sync/pre-post-sync",
	     "real-world-argocd-pre-post-sync/pre-post-sync/kustomization.yaml:4:3:",
	     "is not in or below"},
	    {"real-world-kustomize-ldap/overlays/production",
	     "real-world-kustomize-ldap/overlays/production/kustomization.yaml:4:5:",
	     "no object matches Deployment 'ldap'"},
	    {"real-world-flux2-source-controller",
	     "real-world-flux2-source-controller/kustomization.yaml:4:3:", "is a remote resource"},
	    {"real-world-kustomize-image-md",
	     "real-world-kustomize-image-md/kustomization.yaml:3:1:", "newTag is not a string"},
	    {"real-world-website-vars",
	     "real-world-website-vars/kustomization.yaml:8:1:", "berth does not build `vars`"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
		struct diagnostics diags = DIAGNOSTICS_INIT;
		struct buf dir = BUF_INIT, text = BUF_INIT;

		buf_addf(&dir, "%s/refused/%s", CORPUS, cases[i].dir);
		if (build(&rs, &diags, dir.ptr, NULL) == 0)
			fail_msg("%s: built, want refused", cases[i].dir);
		assert_int_equal(rs.n, 0);
		diagnostics_format(&text, &diags);
		if (!strstr(text.ptr, cases[i].where) || !strstr(text.ptr, cases[i].says))
			fail_msg("%s: said\n%swant '%s' at '%s'", cases[i].dir, text.ptr,
			         cases[i].says, cases[i].where);
		diagnostics_release(&diags);
		buf_release(&dir);
		buf_release(&text);
	}
}

/* A kustomization folder outside the root a build reads in is refused,
 * though kubectl (which has no root) builds it. */
static void test_kustomize__a_folder_outside_the_root_is_refused(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT;
	struct buf text = BUF_INIT;
	char root[PATH_MAX];

	(void)state;
	assert_non_null(realpath(CORPUS "/refused/path-escape-dotdot-dir", root));
	assert_int_equal(kustomize_load_build(&rs, &diags, NULL,
	                                      CORPUS "/refused/path-escape-dotdot-dir", root, NULL),
	                 BERTH_ERROR);
	diagnostics_format(&text, &diags);
	assert_non_null(strstr(text.ptr, "kustomization.yaml:2:5:"));
	assert_non_null(strstr(text.ptr, "is outside"));
	diagnostics_release(&diags);
	buf_release(&text);
}

/* Write `text` to `dir`/`name`. */
static void put(const char *dir, const char *name, const char *text)
{
	struct buf path = BUF_INIT;
	FILE *f;

	buf_addf(&path, "%s/%s", dir, name);
	f = fopen(path.ptr, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	buf_release(&path);
}

/* An object made twice (two files, or a base and a file) is refused at the
 * second, naming the first, as kustomize refuses it. */
static void test_kustomize__an_object_made_twice_is_refused(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT;
	struct buf text = BUF_INIT;
	char dir[] = "/tmp/berth-test-kzXXXXXX";

	(void)state;
	assert_non_null(mkdtemp(dir));
	put(dir, "kustomization.yaml", "resources:\n  - a.yaml\n  - b.yaml\n");
	put(dir, "a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
	put(dir, "b.yaml",
	    "apiVersion: v1\nkind: Secret\nmetadata: {name: x}\n---\n"
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: default}\n");
	assert_int_equal(kustomize_load_build(&rs, &diags, NULL, dir, "/", NULL), BERTH_ERROR);
	diagnostics_format(&text, &diags);
	assert_non_null(strstr(text.ptr, "/b.yaml:5:1: ConfigMap 'x' is made twice: here and at "));
	assert_non_null(strstr(text.ptr, "/a.yaml:1"));
	assert_int_equal(diags.n, 1);
	diagnostics_release(&diags);
	buf_release(&text);
	buf_reset(&text);
	buf_addf(&text, "rm -rf '%s'", dir);
	assert_int_equal(system(text.ptr), 0);
	buf_release(&text);
}

/* A build is kept in the cache and used again while every file it read
 * (and every file it looked for) is the same; any change builds afresh. */
static void test_kustomize__a_cached_build_is_used_only_while_its_files_hold(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT;
	struct buf text = BUF_INIT, cmd = BUF_INIT;
	char dir[] = "/tmp/berth-test-kcXXXXXX", cache[PATH_MAX + 32];
	const char *value;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	setenv("XDG_CACHE_HOME", cache, 1);
	put(dir, "kustomization.yaml", "namePrefix: p-\nresources:\n  - cm.yaml\n");
	put(dir, "cm.yaml",
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
	    "data: {k: built}\n");
	/* 300 builds used long ago: a new one leaves the 256 used last. */
	buf_addf(&cmd,
	         "mkdir -p '%s/berth/kustomize' && cd '%s/berth/kustomize' && "
	         "for i in $(seq 300); do echo {} >old-$i.json; done && touch -d 2001-01-01 old-*",
	         cache, cache);
	assert_int_equal(system(cmd.ptr), 0);
	assert_int_equal(kustomize_load_build(&rs, &diags, NULL, dir, "/", NULL), 0);
	assert_int_equal(rs.n, 1);
	kustomize_resources_release(&rs);
	buf_reset(&cmd);
	buf_addf(&cmd,
	         "[ $(ls '%s/berth/kustomize' | wc -l) = 256 ] && "
	         "ls '%s/berth/kustomize' | grep -qv '^old-'",
	         cache, cache);
	assert_int_equal(system(cmd.ptr), 0);
	buf_reset(&cmd);

	/* The cache file holds the build: change what it says, and the next
	 * build says it too, so the cache is what answered. */
	buf_addf(&cmd, "sed -i 's/built/cached/' '%s'/berth/kustomize/*.json", cache);
	assert_int_equal(system(cmd.ptr), 0);
	assert_int_equal(kustomize_load_build(&rs, &diags, NULL, dir, "/", NULL), 0);
	value = json_value_get_string(json_value_get(rs.items[0].obj, "data"), "k");
	assert_string_equal(value, "cached");
	assert_string_equal(
	    json_value_get_string(json_value_get(rs.items[0].obj, "metadata"), "name"), "p-x");
	kustomize_resources_release(&rs);

	/* A file it read changes: built afresh. */
	put(dir, "cm.yaml",
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
	    "data: {k: again}\n");
	assert_int_equal(kustomize_load_build(&rs, &diags, NULL, dir, "/", NULL), 0);
	value = json_value_get_string(json_value_get(rs.items[0].obj, "data"), "k");
	assert_string_equal(value, "again");
	kustomize_resources_release(&rs);

	/* A file it looked for and did not find appears: built afresh, and
	 * refused (two kustomization files), as without a cache. */
	put(dir, "Kustomization", "resources: []\n");
	assert_int_equal(kustomize_load_build(&rs, &diags, NULL, dir, "/", NULL), BERTH_ERROR);
	diagnostics_format(&text, &diags);
	assert_non_null(strstr(text.ptr, "holds more than one kustomization file"));
	assert_int_equal(rs.n, 0);

	/* A damaged cache file is a miss, not an error. */
	buf_reset(&cmd);
	buf_addf(&cmd, "rm '%s/Kustomization' && truncate -s 20 '%s'/berth/kustomize/*.json", dir,
	         cache);
	assert_int_equal(system(cmd.ptr), 0);
	assert_int_equal(kustomize_load_build(&rs, &diags, NULL, dir, "/", NULL), 0);
	value = json_value_get_string(json_value_get(rs.items[0].obj, "data"), "k");
	assert_string_equal(value, "again");
	kustomize_resources_release(&rs);

	unsetenv("XDG_CACHE_HOME");
	diagnostics_release(&diags);
	buf_release(&text);
	buf_reset(&cmd);
	buf_addf(&cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd.ptr), 0);
	buf_release(&cmd);
}

/* The limits hold whatever the kustomization: files, bytes and objects. */
static void test_kustomize__limits_hold(void **state)
{
	struct tree_options opts = TREE_OPTIONS_INIT;
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT;
	struct buf text = BUF_INIT;

	(void)state;
	opts.max_files = 3;
	assert_int_equal(build(&rs, &diags, CORPUS "/name-references", &opts), BERTH_ERROR);
	diagnostics_format(&text, &diags);
	assert_non_null(strstr(text.ptr, "more than 3 files"));
	diagnostics_release(&diags);

	opts = (struct tree_options)TREE_OPTIONS_INIT;
	opts.manifest.max_objects = 2;
	assert_int_equal(build(&rs, &diags, CORPUS "/name-references", &opts), BERTH_ERROR);
	buf_reset(&text);
	diagnostics_format(&text, &diags);
	assert_non_null(strstr(text.ptr, "more than 2 objects"));
	diagnostics_release(&diags);

	opts = (struct tree_options)TREE_OPTIONS_INIT;
	opts.max_total_size = 100;
	assert_int_equal(build(&rs, &diags, CORPUS "/name-references", &opts), BERTH_ERROR);
	buf_reset(&text);
	diagnostics_format(&text, &diags);
	assert_non_null(strstr(text.ptr, "more than 100 bytes"));
	diagnostics_release(&diags);
	buf_release(&text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kustomize__builds_equal_kubectl_kustomize),
	    cmocka_unit_test(test_kustomize__refusals_name_their_line),
	    cmocka_unit_test(test_kustomize__a_folder_outside_the_root_is_refused),
	    cmocka_unit_test(test_kustomize__an_object_made_twice_is_refused),
	    cmocka_unit_test(test_kustomize__a_cached_build_is_used_only_while_its_files_hold),
	    cmocka_unit_test(test_kustomize__limits_hold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
