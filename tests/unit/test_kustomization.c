#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/kustomization.h"

#include "../../diff/base/berth_error.h"

#include "../../diff/base/buf.h"
#include "../../diff/base/json_value.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

/* The golden corpus of kustomizations, rendered by kubectl's kustomize
 * v5.5.0 (tests/fixtures/kustomize/README.md). */
#define CORPUS BERTH_KUSTOMIZE_CORPUS

/* Read `text` as kustomization.yaml; the problems, one per line. */
static int read_text(struct kustomization *k, struct buf *problems, const char *text)
{
	struct diagnostics diags = DIAGNOSTICS_INIT;
	int error = kustomization_parse(k, &diags, "kustomization.yaml", text, strlen(text));

	buf_reset(problems);
	diagnostics_format(problems, &diags);
	diagnostics_release(&diags);
	return error;
}

/* The paths of a list, space-separated, with where each is. */
static void paths_of(struct buf *out, const struct kustomization_path *p, size_t n)
{
	size_t i;

	buf_reset(out);
	for (i = 0; i < n; i++)
		buf_addf(out, "%s%s@%zu:%zu", i ? " " : "", p[i].path, p[i].line, p[i].column);
}

/* resources, then bases (kustomize reads them as more resources),
 * components and crds, each at its line; the other fields are kept. */
static void test_kustomization__reads_its_paths_in_order(void **state)
{
	struct kustomization k = KUSTOMIZATION_INIT;
	struct buf problems = BUF_INIT, got = BUF_INIT;

	(void)state;
	assert_int_equal(read_text(&k, &problems,
	                           "apiVersion: kustomize.config.k8s.io/v1beta1\n"
	                           "kind: Kustomization\n"
	                           "resources:\n"
	                           "- statefulset.yaml\n"
	                           "- ../base\n"
	                           "bases: [../../shared]\n"
	                           "components: [../components/backup]\n"
	                           "crds: [crds/db.yaml]\n"
	                           "namespace: db\n"
	                           "helmCharts: []\n"),
	                 0);
	assert_string_equal(problems.ptr, "");
	assert_false(k.component);
	paths_of(&got, k.resources, k.nresources);
	assert_string_equal(got.ptr, "statefulset.yaml@4:3 ../base@5:3 ../../shared@6:9");
	paths_of(&got, k.components, k.ncomponents);
	assert_string_equal(got.ptr, "../components/backup@7:14");
	paths_of(&got, k.crds, k.ncrds);
	assert_string_equal(got.ptr, "crds/db.yaml@8:8");
	assert_string_equal(json_object_get_string(json_object_object_get(k.doc, "namespace")),
	                    "db");
	kustomization_release(&k);
	/* A Component. */
	assert_int_equal(read_text(&k, &problems,
	                           "apiVersion: kustomize.config.k8s.io/v1alpha1\n"
	                           "kind: Component\n"
	                           "resources: []\n"),
	                 0);
	assert_true(k.component);
	kustomization_release(&k);
	assert_int_equal(read_text(&k, &problems, "resources:\nnamespace: db\n"), 0);
	assert_int_equal(k.nresources, 0);
	kustomization_release(&k);
	buf_release(&problems);
	buf_release(&got);
}

/* What kustomize refuses, berth refuses at the same place; what berth
 * never does, it refuses with the way through. Checked against `kubectl
 * kustomize` (kustomize v5.5.0) where kustomize refuses too. */
