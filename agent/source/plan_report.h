#ifndef BERTH_PLAN_REPORT_H
#define BERTH_PLAN_REPORT_H

#include "target.h"

#include "../../diff/report.h"

/*
 * The report of what the commit of `t` would do to the cluster: each
 * object of its plan, confirmed with the server's dry runs unless
 * r->preview is set (a preview writes nothing, not even a dry run), and
 * with sync->prune what prune would delete. The warnings a person should
 * read first are added: a StatefulSet recreated, a claim template that
 * grows, an object that left Git but that prune keeps. BERTH_ERROR, saying
 * why, when what prune would delete cannot be listed.
 */
int plan_report(struct report *r, struct target *t, const struct sync_options *sync);

/* Only the objects of the plan, as they stand once it ran: an object
 * written (created, configured, recreated) is in sync; the others as
 * compared. With the StatefulSet warnings. */
void plan_report_items(struct report *r, struct target *t);

/*
 * The plan in one line, as a commit status says it (the caller fits it to
 * the forge's length). Each replaces what `out` held.
 */

/* "applied: 2 created, 1 configured, 9 unchanged" (and recreated, pruned
 * when there were any), of `plan` after its apply. */
void plan_summary_applied(struct buf *out, const struct sync_plan *plan, size_t pruned);

/* Append the pods deleted to recover stuck rollouts, if any, after "; ":
 * "recovered statefulset/db: deleted db-1 (CrashLoopBackOff ..., never
 * Ready on revision db-5d4f8c)". */
void plan_summary_recovered(struct buf *out, const struct sync_plan *plan);

/* "drift: 2 objects (statefulset/web, service/nginx)": the objects of
 * `plan` not in sync. */
void plan_summary_drift(struct buf *out, const struct sync_plan *plan);

/* The health of `plan`'s objects: the worst state (Ready when there is
 * none), and in `out` (replaced) what its first object in that state says:
 * "statefulset db/web: 2 of 3 pods ready; web-2 CrashLoopBackOff ..."
 * (nothing when all are Ready). */
enum readiness plan_summary_health(struct buf *out, const struct sync_plan *plan);

/* "in sync: 12 objects": that many, none drifted. */
void plan_summary_in_sync(struct buf *out, size_t objects);

/* Why a commit was refused or failed: the first problem in `diags` at its
 * file:line, else the first line of the current error that names a place,
 * else its first line; a file under `root` (the checkout; may be NULL) by
 * its path in the repository, printable (buf_add_printable). */
void plan_summary_error(struct buf *out, const struct diagnostics *diags, const char *root);

#endif
