#ifndef BERTH_LISTENER_H
#define BERTH_LISTENER_H

#include "report_page.h"

#include "../daemon/scheduler.h"

#include "../../diff/base/metrics.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * agent/http/: berth run's HTTP side: the server (http_server.c), the
 * routes (this file), the report pages (report_page.c). It owns no source
 * state: what a delivery triggers is the daemon's to decide, and goes
 * there through the scheduler's channel (scheduler_send()); readiness is
 * the scheduler's word too. It may call: agent/daemon/scheduler.h only of
 * the daemon, agent/forge/webhook.h (verify and parse a delivery),
 * diff/base/. It is called by: agent/daemon/loop.c, which starts it.
 *
 *   GET /healthz   200 while the agent runs
 *   GET /readyz    200 once every source has reconciled once, else 503
 *                  naming those that have not
 *   GET /metrics   the metrics, in the Prometheus text format
 *   GET /report, /report/<source>
 *                  the drift report pages of `reports` (report_page.h)
 *   POST /hooks/github, /hooks/gitlab, /hooks/gitea
 *                  a delivery: its signature or token is checked against
 *                  the forge's secret before the body is parsed (401 when
 *                  wrong, 404 when no secret is configured), and a
 *                  delivery seen in the last 10 minutes is not taken again;
 *                  then a push is handed to the scheduler, which makes due
 *                  each source of the repository whose ref it moved (202),
 *                  and a pull request, which previews its head for each
 *                  source that deploys its base branch
 */
struct listener;

/* Listen on `address` (see http_server_options), serving `m` and
 * `reports` (borrowed; may be NULL: no pages), and handing triggers to
 * `scheduler` (borrowed). */
int listener_new(struct listener **out, const char *address, struct metrics *m,
                 struct report_board *reports, struct scheduler *scheduler);
void listener_free(struct listener *l);

/* Where it listens, "host:port". */
const char *listener_address(const struct listener *l);

/* The webhook secrets of `c` (copied), after a load or a reload. */
void listener_secrets(struct listener *l, const struct config *c);

#endif
