#ifndef BERTH_DAEMON_H
#define BERTH_DAEMON_H

#include "../../apply/kubeconfig.h"

#include <stdbool.h>

/*
 * agent/daemon/: berth run. One loop (loop.c) owns everything here: the
 * config (config.c), the scheduler (scheduler.c: which source is due and
 * why, and the one channel by which triggers come in), the reconcile of
 * one source (reconcile.c, around the decision of decision.c), the state
 * ConfigMap (state.c), the watches (watch.c), the previews (preview.c),
 * the Leases several replicas share the sources out on (lease.c, with
 * lease_store.c and lease_plan.c) and the wakeup the loop sleeps on
 * (wakeup.c).
 *
 * It may call: agent/source/ (fetch, tree, target), agent/forge/ (the
 * status poster, webhook matching), agent/http/ (it starts the listener
 * and publishes the report pages), apply/, diff/. It is called by:
 * agent/cli/cmd_run.c (daemon_run), and from the listener and the watches
 * only through scheduler_send().
 */

struct daemon_options {
	const char *config_path;
	struct kubeconfig_options kube;
	bool once;          /* each source once, then exit */
	const char *listen; /* NULL: 127.0.0.1:8080, or none with `once` */
	/* "lease": share the sources with the other replicas (lease.h);
	 * "none": follow them all; NULL: as the config's scaleOut.mode says */
	const char *replicas_mode;
	const char *id; /* this replica's id; NULL: $POD_NAME, else the host's name */
};

/* Run berth run until SIGTERM (or, with `once`, until each source has
 * reconciled once). The process exit status: 0 when stopped (with `once`,
 * 1 when a source failed), 2 on a bad config or cluster. */
int daemon_run(const struct daemon_options *o);

#endif
