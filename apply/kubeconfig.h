#ifndef BERTH_KUBECONFIG_H
#define BERTH_KUBECONFIG_H

#include "exec_config.h"

#include "../diff/base/buf.h"

#include <stdbool.h>

/*
 * Where a client finds one cluster and who it is there: the resolved result
 * of a kubeconfig (one file, or several through KUBECONFIG) and a context.
 */
struct kubeconfig {
	char *source;          /* the file(s) read, for messages */
	char *context;         /* the context used */
	char *server;          /* https://host:port, no trailing slash */
	char *namespace;       /* the context's namespace, or "default" */
	bool insecure;         /* insecure-skip-tls-verify */
	char *tls_server_name; /* the name the server's certificate is checked against; NULL: its
	                          host */

	/* Each credential is either a path or the bytes themselves (the
	 * `*-data` fields, decoded); data wins when both are given. */
	char *ca_file;
	struct buf ca_data;
	char *cert_file;
	struct buf cert_data;
	char *key_file;
	struct buf key_data;
	char *token;      /* a secret: never put it in a message */
	char *token_file; /* where the token came from, to re-read as it rotates */
	char *username;
	char *password; /* a secret too */
	/* An exec credential plugin, or NULL; it replaces the credentials
	 * above (a user with exec may not have them). */
	struct exec_config *exec;
};

struct kubeconfig_options {
	const char *path;    /* --kubeconfig; NULL: $KUBECONFIG, then ~/.kube/config */
	const char *context; /* --context; NULL: current-context */
};
#define KUBECONFIG_OPTIONS_INIT                                                                    \
	{                                                                                          \
		.path = NULL, .context = NULL                                                      \
	}

/* Where a pod's service account is mounted; BERTH_SERVICEACCOUNT_DIR
 * overrides it (for other mounts, and for tests). */
#define SERVICEACCOUNT_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/*
 * Load and resolve a kubeconfig. `KUBECONFIG` may list several files
 * separated by ':'; the first file to set a value wins. Relative paths
 * resolve against the directory of the file that names them. With no
 * --kubeconfig, no KUBECONFIG and no ~/.kube/config, inside a pod
 * (KUBERNETES_SERVICE_HOST set) the in-cluster config is used: the service
 * account's token, CA and namespace. On success *out is a new kubeconfig
 * owned by the caller (kubeconfig_free).
 */
int kubeconfig_load(struct kubeconfig **out, const struct kubeconfig_options *opts);

/* Free a kubeconfig and wipe the secrets it holds; NULL is a no-op. */
void kubeconfig_free(struct kubeconfig *kc);

#endif
