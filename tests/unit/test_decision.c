#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agent/daemon/decision.h"

#include <string.h>

#define A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define U PRUNABLE_UNKNOWN

/* One row: what is known of a source and why it runs, and what its
 * reconcile must do; whether it must first look for objects to prune; and
 * how the log says why. */
struct row {
	enum trigger_kind why;
	const char *commit, *applied, *failed;
	size_t drifted, prunable;
	bool prunes;
	enum drift_mode drift;
	bool stopping;
	enum reconcile_action want;
	bool want_prune_lookup;
	const char *want_explained;
};

static const struct row rows[] = {
    /* A commit never applied: apply it, whatever drifted. */
    {TRIGGER_CONFIG, A, NULL, NULL, 0, U, false, DRIFT_MODE_CORRECT, false, RECONCILE_APPLY, false,
     "new commit aaaaaaa (config)"},
    {TRIGGER_PUSH, B, A, NULL, 3, U, false, DRIFT_MODE_REPORT, false, RECONCILE_APPLY, false,
     "new commit bbbbbbb (push)"},
    /* ... a source that prunes looks first for what left it. */
    {TRIGGER_PUSH, B, A, NULL, 0, U, true, DRIFT_MODE_CORRECT, false, RECONCILE_APPLY, true,
     "new commit bbbbbbb (push)"},
    {TRIGGER_PUSH, B, A, NULL, 0, 2, true, DRIFT_MODE_CORRECT, false, RECONCILE_APPLY, false,
     "new commit bbbbbbb (push)"},
    /* The commit whose apply failed last time: again, said as a retry. */
    {TRIGGER_INTERVAL, B, A, B, 1, U, false, DRIFT_MODE_REPORT, false, RECONCILE_RETRY, false,
     "commit bbbbbbb failed last time (interval)"},
    /* ... but a failure of another commit is no retry. */
    {TRIGGER_INTERVAL, B, A, A, 0, U, false, DRIFT_MODE_REPORT, false, RECONCILE_APPLY, false,
     "new commit bbbbbbb (interval)"},
    /* Drift at the commit applied: corrected, or reported, as the source says. */
    {TRIGGER_WATCH, A, A, NULL, 2, U, false, DRIFT_MODE_CORRECT, false, RECONCILE_CORRECT, false,
     "drift in 2 objects (watch)"},
    {TRIGGER_WATCH, A, A, NULL, 1, U, true, DRIFT_MODE_CORRECT, false, RECONCILE_CORRECT, true,
     "drift in 1 object (watch)"},
    {TRIGGER_INTERVAL, A, A, NULL, 1, U, false, DRIFT_MODE_REPORT, false, RECONCILE_REPORT, false,
     "drift in 1 object (interval)"},
    /* ... a report changes nothing: no prune is even looked for. */
    {TRIGGER_INTERVAL, A, A, NULL, 1, U, true, DRIFT_MODE_REPORT, false, RECONCILE_REPORT, false,
     "drift in 1 object (interval)"},
    /* In sync: nothing; for a source that prunes, once it knows there is
     * nothing to prune. */
    {TRIGGER_INTERVAL, A, A, NULL, 0, U, false, DRIFT_MODE_CORRECT, false, RECONCILE_NOTHING, false,
     "in sync (interval)"},
    {TRIGGER_PUSH, A, A, NULL, 0, U, true, DRIFT_MODE_REPORT, false, RECONCILE_NOTHING, true,
     "in sync (push)"},
    {TRIGGER_PUSH, A, A, NULL, 0, 0, true, DRIFT_MODE_REPORT, false, RECONCILE_NOTHING, false,
     "in sync (push)"},
    /* In sync, with objects that left the commit: prune them. */
    {TRIGGER_WATCH, A, A, NULL, 0, 3, true, DRIFT_MODE_REPORT, false, RECONCILE_PRUNE, false,
     "3 objects left the commit (watch)"},
    /* A source that does not prune never prunes. */
    {TRIGGER_WATCH, A, A, NULL, 0, 3, false, DRIFT_MODE_REPORT, false, RECONCILE_NOTHING, false,
     "in sync (watch)"},
    /* The last apply failed, and the commit is applied since: no retry. */
    {TRIGGER_INTERVAL, A, A, B, 0, U, false, DRIFT_MODE_CORRECT, false, RECONCILE_NOTHING, false,
     "in sync (interval)"},
    /* Stopping: nothing is written, whatever there is to do. */
    {TRIGGER_PUSH, B, A, NULL, 2, U, true, DRIFT_MODE_CORRECT, true, RECONCILE_SKIP, false,
     "berth is stopping"},
    {TRIGGER_WATCH, A, A, NULL, 2, U, false, DRIFT_MODE_CORRECT, true, RECONCILE_SKIP, false,
     "berth is stopping"},
};

/* The facts of row `r`; `prunable` as the row says, or unknown. */
static struct reconcile_facts facts_of(const struct row *r, bool prunable)
{
	struct reconcile_facts f = {
	    .why = r->why,
	    .commit = r->commit,
	    .applied = r->applied,
	    .failed = r->failed,
	    .drifted = r->drifted,
	    .prunable = prunable ? r->prunable : PRUNABLE_UNKNOWN,
	    .prunes = r->prunes,
	    .drift = r->drift,
	    .stopping = r->stopping,
	};

	return f;
}

