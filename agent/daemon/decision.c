/* What one reconcile does: the decision, apart from the doing. */
#include "decision.h"

#include <string.h>

static bool same(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

enum reconcile_action reconcile_decide(const struct reconcile_facts *f)
{
	if (f->stopping)
		return RECONCILE_SKIP;
	if (!same(f->applied, f->commit))
		return same(f->failed, f->commit) ? RECONCILE_RETRY : RECONCILE_APPLY;
	if (f->drifted)
		return f->drift == DRIFT_MODE_CORRECT ? RECONCILE_CORRECT : RECONCILE_REPORT;
	if (f->prunes && f->prunable != PRUNABLE_UNKNOWN && f->prunable > 0)
		return RECONCILE_PRUNE;
	return RECONCILE_NOTHING;
}

bool reconcile_needs_prune(const struct reconcile_facts *f)
{
	enum reconcile_action a = reconcile_decide(f);

	return f->prunes && f->prunable == PRUNABLE_UNKNOWN && a != RECONCILE_REPORT &&
	       a != RECONCILE_SKIP;
}

bool reconcile_known_in_sync(const struct rest_facts *f, const char *commit)
{
	return same(f->settled, commit) && !f->failed && f->quiet && f->age_ms >= 0 &&
	       f->age_ms < (double)f->resync_ms;
}

bool reconcile_at_rest(const struct rest_facts *f)
{
	return f->why == TRIGGER_INTERVAL && reconcile_known_in_sync(f, f->commit);
}

bool reconcile_writes(enum reconcile_action a)
{
	return a == RECONCILE_APPLY || a == RECONCILE_RETRY || a == RECONCILE_CORRECT ||
	       a == RECONCILE_PRUNE;
}

const char *reconcile_action_name(enum reconcile_action a)
{
	static const char *const names[RECONCILE_ACTION_COUNT] = {
	    "nothing", "apply", "retry", "correct", "report", "prune", "skip"};

	return names[a];
}

void reconcile_explain(struct buf *out, enum reconcile_action a, const struct reconcile_facts *f)
{
	const char *why = trigger_name(f->why);

	buf_reset(out);
	switch (a) {
	case RECONCILE_APPLY:
		buf_addf(out, "new commit %.7s (%s)", f->commit, why);
		break;
	case RECONCILE_RETRY:
		buf_addf(out, "commit %.7s failed last time (%s)", f->commit, why);
		break;
	case RECONCILE_CORRECT:
	case RECONCILE_REPORT:
		buf_addf(out, "drift in %zu object%s (%s)", f->drifted, f->drifted == 1 ? "" : "s",
		         why);
		break;
	case RECONCILE_PRUNE:
		buf_addf(out, "%zu object%s left the commit (%s)", f->prunable,
		         f->prunable == 1 ? "" : "s", why);
		break;
	case RECONCILE_SKIP:
		buf_adds(out, "berth is stopping");
		break;
	default:
		buf_addf(out, "in sync (%s)", why);
	}
}
