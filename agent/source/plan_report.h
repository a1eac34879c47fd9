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

#endif
