/* The plan of a sync: the order it applies in, how it reads live state, and
 * what it writes. (Writing and waiting run against the real cluster:
 * tests/e2e/.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../apply/sync_internal.h"
#include "../../diff/base/json_value.h"

#include <string.h>

/* A commit whose manifests come in the worst order: the workload first,
 * storage last. */
static const char commit[] = "apiVersion: apps/v1\n"
                             "kind: StatefulSet\n"
                             "metadata: {name: web}\n"
                             "---\n"
                             "apiVersion: example.com/v1\n"
                             "kind: Backup\n"
                             "metadata: {name: nightly}\n"
                             "---\n"
                             "apiVersion: v1\n"
                             "kind: Service\n"
                             "metadata: {name: web}\n"
                             "---\n"
                             "apiVersion: v1\n"
                             "kind: ConfigMap\n"
                             "metadata: {name: b}\n"
                             "---\n"
                             "apiVersion: policy/v1\n"
                             "kind: PodDisruptionBudget\n"
                             "metadata: {name: web}\n"
                             "---\n"
                             "apiVersion: v1\n"
                             "kind: ConfigMap\n"
                             "metadata: {name: a}\n"
                             "---\n"
                             "apiVersion: v1\n"
                             "kind: PersistentVolumeClaim\n"
                             "metadata: {name: data}\n"
                             "---\n"
                             "apiVersion: v1\n"
                             "kind: PersistentVolume\n"
                             "metadata: {name: pv0}\n"
                             "---\n"
                             "apiVersion: apiextensions.k8s.io/v1\n"
                             "kind: CustomResourceDefinition\n"
                             "metadata: {name: backups.example.com}\n"
                             "---\n"
                             "apiVersion: storage.k8s.io/v1\n"
                             "kind: StorageClass\n"
                             "metadata: {name: fast}\n"
                             "---\n"
                             "apiVersion: v1\n"
                             "kind: Namespace\n"
                             "metadata: {name: db}\n";

struct fixture {
	struct manifest_set set;
	struct sync_item items[16];
	size_t n;
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));
	struct diagnostics diags = DIAGNOSTICS_INIT;
	size_t i;

	f->set = (struct manifest_set)MANIFEST_SET_INIT;
	assert_int_equal(
	    manifest_set_add(&f->set, &diags, "commit.yaml", commit, strlen(commit), NULL), 0);
	manifest_set_finish(&f->set, &diags, NULL);
	assert_int_equal(diags.n, 0);
	assert_true(f->set.n <= sizeof(f->items) / sizeof(*f->items));
	for (i = 0; i < f->set.n; i++)
		f->items[i].m = &f->set.items[i];
	f->n = f->set.n;
	diagnostics_release(&diags);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < f->n; i++)
		json_object_put(f->items[i].desired);
	manifest_set_release(&f->set);
	test_free(f);
	return 0;
}

static void test_sync__plan_applies_storage_before_the_workload(void **state)
{
	static const char *const want[] = {
	    "Namespace db",
	    "CustomResourceDefinition backups.example.com",
	    "StorageClass fast",
	    "PersistentVolume pv0",
	    "PersistentVolumeClaim data",
	    /* one phase keeps the order of the manifests: b before a */
	    "ConfigMap b",
	    "ConfigMap a",
	    "Service web",
	    "StatefulSet web",
	    /* a kind Kubernetes has, then custom resources last */
	    "PodDisruptionBudget web",
	    "Backup nightly",
	};
	struct fixture *f = *state;
	char got[128];
	size_t i;

	sync_plan_order(f->items, f->n);
	assert_int_equal(f->n, sizeof(want) / sizeof(*want));
	for (i = 0; i < f->n; i++) {
		snprintf(got, sizeof(got), "%s %s", f->items[i].m->id.kind, f->items[i].m->id.name);
		assert_string_equal(got, want[i]);
		if (i)
			assert_true(f->items[i - 1].phase <= f->items[i].phase);
	}
	assert_int_equal(f->items[0].phase, PHASE_NAMESPACE);
	assert_int_equal(f->items[f->n - 1].phase, PHASE_UNKNOWN);
}