static void test_kustomization__refuses_at_the_line(void **state)
{
	static const struct {
		const char *text, *problem;
	} cases[] = {
	    /* kustomize: json: unknown field "inventory" */
	    {"resources: [a.yaml]\ninventory: {}\n",
	     "kustomization.yaml:2:1: unknown field 'inventory' (kustomize refuses it too)"},
	    /* kustomize: cannot unmarshal number into ... commonLabels of type string */
	    {"commonLabels: {app: 1}\n", "kustomization.yaml:1:1: commonLabels: must be a mapping "
	                                 "of strings to strings"},
	    {"namePrefix: 3\n", "kustomization.yaml:1:1: namePrefix: must be a string"},
	    /* kustomize: cannot unmarshal string into ... resources of type []string */
	    {"resources: a.yaml\n", "kustomization.yaml:1:1: resources: must be a list of strings"},
	    {"patches: [a.yaml]\n", "kustomization.yaml:1:1: patches: must be a list"},
	    {"kind: Foo\n", "kustomization.yaml:1:1: kind: 'Foo': a kustomization's is "
	                    "Kustomization or Component"},
	    {"apiVersion: x/v1\n", "kustomization.yaml:1:1: apiVersion: 'x/v1': a Kustomization's "
	                           "is kustomize.config.k8s.io/v1beta1"},
	    {"kind: Component\napiVersion: kustomize.config.k8s.io/v1beta1\n",
	     "kustomization.yaml:2:1: apiVersion: 'kustomize.config.k8s.io/v1beta1': a "
	     "Component's is kustomize.config.k8s.io/v1alpha1"},
	    /* What berth never does. */
	    {"resources:\n- https://github.com/acme/base//db?ref=v1\n",
	     "kustomization.yaml:2:3: resources: 'https://github.com/acme/base//db?ref=v1' is a "
	     "remote resource: berth reads only the repository it follows"},
	    {"resources: [github.com/acme/base/db]\n",
	     "kustomization.yaml:1:13: resources: 'github.com/acme/base/db' is a remote resource"},
	    {"components: [git@github.com:acme/base.git]\n",
	     "kustomization.yaml:1:14: components: 'git@github.com:acme/base.git' is a remote "
	     "resource"},
	    {"bases: [/etc/kubernetes]\n",
	     "kustomization.yaml:1:9: bases: '/etc/kubernetes' is an absolute path"},
	    {"helmCharts:\n- name: postgresql\n  repo: https://charts.example.com\n",
	     "kustomization.yaml:1:1: helmCharts: berth builds no Helm chart (it would run a "
	     "chart's templates, fetched from anywhere, in the agent); render it in CI with "
	     "`helm template` and commit the output"},
	    {"generators: [gen.yaml]\n", "kustomization.yaml:1:1: generators: berth runs no "
	                                 "kustomize plugin"},
	    {"transformers: [t.yaml]\n", "kustomization.yaml:1:1: transformers: berth runs no "
	                                 "kustomize plugin"},
	    {"validators: [v.yaml]\n", "kustomization.yaml:1:1: validators: berth runs no "
	                               "kustomize plugin"},
	    /* Not one mapping. */
	    {"- a.yaml\n", "kustomization.yaml:1:1: a kustomization is one YAML document"},
	    /* kustomize's CheckEmpty: null, "" and an empty bases are nothing. */
	    {"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n",
	     "kustomization.yaml:1:1: the kustomization is empty"},
	    {"bases: []\nnamespace: \"\"\nresources:\n",
	     "kustomization.yaml:1:1: the kustomization is empty"},
	    {"resources: [a]\n---\nresources: [b]\n",
	     "kustomization.yaml:1:1: a kustomization is one YAML document"},
	    {"resources: [a\n", "kustomization.yaml: kustomization.yaml:"},
	};
	struct kustomization k = KUSTOMIZATION_INIT;
	struct buf problems = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		if (read_text(&k, &problems, cases[i].text) != BERTH_ERROR)
			fail_msg("case %zu: read, want refused: %s", i, cases[i].text);
		if (!strstr(problems.ptr, cases[i].problem))
			fail_msg("case %zu: problems '%s', want '%s' in them", i, problems.ptr,
			         cases[i].problem);
		/* Refused: nothing is left to release. */
		assert_null(k.doc);
		assert_null(k.resources);
	}
	buf_release(&problems);
}

/* A field is read whatever the case of its key, as kustomize's Go decoder
 * reads it; of two keys that are one field, the later wins. */
static void test_kustomization__a_field_in_another_case_is_that_field(void **state)
{
	struct kustomization k = KUSTOMIZATION_INIT;
	struct buf problems = BUF_INIT;

	(void)state;
	assert_int_equal(read_text(&k, &problems,
	                           "NamePrefix: a-\nnameprefix: b-\npatchesJSON6902: []\n"
	                           "RESOURCES: [x.yaml]\n"),
	                 0);
	assert_string_equal(json_value_get_string(k.doc, "namePrefix"), "b-");
	assert_non_null(json_value_get(k.doc, "patchesJson6902"));
	assert_int_equal(k.nresources, 1);
	assert_int_equal(k.resources[0].line, 4);
	kustomization_release(&k);
	buf_release(&problems);
}

