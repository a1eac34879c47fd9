#ifndef BERTH_CONFIG_H
#define BERTH_CONFIG_H

#include "../forge/forge.h"
#include "../forge/status_config.h"
#include "../source/target.h"
#include "../source/source.h"

#include "../../apply/sync.h"
#include "../../diff/manifest.h"
#include "../../diff/base/units.h"

#include <stdbool.h>
#include <stddef.h>

/* What berth run does with drift it finds between commits. */
enum drift_mode {
	DRIFT_MODE_CORRECT, /* apply the commit again */
	DRIFT_MODE_REPORT,  /* log it, and leave the cluster as it is */
};

/* One source of `berth run`: a repository, a path in it, and how to follow it. */
struct source_config {
	char *name;
	struct source_options git; /* repo, ref and credentials; strings owned here */
	char *path;                /* NULL: the repository's root */
	char *namespace;           /* NULL: the context's */
	char *target_namespace;    /* every namespaced object goes here; NULL: where it says */
	char **allowed_namespaces; /* NULL-terminated; NULL: any (targetNamespace alone: it) */
	char **cluster_resources;  /* the cluster-scoped kinds a confined source may manage,
	                            * "Kind" or "Kind.group"; NULL-terminated; NULL: none */
	bool preview_forks;        /* previews.forks: preview pull requests from forks */
	long preview_timeout_ms;   /* previews.timeout: a preview stops after this long */
	long interval_ms;          /* between reconciles without a new commit */
	long resync_ms;            /* between full comparisons while the watches see no change */
	unsigned jitter_percent;   /* each wait is interval +- this much */
	long progress_deadline_ms; /* what makes no progress this long is Degraded */
	bool prune;
	bool recover_stuck; /* recoverStuckRollouts (sync_options.recover_stuck) */
	/* The sources whose objects must be Ready before this one applies a
	 * new commit (dependsOn), NULL-terminated; NULL: none. The config's
	 * sources come after those they depend on. */
	char **depends_on;
	enum drift_mode drift;
	size_t max_bytes, max_objects; /* the limits of a commit's manifests; 0: the defaults */
	char *password_file, *password_env; /* where the https password or token is */
	struct status_config status;
};

/* scaleOut: several replicas share the sources out on Lease objects
 * (lease.h). Durations in ms; the Leases' own are whole seconds. */
struct scale_out {
	bool lease; /* mode: lease (else none: this replica follows every source) */
	/* Each replica's member Lease (client-go leader election's timing). */
	long lease_duration_ms, renew_deadline_ms, retry_period_ms;
	/* Each source's Lease: who reconciles it. */
	long source_lease_duration_ms, source_renew_ms, source_renew_deadline_ms;
};
#define SCALE_OUT_INIT                                                                             \
	{                                                                                          \
		.lease = false, .lease_duration_ms = 15000, .renew_deadline_ms = 10000,            \
		.retry_period_ms = 2000, .source_lease_duration_ms = 60000,                        \
		.source_renew_ms = 20000, .source_renew_deadline_ms = 40000                        \
	}

/* berth run's configuration file. Embedded by value: CONFIG_INIT, then
 * config_release(). */
struct config {
	struct source_config *sources;
	size_t n;
	char *state_namespace;   /* where the state ConfigMap lives; NULL: the context's */
	char *cluster;           /* this cluster's name in status contexts; NULL: "default" */
	char *report_token_file; /* the bearer token of /report; NULL: none */
	char *webhook_secrets[FORGE_COUNT]; /* NULL: that forge's hooks are refused */
	/* Each source's tracking annotation and name (n of them), as
	 * sync_options.others takes them: no source takes over another's
	 * objects. */
	struct sync_owner *owners;
	struct scale_out scale_out;
};
#define CONFIG_INIT                                                                                \
	{                                                                                          \
		.sources = NULL, .n = 0, .state_namespace = NULL, .cluster = NULL,                 \
		.report_token_file = NULL, .webhook_secrets = {NULL}, .owners = NULL,              \
		.scale_out = SCALE_OUT_INIT                                                        \
	}

/*
 * Read the YAML configuration at `path` (its schema is in the README).
 * Each problem (an unknown key, a wrong type, a missing name or repo, two
 * sources of one name, a bad interval) is added to `diags` at its
 * file:line:column; any problem fails the load.
 */
int config_load(struct config *out, struct diagnostics *diags, const char *path);
void config_release(struct config *c);

/* A loaded config that threads share (the loop, the previewer):
 * config_share() moves *c (left as CONFIG_INIT) into a counted copy that
 * holds one reference; config_hold() takes one more; config_drop() gives
 * one back and frees the copy with the last. Only for shared copies;
 * config_drop(NULL) is a no-op. */
struct config *config_share(struct config *c);
struct config *config_hold(struct config *c);
void config_drop(struct config *c);

/* How long a preview may take, unless its source says (previews.timeout). */
#define PREVIEW_TIMEOUT_MS (120 * 1000L)

/* The options of the target of source `s` (borrowed): its repository,
 * path, namespaces, credentials and limits; quiet. The caller adds the
 * cluster's and the stops. */
void config_target_options(struct target_options *o, const struct source_config *s);

#endif
