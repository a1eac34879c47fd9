#ifndef BERTH_TARGET_H
#define BERTH_TARGET_H

#include "source.h"
#include "tree.h"

#include "../../apply/discovery.h"
#include "../../apply/kube_client.h"
#include "../../apply/kubeconfig.h"
#include "../../apply/sync.h"
#include "../../diff/manifest.h"

/*
 * The open step every verb and every reconcile starts from: the manifests
 * (a path, or a commit of a Git source checked out), the cluster client,
 * discovery, the checks that need the cluster, and the plan that compares
 * the manifests with the live objects. lint, diff and sync open a target
 * from their options (cli/target_options.h); berth run's reconciles and
 * previews from a source's config (config_target_options()).
 */
struct target_options {
	struct kubeconfig_options kube;
	const char **files; /* -f, repeatable */
	size_t nfiles;
	const char *namespace;     /* -n; NULL: the context's namespace */
	const char *output;        /* -o as given; NULL: text */
	struct source_options git; /* --repo, --ref; instead of -f */
	const char *path;          /* --path: the manifests' directory in the repository */
	const char *password_file; /* --git-password-file; else $BERTH_GIT_PASSWORD */
	const char *password_env;  /* NULL: BERTH_GIT_PASSWORD */
	bool quiet;                /* say nothing of the commit on stderr */
	const struct kube_client_options *client; /* NULL: the defaults */
	size_t max_bytes, max_objects;            /* --max-bytes, --max-objects; 0: the defaults */
	bool namespace_flag; /* the namespace came from -n: objects may name no other */
	/* berth run's targetNamespace and allowedNamespaces (manifest_options). */
	const char *target_namespace;
	const char *const *allowed_namespaces;
	const char *const *cluster_resources; /* ... and its clusterResources */
	/* Why loading the manifests must stop now, or NULL (see
	 * manifest_options.stop); NULL: it never stops. */
	const char *(*stop)(void *ctx);
	void *stop_ctx;
	/* Nothing will be written (a diff, a preview): a stop (sync_options's)
	 * gives up the request under way too, not only the next. */
	bool read_only;
};
#define TARGET_OPTIONS_INIT                                                                        \
	{                                                                                          \
		.kube = KUBECONFIG_OPTIONS_INIT, .git = SOURCE_OPTIONS_INIT                        \
	}

struct target {
	struct source_commit commit; /* with --repo */
	double fetch_ms;             /* ... how long asking (and fetching) took */
	char *files;                 /* ... the manifests' directory in its checkout */
	char *checkout;              /* ... the checkout, resolved: nothing outside is read */
	char *source;                /* ... the tracking source: repository//path */
	struct kubeconfig *kc;
	struct kube_client *client;
	struct discovery *discovery;
	struct manifest_set set;
	struct diagnostics diags;
	struct diagnostics warnings; /* what may yet be fine; printed unless quiet */
	struct sync_plan plan;
};
#define TARGET_INIT                                                                                \
	{                                                                                          \
		.commit = SOURCE_COMMIT_INIT, .set = MANIFEST_SET_INIT, .diags = DIAGNOSTICS_INIT, \
		.warnings = DIAGNOSTICS_INIT, .plan = SYNC_PLAN_INIT                               \
	}

/* `file` by its path in the repository: less `checkout` (NULL: none) and a
 * '/' when it starts with them, else as it is. */
const char *repo_path(const char *file, const char *checkout);

/* Check the commit of --repo --ref out (saying which on stderr): t->files
 * names its --path, t->source the repository (without credentials) and
 * path. */
int target_source(struct target *t, const struct target_options *o);

/* The options of the manifests' load that `o` sets: the limits, the stop,
 * the namespaces, and for --repo the checkout as the root nothing is read
 * outside of. */
void target_tree_options(struct tree_options *out, const struct target_options *o,
                         const struct target *t);

/* Load the manifests (from -f, or the commit of --repo --ref checked out,
 * under --path, by target_source() unless it was already) and the
 * cluster, and compare them. Problems with the
 * manifests are printed as file:line:column lines; other errors as
 * "error: ...". Sets sync->source to the manifests' path, or to the
 * repository (without credentials) and path, and sync's confinement to the
 * source's (allowed namespaces and cluster resources). */
int target_open(struct target *t, const struct target_options *o, struct sync_options *sync);
void target_release(struct target *t);

/*
 * Discovery of what the manifests of `set` use: their groups, each in its
 * preferred version and in the versions the manifests name, and their kinds
 * (discovery_fetch); with `all`, every group and version (prune looks for
 * berth's objects of every kind). *out is the caller's (discovery_free).
 */
int target_discovery(struct discovery **out, struct kube_client *c, const struct manifest_set *set,
                     bool all);

/*
 * The checks of the manifests that need the cluster, as sync makes them
 * before its first write: kinds the server does not serve in their
 * apiVersion (sync_check_served, with `d` from target_discovery), the
 * server's OpenAPI schema (openapi_check), then the commit's own checks
 * (sync_check). A problem the schema found is not reported again by a
 * check that finds it at the same place, in its own words. Returns the
 * number of problems added, or a negative error when the schema cannot be
 * had. Warnings go to `warnings`.
 */
int target_check(struct diagnostics *diags, struct diagnostics *warnings, struct kube_client *c,
                 const struct discovery *d, const struct manifest_set *set);

#endif