/* What kustomize v5.5 accepts is read: a deprecated field, an empty Helm
 * list, sortOptions, each label's includeSelectors. */
static void test_kustomization__reads_what_kustomize_reads(void **state)
{
	static const char *const accepted[] = {
	    "imageTags: [{name: a, newTag: b}]\n",
	    "helmCharts: []\ngenerators: []\n",
	    "sortOptions: {order: fifo}\n",
	    "labels: [{pairs: {a: b}, includeSelectors: yes}]\n",
	    "resources: [./base]\n",
	    "configMapGenerator:\n- name: db\n  literals: [a=b]\n",
	    "commonLabels:\nmetadata: {name: x}\n",
	    /* kubectl kustomize takes both, commonLabels' value winning. */
	    "commonLabels: {app: db}\nlabels:\n- pairs: {app: web}\n",
	};
	struct kustomization k = KUSTOMIZATION_INIT;
	struct buf problems = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(accepted) / sizeof(*accepted); i++) {
		if (read_text(&k, &problems, accepted[i]) < 0)
			fail_msg("case %zu: refused: %s", i, problems.ptr);
		kustomization_release(&k);
	}
	buf_release(&problems);
}

/* Read every kustomization file under `dir` (recursively); `want`: each
 * must be read (1) or refused (0). Returns how many were found. */
static size_t read_all(const char *dir, int want, const char *skip)
{
	struct kustomization k = KUSTOMIZATION_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT;
	struct buf path = BUF_INIT, text = BUF_INIT, shown = BUF_INIT;
	struct dirent *e;
	struct stat st;
	size_t n = 0, i;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || (skip && !strcmp(e->d_name, skip)))
			continue;
		buf_reset(&path);
		buf_addf(&path, "%s/%s", dir, e->d_name);
		if (lstat(path.ptr, &st) < 0 || S_ISLNK(st.st_mode))
			continue;
		if (S_ISDIR(st.st_mode)) {
			n += read_all(path.ptr, want, NULL);
			continue;
		}
		for (i = 0; kustomization_names[i] && strcmp(kustomization_names[i], e->d_name);
		     i++)
			;
		if (!kustomization_names[i])
			continue;
		n++;
		buf_reset(&text);
		assert_int_equal(buf_read_file(&text, path.ptr, 1 << 20), 0);
		if ((kustomization_parse(&k, &diags, path.ptr, text.ptr, text.len) == 0) != want) {
			buf_reset(&shown);
			diagnostics_format(&shown, &diags);
			fail_msg("%s: %s, want %s: %s", path.ptr, want ? "refused" : "read",
			         want ? "read" : "refused", shown.ptr);
		}
		kustomization_release(&k);
		diagnostics_release(&diags);
	}
	closedir(d);
	buf_release(&path);
	buf_release(&text);
	buf_release(&shown);
	return n;
}

/* Real kustomizations, every one kubectl's kustomize builds: each is read.
 * Those it refuses for what berth never does are refused; the rest of the
 * refused corpus (cycles, escapes) is the builder's to refuse. */
static void test_kustomization__the_corpus(void **state)
{
	static const char *const refused[] = {"helm-charts", "generators-plugin",
	                                      "transformers-plugin", "unknown-field",
	                                      "remote-resource"};
	struct buf dir = BUF_INIT;
	size_t i;

	(void)state;
	assert_true(read_all(CORPUS, 1, "refused") >= 32);
	for (i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		buf_reset(&dir);
		buf_addf(&dir, "%s/refused/%s", CORPUS, refused[i]);
		assert_int_equal(read_all(dir.ptr, 0, NULL), 1);
	}
	buf_release(&dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kustomization__reads_its_paths_in_order),
	    cmocka_unit_test(test_kustomization__refuses_at_the_line),
	    cmocka_unit_test(test_kustomization__a_field_in_another_case_is_that_field),
	    cmocka_unit_test(test_kustomization__reads_what_kustomize_reads),
	    cmocka_unit_test(test_kustomization__the_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
