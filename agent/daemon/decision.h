#ifndef BERTH_DECISION_H
#define BERTH_DECISION_H

#include "config.h"
#include "scheduler.h"

#include "../../diff/base/buf.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * What one reconcile of a source does, once its commit is checked and
 * compared with the cluster: a pure function of what is known of the
 * source and of why it runs, so that every case is in one table
 * (tests/unit/test_decision.c).
 */
enum reconcile_action {
	RECONCILE_NOTHING, /* in sync at the commit applied */
	RECONCILE_APPLY,   /* a commit not applied yet */
	RECONCILE_RETRY,   /* the commit whose apply failed last time, again */
	RECONCILE_CORRECT, /* drift at the commit applied: apply it again */
	RECONCILE_REPORT,  /* drift at the commit applied: say so, change nothing */
	RECONCILE_PRUNE,   /* in sync, but objects that left the commit to delete */
	RECONCILE_SKIP,    /* berth is stopping: write nothing, say nothing */
	RECONCILE_ACTION_COUNT,
};

/* What the decision takes; strings borrowed. */
struct reconcile_facts {
	enum trigger_kind why;
	const char *commit;  /* the commit checked out now */
	const char *applied; /* the commit last applied (berth-state); NULL: none */
	const char *failed;  /* the commit whose last apply failed; NULL: none */
	size_t drifted;      /* its objects not in sync */
	/* Objects to prune: asked only when the answer matters, so
	 * PRUNABLE_UNKNOWN until then (reconcile_needs_prune()). */
	size_t prunable;
	bool prunes; /* the source prunes */
	enum drift_mode drift;
	bool stopping;
};
#define PRUNABLE_UNKNOWN ((size_t)-1)

/* What to do. While f->prunable is PRUNABLE_UNKNOWN, the answer stands
 * whatever the prune would find, except where reconcile_needs_prune(). */
enum reconcile_action reconcile_decide(const struct reconcile_facts *f);

/* Must the objects to prune be looked for (in a source that prunes)
 * before reconcile_decide() can answer, or before the apply it decided? */
bool reconcile_needs_prune(const struct reconcile_facts *f);

/*
 * Between commits, the watches are the live state: an interval's reconcile
 * of a commit already compared in sync, in a cluster where nothing of the
 * source changed since (watcher_quiet), has nothing to compare. It costs
 * no request and no load, until the full comparison of every
 * resyncInterval, the safety net. What it takes; strings borrowed.
 */
struct rest_facts {
	enum trigger_kind why;
	const char *commit;  /* the commit checked out now */
	const char *settled; /* the commit the last full reconcile left in sync; NULL: none */
	const char *failed;  /* the commit whose last apply failed; NULL: none */
	double age_ms;       /* since that reconcile read the cluster */
	long resync_ms;      /* the source's resyncInterval */
	bool quiet;          /* no change to its objects since, and none missed */
};

/* Are the objects of `commit` known to be in sync: it is the one the last
 * full reconcile left in sync, no apply failed since, the watches saw no
 * change, and the resync is not due? A new commit then compares only the
 * objects of the files it changed. */
bool reconcile_known_in_sync(const struct rest_facts *f, const char *commit);

/* May the reconcile end "in sync, unchanged" without comparing: made due
 * by the interval, and its commit known in sync? */
bool reconcile_at_rest(const struct rest_facts *f);

/* Does `a` write to the cluster? */
bool reconcile_writes(enum reconcile_action a);

/* "nothing", "apply", "retry", "correct", "report", "prune", "skip". */
const char *reconcile_action_name(enum reconcile_action a);

/* Why, in a few words for the log: "new commit 0123abc (push)", "drift in
 * 2 objects (watch)", ... */
void reconcile_explain(struct buf *out, enum reconcile_action a, const struct reconcile_facts *f);

#endif
