#ifndef BERTH_LISTENER_H
#define BERTH_LISTENER_H

#include "../daemon/config.h"
#include "../../diff/base/metrics.h"
#include "report_page.h"
#include "../daemon/wakeup.h"
#include "../forge/webhook.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * berth run's HTTP listener and what it shares with the loop:
 *   GET /healthz   200 while the agent runs
 *   GET /readyz    200 once every source has reconciled once, else 503
 *                  naming those that have not
 *   GET /metrics   the metrics, in the Prometheus text format
 *   GET /report, /report/<source>
 *                  the drift report pages of `reports` (report_page.h)
 *   POST /hooks/github, /hooks/gitlab, /hooks/gitea
 *                  a push: its signature or token is checked against the
 *                  forge's secret before the body is parsed (401 when wrong,
 *                  404 when no secret is configured); then 202, and every
 *                  source whose repo the payload names is triggered; a
 *                  pull request instead previews its head for each source
 *                  that deploys its base branch
 */
struct listener;

/* Listen on `address` (see http_server_options), serving `m` and
 * `reports` (borrowed; may be NULL: no pages); each trigger signals `wake`
 * (borrowed; may be NULL). */
int listener_new(struct listener **out, const char *address, struct metrics *m,
                 struct report_board *reports, struct wakeup *wake);
void listener_free(struct listener *l);

/* A pull request webhook calls `fn` (NULL: none) once for each source
 * that deploys its base branch (and, for a fork's pull request, opted in
 * to forks), with the pull request (borrowed) to preview. */
typedef void listener_preview_fn(void *ctx, const char *source, enum forge f,
                                 const struct webhook_pull *pr);
void listener_previews(struct listener *l, listener_preview_fn *fn, void *ctx);

/* Where it listens, "host:port". */
const char *listener_address(const struct listener *l);

/* Follow the sources and webhook secrets of `c` (copied), after a load or
 * a reload. A source keeps its readiness when its name is unchanged. */
void listener_follow(struct listener *l, const struct config *c);

/* Source `i` of the config followed has finished a reconcile. */
void listener_reconciled(struct listener *l, size_t i);

/* Trigger the source named `source`, as a webhook would. */
void listener_trigger(struct listener *l, const char *source);

/* Was source `i` triggered by a webhook since the last call? Clears it. */
bool listener_take_trigger(struct listener *l, size_t i);

#endif
