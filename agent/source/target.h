#ifndef BERTH_TARGET_H
#define BERTH_TARGET_H

#include "source.h"
#include "tree.h"

#include "../../apply/discovery.h"
#include "../../apply/kube_client.h"
#include "../../apply/kubeconfig.h"
#include "../../apply/sync.h"
#include "../../diff/checks.h"
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
	/* berth run: the last commit's load, which target_open takes (and
	 * empties) when it can load the new commit as the files that changed
	 * since; and whether that commit's objects are known in sync with
	 * the cluster (a comparison found them so, and the watches saw no
	 * change since): only the changed files' objects are then compared. */
	struct target_memo *memo;
	bool memo_in_sync;
};
#define TARGET_OPTIONS_INIT                                                                        \
	{                                                                                          \
		.kube = KUBECONFIG_OPTIONS_INIT, .git = SOURCE_OPTIONS_INIT                        \
	}

struct target {
	struct source_commit commit; /* with --repo */
	double fetch_ms;             /* ... how long asking (and fetching) took */
	char *files;                 /* ... the manifests' directory in its checkout */
	char *named;                 /* ... the checkout as `files` names it */
	char *checkout;              /* ... the checkout, resolved: nothing outside is read */
	char *source;                /* ... the tracking source: repository//path */
	struct kubeconfig *kc;
	struct kube_client *client;
	struct discovery *discovery;
	struct manifest_set set;
	struct diagnostics diags;
	struct diagnostics warnings; /* what may yet be fine; printed unless quiet */
	size_t load_warnings;        /* how many of them the load found (the rest: checks) */
	struct sync_plan plan;
	/* Loaded from o->memo and the files that changed since (as the load
	 * names them, sorted: `changed`): target_delta_load. `fresh` (sorted):
	 * the objects new or different from the last load's; `nbuilt`: the
	 * kustomizations built again. */
	bool delta;
	char **changed;
	size_t nchanged;
	struct object_id *fresh;
	size_t nfresh, nbuilt;
	struct object_id *gone; /* the objects of o->memo the commit no longer holds */
	size_t ngone;
};
#define TARGET_INIT                                                                                \
	{                                                                                          \
		.commit = SOURCE_COMMIT_INIT, .set = MANIFEST_SET_INIT, .diags = DIAGNOSTICS_INIT, \
		.warnings = DIAGNOSTICS_INIT, .plan = SYNC_PLAN_INIT                               \
	}

/* What the load of a Git source's commit leaves for loading the next one
 * from: its manifests, as loaded, and where they were read. */
struct target_memo {
	char commit[41];
	char *checkout, *files, *named; /* the target's, which its files are named in */
	char *namespace;                /* the default namespace it was loaded with */
	struct manifest_set set;
	struct diagnostics warnings; /* the load's */
};
#define TARGET_MEMO_INIT                                                                           \
	{                                                                                          \
		.commit = "", .set = MANIFEST_SET_INIT, .warnings = DIAGNOSTICS_INIT               \
	}
void target_memo_release(struct target_memo *m);

/* Keep the load of `t` (its manifests are moved: its plan must not be used
 * after) in `m`, for default namespace `namespace`. */
void target_memo_keep(struct target_memo *m, struct target *t, const char *namespace);

/* The folder `path` (--path) as source_options.since_path takes it, into
 * `out`; false when it is one a tree diff cannot follow. */
bool target_delta_path(struct buf *out, const char *path);

/* Load the delta commit of `t` from o->memo (emptied): 0 when loaded (or
 * refused, in t->diags), 1 when it must be loaded whole instead (o->memo
 * is then left as it was). Needs t->kc. */
int target_delta_load(struct target *t, const struct target_options *o);

/* sync_options.known of a delta target (`ctx`): `m` is as the last load
 * had it (not among t->fresh). */
bool target_unchanged(void *ctx, const struct manifest *m);

/* A view of `t`'s objects that are new or differ from the last load's
 * (t->fresh; copies of its items: free out->items alone). */
void target_changed_view(struct manifest_set *out, const struct target *t);

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
 * check that finds it at the same place, in its own words. Only the
 * objects of `changed` (a part of `set`; NULL: all) are checked against
 * the schema, and `known` (NULL: none) spares the commit's checks of
 * objects that were checked, as they are, before. Returns the
 * number of problems added, or a negative error when the schema cannot be
 * had. Warnings go to `warnings`.
 */
int target_check(struct diagnostics *diags, struct diagnostics *warnings, struct kube_client *c,
                 const struct discovery *d, const struct manifest_set *set,
                 const struct manifest_set *changed, const struct checks_known *known);

#endif
