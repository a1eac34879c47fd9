#ifndef BERTH_EXEC_CREDENTIAL_H
#define BERTH_EXEC_CREDENTIAL_H

#include "../diff/buf.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/*
 * Exec credential plugins (client.authentication.k8s.io v1 and v1beta1), as
 * client-go runs them: a kubeconfig user's `exec:` names a command that
 * prints an ExecCredential holding a bearer token or a client certificate
 * and key. The credential is cached until its expirationTimestamp and the
 * plugin re-run when the server answers 401.
 *
 * What a plugin prints on stdout is a secret: it never goes into a message.
 * Its stderr is not, and failure messages carry it.
 */

#define EXEC_API_V1      "client.authentication.k8s.io/v1"
#define EXEC_API_V1BETA1 "client.authentication.k8s.io/v1beta1"

enum exec_interactive {
	EXEC_INTERACTIVE_IF_AVAILABLE,
	EXEC_INTERACTIVE_NEVER,
	EXEC_INTERACTIVE_ALWAYS,
};

/* A user's `exec:` stanza, checked and resolved. Plain data. */
struct exec_config {
	char *user;        /* "FILE: user 'NAME'", for messages */
	char *api_version; /* EXEC_API_V1 or EXEC_API_V1BETA1 */
	char *command;     /* resolved against the kubeconfig's directory when it has a '/' */
	char **args;
	size_t nargs;
	char **env; /* "NAME=value", added to berth's own environment */
	size_t nenv;
	char *install_hint; /* or NULL */
	enum exec_interactive interactive;
	char *cluster; /* spec.cluster as JSON when provideClusterInfo, else NULL */
};

/*
 * Check and copy the `exec` object of a kubeconfig user. `user` names the
 * user for messages ("FILE: user 'NAME'"), `dir` is the directory of the
 * kubeconfig that holds it, and `cluster` (borrowed; NULL unless
 * provideClusterInfo matters) is the spec.cluster object to hand the plugin.
 * *out is owned by the caller (exec_config_free).
 */
int exec_config_parse(struct exec_config **out, struct json_object *exec, const char *user,
                      const char *dir, struct json_object *cluster);

/* A deep copy; the caller owns it (exec_config_free). */
struct exec_config *exec_config_copy(const struct exec_config *cfg);

/* NULL is a no-op. */
void exec_config_free(struct exec_config *cfg);

/*
 * The KUBERNETES_EXEC_INFO a plugin gets: an ExecCredential of the
 * configured apiVersion with spec.interactive and, when provideClusterInfo
 * is set, spec.cluster. Appended to `out`.
 */
void exec_config_exec_info(struct buf *out, const struct exec_config *cfg, bool interactive);

/* What a plugin answered. Embedded by value: EXEC_CREDENTIAL_INIT. */
struct exec_credential {
	char *token;     /* or NULL; a secret */
	struct buf cert; /* PEM, empty when the plugin gave a token only */
	struct buf key;  /* PEM; a secret */
	time_t expires;  /* 0: does not expire */
};
#define EXEC_CREDENTIAL_INIT                                                                       \
	{                                                                                          \
		NULL, BUF_INIT, BUF_INIT, 0                                                        \
	}

/* Wipe and free what a credential holds; it is left empty. */
void exec_credential_release(struct exec_credential *cred);

/*
 * Parse a plugin's stdout (`len` bytes of `text`) into `out`, which must be
 * empty. It must be an ExecCredential of `api_version` with status.token, or
 * status.clientCertificateData and clientKeyData, or both, and an optional
 * RFC 3339 status.expirationTimestamp. Messages start with `what` (the
 * plugin, for instance) and never quote the output.
 */
int exec_credential_parse(struct exec_credential *out, const char *what, const char *api_version,
                          const char *text, size_t len);

/* Whether a credential has expired at `now` (one without expiry never does). */
bool exec_credential_expired(const struct exec_credential *cred, time_t now);

/*
 * Parse an RFC 3339 timestamp ("2006-01-02T15:04:05Z", optional fraction,
 * 'Z' or a numeric offset) into seconds since the epoch (the fraction is
 * dropped). Returns -1 without setting a message when `s` is not one.
 */
int exec_rfc3339_parse(time_t *out, const char *s);

/*
 * A plugin and its cached credential, shared by a client and its copies
 * (kube_client_dup), each of which may run in its own thread: every call is
 * thread-safe, and the plugin runs once however many threads want it.
 */
struct exec_plugin;

/* A plugin for `cfg` (copied). *out is owned by the caller (exec_plugin_free). */
void exec_plugin_new(struct exec_plugin **out, const struct exec_config *cfg);

/* Take one more reference; exec_plugin_free drops one. Returns `p`. */
struct exec_plugin *exec_plugin_ref(struct exec_plugin *p);

/* Drop a reference, freeing the plugin and wiping its credential with the
 * last; NULL is a no-op. */
void exec_plugin_free(struct exec_plugin *p);

/*
 * The credential to send: the cached one unless there is none, it has
 * expired or the server refused it, else a fresh one from running the
 * plugin. Each run starts a new generation (1, 2, ...). When the current
 * generation is not *gen (0 for a caller that has none yet), copies the
 * credential into `out` (released first) and sets *gen, returning 1;
 * returns 0 when the caller's copy is current. Fails when
 * the plugin does, with a message naming it, its exit status and its stderr
 * (or its installHint when the command is not found).
 */
int exec_plugin_get(struct exec_credential *out, unsigned long *gen, struct exec_plugin *p);

/*
 * The server refused the credential of generation `gen` (a 401): forget it,
 * so the next exec_plugin_get runs the plugin again. Another thread that
 * already replaced it is not undone.
 */
void exec_plugin_invalidate(struct exec_plugin *p, unsigned long gen);

/* How many times the plugin has run (for tests and messages). */
unsigned long exec_plugin_runs(const struct exec_plugin *p);

#endif