static void test_sync__one_list_per_kind_version_and_namespace(void **state)
{
	/* Kinds order by their place in discovery's table: an array here. */
	struct api_resource res[2] = {{.name = (char *)"configmaps", .namespaced = true},
	                              {.name = (char *)"services", .namespaced = true}};
	struct manifest m[5];
	struct sync_item items[5] = {{0}};
	struct sync_item *order[5];
	static const char *const names[][3] = {{"b", "x", "v1"},
	                                       {"a", "y", "v1"},
	                                       {"a", "x", "v1"},
	                                       {"z", "x", "v1"},
	                                       {"c", "x", "v2"}};
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++) {
		memset(&m[i], 0, sizeof(m[i]));
		m[i].id.name = (char *)names[i][0];
		m[i].id.namespace = (char *)names[i][1];
		m[i].id.version = (char *)names[i][2];
		items[i].m = &m[i];
		items[i].res = &res[i == 3];
		order[i] = &items[i];
	}
	qsort(order, 5, sizeof(*order), sync_cmp_list);
	/* One kind together, by version, by namespace, then by name (for
	 * bsearch); each version of a kind is read in its own LIST. */
	assert_ptr_equal(order[0]->res, order[1]->res);
	assert_ptr_equal(order[1]->res, order[2]->res);
	assert_ptr_equal(order[2]->res, order[3]->res);
	assert_string_equal(order[0]->m->id.namespace, "x");
	assert_string_equal(order[0]->m->id.name, "a");
	assert_string_equal(order[1]->m->id.name, "b");
	assert_string_equal(order[2]->m->id.namespace, "y");
	assert_string_equal(order[3]->m->id.version, "v2");
	assert_true(sync_same_list(order[0], order[1]));
	assert_false(sync_same_list(order[1], order[2]));
	assert_false(sync_same_list(order[0], order[3]));
	assert_false(sync_same_list(&items[0], &items[3]));
}

static void test_sync__desired_is_tracked_and_scoped(void **state)
{
	struct api_resource namespaced = {.namespaced = true}, cluster = {.namespaced = false};
	struct fixture *f = *state;
	struct sync_item *pvc = NULL, *pv = NULL;
	struct json_object *meta;
	size_t i;

	for (i = 0; i < f->n; i++) {
		f->items[i].source = "git@example/repo";
		if (!strcmp(f->items[i].m->id.kind, "PersistentVolumeClaim"))
			(pvc = &f->items[i])->res = &namespaced;
		if (!strcmp(f->items[i].m->id.kind, "PersistentVolume"))
			(pv = &f->items[i])->res = &cluster;
	}
	assert_non_null(pvc);
	assert_non_null(pv);
	meta = json_value_get(sync_item_desired(pvc), "metadata");
	assert_string_equal(json_value_get_string(json_value_get(meta, "labels"), TRACKING_LABEL),
	                    TRACKING_VALUE);
	assert_string_equal(
	    json_value_get_string(json_value_get(meta, "annotations"), SOURCE_ANNOTATION),
	    "git@example/repo");
	assert_string_equal(json_value_get_string(meta, "namespace"), "default");
	/* Built once: the same tree again. */
	assert_ptr_equal(sync_item_desired(pvc), pvc->desired);
	/* A cluster-scoped kind carries no namespace, not even the default. */
	meta = json_value_get(sync_item_desired(pv), "metadata");
	assert_null(json_value_get(meta, "namespace"));
	assert_string_equal(sync_item_id(pv).namespace, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_sync__plan_applies_storage_before_the_workload,
	                                    setup, teardown),
	    cmocka_unit_test(test_sync__one_list_per_kind_version_and_namespace),
	    cmocka_unit_test_setup_teardown(test_sync__desired_is_tracked_and_scoped, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
