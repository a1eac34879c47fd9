#ifndef BERTH_RECONCILE_H
#define BERTH_RECONCILE_H

#include "config.h"
#include "decision.h"
#include "scheduler.h"
#include "watch.h"

#include "../forge/status.h"
#include "../source/target.h"
#include "../http/report_page.h"

#include "../../apply/kube_client.h"
#include "../../apply/kubeconfig.h"
#include "../../diff/verdict.h"
#include "../../diff/base/metrics.h"
#include "../../diff/base/stop.h"

#include <json-c/json.h>

/*
 * The reconcile of one source: fetch, check the whole commit, compare it
 * with the cluster, decide (decision.h), apply or report, and leave the
 * outcome in the state, the commit status, the report page, the metrics
 * and one log line.
 */

/* What the reconciles of berth run share; the loop (loop.c) owns it. */
struct runner {
	struct kubeconfig_options kube;
	struct kube_client_options client_opts; /* counting requests in `metrics` */
	struct config *config;                  /* shared (config_share) */
	struct kube_client *client;             /* for the state */
	const char *state_ns;
	struct json_object *state;  /* source -> the commit applied (state.h) */
	struct json_object *failed; /* source -> the commit whose apply failed last */
	/* source -> {"commit", "at" (clock_now_ms), "objects"}: its last full
	 * reconcile, begun at `at`, left that commit's objects in sync */
	struct json_object *settled;
	/* source -> {"state", "cause"}: its health as last said */
	struct json_object *health;
	/* source -> what holds its new commit (dependsOn): "waiting for db
	 * (...)"; sources not held are not in it */
	struct json_object *held;
	struct metrics *metrics;
	struct watcher *watcher;   /* NULL with --once */
	struct verdicts *verdicts; /* the server's word on local drift, kept between reconciles */
	struct reporter *reporter; /* the commit statuses */
	struct report_board *reports; /* the drift report pages; NULL: none */
	struct stop *stop;            /* SIGTERM */
	/* Each source's last load, for its next commit (target_memo). */
	struct loaded {
		char *source;
		struct target_memo memo;
	} * loaded;
	size_t nloaded;
};

/* The metric families reconciles record in (the registry must hold them). */
extern const struct metric_family *const reconcile_families[];
extern const size_t reconcile_nfamilies;

/* Counts a request to the Kubernetes API in the metrics `ctx`
 * (kube_client_options.observe). */
void reconcile_count_request(const char *method, long status, void *ctx);

/* A warning of the client or of a sync, as a log line of its source
 * (`ctx`, a name), or of no source (NULL). */
void reconcile_log_warning(const char *message, void *ctx);

/* Forget every source's last load: each loads its next commit whole. */
void runner_forget_loads(struct runner *r);

/* Forget what the runner knows of source `name`: another replica
 * reconciles it (lease.h). Its watches, memo, health and metrics go. */
void runner_forget_source(struct runner *r, const char *name);

/* This replica takes source `name` over from another: what it knew is
 * forgotten, and the commit applied is read again from the state. */
int runner_take_over(struct runner *r, const char *name);

/* Reconcile source `s` of r->config, which `why` made due. 0; 1 when its
 * new commit is held by the sources it depends on (dependsOn); or the
 * error that failed it (logged, posted and published already). */
int reconcile(struct runner *r, const struct source_config *s, enum trigger_kind why);

/* Was source `s` held by its dependencies at its last reconcile, and are
 * they all Ready now? Then it is due at once. */
bool reconcile_released(struct runner *r, const struct source_config *s);

#endif
