#ifndef BERTH_TARGET_H
#define BERTH_TARGET_H

#include "../daemon/config.h"
#include "../cli/output.h"
#include "source.h"
#include "tree.h"

#include "../../apply/discovery.h"
#include "../../apply/kube_client.h"
#include "../../apply/kubeconfig.h"
#include "../../apply/sync.h"
#include "../../diff/manifest.h"

#include <getopt.h>

/*
 * What `berth diff` and `berth sync` share: the options that name the
 * manifests and the cluster, and the plan that compares them.
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
	/* --status-...: the commit status a one-shot posts at its end, and how
	 * long it may take. */
	const char *status_provider, *status_base_url, *status_repository, *status_token_file,
	    *status_ca_file, *status_context, *status_target_url, *status_api_version;
	struct status_config status; /* made of them by target_options_check() */
	long status_timeout_ms;
};
#define TARGET_OPTIONS_INIT                                                                        \
	{                                                                                          \
		.kube = KUBECONFIG_OPTIONS_INIT, .git = SOURCE_OPTIONS_INIT,                       \
		.status_timeout_ms = 30000                                                         \
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

/* The long options both verbs take; the verb's own follow in `extra`. */
enum {
	OPT_REPO = 256,
	OPT_REF,
	OPT_PATH,
	OPT_GIT_USERNAME,
	OPT_GIT_PASSWORD_FILE,
	OPT_GIT_CA_FILE,
	OPT_SSH_KEY,
	OPT_KNOWN_HOSTS,
	OPT_MAX_BYTES,
	OPT_MAX_OBJECTS,
	OPT_STATUS_PROVIDER,
	OPT_STATUS_BASE_URL,
	OPT_STATUS_REPOSITORY,
	OPT_STATUS_TOKEN_FILE,
	OPT_STATUS_CA_FILE,
	OPT_STATUS_CONTEXT,
	OPT_STATUS_TARGET_URL,
	OPT_STATUS_API_VERSION,
	OPT_STATUS_TIMEOUT,
};
/* The Git source's, which lint takes too. */
#define GIT_LONGOPTS                                                                               \
	{"repo", required_argument, NULL, OPT_REPO}, {"ref", required_argument, NULL, OPT_REF},    \
	    {"path", required_argument, NULL, OPT_PATH},                                           \
	    {"git-username", required_argument, NULL, OPT_GIT_USERNAME},                           \
	    {"git-password-file", required_argument, NULL, OPT_GIT_PASSWORD_FILE},                 \
	    {"ssh-key", required_argument, NULL, OPT_SSH_KEY},                                     \
	    {"known-hosts", required_argument, NULL, OPT_KNOWN_HOSTS},                             \
	    {"git-ca-file", required_argument, NULL, OPT_GIT_CA_FILE},                             \
	    {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},                                 \
	{                                                                                          \
		"max-objects", required_argument, NULL, OPT_MAX_OBJECTS                            \
	}
/* The commit status of a one-shot, as berth run's `status` block has it. */
#define STATUS_LONGOPTS                                                                            \
	{"status-provider", required_argument, NULL, OPT_STATUS_PROVIDER},                         \
	    {"status-base-url", required_argument, NULL, OPT_STATUS_BASE_URL},                     \
	    {"status-repository", required_argument, NULL, OPT_STATUS_REPOSITORY},                 \
	    {"status-token-file", required_argument, NULL, OPT_STATUS_TOKEN_FILE},                 \
	    {"status-ca-file", required_argument, NULL, OPT_STATUS_CA_FILE},                       \
	    {"status-context", required_argument, NULL, OPT_STATUS_CONTEXT},                       \
	    {"status-target-url", required_argument, NULL, OPT_STATUS_TARGET_URL},                 \
	    {"status-api-version", required_argument, NULL, OPT_STATUS_API_VERSION},               \
	{                                                                                          \
		"status-timeout", required_argument, NULL, OPT_STATUS_TIMEOUT                      \
	}
#define TARGET_LONGOPTS                                                                            \
	{"kubeconfig", required_argument, NULL, 'k'}, {"context", required_argument, NULL, 'c'},   \
	    {"namespace", required_argument, NULL, 'n'},                                           \
	    {"filename", required_argument, NULL, 'f'}, GIT_LONGOPTS, STATUS_LONGOPTS,             \
	{                                                                                          \
		"output", required_argument, NULL, 'o'                                             \
	}
#define TARGET_SHORTOPTS ":f:n:o:"

/* `file` by its path in the repository: less `checkout` (NULL: none) and a
 * '/' when it starts with them, else as it is. */
const char *repo_path(const char *file, const char *checkout);

/* The options of berth run's source `s` (borrowed): its repository, path,
 * namespaces, credentials and limits; quiet. The caller adds the cluster's
 * and the stops. */
void target_options_of(struct target_options *o, const struct source_config *s);

/* Take option `opt` (from getopt_long) if it is one of the shared ones:
 * returns 1 when taken, 0 when not, and a usage error's status on error. */
int target_option(struct target_options *o, int opt, const char *verb, char **argv);

/* After the options: no other argument, -f or --repo (not both), a --path
 * inside the repository. 0, or a usage error's status (o->files freed). */
int target_options_check(struct target_options *o, const char *verb, int argc, char **argv);

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
 * under --path) and the cluster, and compare them. Problems with the
 * manifests are printed as file:line:column lines; other errors as
 * "error: ...". Sets sync->source to the manifests' path, or to the
 * repository (without credentials) and path, and sync's confinement to the
 * source's (allowed namespaces and cluster resources). */
int target_open(struct target *t, const struct target_options *o, struct sync_options *sync);
void target_release(struct target *t, struct target_options *o);

/*
 * With --status-...: post `state` and `description` on the commit of
 * --repo, and wait for it up to --status-timeout. A forge that refuses or
 * does not answer is a warning on stderr; the verb's exit status does not
 * change. Without them, nothing.
 */
void target_report(const struct target *t, const struct target_options *o, enum status_state state,
                   const char *description);

/*
 * Discovery of what the manifests of `set` use: their groups, each in its
 * preferred version and in the versions the manifests name (discovery_fetch);
 * with `all`, every group and version (prune looks for berth's objects of
 * every kind). *out is the caller's (discovery_free).
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
