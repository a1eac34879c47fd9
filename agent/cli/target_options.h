#ifndef BERTH_TARGET_OPTIONS_H
#define BERTH_TARGET_OPTIONS_H

#include "../forge/status.h"
#include "../source/target.h"

#include <getopt.h>

/*
 * The options of diff, sync and lint that fill a struct target_options:
 * -f or --repo and the Git source's, the cluster's, and a one-shot's
 * --status-... flags.
 */

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

/* What diff, sync and lint take on their command line: the target's
 * options, and the commit status a one-shot posts at its end (--status-...)
 * and how long it may take. Embedded by value: TARGET_FLAGS_INIT, then
 * target_flags_release(). */
struct target_flags {
	struct target_options target;
	const char *status_provider, *status_base_url, *status_repository, *status_token_file,
	    *status_ca_file, *status_context, *status_target_url, *status_api_version;
	struct status_config status; /* made of them by target_options_check() */
	long status_timeout_ms;
};
#define TARGET_FLAGS_INIT                                                                          \
	{                                                                                          \
		.target = TARGET_OPTIONS_INIT, .status_timeout_ms = 30000                          \
	}

/* Frees the -f list and the status block. */
void target_flags_release(struct target_flags *f);

/* Take option `opt` (from getopt_long) if it is one of the shared ones:
 * returns 1 when taken, 0 when not, and a usage error's status on error. */
int target_option(struct target_flags *f, int opt, const char *verb, char **argv);

/* After the options: no other argument, -f or --repo (not both), a --path
 * inside the repository, and the --status-... flags as a status block. 0,
 * or a usage error's status (target_flags_release()d). */
int target_options_check(struct target_flags *f, const char *verb, int argc, char **argv);

/*
 * With --status-...: post `state` and `description` on the commit of
 * --repo, and wait for it up to --status-timeout. A forge that refuses or
 * does not answer is a warning on stderr; the verb's exit status does not
 * change. Without them, nothing.
 */
void target_report(const struct target *t, const struct target_flags *f, enum status_state state,
                   const char *description);

#endif
