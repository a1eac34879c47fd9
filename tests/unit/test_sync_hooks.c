#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../apply/sync_internal.h"

#include <stdlib.h>
#include <string.h>

#define OBJ(api, kind, name, hook)                                                                 \
	"apiVersion: " api "\nkind: " kind "\nmetadata:\n  name: " name                            \
	"\n  annotations: {berth.io/hook: " hook "}\n---\n"

static void test_sync_hooks__which_objects_are_hooks(void **state)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT, warnings = DIAGNOSTICS_INIT;
	const char *text = OBJ("batch/v1", "Job", "migrate", "pre-sync")
	    OBJ("v1", "Pod", "notify", "post-sync") OBJ("batch/v1", "Job", "cleanup", "sync-fail")
	        OBJ("batch/v1", "Job", "typo", "pre_sync")
	            OBJ("v1", "ConfigMap", "cm",
	                "pre-sync") "apiVersion: batch/v1\nkind: Job\nmetadata: {name: plain}\n";
	enum hook_when when;
	struct buf out = BUF_INIT;

	(void)state;
	assert_int_equal(manifest_set_add(&set, &diags, "m.yaml", text, strlen(text), NULL), 0);
	manifest_set_finish(&set, &diags, &warnings);
	assert_int_equal(set.n, 6);
	assert_int_equal(sync_hook_of(&when, &diags, &set.items[0]), 1);
	assert_int_equal(when, HOOK_PRE_SYNC);
	assert_int_equal(sync_hook_of(&when, &diags, &set.items[1]), 1);
	assert_int_equal(when, HOOK_POST_SYNC);
	assert_int_equal(sync_hook_of(&when, &diags, &set.items[2]), 1);
	assert_int_equal(when, HOOK_SYNC_FAIL);
	assert_int_equal(diags.n, 0);
	assert_int_equal(sync_hook_of(&when, &diags, &set.items[3]), -1);
	assert_int_equal(sync_hook_of(&when, &diags, &set.items[4]), -1);
	assert_int_equal(sync_hook_of(&when, &diags, &set.items[5]), 0);
	diagnostics_format(&out, &diags);
	assert_string_equal(
	    out.ptr, "m.yaml:19:1: job 'typo': metadata.annotations.berth.io/hook: 'pre_sync' "
	             "is no hook (use pre-sync, post-sync or sync-fail, on a Job or a Pod)\n"
	             "m.yaml:25:1: configmap 'cm': metadata.annotations.berth.io/hook: "
	             "'pre-sync' is for Jobs and Pods (use pre-sync, post-sync or sync-fail, "
	             "on a Job or a Pod)\n");
	buf_release(&out);
	diagnostics_release(&diags);
	diagnostics_release(&warnings);
	manifest_set_release(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sync_hooks__which_objects_are_hooks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
