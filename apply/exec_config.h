#ifndef BERTH_EXEC_CONFIG_H
#define BERTH_EXEC_CONFIG_H

#include "../diff/base/buf.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

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

#endif