static void test_decision__each_case_of_the_table(void **state)
{
	struct buf why = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		const struct row *r = &rows[i];
		struct reconcile_facts f = facts_of(r, true);
		enum reconcile_action got = reconcile_decide(&f);

		if (got != r->want || reconcile_needs_prune(&f) != r->want_prune_lookup)
			fail_msg("row %zu: %s%s, want %s%s", i, reconcile_action_name(got),
			         reconcile_needs_prune(&f) ? " after a prune lookup" : "",
			         reconcile_action_name(r->want),
			         r->want_prune_lookup ? " after a prune lookup" : "");
		reconcile_explain(&why, got, &f);
		if (strcmp(why.ptr, r->want_explained))
			fail_msg("row %zu: explained '%s', want '%s'", i, why.ptr,
			         r->want_explained);
	}
	buf_release(&why);
}

/* What writes is exactly what changes the cluster. */
static void test_decision__only_apply_retry_correct_and_prune_write(void **state)
{
	static const bool writes[RECONCILE_ACTION_COUNT] = {
	    [RECONCILE_APPLY] = true,
	    [RECONCILE_RETRY] = true,
	    [RECONCILE_CORRECT] = true,
	    [RECONCILE_PRUNE] = true,
	};
	size_t a;

	(void)state;
	for (a = 0; a < RECONCILE_ACTION_COUNT; a++)
		assert_int_equal(reconcile_writes((enum reconcile_action)a), writes[a]);
}

/* The answer once the prune is known is the answer the lookup asked for:
 * the lookup never turns a decision into another write. */
static void test_decision__a_prune_lookup_refines_only_nothing_into_prune(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		struct reconcile_facts f = facts_of(&rows[i], false);
		enum reconcile_action before = reconcile_decide(&f), after;

		if (!reconcile_needs_prune(&f))
			continue;
		f.prunable = 4;
		after = reconcile_decide(&f);
		if (after != before && !(before == RECONCILE_NOTHING && after == RECONCILE_PRUNE))
			fail_msg("row %zu: %s became %s", i, reconcile_action_name(before),
			         reconcile_action_name(after));
	}
}

/* At rest only when every fact says nothing can have changed: one fact
 * off at a time, each must turn the answer to a full comparison. */
static void test_decision__at_rest_only_when_nothing_can_have_changed(void **state)
{
	static const struct rest_facts rest = {.why = TRIGGER_INTERVAL,
	                                       .commit = "c1",
	                                       .settled = "c1",
	                                       .age_ms = 1000,
	                                       .resync_ms = 3600000,
	                                       .quiet = true};
	struct rest_facts f;
	size_t k;

	(void)state;
	assert_true(reconcile_at_rest(&rest));
	for (k = TRIGGER_CONFIG; k < TRIGGER_KIND_COUNT; k++) {
		f = rest;
		f.why = (enum trigger_kind)k;
		assert_int_equal(reconcile_at_rest(&f), k == TRIGGER_INTERVAL);
	}
	f = rest, f.commit = "c2"; /* a new commit */
	assert_false(reconcile_at_rest(&f));
	f = rest, f.settled = NULL; /* never compared in sync, or drift reported */
	assert_false(reconcile_at_rest(&f));
	f = rest, f.failed = "c0"; /* an apply failed since */
	assert_false(reconcile_at_rest(&f));
	f = rest, f.quiet = false; /* a watch event, or a watch broke */
	assert_false(reconcile_at_rest(&f));
	f = rest, f.age_ms = 3600000; /* resyncInterval passed: the safety net */
	assert_false(reconcile_at_rest(&f));
	f = rest, f.age_ms = -1; /* the clock went back */
	assert_false(reconcile_at_rest(&f));
}

/* A new commit compares only its changed files' objects when the commit
 * loaded last is known in sync: any fact off makes it compare them all. */
static void test_decision__known_in_sync_is_at_rest_for_any_trigger(void **state)
{
	static const struct rest_facts rest = {.why = TRIGGER_PUSH,
	                                       .commit = "c2",
	                                       .settled = "c1",
	                                       .age_ms = 1000,
	                                       .resync_ms = 3600000,
	                                       .quiet = true};
	struct rest_facts f;

	(void)state;
	assert_true(reconcile_known_in_sync(&rest, "c1"));
	assert_false(reconcile_at_rest(&rest));             /* a new commit is never at rest */
	assert_false(reconcile_known_in_sync(&rest, "c0")); /* loaded: not the one in sync */
	assert_false(reconcile_known_in_sync(&rest, NULL));
	f = rest, f.settled = NULL;
	assert_false(reconcile_known_in_sync(&f, "c1"));
	f = rest, f.failed = "c1";
	assert_false(reconcile_known_in_sync(&f, "c1"));
	f = rest, f.quiet = false;
	assert_false(reconcile_known_in_sync(&f, "c1"));
	f = rest, f.age_ms = 3600000;
	assert_false(reconcile_known_in_sync(&f, "c1"));
	f = rest, f.age_ms = -1;
	assert_false(reconcile_known_in_sync(&f, "c1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decision__each_case_of_the_table),
	    cmocka_unit_test(test_decision__only_apply_retry_correct_and_prune_write),
	    cmocka_unit_test(test_decision__a_prune_lookup_refines_only_nothing_into_prune),
	    cmocka_unit_test(test_decision__at_rest_only_when_nothing_can_have_changed),
	    cmocka_unit_test(test_decision__known_in_sync_is_at_rest_for_any_trigger),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
