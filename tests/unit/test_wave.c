#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/wave.h"

#include <stdlib.h>
#include <string.h>

/* Load `text` as m.yaml into `set`. */
static void load(struct manifest_set *set, const char *text)
{
	struct diagnostics diags = DIAGNOSTICS_INIT, warnings = DIAGNOSTICS_INIT;

	assert_int_equal(manifest_set_add(set, &diags, "m.yaml", text, strlen(text), NULL), 0);
	manifest_set_finish(set, &diags, &warnings);
	assert_int_equal(diags.n, 0);
	diagnostics_release(&diags);
	diagnostics_release(&warnings);
}

/* The waves checks of `text`: problems, then warnings, as text (caller
 * frees). */
static char *check(const char *text)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT, warnings = DIAGNOSTICS_INIT;
	struct buf out = BUF_INIT;

	load(&set, text);
	waves_check(&diags, &warnings, &set);
	diagnostics_format(&out, &diags);
	diagnostics_format(&out, &warnings);
	diagnostics_release(&diags);
	diagnostics_release(&warnings);
	manifest_set_release(&set);
	return buf_detach(&out, NULL);
}

#define CM(name, wave)                                                                             \
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " name "\n  namespace: app\n"         \
	"  annotations: {berth.io/wave: " wave "}\n---\n"

static void test_wave__read_from_the_annotation(void **state)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	long w[5];
	size_t i;

	(void)state;
	load(&set,
	     CM("a", "\"-2\"")
	         CM("b", "\"7\"") "apiVersion: v1\nkind: ConfigMap\n"
	                          "metadata: {name: c, namespace: app}\n---\n" CM("d", "\"x\"")
	                              CM("e", "\"99999999999\""));
	assert_int_equal(set.n, 5);
	for (i = 0; i < 3; i++)
		assert_int_equal(manifest_wave(&w[i], &set.items[i]), 0);
	assert_int_equal(w[0], -2);
	assert_int_equal(w[1], 7);
	assert_int_equal(w[2], 0);
	assert_int_equal(manifest_wave(&w[3], &set.items[3]), -1);
	assert_int_equal(manifest_wave(&w[4], &set.items[4]), -1);
	manifest_set_release(&set);
}

static void test_wave__checks(void **state)
{
	char *out;

	(void)state;
	/* Not an integer: a problem at the annotations. */
	out = check(CM("a", "\"first\""));
	assert_string_equal(out,
	                    "m.yaml:6:3: configmap 'a': metadata.annotations.berth.io/wave: "
	                    "must be an integer from -1000000 to 1000000, as a string (\"-1\")\n");
	free(out);
	/* A Namespace later than what is in it; a StorageClass later than a
	 * claim template of its class. */
	out = check(
	    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: app\n"
	    "  annotations: {berth.io/wave: \"1\"}\n---\n" CM(
	        "a", "\"0\"") "apiVersion: "
	                      "storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: fast\n"
	                      "  annotations: {berth.io/wave: \"2\"}\nprovisioner: x\n---\n"
	                      "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, "
	                      "namespace: x}\n"
	                      "spec:\n  volumeClaimTemplates:\n  - metadata: {name: d}\n"
	                      "    spec: {storageClassName: fast}\n");
	assert_string_equal(
	    out, "m.yaml:5:3: warning: namespace 'app': berth.io/wave 1 applies it after configmap "
	         "'a' (wave 0), which needs it: that one is applied first, and fails or waits\n"
	         "m.yaml:18:3: warning: storageclass 'fast': berth.io/wave 2 applies it after "
	         "statefulset 'db' (wave 0), which needs it: that one is applied first, and "
	         "fails or waits\n");
	free(out);
	/* Earlier, or unrelated: nothing. */
	out = check("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: app\n"
	            "  annotations: {berth.io/wave: \"-1\"}\n---\n" CM("a", "\"0\"")
	                CM("b", "\"3\""));
	assert_string_equal(out, "");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wave__read_from_the_annotation),
	    cmocka_unit_test(test_wave__checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
